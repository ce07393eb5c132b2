"""The one GeoJSON reader: a planner's GeoJSON bytes into features with WGS-84 geometries.

Every GeoJSON a person hands Planmap by hand-written JSON goes through :func:`read_features`:
the app's uploaded layer (:mod:`layers.app.uploads`) and the old ``overrides.geojson`` the user
store imports (:mod:`layers.overrides`). Files GDAL reads (published builds, the Locate page's
files) go through GDAL instead.

Work is bounded before it is done: the size is checked before decoding, the nesting before
``json.loads``, the feature count before any geometry is made, and the vertex count while the
coordinates are checked, before shapely sees them. Every problem is one
:class:`~geo.errors.DataError` naming the file and the feature (``x.geojson: features[3].
geometry: …``), never another exception.

Coordinates are WGS-84 lon/lat (RFC 7946). An old-style ``crs`` member
(``{"type": "name", "properties": {"name": "EPSG:4547"}}``, or the OGC URNs
``urn:ogc:def:crs:EPSG::3857`` and ``urn:ogc:def:crs:OGC:1.3:CRS84``) is honoured: the
coordinates are reprojected to WGS-84 by PROJ. Any other ``crs`` is refused in one line rather
than read as lon/lat.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import shapely
import shapely.errors
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.config import parse_document
from geo.errors import DataError

__all__ = [
    "MAX_GEOJSON_BYTES",
    "MAX_GEOJSON_FEATURES",
    "MAX_GEOJSON_VERTICES",
    "GeoJSONFeature",
    "GeoJSONFile",
    "read_features",
]

MAX_GEOJSON_BYTES = 20 * 1024 * 1024
MAX_GEOJSON_FEATURES = 5_000
MAX_GEOJSON_VERTICES = 200_000
#: brackets nested deeper than this are refused before parsing (a MultiPolygon in a
#: FeatureCollection nests 8; the margin is for nested properties)
MAX_NESTING = 64

#: nesting of ``coordinates`` arrays per geometry type (1: a position)
_DEPTH = {
    "Point": 1,
    "MultiPoint": 2,
    "LineString": 2,
    "MultiLineString": 3,
    "Polygon": 3,
    "MultiPolygon": 4,
}
_EPSG_NAME = re.compile(r"(?:urn:ogc:def:crs:)?epsg:(?:[0-9.]*:)?([0-9]{4,6})", re.IGNORECASE)
_CRS84 = re.compile(r"(?:urn:ogc:def:crs:ogc:(?:1\.3)?:)?crs84", re.IGNORECASE)


@dataclass(frozen=True)
class GeoJSONFeature:
    """One feature: its position in the file, its ``id`` member, properties and geometry.

    ``geometry`` is a valid, 2-D, WGS-84 shapely geometry (point, line, polygon or their
    multi-parts), or ``None`` when the feature has none or an empty one.
    """

    index: int
    id: Any
    properties: dict[str, Any]
    geometry: BaseGeometry | None


@dataclass(frozen=True)
class GeoJSONFile:
    """What :func:`read_features` read: the features, and the ``crs`` it reprojected from
    (``None``: the file was WGS-84 lon/lat)."""

    features: list[GeoJSONFeature]
    crs: str | None = None


def _nesting(data: bytes) -> int:
    """How deep brackets nest (strings are not told apart: a cheap bound, not a parse)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    step = np.zeros(raw.shape, dtype=np.int32)
    step[(raw == 0x5B) | (raw == 0x7B)] = 1
    step[(raw == 0x5D) | (raw == 0x7D)] = -1
    return int(np.cumsum(step).max()) if len(step) else 0


def _document(data: bytes, name: str, max_bytes: int) -> Any:
    if len(data) > max_bytes:
        raise DataError(
            f"{name}: {len(data) / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit "
            "for a GeoJSON file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not UTF-8 text at byte {exc.start} (expected GeoJSON)") from None
    if _nesting(data) > MAX_NESTING:
        raise DataError(f"{name}: nested too deeply (more than {MAX_NESTING} levels)")
    return parse_document(text, name=name, fmt="json")


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…'"


@cache
def _transformer(code: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(code), CRS.from_epsg(4326), always_xy=True)


def _crs_code(crs: Any, name: str) -> int | None:
    """The EPSG code of a ``crs`` member (``None``: WGS-84 lon/lat, nothing to do)."""
    if crs is None:
        return None
    label = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(crs, dict) or crs.get("type") != "name" or not isinstance(label, str):
        raise DataError(
            f"{name}: crs: {_shown(crs)} is not a named coordinate system; GeoJSON is WGS-84 "
            "lon/lat (remove the crs member), or name one as EPSG:code"
        )
    label = label.strip()
    if _CRS84.fullmatch(label):
        return None
    found = _EPSG_NAME.fullmatch(label)
    if not found:
        raise DataError(
            f"{name}: crs: {_shown(label)} is not a coordinate system this reader knows; "
            "name it as EPSG:code or reproject to WGS-84 lon/lat"
        )
    code = int(found.group(1))
    try:
        _transformer(code)
    except CRSError:
        raise DataError(f"{name}: crs: PROJ does not know EPSG:{code}") from None
    return None if code == 4326 else code


