"""Features of one name become places: segments merged, separate places kept apart.

A road file draws a road as many segments (one per block, both carriageways), all with the
same name; the road is their union, merged into as few lines as they form. But the same name
can also be two roads in different places. Segments are therefore grouped by single linkage:
two features belong to the same place when they lie within :data:`GAP_M` of each other,
directly or through other features of the name (a dual carriageway is 20-60 m wide; a road
broken by an interchange resumes within a few hundred metres). Each group is one candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

__all__ = ["GAP_M", "Piece", "group_pieces", "merge"]

#: features of one name closer than this (metres) are one place
GAP_M = 300.0


def merge(geoms: Sequence[BaseGeometry]) -> BaseGeometry:
    """The union of features as one geometry: lines merged end to end where they meet,
    polygons dissolved, points as a multipoint; a single feature is returned as it is."""
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if len(geoms) == 1:
        return geoms[0]
    dims = shapely.get_dimensions(geoms)
    top = int(dims.max())
    parts = [g for g, d in zip(geoms, dims, strict=True) if d == top]
    if top == 1:
        lines = shapely.get_parts(parts)
        merged = shapely.line_merge(shapely.union_all(lines))
        return merged
    if top == 2:
        return shapely.make_valid(shapely.union_all(parts))
    return shapely.union_all(parts)


@dataclass(frozen=True)
class Piece:
    """One group of features (indices into the input) that form one place."""

    members: tuple[int, ...]


def group_pieces(geoms_m: np.ndarray, *, gap_m: float = GAP_M) -> list[Piece]:
    """Group features (in metres) by single linkage within ``gap_m``, largest group first.

    Parameters
    ----------
    geoms_m : array of geometries
        In a metric CRS.
    gap_m : float
        Features this close are linked.

    Returns
    -------
    list of Piece
    """
    n = len(geoms_m)
    if n == 0:
        return []
    if n == 1:
        return [Piece((0,))]
    tree = shapely.STRtree(geoms_m)
    left, right = tree.query(geoms_m, predicate="dwithin", distance=gap_m)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    lengths = shapely.length(geoms_m) + shapely.area(geoms_m)
    groups = [np.flatnonzero(labels == c) for c in range(count)]
    groups.sort(key=lambda g: (-float(lengths[g].sum()), int(g[0])))
    return [Piece(tuple(int(i) for i in g)) for g in groups]
