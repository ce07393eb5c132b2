"""Compose the Folium map of a :class:`~layers.layerset.LayerSet`.

One ``FeatureGroup`` + one (packed) ``GeoJson`` per layer in the layer set's drawing order,
the legend, name labels, the drawing toolbar if asked, and the ``LayerControl`` last (folium's
own design). Layout (how the layer switcher starts, how the view is framed) and drawing tools
are options of :func:`make_map`, never patched in afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.utilities import JsCode

from geo.errors import OptionError
from geo.model import Kind, LayerGroup, Precision, Status
from layers.layerset import LayerSet
from layers.map import assets
from layers.map.basemaps import Basemap, BasemapInfo, basemap_info, tile_layers
from layers.map.features import SMOOTH_FACTOR, drawable, feature_collection, popup, tooltip
from layers.map.hook import Hook, MinZoom, embedded_marker_icons
from layers.map.labels import LABELS_TITLE, add_labels
from layers.map.legend import Legend, legend_html
from layers.map.packed import PackedGeoJson, pack
from layers.map.page import adopt, html_text
from layers.styles import legend_entries
from layers.styles import muted as muted_style

__all__ = ["DrawTools", "MapLayout", "make_map"]

_BACKGROUND = "#e5e8ec"
_CONTEXT_BACKGROUND = "#f3f2ee"
_HIGHLIGHT = "#e6007e"
#: communities are drawn from this zoom on (at district zoom they would crowd the map)
COMMUNITY_MIN_ZOOM = 14
#: the attribution each licence needs wherever its data is shown
ATTRIBUTIONS = {"ODbL": "© OpenStreetMap contributors (ODbL)"}


def attributions(frames: list[pd.DataFrame]) -> list[str]:
    """The attributions the licences of the drawn features need (ODbL: © OpenStreetMap
    contributors)."""
    licences = set()
    for frame in frames:
        if "licence" in frame:
            licences |= {str(v) for v in frame["licence"].dropna() if str(v)}
    return [text for key, text in ATTRIBUTIONS.items() if any(key in v for v in licences)]


def _ground(base: LayerSet, drawn: dict[str, gpd.GeoDataFrame], datum: str) -> LayerSet:
    """The base without the places the plan draws itself, shifted for display."""
    from dataclasses import replace

    planned = set()
    for frame in drawn.values():
        planned |= set(frame["id"])
    layers = []
    for layer in base.layers:
        frame = layer.frame[~layer.frame["id"].isin(planned)]
        if len(frame):
            layers.append(replace(layer, frame=_for_display(frame, datum)))
    return LayerSet(layers, district=base.district)


def element_of(m: folium.Map, title: str) -> MacroElement:
    """The feature group of the map with this switcher title."""
    for child in m._children.values():
        if isinstance(child, folium.FeatureGroup) and child.layer_name == title:
            return child
    raise KeyError(title)


@dataclass(frozen=True)
class MapLayout:
    """How a map frames its view and starts its controls.

    Paddings are ``(x, y)`` pixels kept clear at the top left and bottom right when the view
    is fitted to the district (``fit_*``) or to a highlighted feature (``highlight_*``; None:
    a small margin of degrees and zoom 16 at most).
    """

    layers_collapsed: bool = True
    legend_open: bool = True
    fit_top_left: tuple[int, int] = (10, 10)
    fit_bottom_right: tuple[int, int] = (240, 10)
    highlight_top_left: tuple[int, int] | None = None
    highlight_bottom_right: tuple[int, int] | None = None

    @classmethod
    def app(cls) -> MapLayout:
        """The app's narrower frame: the layer switcher starts collapsed (the sidebar filters
        layers too), the district is fitted above the legend and a searched feature clear of
        it (the legend starts collapsed; open it takes about 380 x 270 px at the bottom
        right)."""
        return cls(
            layers_collapsed=True,
            legend_open=False,
            fit_top_left=(50, 20),
            fit_bottom_right=(20, 290),
            highlight_top_left=(60, 20),
            highlight_bottom_right=(400, 290),
        )


@dataclass(frozen=True)
class DrawTools:
    """Leaflet.draw tools to locate a place by drawing a point, line or polygon."""

    color: str = _HIGHLIGHT

    def element(self) -> folium.plugins.Draw:
        return folium.plugins.Draw(
            export=False,
            show_geometry_on_click=False,
            position="topleft",
            draw_options={
                "polyline": {"shapeOptions": {"color": self.color, "weight": 4}},
                "polygon": {"shapeOptions": {"color": self.color}, "allowIntersection": False},
                "rectangle": False,
                "circle": False,
                "circlemarker": False,
                "marker": True,
            },
            edit_options={"edit": False},
        )


def _bounds(frames: list[gpd.GeoDataFrame]) -> list[list[float]] | None:
    geoms = [f.geometry[f.geometry.notna() & ~f.geometry.is_empty] for f in frames if len(f)]
    geoms = [g for g in geoms if len(g)]
    if not geoms:
        return None
    minx, miny, maxx, maxy = pd.concat(geoms).total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _centre(frames) -> list[float]:
    """The centre of the data's bounds (the first view when the district gives none)."""
    bounds = _bounds(list(frames))
    if bounds is None:
        return [0.0, 0.0]
    (s, w), (n, e) = bounds
    return [(s + n) / 2, (w + e) / 2]


