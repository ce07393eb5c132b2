"""Folium maps of the planning layers: one FeatureGroup + GeoJson per layer, legend, offline assets.

Every text shown in a tooltip, popup, legend or layer switcher is HTML-escaped here, because
folium's GeoJsonTooltip/GeoJsonPopup and Leaflet's layer control insert values as HTML.
"""

from __future__ import annotations

import html
import json
from enum import StrEnum
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from layers import assets
from layers.styles import KINDS, Precision, Shape, Status, legend_entries, style_for


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
_PRECISION_LABEL = {
    "surveyed": "测绘 surveyed",
    "located": "有据定位 located",
    "approximate": "近似 approximate",
    "schematic": "示意 schematic (not an extent)",
    "unlocated": "未定位 unlocated",
}
_STATUS_LABEL = {
    "existing": "现状 existing",
    "under_construction": "在建 under construction",
    "planned": "规划 planned",
    "proposed": "建议 proposed",
}


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


#: HTML escaping plus the braces: branca parses every element's rendered script again as a
#: Jinja template, so "{{ … }}", "{% … %}" or "{# …" in a name, note or excerpt would run on
#: the server (or break the map). As entities they still show as braces.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def _text(value: Any) -> str:
    """Escaped text of a cell (HTML and template syntax); empty for None/NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_BRACES)


#: popup rows: property -> label (values are escaped per feature; labels are fixed text)
POPUP_FIELDS: dict[str, str] = {
    "name": "名称 Name",
    "name_en": "英文名 English",
    "kind": "类型 Kind",
    "status": "状态 Status",
    "precision": "精度 Precision",
    "source": "来源 Source",
    "note": "说明 Note",
    "report_excerpt": "报告原文 Report",
    "mentions": "提及次数 Mentions",
}


def _properties(row: dict[str, Any]) -> dict[str, str]:
    """Escaped, human-readable popup values of one row (empty string when missing)."""
    kind = str(row.get("kind", ""))
    base = KINDS.get(kind)
    out = {key: _text(row.get(key)) for key in POPUP_FIELDS}
    out["kind"] = _text(f"{base.label_zh} {base.label_en}" if base else kind)
    out["status"] = _text(_STATUS_LABEL.get(str(row.get("status")), row.get("status")))
    out["precision"] = _text(_PRECISION_LABEL.get(str(row.get("precision")), row.get("precision")))
    if out["mentions"].endswith(".0"):  # read back from GeoJSON as float
        out["mentions"] = out["mentions"][:-2]
    return out


#: Douglas-Peucker tolerance (metres) of drawn lines and outlines, by precision, below the
#: uncertainty of each class: the located outlines (districts) lie a median 17 m from the
#: official border line, approximate means tens of metres off or more. 5 m is under a pixel
#: up to zoom 14 (the map opens at 13); Leaflet simplifies further per zoom as it draws.
SIMPLIFY_M: dict[str, float] = {
    "surveyed": 1.0,
    "located": 5.0,
    "approximate": 10.0,
    "schematic": 10.0,
}
#: Leaflet's on-screen simplification of lines and outlines (pixels) at each zoom
SMOOTH_FACTOR = 0.5
#: lines and outlines with fewer vertices are drawn as they are
_SIMPLIFY_MIN_VERTICES = 20
#: display coordinates: 6 decimals (0.1 m), as exported (docs/CONVENTIONS: RFC 7946 output)
_DECIMALS = 6


def _round_coords(geoms: np.ndarray, decimals: int = _DECIMALS) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def _display_geoms(geoms: np.ndarray, precision: pd.Series) -> np.ndarray:
    """Geometries as drawn: long lines and outlines simplified in metres (EPSG:32650, by
    :data:`SIMPLIFY_M`, topology kept), every coordinate rounded to :data:`_DECIMALS`.

    Vertices are most of a large map's bytes and of the browser's work (parsing, projecting
    each one as a layer is added): 100 copies of the shipped layers carry ~650k, ~400k after.
    """
    from geo.errors import GeometryError
    from geo.geometry import to_lonlat, to_metric

    geoms = np.asarray(geoms, dtype=object).copy()
    tol = precision.astype(str).str.lower().map(SIMPLIFY_M).to_numpy(dtype=float, na_value=0.0)
    big = (
        ~shapely.is_missing(geoms)
        & (tol > 0)
        & np.isin(shapely.get_type_id(geoms), (1, 3, 5, 6))  # (Multi)LineString, (Multi)Polygon
        & (shapely.get_num_coordinates(geoms) >= _SIMPLIFY_MIN_VERTICES)
    )
    if big.any():
        try:
            metric = to_metric(geoms[big])
        except GeometryError:  # not lon/lat degrees: drawn as given, like before
            return _round_coords(geoms)
        geoms[big] = to_lonlat(shapely.simplify(metric, tol[big], preserve_topology=True))
    return _round_coords(geoms)


def _feature_collection(
    gdf: gpd.GeoDataFrame, layer: str
) -> tuple[dict[str, Any], list[dict], list]:
    """GeoJSON of the drawable rows (escaped properties), the style and the (display)
    geometry of each feature."""
    geoms = _display_geoms(gdf.geometry.array.to_numpy(), gdf["precision"])
    rows = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).to_dict("records")
    features, styles, shapes, cache = [], [], [], {}
    for i, (geom, row) in enumerate(zip(geoms, rows, strict=True)):
        if geom is None or shapely.is_empty(geom):
            continue
        key = (row["kind"], row["status"], row["precision"])
        if key not in cache:
            try:
                cache[key] = style_for(*key)
            except ValueError as exc:
                raise ValueError(f"layer {layer!r}, feature {row.get('id')!r}: {exc}") from None
        if cache[key] is None:
            continue
        props = {"id": _text(row.get("id")), "layer": layer, **_properties(row)}
        features.append(
            {
                "type": "Feature",
                "id": i,
                "geometry": shapely.geometry.mapping(geom),
                "properties": props,
            }
        )
        styles.append(cache[key])
        shapes.append(geom)
    return {"type": "FeatureCollection", "features": features}, styles, shapes


#: geometry type codes of the packed layers (see :class:`_PackedGeoJson`)
_POINT, _LINE, _POLYGON, _MULTILINE, _MULTIPOLYGON, _MULTIPOINT = range(6)
#: degrees -> integer units of the packed coordinates (6 decimals, as :data:`_DECIMALS`)
_SCALE = 10**_DECIMALS
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_ALPHABET_BYTES = np.frombuffer(_ALPHABET.encode("ascii"), dtype=np.uint8)


def _polyline_chars(values: np.ndarray) -> str:
    """Signed integers as text, like an encoded polyline: zigzag, then 5-bit groups (low
    first), 0x20 added to every group but the last, each written as a character of the
    URL-safe base64 alphabet (:data:`_ALPHABET`: nothing to escape in JSON, HTML or the
    Jinja templates folium renders the script through again)."""
    v = values.astype(np.int64)
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    groups = np.ones(len(z), dtype=np.int64)
    rest = z >> np.uint64(5)
    while rest.any():
        groups += rest > 0
        rest >>= np.uint64(5)
    ends = np.cumsum(groups)
    starts = ends - groups
    out = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    for j in range(int(groups.max()) if len(groups) else 0):
        has = groups > j
        chunk = ((z[has] >> np.uint64(5 * j)) & np.uint64(31)).astype(np.int64)
        more = (groups[has] - 1 > j).astype(np.int64) * 32
        out[starts[has] + j] = chunk | more
    return _ALPHABET_BYTES[out].tobytes().decode("ascii")


def _pack_geometry(geom, shape: list[int], parts: list[np.ndarray]) -> bool:
    """Append one geometry's structure (type code, counts) to ``shape`` and its coordinates
    (lon, lat rows; rings without their closing vertex, as Leaflet keeps them) to ``parts``.
    False for what the packing does not cover (GeometryCollection, 3-D is flattened)."""

    def ring(coords) -> int:
        xy = np.asarray(coords, dtype=float)[:, :2]
        if len(xy) > 1 and (xy[0] == xy[-1]).all():
            xy = xy[:-1]
        parts.append(xy)
        return len(xy)

    def line(coords) -> int:
        xy = np.asarray(coords, dtype=float)[:, :2]
        parts.append(xy)
        return len(xy)

    def polygon(p) -> list[int]:
        rings = [p.exterior, *p.interiors]
        return [len(rings), *(ring(r.coords) for r in rings)]

    kind = geom.geom_type
    if kind == "Point":
        shape.append(_POINT)
        parts.append(np.asarray(geom.coords, dtype=float)[:, :2])
    elif kind == "LineString":
        shape += [_LINE, line(geom.coords)]
    elif kind == "Polygon":
        shape += [_POLYGON, *polygon(geom)]
    elif kind == "MultiLineString":
        shape += [_MULTILINE, len(geom.geoms), *(line(g.coords) for g in geom.geoms)]
    elif kind == "MultiPolygon":
        shape += [_MULTIPOLYGON, len(geom.geoms)]
        for p in geom.geoms:
            shape += polygon(p)
    elif kind == "MultiPoint":
        shape += [_MULTIPOINT, len(geom.geoms)]
        parts += [np.asarray(g.coords, dtype=float)[:, :2] for g in geom.geoms]
    else:
        return False
    return True


def _pack(geoms: list, props: list[dict[str, str]], styles: list[dict]) -> dict[str, Any] | None:
    """The compact form of a layer drawn by :class:`_PackedGeoJson`, or None when it cannot
    be packed (a GeometryCollection; coordinates beyond ±2000 degrees).

    - ``c``: every coordinate as (lat, lon) integers of 1e-6 degree, each the difference to
      the previous one, as text (:func:`_polyline_chars`; ~5 bytes a vertex, not ~22 as JSON);
    - ``g``: per feature a type code and its part/ring/vertex counts;
    - ``k``, ``u``, ``p``: property keys, the distinct (escaped) values, and per feature the
      index of each key's value (notes, sources and labels repeat across features);
    - ``s``, ``t``: the distinct styles and each feature's style index.
    """
    shape: list[int] = []
    parts: list[np.ndarray] = []
    for geom in geoms:
        if not _pack_geometry(geom, shape, parts):
            return None
    xy = np.concatenate(parts) if parts else np.zeros((0, 2))
    if len(xy) and np.abs(xy).max() > 2000:
        return None
    ints = np.rint(xy[:, ::-1] * _SCALE).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    keys = list(props[0]) if props else []
    values: dict[str, int] = {}
    index = [values.setdefault(p[k], len(values)) for p in props for k in keys]
    style_keys: dict[str, int] = {}
    style_list: list[dict] = []
    style_index = []
    for s in styles:
        key = json.dumps(s, sort_keys=True)
        if key not in style_keys:
            style_keys[key] = len(style_list)
            style_list.append(s)
        style_index.append(style_keys[key])
    return {
        "c": _polyline_chars(deltas),
        "g": shape,
        "k": keys,
        "u": list(values),
        "p": index,
        "s": style_list,
        "t": style_index,
    }


class _PackedGeoJson(folium.GeoJson):
    """A layer's ``L.GeoJSON`` built in the page from a compact form (:func:`_pack`) instead
    of inline GeoJSON: at 100× the Luohu features the GeoJSON text was ~14 MB that the
    browser parsed, then walked again to make a ``LatLng`` of each of ~400k vertex pairs.
    Here the coordinates are one short string decoded straight into ``L.LatLng`` objects and
    the Leaflet layers (``L.Polygon``/``L.Polyline``/``L.CircleMarker``, as ``L.GeoJSON``
    would make them, with the same ``feature`` and style), added to the ``L.GeoJSON`` layer.

    ``data`` stays the layer's GeoJSON (inspection, bounds, tooltip/popup field checks);
    tooltips and popups stay bound once to the layer, built when shown.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(null, {{ this.layer_options|tojson }});
        (function (layer, d) {
            var s = d.c, at = 0, lat = 0, lng = 0, g = d.g, gi = 0, v = new Uint8Array(128);
            for (var c = 0; c < 64; c++) v[{{ this.alphabet|tojson }}.charCodeAt(c)] = c;
            function num() {
                var r = 0, sh = 0, b;
                do { b = v[s.charCodeAt(at++)]; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
                return (r & 1) ? ~(r >>> 1) : (r >>> 1);
            }
            function pt() {
                lat += num(); lng += num();
                return new L.LatLng(lat / {{ this.scale }}, lng / {{ this.scale }});
            }
            function pts(n) { var a = new Array(n); for (var i = 0; i < n; i++) a[i] = pt(); return a; }
            function rings() { var n = g[gi++], a = new Array(n); for (var i = 0; i < n; i++) a[i] = pts(g[gi++]); return a; }
            var base = {{ this.marker_options|tojson }}, lo = layer.options;
            var popts = d.s.map(function (st) { return Object.assign({}, base, st); });
            var opts = d.s.map(function (st) {
                return Object.assign({smoothFactor: lo.smoothFactor}, st);
            });
            var k = d.k, u = d.u, p = d.p, nk = k.length, layers = [];
            for (var f = 0; f < d.t.length; f++) {
                var o = opts[d.t[f]], t = g[gi++], l, i, n, a;
                if (t === 0) l = new L.CircleMarker(pt(), popts[d.t[f]]);
                else if (t === 1) l = new L.Polyline(pts(g[gi++]), o);
                else if (t === 2) l = new L.Polygon(rings(), o);
                else if (t === 3) l = new L.Polyline(rings(), o);
                else if (t === 4) {
                    n = g[gi++]; a = new Array(n);
                    for (i = 0; i < n; i++) a[i] = rings();
                    l = new L.Polygon(a, o);
                } else {
                    n = g[gi++]; a = new Array(n);
                    for (i = 0; i < n; i++) a[i] = new L.CircleMarker(pt(), popts[d.t[f]]);
                    l = new L.FeatureGroup(a);
                }
                var props = {};
                for (i = 0; i < nk; i++) props[k[i]] = u[p[f * nk + i]];
                l.feature = {type: "Feature", id: f, properties: props};
                l.defaultOptions = l.options;
                layers.push(l);
            }
            for (var j = 0; j < layers.length; j++) layer.addLayer(layers[j]);
        })({{ this.get_name() }}, {{ this.packed|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, packed: dict, **kwargs):
        super().__init__(data, **kwargs)
        self.packed = packed
        self.scale = _SCALE
        self.alphabet = _ALPHABET
        self.layer_options = {"smoothFactor": self.smooth_factor, **self.options}
        self.marker_options = {
            k: v for k, v in folium.CircleMarker().options.items() if v is not None
        }


def _tooltip(label_lang: str) -> folium.GeoJsonTooltip:
    fields = ["name", "name_en"] if label_lang == "zh" else ["name_en", "name"]
    return folium.GeoJsonTooltip(fields=fields, labels=False, sticky=True)


def _popup() -> folium.GeoJsonPopup:
    return folium.GeoJsonPopup(
        fields=list(POPUP_FIELDS), aliases=list(POPUP_FIELDS.values()), max_width=360
    )


def _swatch(entry: dict[str, Any]) -> str:
    s = entry["style"]
    dash = f' stroke-dasharray="{s["dashArray"]}"' if s["dashArray"] else ""
    stroke = f'stroke="{s["color"]}" stroke-opacity="{s["opacity"]}"{dash}'
    if entry["shape"] == Shape.LINE:
        width = min(s["weight"], 6)
        shape = f'<line x1="2" y1="8" x2="30" y2="8" {stroke} stroke-width="{width}"/>'
    elif entry["shape"] == Shape.POINT:
        fill = f'fill="{s["fillColor"]}" fill-opacity="{s["fillOpacity"]}"'
        r = min(s["radius"], 7)
        shape = f'<circle cx="16" cy="8" r="{r}" {stroke} stroke-width="1.5" {fill}/>'
    else:
        fill = f'fill="{s["fillColor"]}" fill-opacity="{s["fillOpacity"]}"'
        shape = f'<rect x="3" y="2" width="26" height="12" {stroke} stroke-width="2" {fill}/>'
    return f'<svg width="32" height="16" style="vertical-align:middle">{shape}</svg>'


def legend_html(entries: list[dict[str, Any]], *, label_lang: str = "zh") -> str:
    """Return the legend's HTML (escaped labels, SVG swatches with the real dash patterns)."""
    rows = []
    for e in entries:
        first, second = (e["label_zh"], e["label_en"])
        if label_lang == "en":
            first, second = second, first
        rows.append(
            f'<div class="planmap-legend-row" style="white-space:nowrap;line-height:18px">'
            f"{_swatch(e)} {html.escape(first)} "
            f'<span style="color:#666">{html.escape(second)}</span></div>'
        )
    note = (
        '<div style="color:#666;margin-top:4px;font-size:11px">'
        "虚线 = 规划/示意 · dashed = planned or schematic</div>"
    )
    return (
        '<details open><summary style="font-weight:bold;cursor:pointer;margin-bottom:3px">'
        "图例 Legend</summary>" + "".join(rows) + note + "</details>"
    )


class _Legend(MacroElement):
    """A Leaflet control holding the legend (built in JS so st_folium shows it too)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "planmap-legend");
                div.style.cssText = {{ this.css|tojson }};
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "PlanmapLegend"
        self.html = html_text
        self.css = (
            "background:rgba(255,255,255,0.93);padding:6px 8px;border-radius:4px;"
            "box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.4 sans-serif;"
            "max-height:45vh;overflow-y:auto"
        )


class _Hook(MacroElement):
    """Sets the background and ``window.__planmap`` (per-layer feature counts) for tests/apps."""

    _template = Template(
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


#: kinds named on the map itself (few and large); the rest are named on hover
LABEL_KINDS = ("district", "neighbour_district", "cluster", "zone", "port", "railway_station")
LABELS_TITLE = "Labels · 标注 Names"


#: above this many labels the overlay starts switched off: a thousand DOM labels take longer
#: to lay out than every feature takes to draw, and overlap into an unreadable block anyway
MAX_LABELS_SHOWN = 300


_SILENT = Template("{% macro script(this, kwargs) %}{% endmacro %}")


class _Label(folium.Marker):
    """A label: a marker with a ``DivIcon``, kept to inspect; :class:`_Labels` writes it."""

    _template = _SILENT

    def render(self, **kwargs):
        pass


class _LabelIcon(folium.DivIcon):
    _template = _SILENT

    def render(self, **kwargs):
        pass


class _Labels(folium.FeatureGroup):
    """The labels overlay, written as one array and a loop: a folium ``Marker`` + ``DivIcon``
    per label renders in ~2 ms and ~600 bytes, which dominates a map with a thousand labels.
    When the overlay starts switched off, its markers are made when it is first switched on.
    Its children render nothing (here or in streamlit-folium, which renders each element's
    script itself)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup({});
        (function (group, rows) {
            function fill() {
                rows.forEach(function (r) {
                    L.marker([r[0], r[1]], {interactive: false, keyboard: false,
                        icon: L.divIcon({html: r[2], className: r[3]})}).addTo(group);
                });
            }
            {%- if this.show %}
            fill();
            {%- else %}
            group.once("add", fill);  // switched off at first: made when first switched on
            {%- endif %}
        })({{ this.get_name() }}, {{ this.rows|tojson }});
        {% endmacro %}
        """
    )

    @property
    def rows(self) -> list[list]:
        """``[lat, lon, html, class]`` of each label."""
        return [
            [mk.location[0], mk.location[1], mk.icon.options["html"], mk.icon.options["class_name"]]
            for mk in self._children.values()
            if isinstance(mk, _Label)
        ]


def _add_labels(m: folium.Map, frames: list[gpd.GeoDataFrame], *, label_lang: str) -> None:
    """A toggleable overlay of non-interactive name labels at each feature's inner point
    (switched off at first when there are more than :data:`MAX_LABELS_SHOWN`)."""
    picked = [gdf.loc[_drawable(gdf) & gdf["kind"].isin(LABEL_KINDS)] for gdf in frames]
    total = sum(len(rows) for rows in picked)
    group = _Labels(name=html.escape(LABELS_TITLE), show=total <= MAX_LABELS_SHOWN)
    for rows in picked:
        points = shapely.point_on_surface(rows.geometry.array.to_numpy())
        for geom, pt, name, name_en in zip(
            rows.geometry, points, rows["name"], rows.get("name_en", rows["name"]), strict=True
        ):
            text = _text(name_en) or _text(name) if label_lang == "en" else _text(name)
            _Label(
                [round(pt.y, 6), round(pt.x, 6)],
                icon=_LabelIcon(
                    html=f"<div>{text}</div>",
                    # points: beside the marker; areas: centred
                    class_name="planmap-label"
                    + (" planmap-label-pt" if geom.geom_type == "Point" else ""),
                ),
                interactive=False,
                keyboard=False,
            ).add_to(group)
    if group._children:
        group.add_to(m)


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
    rank[html.escape(LABELS_TITLE)] = len(rank)
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


def _drawable(gdf: gpd.GeoDataFrame) -> pd.Series:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ok = pd.Series(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)), index=gdf.index)
    return ok & (gdf["precision"].astype(str).str.lower() != Precision.UNLOCATED.value)


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
