"""The toggleable overlay of name labels (districts, clusters, zones, ports, stations)."""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely

from geo.model import Precision
from layers.map.features import drawable
from layers.map.page import SafeTemplate, html_text
from layers.styles import LABEL_KINDS

_PRIORITY = {kind: i for i, kind in enumerate(LABEL_KINDS)}
LABELS_TITLE = "Labels · 标注 Names"


#: above this many labels the overlay starts switched off: a thousand DOM labels take longer
#: to lay out than every feature takes to draw, and overlap into an unreadable block anyway
MAX_LABELS_SHOWN = 300


_SILENT = SafeTemplate("{% macro script(this, kwargs) %}{% endmacro %}")


class LabelMarker(folium.Marker):
    """A label: a marker with a ``DivIcon``, kept to inspect; :class:`Labels` writes it."""

    _template = _SILENT
    # add_labels always gives one a location, a LabelIcon and a priority
    location: list[float]
    icon: LabelIcon  # type: ignore[assignment]  # folium infers Marker.icon from its `= None`
    priority: int

    def render(self, **kwargs):
        pass


class LabelIcon(folium.DivIcon):
    _template = _SILENT

    def render(self, **kwargs):
        pass


class Labels(folium.FeatureGroup):
    """The labels overlay, written as one array and a loop: a folium ``Marker`` + ``DivIcon``
    per label renders in ~2 ms and ~600 bytes, which dominates a map with a thousand labels.
    When the overlay starts switched off, its markers are made when it is first switched on.
    Its children render nothing (here or in streamlit-folium, which renders each element's
    script itself)."""

    _template = SafeTemplate(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup({});
        (function (group, rows) {
            function fill() {
                rows.forEach(function (r) {
                    L.marker([r[0], r[1]], {interactive: false, keyboard: false, priority: r[4],
                        icon: L.divIcon({html: r[2], className: r[3]})}).addTo(group);
                });
            }
            // a label that overlaps one of higher priority at this zoom is hidden
            function declutter() {
                if (!group._map) return;
                var marks = group.getLayers().slice().sort(function (a, b) {
                    return a.options.priority - b.options.priority;
                });
                var boxes = marks.map(function (mk) {
                    var el = mk.getElement();
                    return el && el.firstChild;
                }).filter(Boolean);
                // all writes, then all reads, then all writes: one layout, not one per label
                boxes.forEach(function (box) { box.style.visibility = "visible"; });
                var rects = boxes.map(function (box) { return box.getBoundingClientRect(); });
                var kept = [];
                rects.forEach(function (r, i) {
                    var hit = kept.some(function (k) {
                        return r.left < k.right && k.left < r.right &&
                               r.top < k.bottom && k.top < r.bottom;
                    });
                    if (hit) boxes[i].style.visibility = "hidden"; else kept.push(r);
                });
            }
            group.on("add", function () {
                group._map.on("zoomend moveend", declutter);
                setTimeout(declutter, 0);
            });
            group.on("remove", function (e) { e.target._map && e.target._map.off("zoomend moveend", declutter); });
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
        """``[lat, lon, html, class, priority]`` of each label."""
        return [
            [
                mk.location[0],
                mk.location[1],
                mk.icon.options["html"],
                mk.icon.options["class_name"],
                mk.priority,
            ]
            for mk in self._children.values()
            if isinstance(mk, LabelMarker)
        ]


def label_text(row: dict, label_lang: str) -> str:
    """A feature's label, escaped: its name in ``label_lang``; a ``within`` feature adds where
    it lies (``清水河总部新城 · 位于 清水河街道``)."""
    name = str(row.get("name") or "")
    name_en = str(row.get("name_en") or "")
    within = str(row.get("within") or "") if row.get("precision") == Precision.WITHIN.value else ""
    if label_lang == "en":
        text = name_en or name
        return html_text(f"{text} · somewhere in {within}" if within else text)
    return html_text(f"{name} · 位于 {within}" if within else name)


def add_labels(m: folium.Map, frames: list[gpd.GeoDataFrame], *, label_lang: str) -> None:
    """A toggleable overlay of non-interactive name labels at each feature's inner point
    (switched off at first when there are more than :data:`MAX_LABELS_SHOWN`)."""
    picked = [gdf.loc[drawable(gdf) & gdf["kind"].isin(LABEL_KINDS)] for gdf in frames]
    total = sum(len(rows) for rows in picked)
    group = Labels(name=html_text(LABELS_TITLE), show=total <= MAX_LABELS_SHOWN)
    seen: set[str | None] = set()
    for rows in picked:
        points = shapely.point_on_surface(rows.geometry.array.to_numpy())
        for row, geom, pt in zip(rows.to_dict("records"), rows.geometry, points, strict=True):
            if row.get("id") in seen:
                continue
            seen.add(row.get("id"))
            marker = LabelMarker(
                [round(pt.y, 6), round(pt.x, 6)],
                icon=LabelIcon(
                    html=f"<div>{label_text(row, label_lang)}</div>",
                    # points: beside the marker; areas: centred
                    class_name="planmap-label"
                    + (" planmap-label-pt" if geom.geom_type == "Point" else ""),
                ),
                interactive=False,
                keyboard=False,
            )
            marker.priority = _PRIORITY[row["kind"]]
            marker.add_to(group)
    if group._children:
        group.add_to(m)
