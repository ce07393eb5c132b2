"""What the Streamlit app needs from ``layers``/``geo``, as plain functions (no Streamlit here).

The app (``streamlit_app.py``, ``pages/``) wraps these in Streamlit's caches and lays out
widgets; everything that can be wrong is decided here, so it is unit-tested without a browser.
One concern per module: :mod:`~layers.app.view` (what is shown), :mod:`~layers.app.uploads`,
:mod:`~layers.app.search`, :mod:`~layers.app.tables`, :mod:`~layers.app.maps`,
:mod:`~layers.app.downloads`, :mod:`~layers.app.drawing`, :mod:`~layers.app.text`,
:mod:`~layers.app.locate` (the Locate page; imported by it directly).
"""

from __future__ import annotations

from layers.app.downloads import (
    SHEET_ORIENTATIONS,
    SHEET_PAPERS,
    csv_bytes,
    geojson_bytes,
    gpkg_bytes,
    map_file,
    map_html,
    sheet_file,
    sheet_pdf,
)
from layers.app.drawing import drawing_geometry, save_drawing
from layers.app.maps import BASEMAPS, basemap_options, basemaps_version, planning_map
from layers.app.search import Hit, Searcher
from layers.app.tables import (
    PlaceSummary,
    drawn_mask,
    feature_table,
    place_summary,
    unlocated_table,
)
from layers.app.text import md, one_line
from layers.app.uploads import (
    CACHE_TTL_S,
    MAX_UPLOAD_MB,
    UPLOAD_LAYER,
    UPLOAD_LIMITS,
    read_geojson_layer,
    read_geojson_upload,
    read_spec_text,
)
from layers.app.view import (
    STATUSES,
    base_of,
    build_view,
    filter_layers,
    layer_label,
    layer_short_label,
    other_warnings,
    store_problem,
    store_source,
    store_warning,
    upload_notes,
)

__all__ = [
    "BASEMAPS",
    "CACHE_TTL_S",
    "MAX_UPLOAD_MB",
    "SHEET_ORIENTATIONS",
    "SHEET_PAPERS",
    "STATUSES",
    "UPLOAD_LAYER",
    "UPLOAD_LIMITS",
    "Hit",
    "PlaceSummary",
    "Searcher",
    "base_of",
    "basemap_options",
    "basemaps_version",
    "build_view",
    "csv_bytes",
    "drawing_geometry",
    "drawn_mask",
    "feature_table",
    "filter_layers",
    "geojson_bytes",
    "gpkg_bytes",
    "layer_label",
    "layer_short_label",
    "map_file",
    "map_html",
    "md",
    "one_line",
    "other_warnings",
    "place_summary",
    "planning_map",
    "read_geojson_layer",
    "read_geojson_upload",
    "read_spec_text",
    "save_drawing",
    "sheet_file",
    "sheet_pdf",
    "store_problem",
    "store_source",
    "store_warning",
    "unlocated_table",
    "upload_notes",
]
