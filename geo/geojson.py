"""The one GeoJSON writer: every GeoJSON file or download Planmap makes goes through it.

RFC 7946: WGS-84 lon/lat (no ``crs`` member), counter-clockwise exterior rings, coordinates
rounded to :data:`DECIMALS` (6 decimals, about 0.1 m) by one rule (``numpy.round``). Property
values become plain JSON: NumPy scalars become numbers, NaN/NA become null, integers stay
integers (``mentions`` is never written as ``3.0``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

__all__ = ["DECIMALS", "feature_collection", "geojson_text", "plain", "rfc7946_geometry"]

DECIMALS = 6  # about 0.1 m


def rfc7946_geometry(geom: Any) -> dict | None:
    """A geometry as an RFC 7946 mapping (CCW exteriors, rounded), or None when missing/empty."""
    if geom is None or shapely.is_empty(geom):
        return None
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    geom = shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))
    return mapping(geom)


def plain(value: Any) -> Any:
    """A property value as plain JSON (NumPy scalars unwrapped, NaN/NA/NaT -> None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    return value


def feature_collection(gdf: Any, *, columns: Sequence[str] | None = None) -> dict:
    """A GeoJSON FeatureCollection dict of a GeoDataFrame (reprojected to EPSG:4326 if needed).

    Parameters
    ----------
    gdf : GeoDataFrame
    columns : sequence of str, optional
        The properties to write, in order (default: every column but the geometry).
    """
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    name = gdf.geometry.name
    cols = list(columns) if columns is not None else [c for c in gdf.columns if c != name]
    feats = []
    for props, geom in zip(gdf[cols].to_dict("records"), gdf.geometry.array, strict=True):
        feats.append(
            {
                "type": "Feature",
                "properties": {k: plain(v) for k, v in props.items()},
                "geometry": rfc7946_geometry(geom),
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def geojson_text(gdf: Any, *, columns: Sequence[str] | None = None) -> str:
    """:func:`feature_collection` as compact UTF-8 JSON text."""
    return json.dumps(
        feature_collection(gdf, columns=columns), ensure_ascii=False, separators=(",", ":")
    )
