"""Read local OpenStreetMap XML files offline: tagged features (osmnx) and route relations (GDAL).

osmnx's ``features_from_xml`` keeps only multipolygon and boundary relations, so route
relations (metro lines) are read with GDAL's OSM driver through pyogrio instead.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax import SAXParseException

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataSourceError, FeatureError

from geo.errors import DataError

__all__ = [
    "ROUTE_COLUMNS",
    "Tags",
    "empty_features",
    "parse_other_tags",
    "read_osm_features",
    "read_osm_routes",
    "tidy_features",
]

#: An osmnx tag filter: ``{"railway": "station", "leisure": True, "landuse": ["a", "b"]}``.
Tags = dict[str, bool | str | list[str]]

ROUTE_COLUMNS = ["osm_id", "name", "name_en", "ref", "route", "colour", "network", "geometry"]

# GDAL's hstore text: "key"=>"value","key2"=>"value2", with \" and \\ escaped
_HSTORE_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
_UNESCAPE = re.compile(r"\\(.)")


def parse_other_tags(text: str | None) -> dict[str, str]:
    """Parse GDAL's ``other_tags`` hstore text into a dict (pure).

    Parameters
    ----------
    text : str or None
        Such as ``"route"=>"subway","ref"=>"2"``.

    Returns
    -------
    dict of str to str
        Empty for None or empty text.
    """
    if not text:
        return {}
    return {_UNESCAPE.sub(r"\1", k): _UNESCAPE.sub(r"\1", v) for k, v in _HSTORE_PAIR.findall(text)}


def empty_features() -> gpd.GeoDataFrame:
    """An empty features frame: ``element``, ``id`` and ``geometry`` columns, EPSG:4326."""
    return gpd.GeoDataFrame(
        {"element": pd.Series(dtype=object), "id": pd.Series(dtype="int64")},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def tidy_features(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn osmnx's ``(element, id)`` index into columns, ``element`` and ``id`` first (pure)."""
    frame = raw.reset_index()
    first = ["element", "id"]
    rest = [c for c in frame.columns if c not in first]
    return gpd.GeoDataFrame(frame[first + rest], geometry="geometry", crs=raw.crs)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _require_file(path: str | PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such OSM file")
    return p


def read_osm_features(path: str | PathLike[str], tags: Tags) -> gpd.GeoDataFrame:
    """Read tagged OSM features (nodes, ways, multipolygons) from a local OSM XML file.

    Parameters
    ----------
    path : str or path-like
        An ``.osm`` XML file.
    tags : dict
        osmnx tag filter, e.g. ``{"railway": "station", "leisure": "park"}``; a feature is kept
        when it matches any of them.

    Returns
    -------
    geopandas.GeoDataFrame
        ``element`` (node/way/relation), ``id``, one column per tag seen, ``geometry``;
        EPSG:4326. Route relations are not included (see :func:`read_osm_routes`). Empty (with
        ``element``, ``id``, ``geometry``) when nothing matches.

    Raises
    ------
    DataError
        If the file is missing or is not OSM XML.
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    p = _require_file(path)
    try:
        raw = ox.features_from_xml(p, tags=tags)
    except InsufficientResponseError:
        return empty_features()
    except (ParseError, SAXParseException, UnicodeDecodeError) as e:
        # osmnx parses with ElementTree, then SAX; a .pbf fails to decode as text
        raise DataError(f"{p}: not OSM XML ({_one_line(e)})") from None
    return tidy_features(raw)


def read_osm_routes(path: str | PathLike[str], *, route: str | None = "subway") -> gpd.GeoDataFrame:
    """Read route relations (e.g. metro lines) from a local OSM XML or PBF file.

    Parameters
    ----------
    path : str or path-like
        An ``.osm`` or ``.osm.pbf`` file, sorted by id as OSM extracts are.
    route : str or None
        Keep relations with this ``route`` tag (``"subway"``, ``"light_rail"``, ``"bus"`` …);
        None keeps every route relation.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`ROUTE_COLUMNS` (missing tags are null), one row per relation, geometry
        a MultiLineString of its member ways (stop nodes are ignored), EPSG:4326.

    Raises
    ------
    DataError
        If the file is missing or GDAL cannot read it.
    """
    p = _require_file(path)
    try:
        raw = pyogrio.read_dataframe(p, layer="multilinestrings")
    except (DataSourceError, FeatureError) as e:
        raise DataError(f"{p}: GDAL cannot read its route relations ({_one_line(e)})") from None

    tags = [parse_other_tags(t) for t in raw.get("other_tags", pd.Series([None] * len(raw)))]
    frame = pd.DataFrame(
        {
            "osm_id": pd.array(pd.to_numeric(raw["osm_id"]), dtype="Int64"),
            "name": [n if isinstance(n, str) else None for n in raw["name"]],
            "name_en": [t.get("name:en") for t in tags],
            "ref": [t.get("ref") for t in tags],
            "route": [t.get("route") for t in tags],
            "colour": [t.get("colour") for t in tags],
            "network": [t.get("network") for t in tags],
            "type": raw["type"],
        }
    )
    keep = frame["type"].eq("route")
    if route is not None:
        keep &= frame["route"].eq(route)
    routes = gpd.GeoDataFrame(
        frame.drop(columns="type"), geometry=raw.geometry.to_numpy(), crs="EPSG:4326"
    )
    return routes[keep.to_numpy()].reset_index(drop=True)[ROUTE_COLUMNS]
