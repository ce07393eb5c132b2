"""The sheet's legend (图例): the web map's entries (:func:`layers.styles.legend_entries`, only
the styles drawn on this sheet; the context base muted, in its own section), swatches drawn
with the same styles as the map, and the conventions (dashed, hatched, unlocated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from geo.model import Shape
from layers.sheet.draw import PX, mpl_style
from layers.sheet.labels import text_size_mm
from layers.sheet.layout import Box
from layers.styles import legend_entries, muted

__all__ = ["conventions", "draw_legend", "sheet_entries"]


def sheet_entries(
    plan: Sequence[pd.DataFrame],
    base: Sequence[pd.DataFrame],
    *,
    labels: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The legend entries of the drawn plan features and of the drawn base (muted), as the web
    map makes them."""
    plan_rows: Any = pd.concat([p for p in plan if len(p)]) if any(len(p) for p in plan) else []
    base_rows: Any = pd.concat([b for b in base if len(b)]) if any(len(b) for b in base) else []
    entries = legend_entries(plan_rows, labels=labels)
    base_entries = [
        {**e, "style": muted(e["style"])} for e in legend_entries(base_rows, labels=labels)
    ]
    return entries, base_entries


def conventions(entries: Sequence[dict[str, Any]], lang: str) -> list[str]:
    """The notes under the legend: what dashed and hatched mean."""
    notes = [("虚线为示意或规划", "dashed = schematic or planned")]
    if any(e.get("within") for e in entries):
        notes.append(
            ("斜线框为位于其中，非范围", "hatched outline = somewhere within, not an extent")
        )
    return [_pick(zh, en, lang) for zh, en in notes]


def _pick(zh: str, en: str, lang: str) -> str:
    return {"zh": zh, "en": en}.get(lang, f"{zh} · {en}")


def _swatch(ax: Axes, entry: dict[str, Any], box: Box, k: float) -> None:
    s = mpl_style(entry["style"], k=k)
    cy = box.y + box.h / 2
    if entry["shape"] == Shape.LINE.value:
        ax.add_line(
            Line2D(
                [box.x, box.x1],
                [cy, cy],
                color=s["edge"],
                linewidth=min(s["width"], 3.2 * k),
                linestyle=s["linestyle"],
                solid_capstyle="butt",
            )
        )
    elif entry["shape"] == Shape.POINT.value:
        face = s["face"] if s["face"][3] > 0 else "white"
        r = min(s["radius"], 3.6 * k)
        ax.scatter(
            [box.x + box.w / 2], [cy], s=(2 * r) ** 2, facecolors=[face], edgecolors=[s["edge"]],
            linewidths=max(1.5 * PX * k, 0.4), zorder=5,
        )  # fmt: skip
    else:
        ax.add_patch(
            Rectangle(
                (box.x, box.y),
                box.w,
                box.h,
                facecolor=(0, 0, 0, 0) if s["hatch"] else s["face"],
                edgecolor=s["edge"],
                linewidth=min(s["width"], 1.6 * k),
                linestyle=s["linestyle"],
                hatch=s["hatch"],
            )
        )


def _label(entry: dict[str, Any], lang: str) -> tuple[str, str]:
    if lang == "en":
        return entry["label_en"], ""
    if lang == "zh":
        return entry["label_zh"], ""
    return entry["label_zh"], entry["label_en"]


def draw_legend(
    ax: Axes,
    box: Box,
    entries: Sequence[dict[str, Any]],
    base_entries: Sequence[dict[str, Any]],
    *,
    notes: Sequence[str],
    fonts: Mapping[str, float],
    pad: float,
    k: float,
    lang: str,
    font: Any,
) -> list[str]:
    """Draw the legend in ``box`` (paper axes in mm) and return the labels written. Rows flow
    into a second column when one does not hold them; an English label that does not fit
    beside the Chinese goes on a line of its own."""
    body, small = fonts["body"], fonts["small"]
    inner = box.inset(pad)
    head = _pick("图例", "Legend", lang)
    ax.text(inner.x, inner.y1, head, fontsize=fonts["heading"], va="top", fontproperties=font)
    top = inner.y1 - text_size_mm(head, fonts["heading"])[1] - 1.2 * k
    sw_w, sw_h, gap = 8.5 * k, 3.0 * k, 1.8 * k
    row_h = 4.1 * k
    note_h = sum(
        text_size_mm(n, small)[1] * (1 + int(text_size_mm(n, small)[0] > inner.w)) + 0.6 * k
        for n in notes
    )
    bottom = inner.y + note_h
    rows: list[tuple[str, Any]] = [("entry", e) for e in entries]
    if base_entries:
        rows.append(("section", _pick("底图", "Base", lang)))
        rows += [("entry", e) for e in base_entries]
    columns = 1
    while True:
        col_w = (inner.w - (columns - 1) * 2 * k) / columns
        text_w = col_w - sw_w - gap
        heights = []
        for kind, item in rows:
            if kind == "section":
                heights.append(row_h)
                continue
            first, second = _label(item, lang)
            one = text_size_mm(f"{first}  {second}".strip(), body)[0] <= text_w
            heights.append(row_h if one or not second else row_h + 2.9 * k)
        per_col = []
        used, count = 0.0, 0
        for h in heights:
            if used + h > top - bottom and count:
                per_col.append(count)
                used, count = 0.0, 0
            used += h
            count += 1
        per_col.append(count)
        if len(per_col) <= columns or columns >= 3:
            break
        columns += 1
    written: list[str] = []
    i = 0
    y = top
    for c in range(columns):
        x = inner.x + c * (col_w + 2 * k)
        y = top
        n = per_col[c] if c < len(per_col) else 0
        for (kind, item), h in zip(rows[i : i + n], heights[i : i + n], strict=True):
            if kind == "section":
                ax.text(x, y - row_h / 2, item, fontsize=body, va="center", color="#555",
                        fontproperties=font, fontweight="bold")  # fmt: skip
                y -= h
                continue
            _swatch(ax, item, Box(x, y - row_h / 2 - sw_h / 2, sw_w, sw_h), k)
            first, second = _label(item, lang)
            tx = x + sw_w + gap
            if second and h == row_h:
                t = ax.text(tx, y - row_h / 2, first, fontsize=body, va="center",
                            fontproperties=font)  # fmt: skip
                ax.text(
                    tx + text_size_mm(first + "  ", body)[0], y - row_h / 2, second,
                    fontsize=small, va="center", color="#666", fontproperties=font,
                )  # fmt: skip
            else:
                t = ax.text(tx, y - row_h / 2, first, fontsize=body, va="center",
                            fontproperties=font)  # fmt: skip
                if second:
                    ax.text(tx, y - row_h / 2 - 2.9 * k, second, fontsize=small, va="center",
                            color="#666", fontproperties=font)  # fmt: skip
            t.set_gid("legend-label")
            written.append(first)
            y -= h
        i += n
    # the notes follow the entries of a single column, or sit at the bottom of several
    y = min(y, top) - 1.5 * k if columns == 1 else inner.y + note_h
    for note in notes:
        w, hh = text_size_mm(note, small)
        lines = [note] if w <= inner.w else note.split(" · ", 1)
        for line in lines:
            ax.text(inner.x, y, line, fontsize=small, va="top", color="#444", fontproperties=font)
            y -= hh
        y -= 0.6 * k
    return written
