"""Geometry recipes of the gazetteer: turn stated facts into geometries, never guesses.

A recipe is a small dict from ``data/gazetteer/places.toml`` (see the comment at its top).
Anchors are resolved by a callback, so this module knows nothing about the gazetteer's files.
All measuring and buffering happens in UTM 50N (EPSG:32650); results are WGS-84 lon/lat.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, substring

from geo import geometry as gg
from geo.errors import DataError

#: resolve(name) -> geometry or None (None: the anchor is named but unlocated)
Resolver = Callable[[str], BaseGeometry | None]


@dataclass
class RecipeResult:
    """The geometry a recipe made, and what it had to leave out."""

    geometry: BaseGeometry | None
    skipped: list[str] = field(default_factory=list)


def _anchor_points(names: Sequence[str], resolve: Resolver) -> tuple[list[Point], list[str]]:
    points, skipped = [], []
    for name in names:
        geom = resolve(name)
        if geom is None or geom.is_empty:
            skipped.append(name)
            continue
        points.append(geom if isinstance(geom, Point) else geom.representative_point())
    return points, skipped


def _need(points: list, n: int, recipe: str, where: str) -> None:
    if len(points) < n:
        raise DataError(f"{where}: {recipe} needs at least {n} located anchors, got {len(points)}")


def hk_border(
    district: BaseGeometry, neighbours: Sequence[BaseGeometry], *, tol_m: float
) -> LineString:
    """The longest continuous stretch of the district boundary shared with no neighbour."""
    edges = gg.unshared_edges(district, neighbours, tol_m=tol_m)
    merged = linemerge(edges) if isinstance(edges, MultiLineString) else edges
    if isinstance(merged, MultiLineString):
        merged = max(merged.geoms, key=lambda g: gg.to_metric(g).length)
    return merged


def _border_stretch(border: LineString, a: Point, b: Point | None) -> LineString | Point:
    """Metric sub-line of the border between the projections of a and b (b None: to the east end).

    A Point when both project to the same place (shapely's ``substring`` of zero length)."""
    line = gg.to_metric(border)
    pa = line.project(gg.to_metric(a))
    if b is None:
        coords = line.coords
        east_is_end = coords[-1][0] >= coords[0][0]
        pb = line.length if east_is_end else 0.0
    else:
        pb = line.project(gg.to_metric(b))
    lo, hi = sorted((pa, pb))
    return substring(line, lo, hi)


def north_of(line: LineString, clip: BaseGeometry) -> BaseGeometry:
    """The part of ``clip`` north of a west-to-east polyline (extended to leave ``clip``)."""
    m_line, m_clip = gg.to_metric(line), gg.to_metric(clip)
    xs = [c[0] for c in m_line.coords]
    if any(b <= a for a, b in itertools.pairwise(xs)):
        raise DataError("north_of: anchors must run strictly west to east")
    minx, miny, maxx, maxy = m_clip.bounds
    pad = (maxx - minx) + (maxy - miny)
    coords = list(m_line.coords)
    west = (minx - pad, coords[0][1])
    east = (maxx + pad, coords[-1][1])
    ring = [west, *coords, east, (east[0], maxy + pad), (west[0], maxy + pad)]
    part = m_clip.intersection(Polygon(ring))
    return gg.to_lonlat(gg.repair(part))


def build(
    recipe: dict,
    *,
    resolve: Resolver,
    district: BaseGeometry,
    border: LineString | None,
    where: str,
) -> RecipeResult:
    """Evaluate one derived-geometry recipe.

    Parameters
    ----------
    recipe : dict
        One of ``line_through``, ``corridor``, ``border_belt``, ``border_east_of``, ``north_of``,
        ``cluster`` with its options.
    resolve : callable
        Name -> geometry (None when the anchor is unlocated).
    district : geometry
        The district polygon, used to clip.
    border : LineString or None
        The Hong Kong border line, for the border recipes.
    where : str
        Names the file and entry in error messages.

    Returns
    -------
    RecipeResult

    Raises
    ------
    DataError
        Unknown recipe or too few located anchors.
    """
    if "line_through" in recipe:
        pts, skipped = _anchor_points(recipe["line_through"], resolve)
        _need(pts, 2, "line_through", where)
        return RecipeResult(gg.axis_through(pts), skipped)
    if "corridor" in recipe:
        pts, skipped = _anchor_points(recipe["corridor"], resolve)
        _need(pts, 2, "corridor", where)
        line = gg.axis_through(pts)
        return RecipeResult(
            gg.corridor(line, width_m=float(recipe["width_m"]), clip=district), skipped
        )
    if "cluster" in recipe:
        pts, skipped = _anchor_points(recipe["cluster"], resolve)
        _need(pts, 1, "cluster", where)
        geom = gg.cluster(pts, buffer_m=float(recipe["buffer_m"]), clip=district)
        return RecipeResult(geom, skipped)
    if "north_of" in recipe:
        pts, skipped = _anchor_points(recipe["north_of"], resolve)
        _need(pts, 2, "north_of", where)
        return RecipeResult(north_of(LineString(pts), district), skipped)
    if "border_belt" in recipe or "border_east_of" in recipe:
        if border is None:
            raise DataError(f"{where}: no Hong Kong border is available for a border recipe")
        names = recipe.get("border_belt") or [recipe["border_east_of"]]
        pts, skipped = _anchor_points(names, resolve)
        if skipped:
            raise DataError(f"{where}: border anchors must be located, not {skipped}")
        stretch = _border_stretch(border, pts[0], pts[1] if len(pts) > 1 else None)
        if "border_east_of" in recipe:
            return RecipeResult(gg.to_lonlat(stretch), [])
        width = float(recipe["width_m"])
        band = stretch.buffer(width, cap_style="flat")
        return RecipeResult(gg.to_lonlat(gg.repair(band.intersection(gg.to_metric(district)))), [])
    raise DataError(f"{where}: unknown geometry recipe {sorted(recipe)}")


def simplify_empty(geom: BaseGeometry | None) -> BaseGeometry | None:
    """Empty geometries become None (an unlocated feature), so nothing empty is written."""
    if geom is None or shapely.is_empty(geom):
        return None
    return geom
