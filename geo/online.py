"""Optional online sources: Nominatim search and OSM features from Overpass.

Opt-in (``PLANMAP_ONLINE=1``; build settings with :func:`settings_from_env`). Requests go through
:mod:`geo._http` (timeouts, file cache, one-line :class:`~geo.errors.NetworkError`); replies
become GeoDataFrames through pure functions that are tested with recorded replies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from geo import _http
from geo._http import OnlineSettings, settings_from_env
from geo.errors import NetworkError
from geo.osm import Tags, empty_features, tidy_features

if TYPE_CHECKING:
    from geo.district import District

__all__ = [
    "NOMINATIM_COLUMNS",
    "OnlineSettings",
    "nominatim_reply_to_gdf",
    "nominatim_request",
    "nominatim_search",
    "osm_features",
    "settings_from_env",
    "viewbox_of",
]

Viewbox = tuple[float, float, float, float]

NOMINATIM_COLUMNS = [
    "query",
    "name",
    "display_name",
    "osm_type",
    "osm_id",
    "category",
    "type",
    "importance",
    "lon",
    "lat",
    "geometry",
]

_MAX_LIMIT = 40  # Nominatim's own ceiling for `limit`


def _points_from_latlon(lat: Sequence[Any], lon: Sequence[Any]) -> np.ndarray:
    """The one place where (lat, lon) becomes Point(lon, lat); accepts strings or numbers."""
    lat_arr = np.asarray(lat, dtype=float)
    lon_arr = np.asarray(lon, dtype=float)
    return np.asarray(shapely.points(lon_arr, lat_arr))


def viewbox_of(district: str | District | None = None, *, margin_deg: float = 0.01) -> Viewbox:
    """A district's box for Nominatim: the bounds of its boundary (from its record, through the
    gazetteer) with ``margin_deg`` (0.01° ≈ 1 km) added, rounded outwards to 0.01°.

    Parameters
    ----------
    district : str or District, optional
        The district (default: the default district).
    margin_deg : float
        Degrees added on every side before rounding.

    Returns
    -------
    tuple of float
        (left, bottom, right, top) in WGS-84 degrees.
    """
    from geo.district import get_district
    from geo.gazetteer import load_gazetteer

    record = get_district(district)
    gaz = load_gazetteer(record)
    row = gaz[(gaz["kind"] == "district") & (gaz["name"] == record.name)]
    minx, miny, maxx, maxy = row.geometry.iloc[0].bounds
    # round() first, so 114.06 - 0.01 (= 114.04999…) stays 114.05
    left, bottom = (math.floor(round((v - margin_deg) * 100, 6)) / 100 for v in (minx, miny))
    right, top = (math.ceil(round((v + margin_deg) * 100, 6)) / 100 for v in (maxx, maxy))
    return (left, bottom, right, top)


def nominatim_reply_to_gdf(reply: Any, *, query: str) -> gpd.GeoDataFrame:
    """Turn a Nominatim ``format=jsonv2`` search reply into a GeoDataFrame (pure).

    Parameters
    ----------
    reply : list of dict
        The parsed JSON reply: a list of places with string ``lat``/``lon``, and, when
        ``polygon_geojson=1`` was asked, a ``geojson`` geometry.
    query : str
        The query that produced the reply (kept in the ``query`` column).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`NOMINATIM_COLUMNS`, in Nominatim's order (best first), EPSG:4326.
        ``geometry`` is the place's GeoJSON outline when the reply has one, else its point.

    Raises
    ------
    NetworkError
        If the reply is not a list of places with coordinates.
    """
    if isinstance(reply, dict) and "error" in reply:
        raise NetworkError(f"Nominatim answered {query!r} with an error: {reply['error']}")
    if not isinstance(reply, list) or not all(
        isinstance(p, dict) and "lat" in p and "lon" in p for p in reply
    ):
        raise NetworkError(
            f"Nominatim reply for {query!r} is not a jsonv2 list of places with lat/lon"
        )
    if not reply:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in NOMINATIM_COLUMNS if c != "geometry"},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
            crs="EPSG:4326",
        )[NOMINATIM_COLUMNS]

    points = _points_from_latlon([p["lat"] for p in reply], [p["lon"] for p in reply])
    geometry = [
        shape(p["geojson"]) if isinstance(p.get("geojson"), dict) else point
        for p, point in zip(reply, points, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "query": query,
            "name": [p.get("name") or None for p in reply],
            "display_name": [p.get("display_name") for p in reply],
            "osm_type": [p.get("osm_type") for p in reply],
            "osm_id": pd.array([p.get("osm_id") for p in reply], dtype="Int64"),
            # jsonv2 says "category"; format=json says "class"
            "category": [p.get("category", p.get("class")) for p in reply],
            "type": [p.get("type") for p in reply],
            "importance": pd.array([p.get("importance") for p in reply], dtype="Float64"),
            "lon": shapely.get_x(points),
            "lat": shapely.get_y(points),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")[NOMINATIM_COLUMNS]


def nominatim_request(
    query: str,
    *,
    settings: OnlineSettings,
    limit: int = 5,
    viewbox: Viewbox | None = None,
    language: str = "zh-CN",
    polygons: bool = True,
) -> tuple[str, dict[str, str | int]]:
    """The URL and parameters :func:`nominatim_search` sends (pure; also names its cache file).

    Parameters are those of :func:`nominatim_search`.

    Returns
    -------
    tuple of (str, dict)
        The ``/search`` endpoint and the query parameters.

    Raises
    ------
    ValueError
        If ``query`` is empty or ``limit`` is out of range.
    """
    if not query.strip():
        raise ValueError("nominatim_search: query is empty")
    if not 1 <= limit <= _MAX_LIMIT:
        raise ValueError(f"nominatim_search: limit={limit!r}, expected 1 to {_MAX_LIMIT}")
    params: dict[str, str | int] = {
        "q": query.strip(),
        "format": "jsonv2",
        "polygon_geojson": int(polygons),
        "limit": limit,
    }
    if viewbox is not None:
        left, bottom, right, top = viewbox
        params |= {"viewbox": f"{left:g},{bottom:g},{right:g},{top:g}", "bounded": 0}
    params["accept-language"] = language
    return settings.nominatim_url.rstrip("/") + "/search", params


def nominatim_search(
    query: str,
    *,
    settings: OnlineSettings,
    limit: int = 5,
    viewbox: Viewbox | None = None,
    language: str = "zh-CN",
    polygons: bool = True,
) -> gpd.GeoDataFrame:
    """Search Nominatim for a place name, preferring results inside ``viewbox``.

    Parameters
    ----------
    query : str
        Free-form query, e.g. ``"莲塘口岸"``.
    settings : OnlineSettings
        Must be enabled; gives the server, timeout and cache folder.
    limit : int
        Most results to return (1 to 40).
    viewbox : tuple of float, optional
        (left, bottom, right, top) in degrees (a district's: :func:`viewbox_of`); results
        inside rank higher but others are kept (``bounded=0``). None: no preference.
    language : str
        ``accept-language`` for names and display names.
    polygons : bool
        Ask for outlines (``polygon_geojson=1``) so areas come back as polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`nominatim_reply_to_gdf`.

    Raises
    ------
    ValueError
        If ``query`` is empty or ``limit`` is out of range.
    NetworkError
        If online sources are disabled, or the request fails and no cached reply exists.
    """
    url, params = nominatim_request(
        query,
        settings=settings,
        limit=limit,
        viewbox=viewbox,
        language=language,
        polygons=polygons,
    )
    reply = _http.get_json(url, params, settings=settings)
    return nominatim_reply_to_gdf(reply, query=query)


def osm_features(
    area: tuple[float, float, float, float] | Polygon | MultiPolygon,
    tags: Tags,
    *,
    settings: OnlineSettings,
) -> gpd.GeoDataFrame:
    """Download OSM features inside an area from Overpass (through osmnx).

    Parameters
    ----------
    area : tuple of float or shapely Polygon or MultiPolygon
        (left, bottom, right, top) in degrees, or a polygon in EPSG:4326.
    tags : dict
        osmnx tag filter, e.g. ``{"railway": "station", "leisure": "park"}``.
    settings : OnlineSettings
        Must be enabled; gives the Overpass URL, timeout and cache folder.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`geo.osm.read_osm_features`: ``element`` and ``id`` columns, tags, geometry,
        EPSG:4326. Empty (with those columns) when nothing matches.

    Raises
    ------
    NetworkError
        If online sources are disabled, or Overpass cannot be reached, times out, or is busy
        (HTTP 429/504 fail at once: no 55 s retry).
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    try:
        with _http.osmnx_configured(settings):
            if isinstance(area, Polygon | MultiPolygon):
                raw = ox.features_from_polygon(area, tags)
            else:
                raw = ox.features_from_bbox(area, tags)
    except InsufficientResponseError:
        return empty_features()
    return tidy_features(raw)
