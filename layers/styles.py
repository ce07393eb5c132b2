"""One style table for every map: base style by kind, modified by status and precision.

- status ``existing`` draws solid; ``under_construction`` dash-dot; ``planned`` and ``proposed``
  dashed (proposed with shorter dashes);
- precision ``schematic`` draws a fine dashed outline and a translucent fill (a diagram, not an
  extent); ``approximate`` slightly lighter; ``unlocated`` is not drawn at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class _Choice(StrEnum):
    @classmethod
    def get(cls, value: str | _Choice) -> _Choice:
        """Return the member for ``value``; raise ValueError listing the valid choices."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown {cls.__name__.lower()} {value!r}; valid: {valid}") from None


class Status(_Choice):
    EXISTING = "existing"
    UNDER_CONSTRUCTION = "under_construction"
    PLANNED = "planned"
    PROPOSED = "proposed"


class Precision(_Choice):
    SURVEYED = "surveyed"
    LOCATED = "located"
    APPROXIMATE = "approximate"
    SCHEMATIC = "schematic"
    UNLOCATED = "unlocated"


class Shape(StrEnum):
    POINT = "point"
    LINE = "line"
    AREA = "area"


@dataclass(frozen=True)
class KindStyle:
    """Base look of one kind of feature."""

    label_zh: str
    label_en: str
    shape: Shape  # the usual geometry, for legend swatches when no geometry is known
    color: str
    weight: float = 2.0
    fill_color: str | None = None
    fill_opacity: float = 0.0
    radius: float = 5.0
    dash: str | None = None
    opacity: float = 0.9


_P, _L, _A = Shape.POINT, Shape.LINE, Shape.AREA
#: kind -> base style. Order is the legend order.
KINDS: dict[str, KindStyle] = {
    "district": KindStyle("罗湖区界", "District boundary", _A, "#c0392b", 3, "#c0392b", 0.03),
    "neighbour_district": KindStyle(
        "相邻区", "Neighbouring district", _A, "#7f8c8d", 1.5, "#bdc3c7", 0.15
    ),
    "subdistrict": KindStyle("街道", "Subdistrict", _A, "#95a5a6", 1, None, 0.0),
    "hk_border": KindStyle("深港边界", "Hong Kong border", _L, "#34495e", 2.5, dash="10 4 2 4"),
    "axis": KindStyle("发展轴", "Development axis", _L, "#e67e22", 6, opacity=0.85),
    "belt": KindStyle("发展带", "Development belt", _A, "#27ae60", 3, "#27ae60", 0.2),
    "cluster": KindStyle("功能组团", "Cluster", _A, "#8e44ad", 2, "#8e44ad", 0.18),
    "port": KindStyle("口岸", "Border port", _P, "#d35400", 2, "#e67e22", 0.9, radius=8),
    "metro_line": KindStyle("地铁线路", "Metro line", _L, "#2471a3", 4),
    "metro_station": KindStyle(
        "地铁站", "Metro station", _P, "#1b2631", 1.5, "#ffffff", 1.0, radius=4
    ),
    "metro_project": KindStyle("轨道项目", "Metro project", _L, "#5dade2", 4),
    "road": KindStyle("道路", "Road", _L, "#a0522d", 4),
    "tunnel": KindStyle("隧道", "Tunnel", _L, "#6d4c41", 4, dash="1 6"),
    "interchange": KindStyle("立交/枢纽", "Interchange", _P, "#6d4c41", 2, "#d7ccc8", 0.9, 6),
    "zone": KindStyle("片区", "Zone", _A, "#b7950b", 2, "#f4d03f", 0.3),
    "project": KindStyle("重点项目", "Key project", _A, "#cb4335", 2, "#ec7063", 0.35, 6),
    "school": KindStyle("学校", "School", _P, "#117a65", 1.5, "#48c9b0", 0.9, radius=5),
    "greenway": KindStyle("绿道", "Greenway", _L, "#28b463", 4),
    "landmark": KindStyle("地标", "Landmark", _P, "#2c3e50", 1.5, "#5d6d7e", 0.9, radius=5),
    "landing_point": KindStyle(
        "起降点", "Landing point", _P, "#6c3483", 2, "#bb8fce", 0.9, radius=6
    ),
    "air_route": KindStyle("低空航线", "Low-altitude route", _L, "#8e44ad", 2.5),
    "railway_station": KindStyle(
        "火车站", "Railway station", _P, "#000000", 2, "#566573", 0.9, radius=7
    ),
    "constraint": KindStyle("限制区", "Constraint area", _A, "#922b21", 1.5, "#e6b0aa", 0.25),
    "service_area": KindStyle("服务范围", "Service area", _A, "#7d3c98", 1, "#d2b4de", 0.15),
}

