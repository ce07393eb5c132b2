"""Name labels on the map, without overlaps.

The kinds and their priority are the web map's (:data:`layers.styles.LABEL_KINDS`: the
district before its ports, ports before zones, …). Labels are placed in priority order (and,
within a kind, the larger feature first); a point's label tries right, left, above and below
its marker, an area's sits at a point inside the part of the area within the frame; a label
that would overlap one already placed, or leave the frame, is dropped. At 1:25,000 and larger,
where the web map's hover names are out of reach, metro stations and landmarks are named too
(after every kind of the web map's).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import shapely

from geo.errors import OptionError
from geo.model import Kind, Precision, drawn_mask
from layers.sheet.draw import PX
from layers.sheet.layout import Box
from layers.styles import LABEL_KINDS, kind_style

__all__ = ["Placed", "label_text", "place_labels", "text_size_mm"]

_PT = 25.4 / 72
#: kinds named as well at this scale and larger (the smallest N)
CLOSE_KINDS = (Kind.METRO_STATION.value, Kind.LANDMARK.value)
CLOSE_MAX_N = 25_000
#: label size against the layout's label size, and colour, by kind
_LOOK = {
    Kind.DISTRICT.value: (1.45, "#7b241c"),
    Kind.NEIGHBOUR_DISTRICT.value: (1.2, "#7f8c8d"),
    Kind.SUBDISTRICT.value: (0.9, "#616a6b"),
    Kind.PORT.value: (1.0, "#873600"),
    Kind.RAILWAY_STATION.value: (0.95, "#1b2631"),
    Kind.CLUSTER.value: (1.05, "#5b2c6f"),
    Kind.ZONE.value: (0.95, "#7d6608"),
    Kind.METRO_STATION.value: (0.8, "#1b4f72"),
    Kind.LANDMARK.value: (0.8, "#2c3e50"),
}


@dataclass(frozen=True)
class Placed:
    """A label placed: text, anchor (metric CRS), offset (pt), alignment, size (pt), colour."""

    id: str
    text: str
    x: float
    y: float
    dx: float
    dy: float
    ha: str
    va: str
    size: float
    color: str
    box: Box


@functools.lru_cache(maxsize=4096)
def _measure(text: str, size_pt: float) -> tuple[float, float]:
    from matplotlib.font_manager import FontProperties

    from layers.sheet.fonts import cjk_font

    renderer = _renderer()
    prop = FontProperties(fname=str(cjk_font()), size=size_pt)
    w, h, _d = renderer.get_text_width_height_descent(text, prop, ismath=False)
    return w * _PT, h * _PT


@functools.lru_cache(maxsize=1)
def _renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(10, 10, 72)  # 72 dpi: a pixel is a point


def text_size_mm(text: str, size_pt: float) -> tuple[float, float]:
    """A one-line text's width and line height on paper (mm), measured in the sheet's font."""
    if not text:
        return 0.0, 1.25 * size_pt * _PT
    w, _h = _measure(text, round(size_pt, 2))
    return w, 1.25 * size_pt * _PT


def label_text(row: dict, lang: str) -> str:
    """A feature's label: its name in ``lang`` (``zh`` for ``both``); a ``within`` feature adds
    where it lies (``清水河总部新城 · 位于 清水河街道``)."""
    name, name_en = str(row.get("name") or ""), str(row.get("name_en") or "")
    within = str(row.get("within") or "") if row.get("precision") == Precision.WITHIN.value else ""
    if lang == "en":
        text = name_en or name
        return f"{text} · somewhere in {within}" if within else text
    return f"{name} · 位于 {within}" if within else name


def _overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x1 and b.x < a.x1 and a.y < b.y1 and b.y < a.y1


def _marker_mm(kind: str, k: float) -> float:
    """A point's marker radius on paper (mm), as :mod:`layers.sheet.draw` draws it."""
    try:
        radius = kind_style(kind).radius
    except OptionError:
        radius = 5.0
    return radius * PX * k * _PT


def _own_marker(markers: list[Box], px: float, py: float) -> Box | None:
    for b in markers:
        if abs(b.x + b.w / 2 - px) < 1e-6 and abs(b.y + b.h / 2 - py) < 1e-6:
            return b
    return None


