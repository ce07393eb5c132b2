"""The toggleable overlay of name labels (districts, clusters, zones, ports, stations)."""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely

from layers._features import _drawable, _text
from layers._page import SafeTemplate

#: kinds named on the map itself (few and large); the rest are named on hover
LABEL_KINDS = ("district", "neighbour_district", "cluster", "zone", "port", "railway_station")
LABELS_TITLE = "Labels · 标注 Names"


#: above this many labels the overlay starts switched off: a thousand DOM labels take longer
#: to lay out than every feature takes to draw, and overlap into an unreadable block anyway
MAX_LABELS_SHOWN = 300


_SILENT = SafeTemplate("{% macro script(this, kwargs) %}{% endmacro %}")


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

    _template = SafeTemplate(
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
    group = _Labels(name=_text(LABELS_TITLE), show=total <= MAX_LABELS_SHOWN)
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
