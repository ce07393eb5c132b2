"""Print sheets (规划示意图): a district's plan on paper with the Chinese planning conventions.

One small module per concern: :mod:`~layers.sheet.paper` (A sizes), :mod:`~layers.sheet.scale`
(ratios, the largest standard scale that fits), :mod:`~layers.sheet.fonts` (the embedded CJK
font), :mod:`~layers.sheet.layout` (where each part goes, in mm), :mod:`~layers.sheet.extent`
(what the frame shows), :mod:`~layers.sheet.draw` (features in the web map's styles),
:mod:`~layers.sheet.labels` (names without overlaps), :mod:`~layers.sheet.legend`,
:mod:`~layers.sheet.furniture` (north arrow, scale bar, notes, title block),
:mod:`~layers.sheet.inset`, and :mod:`~layers.sheet.render` (compose and save).
"""

from __future__ import annotations

from layers.sheet.fonts import FontMissing, cjk_font
from layers.sheet.layout import Box, Layout, layout
from layers.sheet.paper import Orientation, Paper, PaperSize, paper
from layers.sheet.render import (
    FORMATS,
    Sheet,
    SheetOptions,
    check_out,
    compose,
    save,
    sheet_bytes,
)
from layers.sheet.scale import STANDARD_SCALES, choose_scale, parse_scale, ratio_text

__all__ = [
    "FORMATS",
    "STANDARD_SCALES",
    "Box",
    "FontMissing",
    "Layout",
    "Orientation",
    "Paper",
    "PaperSize",
    "Sheet",
    "SheetOptions",
    "check_out",
    "choose_scale",
    "cjk_font",
    "compose",
    "layout",
    "paper",
    "parse_scale",
    "ratio_text",
    "save",
    "sheet_bytes",
]
