"""The map legend: HTML with SVG swatches, and the Leaflet control that holds it."""

from __future__ import annotations

from typing import Any

from branca.element import MacroElement

from geo.model import Shape
from layers.map.page import SafeTemplate, html_text


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
    elif s.get("hatch"):  # within: the outline and hatching, never a fill
        lines = "".join(
            f'<line x1="{x}" y1="14" x2="{x + 8}" y2="2" stroke="{s["color"]}" '
            'stroke-width="1" stroke-opacity="0.7"/>'
            for x in (5, 12, 19)
        )
        shape = (
            f'<rect x="3" y="2" width="26" height="12" {stroke} stroke-width="1.5" fill="none"/>'
        )
        shape += lines
    else:
        fill = f'fill="{s["fillColor"]}" fill-opacity="{s["fillOpacity"]}"'
        shape = f'<rect x="3" y="2" width="26" height="12" {stroke} stroke-width="2" {fill}/>'
    return f'<svg width="32" height="16" style="vertical-align:middle">{shape}</svg>'


def _rows(entries: list[dict[str, Any]], label_lang: str) -> list[str]:
    rows = []
    for e in entries:
        first, second = (e["label_zh"], e["label_en"])
        if label_lang == "en":
            first, second = second, first
        rows.append(
            f'<div class="planmap-legend-row" style="white-space:nowrap;line-height:18px">'
            f"{_swatch(e)} {html_text(first)} "
            f'<span style="color:#666">{html_text(second)}</span></div>'
        )
    return rows


def legend_html(
    entries: list[dict[str, Any]],
    *,
    label_lang: str = "zh",
    base: list[dict[str, Any]] | None = None,
    open: bool = True,
) -> str:
    """The legend's HTML: escaped labels, SVG swatches with the real dash patterns, the
    conventions (dashed = planned or schematic; hatched = somewhere within), then the context
    base in its own section ("底图 Base"). Collapsible; ``open`` says how it starts."""
    rows = _rows(entries, label_lang)
    notes = ["虚线 = 规划/示意 · dashed = planned or schematic"]
    if any(e.get("within") for e in entries):
        notes.append(
            "斜线框 = 位于其中（非范围）· hatched outline = somewhere within, not an extent"
        )
    note = "".join(
        f'<div style="color:#666;margin-top:2px;font-size:11px">{html_text(n)}</div>' for n in notes
    )
    if base:
        rows.append(
            '<div style="font-weight:bold;margin-top:6px;border-top:1px solid #ddd;'
            'padding-top:3px">底图 Base</div>'
        )
        rows += _rows(base, label_lang)
    state = " open" if open else ""
    return (
        f'<details{state}><summary style="font-weight:bold;cursor:pointer;margin-bottom:3px">'
        "图例 Legend</summary>" + "".join(rows) + note + "</details>"
    )


class Legend(MacroElement):
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

    def __init__(self, content: str):
        super().__init__()
        self._name = "PlanmapLegend"
        self.html = content
        self.css = (
            "background:rgba(255,255,255,0.93);padding:6px 8px;border-radius:4px;"
            "box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.4 sans-serif;"
            "max-height:45vh;overflow-y:auto"
        )
