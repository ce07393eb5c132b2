"""The map legend: HTML with SVG swatches, and the Leaflet control that holds it."""

from __future__ import annotations

from typing import Any

from branca.element import MacroElement

from layers._features import _text
from layers._page import SafeTemplate
from layers.styles import Shape


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
            f"{_swatch(e)} {_text(first)} "
            f'<span style="color:#666">{_text(second)}</span></div>'
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

    _template = SafeTemplate(
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
