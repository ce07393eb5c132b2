"""Folium maps of the planning layers: one FeatureGroup + GeoJson per layer, legend, offline assets.

The parts live in their own modules: escaped feature text and display geometry
(:mod:`layers._features`), the packed layer encoding (:mod:`layers._packed`), the legend
(:mod:`layers.legend`) and the name labels (:mod:`layers._labels`). This module composes them,
and keeps exporting their public names.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.utilities import JsCode

from layers import assets
from layers._features import (
    POPUP_FIELDS,
    SIMPLIFY_M,
    SMOOTH_FACTOR,
    _drawable,
    _feature_collection,
    _popup,
    _text,
    _tooltip,
)
from layers._labels import LABEL_KINDS, LABELS_TITLE, MAX_LABELS_SHOWN, _add_labels
from layers._packed import _pack, _PackedGeoJson
from layers._page import SafeTemplate, adopt
from layers.legend import _Legend, legend_html
from layers.styles import Precision, Status, legend_entries

__all__ = [
    "LABEL_KINDS",
    "LABELS_TITLE",
    "LAYERS",
    "MAX_LABELS_SHOWN",
    "POPUP_FIELDS",
    "SIMPLIFY_M",
    "SMOOTH_FACTOR",
    "Basemap",
    "layer_title",
    "legend_html",
    "make_map",
]


class Basemap(StrEnum):
    NONE = "none"
    OSM = "osm"
    CARTODB_POSITRON = "cartodb_positron"
    AMAP = "amap"
    SATELLITE = "satellite"


_TILES: dict[Basemap, dict[str, Any]] = {
    Basemap.OSM: {
        "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors",
        "max_native_zoom": 19,
    },
    Basemap.CARTODB_POSITRON: {
        "tiles": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        "attr": "&copy; OpenStreetMap contributors &copy; CARTO",
        "subdomains": "abcd",
        "max_native_zoom": 20,
    },
    Basemap.AMAP: {
        "tiles": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
        "&style=8&x={x}&y={y}&z={z}",
        "attr": "高德地图",
        "subdomains": "1234",
        "max_native_zoom": 18,
    },
    Basemap.SATELLITE: {
        "tiles": "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/"
        "MapServer/tile/{z}/{y}/{x}",
        "attr": "Esri, Maxar, Earthstar Geographics",
        "max_native_zoom": 18,
    },
}

#: layer -> (map group, title zh, title en). Order: the layer switcher's order.
LAYERS: dict[str, tuple[str, str, str]] = {
    "structure": ("Structure", "结构", "Structure"),
    "metro_lines": ("Transport", "地铁线路", "Metro lines"),
    "metro_stations": ("Transport", "地铁站", "Metro stations"),
    "roads": ("Transport", "道路", "Roads"),
    "ports": ("Ports", "口岸", "Ports"),
    "zones": ("Zones", "片区", "Zones"),
    "low_altitude": ("Low-altitude", "低空", "Low-altitude"),
    "context": ("Context", "背景", "Context"),
}
#: bottom-to-top drawing order (the canvas draws in the order layers are added)
_DRAW_ORDER = [
    "context",
    "zones",
    "structure",
    "roads",
    "metro_lines",
    "low_altitude",
    "ports",
    "metro_stations",
]
_BACKGROUND = "#e5e8ec"
_HIGHLIGHT = "#e6007e"


def _get_choice(enum: type[StrEnum], value: str, what: str) -> StrEnum:
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        valid = ", ".join(m.value for m in enum)
        raise ValueError(f"unknown {what} {value!r}; valid: {valid}") from None


def layer_title(layer: str, *, titles: dict[str, str] | None = None) -> str:
    """Return the switcher title of a layer, e.g. ``"Transport · 地铁线路 Metro lines"``.

    ``titles`` (e.g. ``BuiltLayers.titles`` from the spec) replaces the built-in title.
    """
    group, zh, en = LAYERS.get(layer, ("Other", layer, ""))
    if titles and titles.get(layer):
        return f"{group} · {titles[layer]}"
    return f"{group} · {zh} {en}".strip()


class _Hook(MacroElement):
    """Sets the background and ``window.__planmap`` (per-layer feature counts) for tests/apps."""

    _template = SafeTemplate(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var css = document.createElement("style");
            css.textContent = {{ this.css|tojson }};
            document.head.appendChild(css);
            {%- if this.background %}
            map.getContainer().style.background = {{ this.background|tojson }};
            {%- endif %}
            {%- if this.icons %}
            // Leaflet finds its marker images through leaflet.css's url(); inlined, it cannot
            L.Icon.Default.imagePath = "";
            L.Icon.Default.mergeOptions({{ this.icons|tojson }});
            {%- endif %}
            var counts = {};
            {%- for layer, el in this.layers %}
            counts[{{ layer|tojson }}] = {{ el.get_name() }}.getLayers().length;
            {%- endfor %}
            window.__planmap = {map: map, layerCounts: counts,
                                highlight: {{ this.highlight|tojson }}};
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        layers: list[tuple[str, MacroElement]],
        *,
        background: str | None,
        highlight: str | None,
        icons: dict[str, str] | None = None,
    ):
        super().__init__()
        self._name = "PlanmapHook"
        self.layers = layers
        self.background = background
        self.highlight = highlight
        self.icons = icons
        # Bootstrap's 16px body font makes the layer switcher cover a third of the map
        # empty popup rows (no note, no excerpt) are hidden
        self.css = (
            ".leaflet-control-layers{font-size:12px;line-height:1.5}"
            ".leaflet-popup-content tr:has(td:empty){display:none}"
            ".leaflet-popup-content th{padding-right:6px;vertical-align:top;white-space:nowrap}"
            ".leaflet-popup-content,.leaflet-tooltip{font-size:12px}"
            ".planmap-label div{position:absolute;transform:translate(-50%,-50%);"
            "white-space:nowrap;font:bold 12px sans-serif;color:#1c2833;pointer-events:none;"
            "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}"
            ".planmap-label-pt div{transform:translate(10px,-50%)}"
        )


def _embedded_marker_icons() -> dict[str, str]:
    """Leaflet's default marker images as data URIs (Leaflet.draw's marker tool uses them)."""
    return {
        option: assets.data_uri(f"leaflet-1.9.3/images/{file}")
        for option, file in (
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        )
    }


def _bounds(frames: list[gpd.GeoDataFrame]) -> list[list[float]] | None:
    geoms = [f.geometry[f.geometry.notna() & ~f.geometry.is_empty] for f in frames if len(f)]
    geoms = [g for g in geoms if len(g)]
    if not geoms:
        return None
    minx, miny, maxx, maxy = pd.concat(geoms).total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def make_map(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    basemap: str = "none",
    label_lang: str = "zh",
    highlight_id: str | None = None,
    asset_base: str | None = None,
    embed: bool = False,
    draw: bool = False,
    labels: bool = True,
) -> folium.Map:
    """Build the Folium map of the planning layers.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        Layer name -> features (ARCHITECTURE.md schema, EPSG:4326). Rows with no geometry or
        ``precision == "unlocated"`` are not drawn.
    basemap : str, default "none"
        none | osm | cartodb_positron | amap | satellite. ``amap`` shifts every geometry to
        GCJ-02 for display.
    label_lang : str, default "zh"
        Which name comes first in tooltips and the legend: zh | en.
    highlight_id : str, optional
        Feature ``id`` to draw emphasised; the map is fitted to it.
    asset_base : str, optional
        URL prefix of ``static/vendor/`` (``"/app/static/vendor/"`` in Streamlit). With neither
        this nor ``embed`` the CDN links are left as folium writes them.
    embed : bool, default False
        Inline every asset as ``data:`` URIs (standalone HTML that works from ``file://``).
    labels : bool, default True
        Name the district, ports, stations of rail, clusters and zones on the map (a
        toggleable "Labels" overlay), in ``label_lang``.
    draw : bool, default False
        Add Leaflet.draw tools for points, lines and polygons (to locate unlocated features).
        Add plugins here rather than to the returned map: later additions keep CDN links.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValueError
        If ``basemap``/``label_lang`` or a feature's kind/status/precision is invalid, or
        ``highlight_id`` is not among the drawn features.
    """
    base = _get_choice(Basemap, basemap, "basemap")
    lang = str(label_lang).strip().lower()
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown label_lang {label_lang!r}; valid: zh, en")
    frames = {name: _for_display(gdf, base) for name, gdf in layers.items()}

    m = folium.Map(
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        maxZoom=19,
        minZoom=8,
        location=[22.55, 114.13],
        zoom_start=13,
    )
    adopt(m)  # no element's output is ever rendered again as a template (layers._page)
    if base is not Basemap.NONE:
        folium.TileLayer(name=base.value, control=False, max_zoom=19, **_TILES[base]).add_to(m)

    order = [n for n in _DRAW_ORDER if n in frames] + [n for n in frames if n not in _DRAW_ORDER]
    # elements, not names: streamlit-folium renames variables each time it renders a map
    hooks: list[tuple[str, MacroElement]] = []
    titles: dict[str, str] = {}
    given_titles = getattr(layers, "titles", None) or {}
    drawn: list[pd.DataFrame] = [frames[n].loc[_drawable(frames[n])] for n in order]
    highlight_row = None
    if highlight_id is not None:
        for name, d in zip(order, drawn, strict=True):
            if "id" in d and (d["id"] == highlight_id).any():
                highlight_row = (name, d[d["id"] == highlight_id])
                break
        if highlight_row is None:
            raise ValueError(f"highlight_id {highlight_id!r} is not a drawn feature")
    # Frame the map before adding any layer: Leaflet projects every vertex when a layer is
    # added and again after each zoom change, so a view set afterwards doubles that work.
    if highlight_row is not None:
        m.fit_bounds(_pad(_bounds([highlight_row[1]])), max_zoom=16)
    else:
        # frame the district when it is drawn (metro lines run far beyond it), else the data
        fit = [d[d["kind"] == "district"] for d in drawn]
        if not any(len(d) for d in fit):
            fit = [d for n, d in zip(order, drawn, strict=True) if n != "context"]
        bounds = _bounds(fit) or _bounds(drawn)
        if bounds:
            # keep the district clear of the legend and layer switcher on the right
            m.fit_bounds(bounds, padding_top_left=(10, 10), padding_bottom_right=(240, 10))
    for name in order:
        gdf = frames[name]
        fc, styles, shapes = _feature_collection(gdf, name)
        count = len(fc["features"])
        titles[name] = _text(f"{layer_title(name, titles=given_titles)} ({count})")
        group = folium.FeatureGroup(name=titles[name])
        packed = _pack(shapes, [f["properties"] for f in fc["features"]], styles) if count else None
        if packed is not None:
            gj = _PackedGeoJson(
                fc,
                packed,
                name=name,
                tooltip=_tooltip(lang),
                popup=_popup(),
                smooth_factor=SMOOTH_FACTOR,
            )
            gj.add_to(group)
        elif count:  # not packable (a GeometryCollection, or not degrees): plain GeoJSON
            by_id = dict(zip((f["id"] for f in fc["features"]), styles, strict=True))
            gj = folium.GeoJson(
                fc,
                name=name,
                style_function=lambda f, by_id=by_id: by_id[f["id"]],
                marker=folium.CircleMarker(),
                tooltip=_tooltip(lang),
                popup=_popup(),
                smooth_factor=SMOOTH_FACTOR,
            )
            gj.add_to(group)
        # an empty layer stays listed with (0): a planner sees it exists but is unlocated
        group.add_to(m)
        hooks.append((name, gj if count else group))

    if highlight_row is not None:
        _add_highlight(m, *highlight_row, label_lang=lang)

    entries = legend_entries(pd.concat(drawn) if drawn else [])
    if entries:
        _Legend(legend_html(entries, label_lang=lang)).add_to(m)
    if labels:
        _add_labels(m, [frames[n] for n in order], label_lang=lang)
    if draw:
        folium.plugins.Draw(
            position="topleft",
            draw_options={
                "polyline": True,
                "polygon": True,
                "marker": True,
                "circle": False,
                "rectangle": False,
                "circlemarker": False,
            },
        ).add_to(m)
    _Hook(
        hooks,
        background=_BACKGROUND if base is Basemap.NONE else None,
        highlight=highlight_id,
        icons=_embedded_marker_icons() if embed else None,
    ).add_to(m)
    rank = {titles[n]: i for i, n in enumerate(_switcher_order(order))}
    rank[_text(LABELS_TITLE)] = len(rank)
    folium.LayerControl(
        collapsed=False,
        sortLayers=True,
        sortFunction=JsCode(
            "function (a, b, na, nb) { var r = "
            + json.dumps(rank)
            + "; return (r[na] ?? 99) - (r[nb] ?? 99); }"
        ),
    ).add_to(m)
    if embed or asset_base:
        assets.localize(m, base_url=asset_base, embed=embed)
    return m


def _switcher_order(names: list[str]) -> list[str]:
    return [n for n in LAYERS if n in names] + [n for n in names if n not in LAYERS]


def _for_display(gdf: gpd.GeoDataFrame, base: Basemap) -> gpd.GeoDataFrame:
    """Validate the frame's CRS and shift it to GCJ-02 for AMap tiles."""
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    for col, enum in (("status", Status), ("precision", Precision)):
        if col not in gdf:
            raise ValueError(f"layer frame has no {col!r} column")
        gdf[col].map(enum.get)  # raises listing the valid values
    if base is Basemap.AMAP:
        from geo.crs import to_crs_frame

        gdf = to_crs_frame(gdf if gdf.crs is not None else gdf.set_crs(4326), dst="gcj02")
    return gdf


def _pad(bounds: list[list[float]] | None, deg: float = 0.003) -> list[list[float]] | None:
    if bounds is None:
        return None
    (s, w), (n, e) = bounds
    return [[s - deg, w - deg], [n + deg, e + deg]]


def _add_highlight(m: folium.Map, layer: str, rows: gpd.GeoDataFrame, *, label_lang: str) -> None:
    fc, styles, _ = _feature_collection(rows, layer)
    emphasis = {
        **styles[0],
        "color": _HIGHLIGHT,
        "weight": styles[0]["weight"] + 3,
        "opacity": 1.0,
        "dashArray": None,
        "radius": styles[0]["radius"] + 4,
    }
    folium.GeoJson(
        fc,
        name="highlight",
        control=False,
        style_function=lambda f: emphasis,
        marker=folium.CircleMarker(),
        tooltip=_tooltip(label_lang),
        popup=_popup(),
    ).add_to(m)