_STATUS_DASH = {
    Status.UNDER_CONSTRUCTION: "10 4 2 4",
    Status.PLANNED: "10 6",
    Status.PROPOSED: "4 6",
}
_STATUS_LABEL = {
    Status.EXISTING: ("现状", "existing"),
    Status.UNDER_CONSTRUCTION: ("在建", "under construction"),
    Status.PLANNED: ("规划", "planned"),
    Status.PROPOSED: ("建议", "proposed"),
}
SCHEMATIC_DASH = "3 5"


def kind_style(kind: str) -> KindStyle:
    """Return the base style of a kind; raise ValueError listing the kinds if unknown."""
    key = str(kind).strip().lower()
    if key not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    return KINDS[key]


def style_for(kind: str, status: str, precision: str) -> dict[str, Any] | None:
    """Return the Leaflet path options (plus marker ``radius``) of one feature.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    status : str
        existing | under_construction | planned | proposed.
    precision : str
        surveyed | located | approximate | schematic | unlocated.

    Returns
    -------
    dict or None
        ``color, weight, opacity, fill, fillColor, fillOpacity, dashArray, radius``;
        None when the feature is not drawn (``unlocated``).

    Raises
    ------
    ValueError
        If a value is not one of the valid choices (they are listed).
    """
    base = kind_style(kind)
    st, pr = Status.get(status), Precision.get(precision)
    if pr is Precision.UNLOCATED:
        return None
    dash = _STATUS_DASH.get(st, base.dash)
    opacity, fill_opacity = base.opacity, base.fill_opacity
    if pr is Precision.SCHEMATIC:
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
    }


def _shape_of(geom: Any, kind: str) -> Shape:
    gtype = getattr(geom, "geom_type", None) or ""
    if "Point" in gtype:
        return Shape.POINT
    if "LineString" in gtype:
        return Shape.LINE
    if "Polygon" in gtype:
        return Shape.AREA
    return kind_style(kind).shape


def legend_entries(rows: Any) -> list[dict[str, Any]]:
    """Return one legend entry per style actually present among drawn features.

    Parameters
    ----------
    rows : GeoDataFrame or iterable of mappings
        Features with ``kind``, ``status``, ``precision`` (and optionally ``geometry``).

    Returns
    -------
    list of dict
        ``kind, status, schematic, shape, label_zh, label_en, style``, ordered like
        :data:`KINDS`, then by status, schematic last. Unlocated features are left out.
    """
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        rows = rows.to_dict("records")
    seen: dict[tuple[str, Status, bool], dict[str, Any]] = {}
    for row in _as_rows(rows):
        kind = str(row["kind"]).strip().lower()
        st, pr = Status.get(row["status"]), Precision.get(row["precision"])
        style = style_for(kind, st, pr)
        if style is None or row.get("geometry", True) is None:
            continue
        key = (kind, st, pr is Precision.SCHEMATIC)
        if key in seen:
            continue
        base = kind_style(kind)
        zh, en = _STATUS_LABEL[st]
        label_zh, label_en = base.label_zh, base.label_en
        if st is not Status.EXISTING:
            label_zh, label_en = f"{label_zh}（{zh}）", f"{label_en} ({en})"
        if key[2]:
            label_zh, label_en = f"{label_zh} 示意", f"{label_en}, schematic"
        seen[key] = {
            "kind": kind,
            "status": st.value,
            "schematic": key[2],
            "shape": _shape_of(row.get("geometry"), kind).value,
            "label_zh": label_zh,
            "label_en": label_en,
            "style": style,
        }
    order = {k: i for i, k in enumerate(KINDS)}
    status_order = {s: i for i, s in enumerate(Status)}
    return sorted(
        seen.values(),
        key=lambda e: (order[e["kind"]], status_order[Status(e["status"])], e["schematic"]),
    )


def _as_rows(rows: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    for row in rows:
        yield row if isinstance(row, Mapping) else dict(row)
