"""Constraint zones where no site may go: the border buffer, park extents, no-fly zones.

Frames are in the feature schema (EPSG:4326); a derived zone says how it was derived in its
``source`` and ``note`` and is ``precision=schematic``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.config import read_text
from geo.errors import DataError, OptionError
from geo.geometry import to_lonlat, to_metric
from geo.model import FEATURE_COLUMNS, Kind, Precision, Status
from geo.siting.features import LAYER, LONLAT, feature_frame
from geo.siting.inputs import SitingArea, find_point, read_points
from geo.siting.rules import SitingConfig

__all__ = ["build_constraints", "read_no_fly"]


#: no-fly files larger than this are refused (a district's zones are a few hundred kB)
MAX_NO_FLY_BYTES = 64 * 1024 * 1024


def read_no_fly(path: Path | str) -> gpd.GeoDataFrame:
    """Read a user's no-fly GeoJSON (WGS-84 Polygon/MultiPolygon features) strictly.

    Raises
    ------
    DataError
        One line naming the file and what is wrong: missing, invalid JSON, a non-polygon
        feature, a ``crs`` other than WGS-84, coordinates that are not lon/lat degrees, or a
        ``precision`` that is not one of the vocabulary's.
    """
    path = Path(path)
    # bounded (``/dev/zero`` is refused, not read forever), a folder or bad UTF-8 in one line
    text = read_text(path, what="no-fly file", max_bytes=MAX_NO_FLY_BYTES)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise DataError(f"{path}: nested too deeply; not a GeoJSON file") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path}: expected a GeoJSON object, got {type(doc).__name__}")
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if crs and not any(tag in str(crs).upper() for tag in ("CRS84", "4326")):
        raise DataError(f"{path}: crs {crs!r} is not WGS-84; GeoJSON must be lon/lat (RFC 7946)")
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features")
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "properties": {}, "geometry": doc}]
    if not isinstance(features, list) or not features:
        raise DataError(f"{path}: no features")
    records, geoms = [], []
    for i, feat in enumerate(features):
        where = f"{path}: features[{i}]"
        gj = feat.get("geometry") if isinstance(feat, dict) else None
        kind = gj.get("type") if isinstance(gj, dict) else None
        if kind not in ("Polygon", "MultiPolygon") or not isinstance(gj, dict):
            raise DataError(
                f"{where}.geometry is {kind or 'missing'}; no-fly zones must be (Multi)Polygon"
            )
        geoms.append(_polygon(gj, where=f"{where}.geometry"))
        props = feat.get("properties") or {}
        try:
            precision = Precision.get(props.get("precision") or Precision.APPROXIMATE)
        except OptionError as exc:
            raise DataError(f"{where}.properties.precision: {exc}") from None
        records.append(
            {
                "id": f"constraint.no_fly.{i + 1:03d}",
                "name": str(props.get("name") or f"禁飞区 {i + 1}"),
                "name_en": str(props.get("name_en") or f"no-fly zone {i + 1}"),
                "layer": LAYER,
                "kind": Kind.CONSTRAINT.value,
                "status": Status.EXISTING.value,
                "precision": precision.value,
                "source": str(props.get("source") or f"user no-fly file {path.name}"),
                "note": str(props.get("note") or ""),
            }
        )
    return feature_frame(records, geoms)


def _polygon(gj: dict, *, where: str) -> BaseGeometry:
    try:
        geom = shape(gj)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise DataError(f"{where}: malformed coordinates ({exc})") from None
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise DataError(f"{where}: coordinates are not lon/lat degrees (projected? use WGS-84)")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        geom = shapely.union_all([g for g in getattr(geom, "geoms", [geom]) if g.area > 0])
    if geom.is_empty or geom.area == 0:
        raise DataError(f"{where}: polygon has no area")
    return geom


def build_constraints(
    config: SitingConfig,
    area: SitingArea,
    *,
    allow_parks: bool = False,
    no_fly: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Constraint zones in the feature schema: border buffer, park extents, no-fly zones.

    Parameters
    ----------
    config : SitingConfig
    area : SitingArea
        Its border (if any) gets the rules' buffer.
    allow_parks : bool
        Leave out the parks (the rules' park file, or their schematic discs).
    no_fly : geopandas.GeoDataFrame, optional
        Extra zones, e.g. from `read_no_fly`.
    """
    records: list[dict[Any, Any]] = []  # rows of to_dict('records') join them
    geoms: list[BaseGeometry] = []
    base = {"layer": LAYER, "status": Status.EXISTING.value}
    border, rule = area.border, config.constraints.border
    if border is not None and not border.is_empty and rule.buffer_m > 0:
        records.append(
            base
            | {
                "id": "constraint.border_buffer",
                "name": rule.name,
                "name_en": f"{rule.name_en} ({rule.buffer_m:.0f} m)",
                "kind": Kind.CONSTRAINT.value,
                "precision": Precision.SCHEMATIC.value,
                "source": area.border_source,
                "note": f"buffer {rule.buffer_m:.0f} m is a planning assumption "
                f"({config.path.name}); no sourced clearance distance",
            }
        )
        geoms.append(to_lonlat(to_metric(border).buffer(rule.buffer_m)))
    if not allow_parks and config.parks_path is not None:
        parks = read_no_fly(config.parks_path)
        parks["kind"] = Kind.PARK.value
        records += parks[list(FEATURE_COLUMNS)].to_dict("records")
        geoms += list(parks.geometry)
    elif not allow_parks:
        points = read_points(config, area.facts)
        for park in config.constraints.parks.zones:
            centre = to_metric(find_point(points, park.point))
            stated = f"stated area {park.area_km2} km² ({park.area_source})"
            records.append(
                base
                | {
                    "id": f"constraint.park.{park.key}",
                    "name": park.name,
                    "name_en": park.name_en,
                    "kind": Kind.PARK.value,
                    "precision": Precision.SCHEMATIC.value,
                    "source": f"point: {park.point_source}"
                    + (f"; {stated}" if park.area_km2 else ""),
                    "note": f"SCHEMATIC: {park.derivation}; replace with a real extent via "
                    "--allow-parks --no-fly FILE",
                }
            )
            geoms.append(to_lonlat(centre.buffer(park.disc_radius_m, quad_segs=32)))
    frame = feature_frame(records, geoms)
    if no_fly is not None and len(no_fly):
        extra = no_fly.to_crs(LONLAT)[[*FEATURE_COLUMNS, "geometry"]]
        frame = pd.concat([frame, extra], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=LONLAT)
