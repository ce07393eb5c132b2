"""One style table for every map, sheet and GIS export: base look by kind, modified by status
and precision. Labels and shapes come from the vocabulary (:mod:`geo.model`).

- status ``existing`` draws solid; ``under_construction`` dash-dot; ``planned`` and ``proposed``
  dashed (proposed with shorter dashes);
- precision ``schematic`` draws a fine dashed outline and a translucent fill (a diagram, not an
  extent); ``approximate`` slightly lighter; ``within`` (the place is somewhere inside the
  area) draws the area's outline only, dotted and hatched, never filled; ``unlocated`` is not
  drawn at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo.model import Kind, Label, Precision, Shape, Status

#: kinds named on the map (and on sheets, in QGIS and DXF), in priority order: where two
#: labels overlap at the current zoom, the later one is hidden (the district before its ports,
#: ports before zones, …)
LABEL_KINDS = tuple(
    k.value
    for k in (
        Kind.DISTRICT,
        Kind.PORT,
        Kind.RAILWAY_STATION,
        Kind.CLUSTER,
        Kind.ZONE,
        Kind.NEIGHBOUR_DISTRICT,
        Kind.SUBDISTRICT,
    )
)

__all__ = [
    "KINDS",
    "LABEL_KINDS",
    "SCHEMATIC_DASH",
    "WITHIN_DASH",
    "KindStyle",
    "kind_label",
    "kind_style",
    "legend_entries",
    "muted",
    "style_for",
]


@dataclass(frozen=True)
class KindStyle:
    """Base look of one kind of feature."""

    color: str
    weight: float = 2.0
    fill_color: str | None = None
    fill_opacity: float = 0.0
    radius: float = 5.0
    dash: str | None = None
    opacity: float = 0.9


#: kind -> base style. Order is the legend order.
KINDS: dict[Kind, KindStyle] = {
    Kind.DISTRICT: KindStyle("#c0392b", 3, "#c0392b", 0.03),
    Kind.NEIGHBOUR_DISTRICT: KindStyle("#7f8c8d", 1.5, "#bdc3c7", 0.15),
    Kind.SUBDISTRICT: KindStyle("#95a5a6", 1, None, 0.0),
    Kind.COMMUNITY: KindStyle("#b2babb", 0.8, None, 0.0, dash="2 3"),
    Kind.PARK: KindStyle("#58a55c", 1, "#a9dfbf", 0.45),
    Kind.HK_BORDER: KindStyle("#34495e", 2.5, dash="10 4 2 4"),
    Kind.AXIS: KindStyle("#e67e22", 6, opacity=0.85),
    Kind.BELT: KindStyle("#27ae60", 3, "#27ae60", 0.2),
    Kind.CLUSTER: KindStyle("#8e44ad", 2, "#8e44ad", 0.18),
    Kind.PORT: KindStyle("#d35400", 2, "#e67e22", 0.9, radius=8),
    Kind.METRO_LINE: KindStyle("#2471a3", 4),
    Kind.METRO_STATION: KindStyle("#1b2631", 1.5, "#ffffff", 1.0, radius=4),
    Kind.METRO_PROJECT: KindStyle("#5dade2", 4),
    Kind.ROAD: KindStyle("#a0522d", 4),
    Kind.TUNNEL: KindStyle("#6d4c41", 4, dash="1 6"),
    Kind.INTERCHANGE: KindStyle("#6d4c41", 2, "#d7ccc8", 0.9, 6),
    Kind.ZONE: KindStyle("#b7950b", 2, "#f4d03f", 0.3),
    Kind.PROJECT: KindStyle("#cb4335", 2, "#ec7063", 0.35, 6),
    Kind.SCHOOL: KindStyle("#117a65", 1.5, "#48c9b0", 0.9, radius=5),
    Kind.GREENWAY: KindStyle("#28b463", 4),
    Kind.LANDMARK: KindStyle("#2c3e50", 1.5, "#5d6d7e", 0.9, radius=5),
    Kind.LANDING_POINT: KindStyle("#6c3483", 1.5, "#bb8fce", 0.9, radius=4),
    Kind.AIR_ROUTE: KindStyle("#8e44ad", 2.5),
    Kind.RAILWAY_STATION: KindStyle("#000000", 2, "#566573", 0.9, radius=7),
    Kind.CONSTRAINT: KindStyle("#922b21", 1.5, "#e6b0aa", 0.25),
    Kind.SERVICE_AREA: KindStyle("#7d3c98", 1, "#d2b4de", 0.15),
}

_STATUS_DASH = {
    Status.UNDER_CONSTRUCTION: "10 4 2 4",
    Status.PLANNED: "10 6",
    Status.PROPOSED: "4 6",
}
SCHEMATIC_DASH = "3 5"
WITHIN_DASH = "1 4"


def kind_style(kind: str | Kind) -> KindStyle:
    """The base style of a kind; :class:`~geo.errors.OptionError` listing the kinds if unknown."""
    return KINDS[Kind.get(kind)]


def kind_label(kind: str | Kind, labels: Mapping[str, str] | None = None) -> Label:
    """A kind's bilingual label; ``labels`` (a district's ``legend``) replaces the Chinese one
    (``district`` -> ``罗湖区界``)."""
    k = Kind.get(kind)
    base = k.label
    if labels and labels.get(k.value):
        return Label(labels[k.value], base.en)
    return base


def style_for(kind: str, status: str, precision: str) -> dict[str, Any] | None:
    """Return the Leaflet path options (plus marker ``radius``) of one feature.

    Parameters
    ----------
    kind : str
        A :class:`~geo.model.Kind`.
    status : str
        A :class:`~geo.model.Status`.
    precision : str
        A :class:`~geo.model.Precision`.

    Returns
    -------
    dict or None
        ``color, weight, opacity, fill, fillColor, fillOpacity, dashArray, radius, hatch``
        (``hatch``: draw the area hatched, for ``within``; maps without patterns draw the
        outline only); None when the feature is not drawn (``unlocated``).

    Raises
    ------
    OptionError
        If a value is not one of the valid choices (they are listed).
    """
    base = kind_style(kind)
    st, pr = Status.get(status), Precision.get(precision)
    if pr is Precision.UNLOCATED:
        return None
    dash = _STATUS_DASH.get(st, base.dash)
    opacity, fill_opacity = base.opacity, base.fill_opacity
    hatch = False
    if pr is Precision.WITHIN:
        dash, fill_opacity, hatch = WITHIN_DASH, 0.0, True
    elif pr is Precision.SCHEMATIC:
        dash = SCHEMATIC_DASH if st is Status.EXISTING else dash
        opacity, fill_opacity = min(opacity, 0.75), round(fill_opacity * 0.4, 3)
    elif pr is Precision.APPROXIMATE:
        opacity, fill_opacity = min(opacity, 0.85), round(fill_opacity * 0.8, 3)
    return {
        "color": base.color,
        "weight": base.weight,
        "opacity": opacity,
        "fill": base.fill_color is not None,
        "fillColor": base.fill_color or base.color,
        "fillOpacity": fill_opacity,
        "dashArray": dash,
        "radius": base.radius,
        "hatch": hatch,
    }


def muted(style: dict[str, Any]) -> dict[str, Any]:
    """A style as the context base draws it: lighter and thinner, never dashed heavier."""
    return {
        **style,
        "opacity": round(style["opacity"] * 0.55, 3),
        "weight": max(round(style["weight"] * 0.7, 2), 0.6),
        "fillOpacity": round(style["fillOpacity"] * 0.6, 3),
    }


def _shape_of(geom: Any, kind: Kind) -> Shape:
    gtype = getattr(geom, "geom_type", None) or ""
    if "Point" in gtype:
        return Shape.POINT
    if "LineString" in gtype:
        return Shape.LINE
    if "Polygon" in gtype:
        return Shape.AREA
    return kind.shape


def legend_entries(rows: Any, *, labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Return one legend entry per style actually present among drawn features.

    Parameters
    ----------
    rows : GeoDataFrame or iterable of mappings
        Features with ``kind``, ``status``, ``precision`` (and optionally ``geometry``).
    labels : mapping, optional
        A district's legend labels by kind (:func:`kind_label`).

    Returns
    -------
    list of dict
        ``kind, status, schematic, within, shape, label_zh, label_en, style``, ordered like
        :data:`KINDS`, then by status, ``within`` and schematic last. Unlocated features are
        left out.
    """
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        rows = rows.to_dict("records")
    seen: dict[tuple[Kind, Status, str], dict[str, Any]] = {}
    for row in _as_rows(rows):
        kind = Kind.get(row["kind"])
        st, pr = Status.get(row["status"]), Precision.get(row["precision"])
        style = style_for(kind, st, pr)
        if style is None or row.get("geometry", True) is None:
            continue
        variant = pr.value if pr in (Precision.SCHEMATIC, Precision.WITHIN) else ""
        key = (kind, st, variant)
        if key in seen:
            continue
        label = kind_label(kind, labels)
        label_zh, label_en = label.zh, label.en
        if st is not Status.EXISTING:
            label_zh, label_en = f"{label_zh}（{st.label.zh}）", f"{label_en} ({st.label.en})"
        if variant == Precision.SCHEMATIC.value:
            label_zh, label_en = f"{label_zh} 示意", f"{label_en}, schematic"
        elif variant == Precision.WITHIN.value:
            label_zh, label_en = f"{label_zh} 位于其中", f"{label_en}, somewhere within"
        seen[key] = {
            "kind": kind.value,
            "status": st.value,
            "schematic": variant == Precision.SCHEMATIC.value,
            "within": variant == Precision.WITHIN.value,
            "shape": _shape_of(row.get("geometry"), kind).value,
            "label_zh": label_zh,
            "label_en": label_en,
            "style": style,
        }
    order = {k: i for i, k in enumerate(KINDS)}
    status_order = {s: i for i, s in enumerate(Status)}
    return sorted(
        seen.values(),
        key=lambda e: (
            order[Kind(e["kind"])],
            status_order[Status(e["status"])],
            e["within"],
            e["schematic"],
        ),
    )


def _as_rows(rows: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    for row in rows:
        yield row if isinstance(row, Mapping) else dict(row)
