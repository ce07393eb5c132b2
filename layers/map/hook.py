"""The page hook: map background, shared CSS, embedded marker icons and ``window.__planmap``
(the map and per-layer feature counts, for tests and the app)."""

from __future__ import annotations

from branca.element import MacroElement

from layers.map import assets
from layers.map.page import SafeTemplate

__all__ = ["Hook", "MinZoom", "embedded_marker_icons"]

#: Bootstrap's 16px body font makes the layer switcher cover a third of the map; empty popup
#: rows (no note, no excerpt) are hidden; labels are bold with a white halo
CSS = (
    ".leaflet-control-layers{font-size:12px;line-height:1.5}"
    ".leaflet-popup-content tr:has(td:empty){display:none}"
    ".leaflet-popup-content th{padding-right:6px;vertical-align:top;white-space:nowrap}"
    ".leaflet-popup-content,.leaflet-tooltip{font-size:12px}"
    ".planmap-label div{position:absolute;transform:translate(-50%,-50%);"
    "white-space:nowrap;font:bold 12px sans-serif;color:#1c2833;pointer-events:none;"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}"
    ".planmap-label-pt div{transform:translate(10px,-50%)}"
)


class Hook(MacroElement):
    """Sets the background and ``window.__planmap`` (per-layer feature counts)."""

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
            {%- for text in this.attribution %}
            map.attributionControl.addAttribution({{ text|tojson }});
            {%- endfor %}
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
        attribution: list[str] | None = None,
    ):
        super().__init__()
        self._name = "PlanmapHook"
        self.layers = layers
        self.background = background
        self.highlight = highlight
        self.icons = icons
        self.attribution = list(attribution or [])  # already HTML-escaped
        self.css = CSS


class MinZoom(MacroElement):
    """Shows a layer only from a zoom on (communities crowd the map at district zoom); the
    layer switcher still lists it."""

    _template = SafeTemplate(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, layer = {{ this.layer.get_name() }};
            var wanted = map.hasLayer(layer);
            map.on("overlayadd", function (e) { if (e.layer === layer) wanted = true; });
            map.on("overlayremove", function (e) { if (e.layer === layer) wanted = false; });
            function update() {
                var show = wanted && map.getZoom() >= {{ this.zoom }};
                if (show && !map.hasLayer(layer)) { map.addLayer(layer); wanted = true; }
                if (!show && map.hasLayer(layer)) { map.removeLayer(layer); }
            }
            map.on("zoomend", update);
            map.whenReady(update);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: MacroElement, zoom: int):
        super().__init__()
        self._name = "PlanmapMinZoom"
        self.layer = layer
        self.zoom = int(zoom)


def embedded_marker_icons() -> dict[str, str]:
    """Leaflet's default marker images as data URIs (Leaflet.draw's marker tool uses them)."""
    return {
        option: assets.data_uri(f"leaflet-1.9.4/images/{file}")
        for option, file in (
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        )
    }
