"""Files a planner uploads in the app: a spec (TOML) or a GeoJSON layer, read into the model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
import shapely.errors
from shapely.geometry import shape

from geo.errors import DataError, OptionError, SpecError
from geo.model import FEATURE_COLUMNS, Kind, Precision, Status

__all__ = ["MAX_UPLOAD_FEATURES", "UPLOAD_LAYER", "read_geojson_layer", "read_spec_text"]

UPLOAD_LAYER = "uploaded"
MAX_UPLOAD_FEATURES = 5000
#: properties an uploaded GeoJSON may use for the Chinese name, in order of preference
_NAME_KEYS = ("name", "name_zh", "名称", "NAME", "Name", "title")
_NAME_EN_KEYS = ("name_en", "NAME_EN", "english", "name:en")
_DEFAULT_KIND = {"Point": Kind.LANDMARK, "LineString": Kind.ROAD, "Polygon": Kind.ZONE}
_ID = re.compile(r"[A-Za-z0-9._:-]{1,120}")


def read_spec_text(data: bytes, *, name: str) -> str:
    """Decode an uploaded spec; :class:`SpecError` if it is not UTF-8 text."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"{name}: not UTF-8 text (a spec is a TOML file)") from None


def _first(props: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = props.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _choice(value: Any, enum: Any, default: Any, where: str, what: str) -> str:
    if value is None or not str(value).strip():
        return default.value
    try:
        return enum.get(value, name="").value
    except OptionError as exc:
        raise DataError(f"{where}.{what}: {exc}") from None


def _valid_part(geom):
    """A repaired geometry keeps only its parts of the highest dimension (a polygon with a
    spike repairs to polygon + line: the polygon is what was meant)."""
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = list(geom.geoms)
    top = max(shapely.get_dimensions(parts))
    return shapely.union_all([p for p in parts if shapely.get_dimensions(p) == top])


def _safe_id(value: Any, default: str) -> str:
    """An uploaded id is used as given only when it is a plain slug: ids reach the map's
    script (highlighting), where markup or template syntax must never arrive."""
    text = "" if value is None else str(value)
    return text if _ID.fullmatch(text) else default


def _count(value: Any) -> int:
    try:
        return max(int(str(value)), 0)
    except (TypeError, ValueError):
        return 0


def _geometry(feat: dict, where: str):
    try:
        geom = shape(feat["geometry"]) if feat.get("geometry") else None
        if geom is not None and not geom.is_empty:
            minx, miny, maxx, maxy = geom.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                raise DataError(
                    f"{where}.geometry: coordinates are not lon/lat degrees (RFC 7946 "
                    "GeoJSON is WGS-84; reproject to EPSG:4326 first)"
                )
            if not shapely.is_valid(geom):
                geom = _valid_part(shapely.make_valid(geom))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{where}.geometry: not a valid GeoJSON geometry ({exc})") from None
    except shapely.errors.GEOSException as exc:
        raise DataError(f"{where}.geometry: broken geometry ({str(exc).strip()})") from None
    if geom is not None and geom.is_empty:
        geom = None  # an empty geometry locates nothing: the feature is unlocated
    if geom is not None and geom.geom_type == "GeometryCollection":
        raise DataError(f"{where}.geometry: a GeometryCollection; give each part its own feature")
    return geom


def read_geojson_layer(data: bytes, *, name: str) -> gpd.GeoDataFrame:
    """Read an uploaded GeoJSON (RFC 7946, lon/lat WGS-84) into a layer with the feature columns.

    Properties ``id, name, name_en, kind, status, precision, source, note`` are used when
    present (``kind`` defaults by geometry type, ``precision`` to approximate). Unknown
    values are refused, listing the valid ones.

    Raises
    ------
    DataError
        In one line, naming the file and the feature.
    """
    fname = Path(name).name
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(f"{fname}: not UTF-8 text (expected GeoJSON)") from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{fname}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise DataError(f"{fname}: nested too deeply") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(f"{fname}: not a GeoJSON FeatureCollection or Feature")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise DataError(f"{fname}: the FeatureCollection has no features")
    if len(feats) > MAX_UPLOAD_FEATURES:
        raise DataError(
            f"{fname}: {len(feats)} features; the app shows at most {MAX_UPLOAD_FEATURES}"
        )
    stem = re.sub(r"[^a-z0-9]+", "_", Path(fname).stem.lower()).strip("_") or "layer"
    rows, geoms = [], []
    for i, feat in enumerate(feats):
        where = f"{fname}: features[{i}]"
        if not isinstance(feat, dict):
            raise DataError(f"{where}: not a GeoJSON Feature")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise DataError(f"{where}.properties: not an object")
        geom = _geometry(feat, where)
        gtype = geom.geom_type.removeprefix("Multi") if geom is not None else ""
        kind = _choice(
            props.get("kind"), Kind, _DEFAULT_KIND.get(gtype, Kind.LANDMARK), where, "kind"
        )
        located = Precision.APPROXIMATE if geom is not None else Precision.UNLOCATED
        precision = _choice(props.get("precision"), Precision, located, where, "precision")
        if geom is None:
            precision = Precision.UNLOCATED.value
        rows.append(
            {
                "id": _safe_id(props.get("id") or feat.get("id"), f"upload.{stem}.{i + 1}"),
                "name": _first(props, _NAME_KEYS) or f"{fname} #{i + 1}",
                "name_en": _first(props, _NAME_EN_KEYS),
                "layer": UPLOAD_LAYER,
                "kind": kind,
                "status": _choice(props.get("status"), Status, Status.EXISTING, where, "status"),
                "precision": precision,
                "source": str(props.get("source") or f"uploaded file {fname}"),
                "note": str(props.get("note") or ""),
                "report_excerpt": str(props.get("report_excerpt") or ""),
                "mentions": _count(props.get("mentions")),
                "licence": str(props.get("licence") or ""),
                "within": str(props.get("within") or ""),
            }
        )
        geoms.append(geom)
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    return frame[[*FEATURE_COLUMNS, "geometry"]]