def place_labels(
    frames: list[gpd.GeoDataFrame],
    *,
    frame_box: Box,
    bounds: tuple[float, float, float, float],
    scale: int,
    size: float,
    lang: str,
    first: str | None = None,
    avoid: list[Box] | None = None,
    k: float = 1.0,
) -> list[Placed]:
    """Choose the labels to draw.

    Parameters
    ----------
    frames : list of GeoDataFrame
        Drawn features in the metric CRS (plan layers first, then the base).
    frame_box : Box
        The map frame on paper (mm).
    bounds : tuple
        The frame's extent in the metric CRS.
    scale : int
        ``N`` of ``1:N``.
    size : float
        The label size (pt).
    lang : str
        ``zh``, ``en`` or ``both``.
    first : str, optional
        A feature id labelled before all others (the app's search selection).
    avoid : list of Box, optional
        Areas of the paper no label may cover.
    """
    minx, miny = bounds[0], bounds[1]
    mm = 1000.0 / scale
    view = shapely.box(*bounds)
    kinds = (*LABEL_KINDS, *(CLOSE_KINDS if scale <= CLOSE_MAX_N else ()))
    priority = {kind: i for i, kind in enumerate(kinds)}
    candidates = []
    seen: set[str] = set()
    for frame in frames:
        if not len(frame):
            continue
        rows = frame.loc[drawn_mask(frame)]
        rows = rows[rows["kind"].isin(kinds) | (rows["id"] == first)]
        for row in rows.to_dict("records"):
            if row["id"] in seen:
                continue
            geom = row["geometry"]
            if not geom.intersects(view):
                continue
            seen.add(row["id"])
            part = geom.intersection(view) if geom.geom_type != "Point" else geom
            rank = -1 if row["id"] == first else priority.get(row["kind"], len(priority))
            candidates.append((rank, -part.area, row, part))
    candidates.sort(key=lambda c: (c[0], c[1]))
    placed: list[Placed] = []
    boxes = list(avoid or [])
    inner = frame_box.inset(1.0)
    # the markers of labelled points are obstacles too: no name covers another's marker
    for _rank, _area, row, part in candidates:
        if part.geom_type == "Point":
            r = _marker_mm(row["kind"], k)
            px = frame_box.x + (part.x - minx) * mm
            py = frame_box.y + (part.y - miny) * mm
            boxes.append(Box(px - r, py - r, 2 * r, 2 * r))
    markers = len(boxes)
    for _rank, _area, row, part in candidates:
        scale_k, color = _LOOK.get(row["kind"], (0.95, "#1b2631"))
        pt = size * scale_k
        text = label_text(row, lang)
        if not text:
            continue
        w, h = text_size_mm(text, pt)
        if part.geom_type == "Point":
            anchor = part
            gap = _marker_mm(row["kind"], k) / _PT + 1.2 * k
            options = [
                (gap, 0.0, "left", "center"),
                (-gap, 0.0, "right", "center"),
                (0.0, gap, "center", "bottom"),
                (0.0, -gap, "center", "top"),
            ]
        else:
            anchor = shapely.point_on_surface(part)
            line = 1.3 * pt
            options = [(0.0, dy, "center", "center") for dy in (0.0, line, -line, 2 * line)]
        px = frame_box.x + (anchor.x - minx) * mm
        py = frame_box.y + (anchor.y - miny) * mm
        for dx, dy, ha, va in options:
            dxm, dym = dx * _PT, dy * _PT
            x0 = {"left": px + dxm, "right": px + dxm - w, "center": px + dxm - w / 2}[ha]
            y0 = {"bottom": py + dym, "top": py + dym - h, "center": py + dym - h / 2}[va]
            box = Box(x0, y0, w, h)
            own = _own_marker(boxes[:markers], px, py) if part.geom_type == "Point" else None
            if inner.contains(box) and not any(_overlaps(box, b) for b in boxes if b is not own):
                boxes.append(box)
                placed.append(
                    Placed(row["id"], text, anchor.x, anchor.y, dx, dy, ha, va, pt, color, box)
                )
                break
    return placed
