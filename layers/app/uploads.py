"""Files a planner uploads in the app: a spec (TOML) or a GeoJSON layer, read into the model."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import DataError, OptionError, SpecError
from geo.geojson_read import (
    MAX_GEOJSON_BYTES,
    MAX_GEOJSON_FEATURES,
    MAX_GEOJSON_VERTICES,
    read_features,
)
from geo.model import FEATURE_COLUMNS, Kind, Precision, Status

__all__ = [
    "CACHE_TTL_S",
    "FAR_KM",
    "MAX_SPEC_BYTES",
    "MAX_UPLOAD_FEATURES",
    "MAX_UPLOAD_MB",
    "UPLOAD_LAYER",
    "UPLOAD_LIMITS",
    "far_features",
    "far_warning",
    "read_geojson_layer",
    "read_geojson_upload",
    "read_spec_text",
]

UPLOAD_LAYER = "uploaded"
MAX_UPLOAD_FEATURES = MAX_GEOJSON_FEATURES
#: an uploaded spec larger than this is refused before decoding (the shipped ones are ~20 kB)
MAX_SPEC_BYTES = 1024 * 1024
#: the server's limit per uploaded file (``server.maxUploadSize`` in .streamlit/config.toml;
#: the Locate page's GIS files, zipped Shapefiles and GeoPackages, are the largest uploads)
MAX_UPLOAD_MB = 50


def _ttl() -> int:
    """:data:`CACHE_TTL_S`, or ``PLANMAP_APP_CACHE_TTL_S`` (the load benchmark shortens it)."""
    try:
        return max(int(os.environ.get("PLANMAP_APP_CACHE_TTL_S", 15 * 60)), 1)
    except ValueError:
        return 15 * 60


#: how long the app's caches keyed on an upload keep an entry (seconds): memory held for a
#: large upload is given back a quarter of an hour after it was written
CACHE_TTL_S = _ttl()
#: features farther than this outside the district's layers get a warning
FAR_KM = 50.0
#: the limits as the upload widget states them
UPLOAD_LIMITS = (
    f"GeoJSON ≤ {MAX_GEOJSON_BYTES // 2**20} MB, ≤ {MAX_GEOJSON_FEATURES:,} features, "
    f"≤ {MAX_GEOJSON_VERTICES:,} vertices; spec ≤ {MAX_SPEC_BYTES // 2**20} MB"
)
#: properties an uploaded GeoJSON may use for the Chinese name, in order of preference
_NAME_KEYS = ("name", "name_zh", "名称", "NAME", "Name", "title")
_NAME_EN_KEYS = ("name_en", "NAME_EN", "english", "name:en")
_DEFAULT_KIND = {"Point": Kind.LANDMARK, "LineString": Kind.ROAD, "Polygon": Kind.ZONE}
_ID = re.compile(r"[A-Za-z0-9._:-]{1,120}")


def read_spec_text(data: bytes, *, name: str) -> str:
    """Decode an uploaded spec; :class:`SpecError` if it is too large or not UTF-8 text."""
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            f"{name}: {len(data) / 2**20:.1f} MB is over the {MAX_SPEC_BYTES // 2**20} MB limit "
            "for a spec"
        )
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
    if value is None or (isinstance(value, str) and not value.strip()):
        return default.value
    if not isinstance(value, str):
        raise DataError(f"{where}.{what}: expected text, got {_json_type(value)}")
    if len(value) > 60:  # no choice is this long; the message shows the start only
        value = value[:40] + "…"
    try:
        return enum.get(value, name="").value
    except OptionError as exc:
        raise DataError(f"{where}.{what}: {exc}") from None


def _safe_id(value: Any, default: str) -> str:
    """An uploaded id is used as given only when it is a plain slug: ids reach the map's
    script (highlighting), where markup or template syntax must never arrive."""
    text = "" if value is None else str(value)
    return text if _ID.fullmatch(text) else default


def _json_type(value: Any) -> str:
    return {bool: "true/false", dict: "an object", list: "an array"}.get(type(value), "a number")


def _text(value: Any) -> str:
    """A property as text (numbers as written; nested values as JSON, never a repr)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _count(value: Any) -> int:
    try:
        return max(int(str(value)), 0)
    except (TypeError, ValueError):
        return 0


def read_geojson_upload(data: bytes, *, name: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read an uploaded GeoJSON (:func:`geo.geojson_read.read_features`: size, feature and
    vertex limits, ``crs`` honoured) into a layer with the feature columns, and the notes the
    app shows about it (the ``crs`` it was reprojected from).

    Properties ``id, name, name_en, kind, status, precision, source, note`` are used when
    present (``kind`` defaults by geometry type, ``precision`` to approximate). Unknown
    values are refused, listing the valid ones.

    Raises
    ------
    DataError
        In one line, naming the file and the feature.
    """
    fname = Path(name).name
    read = read_features(data, name=fname)
    stem = re.sub(r"[^a-z0-9]+", "_", Path(fname).stem.lower()).strip("_") or "layer"
    rows: list[dict] = []
    geoms: list = []  # shapely geometries or None (types-geopandas wants Sequence[Geometry])
    for feat in read.features:
        i, props, geom = feat.index, feat.properties, feat.geometry
        where = f"{fname}: features[{i}]"
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
                "id": _safe_id(props.get("id") or feat.id, f"upload.{stem}.{i + 1}"),
                "name": _first(props, _NAME_KEYS) or f"{fname} #{i + 1}",
                "name_en": _first(props, _NAME_EN_KEYS),
                "layer": UPLOAD_LAYER,
                "kind": kind,
                "status": _choice(props.get("status"), Status, Status.EXISTING, where, "status"),
                "precision": precision,
                "source": _text(props.get("source")) or f"uploaded file {fname}",
                "note": _text(props.get("note")),
                "report_excerpt": _text(props.get("report_excerpt")),
                "mentions": _count(props.get("mentions")),
                "licence": _text(props.get("licence")),
                "within": _text(props.get("within")),
            }
        )
        geoms.append(geom)
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    notes = [f"{fname}: reprojected from {read.crs} to WGS-84 lon/lat"] if read.crs else []
    return frame[[*FEATURE_COLUMNS, "geometry"]], notes


def read_geojson_layer(data: bytes, *, name: str) -> gpd.GeoDataFrame:
    """The layer of :func:`read_geojson_upload` (without its notes)."""
    return read_geojson_upload(data, name=name)[0]


def far_features(frame: gpd.GeoDataFrame, bounds: Sequence[float], *, km: float = FAR_KM) -> int:
    """How many of ``frame``'s features lie entirely outside ``bounds`` (lon/lat: minx, miny,
    maxx, maxy) widened by ``km`` kilometres: likely in the wrong coordinate system or datum."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not drawn.any() or not np.isfinite(bounds).all():
        return 0
    minx, miny, maxx, maxy = bounds
    dlat = km / 111.32
    dlon = km / (111.32 * max(math.cos(math.radians((miny + maxy) / 2)), 0.01))
    area = shapely.box(minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)
    return int((drawn & ~shapely.intersects(geoms, area)).sum())


def far_warning(name: str, far: int, total: int, place: str, *, km: float = FAR_KM) -> str:
    """The app's line about :func:`far_features`."""
    return (
        f"{Path(name).name}: {far} of {total} features lie more than {km:g} km outside {place}; "
        "check their coordinates (GeoJSON is WGS-84 lon/lat unless its crs says otherwise)"
    )
