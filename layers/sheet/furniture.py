"""Map furniture: the north arrow (指北针), the scale bar and ratio (比例尺), the notes
(coordinate system, sources and licences, places not drawn) and the title block (图签).

All drawn on the paper axes, whose units are millimetres. The scale bar is true on paper: at
1:N a bar of L metres is ``L * 1000 / N`` mm long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

from layers.sheet.labels import text_size_mm
from layers.sheet.layout import Box
from layers.sheet.scale import ratio_text

__all__ = ["bar_length", "distance_text", "draw_block", "draw_north", "draw_notes", "draw_scale"]

_NICE = (1, 2, 2.5, 5)


def bar_length(n: int, max_mm: float) -> float:
    """The longest round length in metres (1, 2, 2.5, 5 × 10^k) whose bar fits ``max_mm``."""
    best = 1.0
    for exp in range(0, 7):
        for m in _NICE:
            metres = m * 10**exp
            if metres * 1000 / n <= max_mm:
                best = metres
    return best


def distance_text(metres: float) -> str:
    """``500 m``, ``1 km``, ``2.5 km``."""
    if metres >= 1000:
        km = metres / 1000
        return f"{km:g} km"
    return f"{metres:g} m"


def draw_north(ax: Axes, cx: float, top: float, height: float, font: Any, size: float) -> None:
    """A north arrow: a split arrowhead pointing up with 北/N above it (the map is drawn in a
    north-up projected CRS, so grid north is up)."""
    w = height * 0.42
    base = top - height
    tip = top - size * 0.3528 * 1.4
    mid = base + (tip - base) * 0.32
    ax.add_patch(Polygon([(cx, tip), (cx - w / 2, base), (cx, mid)], closed=True,
                         facecolor="black", edgecolor="black", linewidth=0.5, gid="north"))  # fmt: skip
    ax.add_patch(Polygon([(cx, tip), (cx + w / 2, base), (cx, mid)], closed=True,
                         facecolor="white", edgecolor="black", linewidth=0.5))  # fmt: skip
    ax.text(cx, top, "北 N", ha="center", va="top", fontsize=size, fontproperties=font)


def draw_scale(
    ax: Axes, x: float, y: float, n: int, max_mm: float, *, font: Any, fonts: Mapping[str, float],
    k: float, lang: str,
) -> tuple[float, float]:  # fmt: skip
    """A scale bar of four alternating segments at ``(x, y)`` (its lower left, mm) and the
    ratio above it; returns ``(metres, mm)`` of the whole bar."""
    metres = bar_length(n, max_mm)
    length = metres * 1000 / n
    h = 1.6 * k
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x + i * length / 4, y),
                length / 4,
                h,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.5,
                gid=f"scalebar-seg-{i}",
            )
        )
    small = fonts["small"]
    ax.text(x, y - 0.8 * k, "0", ha="center", va="top", fontsize=small, fontproperties=font)
    ax.text(x + length / 2, y - 0.8 * k, distance_text(metres / 2).split()[0], ha="center",
            va="top", fontsize=small, fontproperties=font)  # fmt: skip
    label = ax.text(x + length, y - 0.8 * k, distance_text(metres), ha="center", va="top",
                    fontsize=small, fontproperties=font)  # fmt: skip
    label.set_gid("scalebar-label")
    ratio = {"en": "Scale ", "zh": "比例尺 "}.get(lang, "比例尺 Scale ") + ratio_text(n)
    r = ax.text(x, y + h + 1.4 * k, ratio, va="bottom", fontsize=fonts["body"], fontproperties=font)
    r.set_gid("scalebar-ratio")
    return metres, length


def _wrap(text: str, width_mm: float, size: float) -> list[str]:
    """Greedy line breaks (at spaces, or anywhere between CJK characters)."""
    lines, line = [], ""
    for token in _tokens(text):
        trial = line + token
        if line and text_size_mm(trial, size)[0] > width_mm:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = trial
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    out, word = [], ""
    for c in text:
        if c == " ":
            out.append(word + c)
            word = ""
        elif ord(c) > 0x2E80:
            if word:
                out.append(word)
                word = ""
            out.append(c)
        else:
            word += c
    if word:
        out.append(word)
    return out


def draw_notes(
    ax: Axes, box: Box, paragraphs: Sequence[tuple[str, str]], *, font: Any,
    fonts: Mapping[str, float], pad: float, k: float,
) -> list[str]:  # fmt: skip
    """Notes as wrapped paragraphs (``gid``, text) from the top of ``box``; a paragraph that
    does not fit is cut with an ellipsis. Returns the lines written."""
    inner = box.inset(pad)
    size = fonts["small"]
    line_h = text_size_mm("国", size)[1] * 1.02
    y = inner.y1
    written: list[str] = []
    for gid, text in paragraphs:
        for line in _wrap(text, inner.w, size):
            if y - line_h < inner.y:
                if written:
                    written[-1] = written[-1][:-1] + "…"
                return written
            t = ax.text(inner.x, y, line, va="top", fontsize=size, fontproperties=font,
                        color="#333")  # fmt: skip
            t.set_gid(f"note-{gid}")
            written.append(line)
            y -= line_h
        y -= 0.7 * k
    return written


def draw_block(
    ax: Axes, box: Box, rows: Sequence[tuple[str, str]], *, font: Any,
    fonts: Mapping[str, float], k: float,
) -> None:  # fmt: skip
    """The title block (图签): a ruled table of ``(field, value)`` rows."""
    n = len(rows)
    h = box.h / n
    split = box.x + box.w * 0.36
    for i, (field, value) in enumerate(rows):
        y = box.y1 - (i + 1) * h
        if i:
            ax.add_line(Line2D([box.x, box.x1], [y + h, y + h], color="black", linewidth=0.4))
        ax.text(box.x + 1.5 * k, y + h / 2, field, va="center", fontsize=fonts["small"],
                fontproperties=font)  # fmt: skip
        size = fonts["body"]
        while text_size_mm(value, size)[0] > box.x1 - split - 3 * k and size > 4:
            size -= 0.25
        ax.text(split + 1.5 * k, y + h / 2, value, va="center", fontsize=size,
                fontproperties=font)  # fmt: skip
    ax.add_line(Line2D([split, split], [box.y, box.y1], color="black", linewidth=0.4))
