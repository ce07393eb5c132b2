"""Folium maps of a layer set: offline assets, packed layers, legend, labels, a safe page.

- :mod:`layers.map.render`: :func:`make_map` composes the parts below;
- :mod:`layers.map.page`: the one HTML escaping (:func:`html_text`), script-safe JSON and the
  page that never renders text twice as a template;
- :mod:`layers.map.features`: escaped popups/tooltips, display geometry;
- :mod:`layers.map.packed`: the compact layer encoding decoded in the page;
- :mod:`layers.map.legend`, :mod:`layers.map.labels`, :mod:`layers.map.hook`;
- :mod:`layers.map.basemaps`: basemaps (built-in and configured) and their datums, with
  :mod:`layers.map.basemap_settings` (the settings file), :mod:`layers.map.mbtiles` (reading
  MBTiles), :mod:`layers.map.tiles` (writing its tiles where a map can load them) and
  :mod:`layers.map.tianditu`;
- :mod:`layers.map.assets`: local copies of the JS/CSS folium links from CDNs.
"""

from __future__ import annotations

from layers.map.assets import STREAMLIT_BASE_URL, VENDOR_DIR, assert_no_cdn, localize
from layers.map.basemaps import Basemap, BasemapInfo, basemap_info, basemap_notes, basemaps
from layers.map.features import POPUP_FIELDS, SIMPLIFY_M, SMOOTH_FACTOR, drawable
from layers.map.labels import LABEL_KINDS, LABELS_TITLE, MAX_LABELS_SHOWN
from layers.map.legend import legend_html
from layers.map.page import html_text, js_json, page_html
from layers.map.render import DrawTools, MapLayout, make_map

__all__ = [
    "LABELS_TITLE",
    "LABEL_KINDS",
    "MAX_LABELS_SHOWN",
    "POPUP_FIELDS",
    "SIMPLIFY_M",
    "SMOOTH_FACTOR",
    "STREAMLIT_BASE_URL",
    "VENDOR_DIR",
    "Basemap",
    "BasemapInfo",
    "DrawTools",
    "MapLayout",
    "assert_no_cdn",
    "basemap_info",
    "basemap_notes",
    "basemaps",
    "drawable",
    "html_text",
    "js_json",
    "legend_html",
    "localize",
    "make_map",
    "page_html",
]