class _Budget:
    """Counts positions across the whole file, refusing at the limit."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit, self.used = name, limit, 0

    def take(self) -> None:
        self.used += 1
        if self.used > self.limit:
            raise DataError(
                f"{self.name}: more than {self.limit:,} vertices; at most {self.limit:,} are "
                "read (simplify the geometries first)"
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coordinates(value: Any, depth: int, where: str, budget: _Budget) -> Any:
    """``value`` checked as coordinates nested ``depth`` deep: lists of finite 2-D positions
    (a third number, height, is dropped). Recursion is bounded by ``depth`` (at most 4)."""
    if not isinstance(value, list):
        raise DataError(f"{where}: not a valid GeoJSON geometry (coordinates: not an array)")
    if depth == 1:
        if len(value) < 2 or not (_is_number(value[0]) and _is_number(value[1])):
            raise DataError(
                f"{where}: not a valid GeoJSON geometry (a position is [lon, lat], got "
                f"{_shown(value)})"
            )
        try:
            x, y = float(value[0]), float(value[1])
        except OverflowError:
            x = y = math.inf
        if not (math.isfinite(x) and math.isfinite(y)):
            raise DataError(f"{where}: coordinates are not finite numbers ({_shown(value)})")
        budget.take()
        return [x, y]
    return [_coordinates(v, depth - 1, where, budget) for v in value]


def _highest_dimension(geom: BaseGeometry) -> BaseGeometry:
    """A repaired geometry keeps only its parts of the highest dimension (a polygon with a
    spike repairs to polygon + line: the polygon is what was meant)."""
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = [p for p in shapely.get_parts(geom) if not p.is_empty]
    if not parts:
        return shapely.GeometryCollection()
    top = max(shapely.get_dimensions(parts))
    return shapely.union_all([p for p in parts if shapely.get_dimensions(p) == top])


def _geometry(doc: Any, where: str, code: int | None, budget: _Budget) -> BaseGeometry | None:
    where = f"{where}.geometry"
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise DataError(f"{where}: not a valid GeoJSON geometry (not an object)")
    gtype = doc.get("type")
    if gtype == "GeometryCollection":
        raise DataError(f"{where}: a GeometryCollection; give each part its own feature")
    if gtype not in _DEPTH:
        raise DataError(f"{where}: not a valid GeoJSON geometry (type {_shown(gtype)})")
    if "coordinates" not in doc:
        raise DataError(f"{where}: not a valid GeoJSON geometry (no coordinates)")
    coords = _coordinates(doc["coordinates"], _DEPTH[gtype], where, budget)
    try:
        geom = shape({"type": gtype, "coordinates": coords})
        if geom.is_empty:
            return None  # an empty geometry locates nothing: the feature is unlocated
        if code is not None:
            t = _transformer(code)
            geom = shapely.transform(geom, lambda xy: np.column_stack(t.transform(*xy.T)))
        xy = shapely.get_coordinates(geom)
        if not np.isfinite(xy).all() or np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90:
            bounds = tuple(float(v) for v in np.round(shapely.total_bounds(geom), 3))
            raise DataError(
                f"{where}: coordinates are not lon/lat degrees (bounds {bounds}; RFC 7946 "
                "GeoJSON is WGS-84: reproject to EPSG:4326 first, or name its crs)"
            )
        if not shapely.is_valid(geom):
            geom = _highest_dimension(shapely.make_valid(geom))
    except DataError:
        raise  # already one line naming the feature (DataError is a ValueError)
    except (ValueError, TypeError, IndexError) as exc:
        raise DataError(f"{where}: broken geometry ({' '.join(str(exc).split())[:120]})") from None
    except shapely.errors.GEOSException as exc:
        raise DataError(f"{where}: broken geometry ({' '.join(str(exc).split())[:120]})") from None
    return None if geom.is_empty else geom


def read_features(
    data: bytes,
    *,
    name: str,
    allow_empty: bool = False,
    max_bytes: int = MAX_GEOJSON_BYTES,
    max_features: int = MAX_GEOJSON_FEATURES,
    max_vertices: int = MAX_GEOJSON_VERTICES,
) -> GeoJSONFile:
    """Read a GeoJSON FeatureCollection (or one Feature) into WGS-84 features.

    Parameters
    ----------
    data : bytes
        The file's bytes (UTF-8, a byte-order mark allowed).
    name : str
        The file's name, for messages.
    allow_empty : bool
        Whether a collection without features is fine (otherwise it is refused).
    max_bytes, max_features, max_vertices : int
        Limits checked before the work they bound.

    Returns
    -------
    GeoJSONFile

    Raises
    ------
    DataError
        One line naming the file (and the feature): too large, not UTF-8, not JSON, nested
        too deeply, not GeoJSON, an unknown ``crs``, too many features or vertices, a position
        that is not finite, coordinates that are not lon/lat, a geometry GEOS cannot make.
    """
    doc = _document(data, name, max_bytes)
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc], "crs": doc.get("crs")}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(f"{name}: not a GeoJSON FeatureCollection or Feature")
    code = _crs_code(doc.get("crs"), name)
    feats = doc.get("features")
    if feats is None and allow_empty:
        feats = []
    if not isinstance(feats, list):
        raise DataError(f"{name}: features: not an array of features")
    if not feats and not allow_empty:
        raise DataError(f"{name}: the FeatureCollection has no features")
    if len(feats) > max_features:
        raise DataError(f"{name}: {len(feats):,} features; at most {max_features:,} are read")
    budget = _Budget(name, max_vertices)
    out = []
    for i, feat in enumerate(feats):
        where = f"{name}: features[{i}]"
        if not isinstance(feat, dict) or feat.get("type", "Feature") != "Feature":
            raise DataError(f"{where}: not a GeoJSON Feature")
        props = feat.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise DataError(f"{where}.properties: not an object")
        fid = props.get("id")
        if isinstance(fid, str) and fid.strip() and len(fid) <= 80:
            where = f"{where} ({fid.strip()})"  # the planner knows the feature by its id
        geom = _geometry(feat.get("geometry"), where, code, budget)
        out.append(GeoJSONFeature(i, feat.get("id"), props, geom))
    return GeoJSONFile(out, crs=f"EPSG:{code}" if code is not None else None)
