"""A planner's drawing on the map, saved as the location of an unlocated place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import shape

from geo.errors import DataError
from layers.map.basemaps import basemap_info
from layers.store import Location, UserStore

__all__ = ["drawing_geometry", "save_drawing"]


def drawing_geometry(drawing: Mapping[str, Any] | None, *, basemap: str = "none"):
    """The WGS-84 geometry of a shape drawn on the map (a GeoJSON Feature or geometry).

    On a GCJ-02 basemap everything is displayed in GCJ-02, so what the planner drew is GCJ-02
    and is shifted back; locations are never stored in GCJ-02.

    Raises
    ------
    DataError
        If there is no usable geometry.
    """
    if not drawing:
        raise DataError("nothing drawn yet: draw a point, line or polygon on the map first")
    geom_doc = drawing.get("geometry", drawing) if drawing.get("type") == "Feature" else drawing
    try:
        geom = shape(geom_doc)  # type: ignore[arg-type]  # shapely reads any mapping; stubs: dict
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise DataError(f"the drawn shape is not a valid geometry ({exc})") from None
    if geom.is_empty:
        raise DataError("the drawn shape is empty")
    datum = basemap_info(basemap).datum
    if datum != "wgs84":
        from geo.crs import transform_geometry

        geom = transform_geometry(geom, src=datum, dst="wgs84")
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return geom


def save_drawing(
    feature_id: str,
    drawing: Mapping[str, Any] | None,
    *,
    note: str,
    basemap: str = "none",
    store: UserStore | None = None,
) -> Location:
    """Save a planner's drawing as the user location of a feature (``source=user``), in one
    transaction of the user store (default: :func:`layers.store.default_store_path`).

    Returns
    -------
    Location
        What was saved.
    """
    if not feature_id:
        raise DataError("choose which place the drawing locates")
    geom = drawing_geometry(drawing, basemap=basemap)
    location = Location(feature_id, geom, note=note.strip() or "located on the map")
    (store or UserStore()).save(location)
    return location
