"""Named features of a local OpenStreetMap file, offline, as :class:`~geo.locate.read.Features`.

OSM XML: named nodes, ways and multipolygons through osmnx (:func:`geo.osm.read_osm_features`,
``features_from_xml``), and route relations (metro lines, bus routes) through GDAL's OSM driver
(:func:`geo.osm.read_osm_routes`), because osmnx drops them. OSM PBF, which osmnx cannot read:
GDAL's ``points``, ``lines`` and ``multipolygons`` layers and the same route relations.

OSM coordinates are WGS-84. Feature ids are ``node/1``, ``way/2``, ``relation/3``.
"""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError

from geo.errors import DataError
from geo.locate.read import Features, Source
from geo.locate.text import clean_name
from geo.osm import parse_other_tags, read_osm_features, read_osm_routes

__all__ = ["HINT_TAGS", "osm_licence", "read_osm"]

#: tags that say what a feature is (kept in ``hint``)
HINT_TAGS = (
    "highway", "tunnel", "bridge", "junction", "railway", "route", "public_transport",
    "boundary", "admin_level", "leisure", "place",
)  # fmt: skip
_LICENSE = re.compile(rb'<osm\b[^>]*\blicense="([^"]{1,200})"')


def osm_licence(source: Source) -> str:
    """The licence an OSM XML file declares in its ``<osm license=…>`` header, or ``""``."""
    try:
        with source.path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return ""
    found = _LICENSE.search(head)
    if not found:
        return ""
    url = found.group(1).decode("utf-8", "replace")
    return "ODbL-1.0 © OpenStreetMap contributors" if "odbl" in url.lower() else url


def _hints(tags: list[dict[str, str]]) -> list[str]:
    return [";".join(f"{k}={str(t[k]).lower()}" for k in HINT_TAGS if t.get(k)) for t in tags]


def _frame(fid: list[str], names: list, hints: list[str], geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"fid": fid, "name": [clean_name(n) for n in names], "hint": hints},
        geometry=list(geoms),
        crs="EPSG:4326",
    )


def _xml_features(source: Source) -> gpd.GeoDataFrame:
    raw = read_osm_features(source.path, {"name": True})
    if raw.empty:
        return _frame([], [], [], [])
    records = raw.drop(columns="geometry").to_dict("records")
    tags = [{str(k): v for k, v in r.items() if isinstance(v, str)} for r in records]
    fid = [f"{r['element']}/{r['id']}" for r in records]
    return _frame(fid, raw["name"].tolist(), _hints(tags), raw.geometry.array)


def _gdal_layer(source: Source, layer: str, element: str) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = pyogrio.read_dataframe(source.path, layer=layer, where="name IS NOT NULL")
    except (DataSourceError, DataLayerError, FeatureError) as exc:
        raise DataError(
            f"{source.label}: GDAL cannot read it ({' '.join(str(exc).split())})"
        ) from None
    if raw.empty:
        return _frame([], [], [], [])
    other = raw["other_tags"] if "other_tags" in raw else pd.Series([None] * len(raw))
    tags = []
    for record, extra in zip(raw.drop(columns="geometry").to_dict("records"), other, strict=True):
        merged = {k: v for k, v in record.items() if isinstance(v, str) and k != "other_tags"}
        tags.append(merged | parse_other_tags(extra if isinstance(extra, str) else None))
    ids = raw["osm_way_id"] if layer == "multipolygons" and "osm_way_id" in raw else None
    fid = []
    for i, record in enumerate(raw.to_dict("records")):
        if ids is not None and isinstance(ids.iloc[i], str) and ids.iloc[i]:
            fid.append(f"way/{ids.iloc[i]}")
        elif layer == "multipolygons":
            fid.append(f"relation/{record.get('osm_id')}")
        else:
            fid.append(f"{element}/{record.get('osm_id')}")
    return _frame(fid, raw["name"].tolist(), _hints(tags), raw.geometry.array)


def _routes(source: Source) -> gpd.GeoDataFrame:
    raw = read_osm_routes(source.path, route=None)
    named = raw[raw["name"].notna()]
    tags = [{"route": r} if isinstance(r, str) else {} for r in named["route"]]
    fid = [f"relation/{i}" for i in named["osm_id"]]
    return _frame(fid, named["name"].tolist(), _hints(tags), named.geometry.array)


def read_osm(source: Source) -> Features:
    """Every named feature and route relation of an OSM XML or PBF file.

    Raises
    ------
    DataError
        The file is not OSM XML/PBF or GDAL cannot read it, naming the file.
    """
    try:
        return _read(source)
    except DataError as exc:
        raise DataError(str(exc).replace(str(source.path), source.label)) from None


def _read(source: Source) -> Features:
    pbf = source.path.name.lower().endswith(".pbf")
    if pbf:
        parts = [
            _gdal_layer(source, "points", "node"),
            _gdal_layer(source, "lines", "way"),
            _gdal_layer(source, "multipolygons", "way"),
        ]
    else:
        parts = [_xml_features(source)]
    parts.append(_routes(source))
    parts = [p for p in parts if len(p)]
    frame = (
        gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326")
        if parts
        else _frame([], [], [], [])
    )
    frame = frame[frame["name"].notna() & frame.geometry.notna()].reset_index(drop=True)
    layer = "osm (named features, route relations)"
    return Features(frame, source, layer, "name", len(frame))