def _pad(bounds: list[list[float]], deg: float = 0.003) -> list[list[float]]:
    (s, w), (n, e) = bounds
    return [[s - deg, w - deg], [n + deg, e + deg]]


def _for_display(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Validate a frame's CRS and values, and shift it for a GCJ-02 basemap."""
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs(4326)
    for col, enum in (("status", Status), ("precision", Precision)):
        if col not in gdf:
            raise OptionError(f"layer frame has no {col!r} column")
        gdf[col].map(enum.get)  # raises listing the valid values
    if datum != "wgs84":
        from geo.crs import to_crs_frame

        gdf = to_crs_frame(gdf if gdf.crs is not None else gdf.set_crs(4326), dst=datum)
    return gdf


def _fit(
    m: folium.Map,
    drawn: list[gpd.GeoDataFrame],
    plan: list[gpd.GeoDataFrame],
    highlight: gpd.GeoDataFrame | None,
    layout: MapLayout,
) -> None:
    """Frame the map before adding any layer: Leaflet projects every vertex when a layer is
    added and again after each zoom change, so a view set afterwards doubles that work.

    ``drawn`` are every layer's drawn rows, ``plan`` those of the layers not in the Context
    group."""
    if highlight is not None:
        bounds = _bounds([highlight])
        assert bounds is not None  # a drawn feature has a non-empty geometry
        if layout.highlight_top_left is None:
            m.fit_bounds(_pad(bounds), max_zoom=16)
        else:
            m.fit_bounds(
                bounds,
                max_zoom=16,
                padding_top_left=layout.highlight_top_left,
                padding_bottom_right=layout.highlight_bottom_right,
            )
        return
    # frame the district when it is drawn (metro lines run far beyond it), else the plan
    fit = [d[d["kind"] == Kind.DISTRICT.value] for d in drawn]
    if not any(len(d) for d in fit):
        fit = plan
    bounds = _bounds(fit) or _bounds(drawn)
    if bounds:
        m.fit_bounds(
            bounds,
            padding_top_left=layout.fit_top_left,
            padding_bottom_right=layout.fit_bottom_right,
        )


def _add_layer(
    m: folium.Map,
    name: str,
    gdf: gpd.GeoDataFrame,
    label: str,
    *,
    lang: str,
    labels,
    show: bool,
    muted: bool = False,
) -> tuple[MacroElement, str]:
    """Add one layer; return the element whose layers are counted and the switcher title.
    ``muted``: drawn as the base (lighter, thinner)."""
    fc, styles, shapes = feature_collection(gdf, name, labels=labels)
    if muted:
        styles = [muted_style(s) for s in styles]
    count = len(fc["features"])
    title = html_text(f"{label} ({count})")
    group = folium.FeatureGroup(name=title, show=show)
    packed = pack(shapes, [f["properties"] for f in fc["features"]], styles) if count else None
    element: MacroElement = group
    if packed is not None:
        element = PackedGeoJson(
            fc, packed, name=name, tooltip=tooltip(lang), popup=popup(), smooth_factor=SMOOTH_FACTOR
        )
        element.add_to(group)
    elif count:  # not packable (a GeometryCollection, or not degrees): plain GeoJSON
        by_id = dict(zip((f["id"] for f in fc["features"]), styles, strict=True))
        element = folium.GeoJson(
            fc,
            name=name,
            style_function=lambda f, by_id=by_id: by_id[f["id"]],
            marker=folium.CircleMarker(),
            tooltip=tooltip(lang),
            popup=popup(),
            smooth_factor=SMOOTH_FACTOR,
        )
        element.add_to(group)
    # an empty layer stays listed with (0): a planner sees it exists but is unlocated
    group.add_to(m)
    return element, title


def make_map(
    layers: LayerSet | Mapping[str, gpd.GeoDataFrame],
    *,
    basemap: str | BasemapInfo = "none",
    label_lang: str = "zh",
    highlight_id: str | None = None,
    asset_base: str | None = None,
    embed: bool = False,
    labels: bool = True,
    layout: MapLayout | None = None,
    draw: DrawTools | None = None,
    base: LayerSet | None = None,
) -> folium.Map:
    """Build the Folium map of the planning layers.

    Parameters
    ----------
    layers : LayerSet or mapping of str to GeoDataFrame
        The layers (feature columns, EPSG:4326). A plain mapping is drawn in its order with
        each name as title. Rows with no geometry or ``precision == "unlocated"`` are not drawn.
    basemap : str or BasemapInfo, default "none"
        A built-in :class:`~layers.map.basemaps.Basemap`, a configured basemap's name, or its
        record (an MBTiles one after :mod:`layers.map.tiles` wrote its tiles); a GCJ-02
        basemap (``amap``) shifts every geometry to GCJ-02 for display.
    label_lang : {"zh", "en"}
        Which name comes first in tooltips, labels and the legend.
    highlight_id : str, optional
        Feature ``id`` to draw emphasised; the map is fitted to it.
    asset_base : str, optional
        URL prefix of ``static/vendor/`` (``"/app/static/vendor/"`` in Streamlit). With neither
        this nor ``embed`` the CDN links are left as folium writes them.
    embed : bool, default False
        Inline every asset as ``data:`` URIs (standalone HTML that works from ``file://``).
    labels : bool, default True
        Name districts, ports, railway stations, clusters and zones on the map.
    layout : MapLayout, optional
        Framing and controls (default: a standalone page's; :meth:`MapLayout.app` in the app).
    draw : DrawTools, optional
        Add tools to draw a point, line or polygon (to locate an unlocated place).
    base : LayerSet, optional
        The context base (:func:`layers.base.context_base`), drawn muted under the plan with
        the ``context`` basemap; places the plan draws itself are left out of it.

    Raises
    ------
    OptionError
        A bad basemap or language, a feature's bad kind/status/precision, or a ``highlight_id``
        that is not among the drawn features.
    """
    info = basemap_info(basemap)
    context = info.name == Basemap.CONTEXT.value
    if str(label_lang).strip().lower() not in ("zh", "en"):
        raise OptionError(f"label_lang {label_lang!r} is not one of: zh, en")
    lang = str(label_lang).strip().lower()
    layout = layout or MapLayout()
    layer_set = layers if isinstance(layers, LayerSet) else LayerSet.from_frames(layers)
    district = layer_set.district
    legend_labels = district.legend if district is not None else None
    view = district.view if district is not None else None
    order = layer_set.draw_order()
    frames = {name: _for_display(layer_set[name], info.datum) for name in order}

    m = folium.Map(
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        maxZoom=19,
        minZoom=8,
        location=[view.lat, view.lon] if view else _centre(frames.values()),
        zoom_start=view.zoom if view else 13,
    )
    adopt(m)  # no element's output is ever rendered again as a template (layers.map.page)
    for tile_layer in tile_layers(info):
        tile_layer.add_to(m)

    drawn = {n: frames[n].loc[drawable(frames[n])] for n in order}
    highlight: tuple[str, gpd.GeoDataFrame] | None = None
    if highlight_id is not None:
        for name, d in drawn.items():
            if "id" in d and (d["id"] == highlight_id).any():
                highlight = (name, d[d["id"] == highlight_id])
                break
        if highlight is None:
            raise OptionError(f"highlight {highlight_id!r} is not a drawn feature")
    plan = [d for n, d in drawn.items() if layer_set.layer(n).group is not LayerGroup.CONTEXT]
    _fit(m, list(drawn.values()), plan, highlight and highlight[1], layout)
    hooks: list[tuple[str, MacroElement]] = []
    titles: dict[str, str] = {}
    ground = _ground(base, drawn, info.datum) if context and base else None
    base_drawn: list[gpd.GeoDataFrame] = []
    if ground is not None:
        for name in ground.draw_order():
            layer = ground.layer(name)
            element, titles[name] = _add_layer(
                m, name, ground[name], layer.label, lang=lang, labels=legend_labels,
                show=layer.visible, muted=True,
            )  # fmt: skip
            if layer.frame["kind"].eq("community").all():
                MinZoom(element_of(m, titles[name]), COMMUNITY_MIN_ZOOM).add_to(m)
            base_drawn.append(ground[name].loc[drawable(ground[name])])
            hooks.append((name, element))
    for name in order:
        layer = layer_set.layer(name)
        element, titles[name] = _add_layer(
            m, name, frames[name], layer.label, lang=lang, labels=legend_labels, show=layer.visible
        )
        hooks.append((name, element))
    if highlight is not None:
        _add_highlight(m, *highlight, lang=lang, labels=legend_labels)
    entries = legend_entries(pd.concat(drawn.values()) if drawn else [], labels=legend_labels)
    base_entries = legend_entries(pd.concat(base_drawn) if base_drawn else [], labels=legend_labels)
    base_entries = [{**e, "style": muted_style(e["style"])} for e in base_entries]
    if entries or base_entries:
        legend = legend_html(entries, label_lang=lang, base=base_entries, open=layout.legend_open)
        Legend(legend).add_to(m)
    if labels:
        label_frames = (
            [frames[n] for n in order] + [ground[n] for n in ground]
            if ground
            else [frames[n] for n in order]
        )
        add_labels(m, label_frames, label_lang=lang)
    if draw is not None:
        draw.element().add_to(m)
    Hook(
        hooks,
        background=None if info.tiles else (_CONTEXT_BACKGROUND if context else _BACKGROUND),
        highlight=highlight_id,
        icons=embedded_marker_icons() if embed else None,
        attribution=[html_text(a) for a in attributions([*drawn.values(), *base_drawn])],
    ).add_to(m)
    rank = {titles[n]: i for i, n in enumerate([*layer_set, *(ground or [])])}
    rank[html_text(LABELS_TITLE)] = len(rank)
    folium.LayerControl(
        collapsed=layout.layers_collapsed,
        sortLayers=True,
        # folium's annotation of LayerControl's **kwargs leaves out the JsCode it documents
        sortFunction=JsCode(  # type: ignore[arg-type]
            "function (a, b, na, nb) { var r = "
            + json.dumps(rank)
            + "; return (r[na] ?? 99) - (r[nb] ?? 99); }"
        ),
    ).add_to(m)
    if embed or asset_base:
        assets.localize(m, base_url=asset_base, embed=embed)
    return m


def _add_highlight(m: folium.Map, layer: str, rows: gpd.GeoDataFrame, *, lang: str, labels) -> None:
    fc, styles, _ = feature_collection(rows, layer, labels=labels)
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
        tooltip=tooltip(lang),
        popup=popup(),
    ).add_to(m)
