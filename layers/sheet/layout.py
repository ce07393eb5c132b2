"""Where everything goes on the paper, in millimetres from the bottom-left corner.

One design for every paper, scaled with it (:attr:`~layers.sheet.paper.Paper.k`, 1 for A3):
a border round the sheet, a title band across the top, the map frame, and a panel (right in
landscape, below in portrait) holding the north arrow and scale bar, the legend, the inset,
the notes and the title block (图签).
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.sheet.paper import Paper

__all__ = ["Box", "Layout", "layout"]


@dataclass(frozen=True)
class Box:
    """A rectangle on the paper (mm)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def x1(self) -> float:
        return self.x + self.w

    @property
    def y1(self) -> float:
        return self.y + self.h

    def inset(self, d: float) -> Box:
        return Box(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x and self.y <= other.y and other.x1 <= self.x1 and other.y1 <= self.y1
        )


@dataclass(frozen=True)
class Layout:
    """The boxes of one sheet, and its text sizes (pt)."""

    paper: Paper
    border: Box
    title: Box
    map: Box
    panel: Box
    furniture: Box
    legend: Box
    inset: Box
    notes: Box
    block: Box
    #: gap inside boxes (mm)
    pad: float
    #: text sizes in pt: title, subtitle, heading, body, small, map labels
    fonts: dict[str, float]

    @property
    def k(self) -> float:
        return self.paper.k


def _fonts(k: float) -> dict[str, float]:
    base = {"title": 20, "subtitle": 9.5, "heading": 8.5, "body": 6.6, "small": 5.6, "label": 7}
    return {name: max(round(size * k, 2), 4.5) for name, size in base.items()}


def layout(paper: Paper) -> Layout:
    """The layout of a sheet of this paper."""
    k = paper.k
    W, H = paper.width_mm, paper.height_mm
    m, t, pad = 8 * k, 16 * k, 2.5 * k
    border = Box(m, m, W - 2 * m, H - 2 * m)
    title = Box(m, H - m - t, W - 2 * m, t)
    if paper.landscape:
        pw = 74 * k
        panel = Box(W - m - pw, m, pw, H - 2 * m - t)
        map_box = Box(m, m, W - 2 * m - pw, panel.h)
        furniture_h, inset_h, notes_h, block_h = 26 * k, 46 * k, 30 * k, 25 * k
        x = panel.x
        block = Box(x, m, pw, block_h)
        notes = Box(x, block.y1, pw, notes_h)
        inset = Box(x, notes.y1, pw, inset_h)
        furniture = Box(x, panel.y1 - furniture_h, pw, furniture_h)
        legend = Box(x, inset.y1, pw, furniture.y - inset.y1)
    else:
        ph = 88 * k
        panel = Box(m, m, W - 2 * m, ph)
        map_box = Box(m, m + ph, W - 2 * m, H - 2 * m - t - ph)
        legend_w = panel.w * 0.46
        mid_w = panel.w * 0.24
        right_w = panel.w - legend_w - mid_w
        legend = Box(m, m, legend_w, ph)
        furniture = Box(legend.x1, m + ph * 0.5, mid_w, ph * 0.5)
        inset = Box(legend.x1, m, mid_w, ph * 0.5)
        block = Box(furniture.x1, m, right_w, 25 * k)
        notes = Box(furniture.x1, block.y1, right_w, ph - block.h)
    return Layout(
        paper, border, title, map_box, panel, furniture, legend, inset, notes, block, pad,
        _fonts(k),
    )  # fmt: skip
