"""A planning sheet (规划示意图) composed and saved: PDF and SVG as vectors, PNG at ``dpi``.

:func:`compose` lays the parts out (:mod:`~layers.sheet.layout`), draws the context base and
the plan in the district's metric CRS at a true scale (:mod:`~layers.sheet.scale`), the labels,
legend, furniture and inset; :func:`save` writes the figure atomically. No pyplot: a
:class:`~matplotlib.figure.Figure` of its own, so the app's threads never share one.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely

from geo.errors import OptionError
from geo.model import Kind, LayerGroup, drawn_mask
from layers.export.atomic import atomic_path
from layers.layerset import LayerSet
from layers.sheet.draw import draw_group, draw_layer
from layers.sheet.extent import Extent, resolve_extent
from layers.sheet.fonts import cjk_font
from layers.sheet.furniture import draw_block, draw_north, draw_notes, draw_scale
from layers.sheet.labels import Placed, place_labels
from layers.sheet.layout import Box, Layout, layout
from layers.sheet.legend import conventions, draw_legend, sheet_entries
from layers.sheet.paper import Paper, paper
from layers.sheet.scale import choose_scale, fits, parse_scale, ratio_text

__all__ = ["FORMATS", "Sheet", "SheetOptions", "check_out", "compose", "save", "sheet_bytes"]

FORMATS = ("pdf", "png", "svg")
LANGS = ("zh", "en", "both")
#: the web map's highlight colour for the searched feature
HIGHLIGHT = "#e6007e"
#: communities are drawn from this scale on (the web map's COMMUNITY_MIN_ZOOM)
COMMUNITY_MAX_N = 10_000
#: the frame's clear margin round the extent (mm on paper)
PAD_MM = 2.0


@dataclass(frozen=True)
class SheetOptions:
    """What ``planmap sheet`` and the app's download choose."""

    paper: str = "A3"
    orientation: str = "landscape"
    scale: int | str | None = None
    extent: str | None = None
    title: str | None = None
    producer: str = "Planmap"
    lang: str = "both"
    dpi: int = 200
    date: dt.date | None = None
    highlight: str | None = None
    inset: bool = True


@dataclass
class Sheet:
    """A composed sheet and what it shows (for the caller's message and the tests)."""

    figure: Any
    layout: Layout
    scale: int
    bounds: tuple[float, float, float, float]
    crs: str
    title: str
    legend: list[str] = field(default_factory=list)
    labels: list[Placed] = field(default_factory=list)
    unlocated: pd.DataFrame | None = None
    attributions: list[str] = field(default_factory=list)
    drawn: int = 0

    @property
    def ratio(self) -> str:
        return ratio_text(self.scale)


def check_out(out: str | Path) -> str:
    """The format of ``--out`` (its extension); an unknown extension or a missing folder is an
    :class:`~geo.errors.OptionError` naming ``--out``."""
    path = Path(out)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise OptionError(
            f"--out {str(out)!r}: extension {path.suffix or '(none)'!r} is not one of: "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    if not path.parent.is_dir():
        raise OptionError(f"--out {str(out)!r}: folder {str(path.parent)!r} does not exist")
    return fmt


def _lang(value: str) -> str:
    key = str(value).strip().lower()
    if key not in LANGS:
        raise OptionError(f"--lang {value!r} is not one of: {', '.join(LANGS)}")
    return key


def _metric(frame: gpd.GeoDataFrame, crs: str, view: shapely.Geometry) -> gpd.GeoDataFrame:
    """Drawn rows, in the metric CRS, cut to the view (a sheet never carries what it does not
    show)."""
    rows = frame.loc[drawn_mask(frame)] if len(frame) else frame
    if not len(rows):
        return rows
    rows = rows.to_crs(crs)
    keep = shapely.intersects(rows.geometry.array.to_numpy(), view)
    rows = rows.loc[keep]
    if not len(rows):
        return rows
    xmin, ymin, xmax, ymax = shapely.bounds(view)
    clipped = shapely.clip_by_rect(rows.geometry.array.to_numpy(), xmin, ymin, xmax, ymax)
    points = rows.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    geoms = np.where(points, rows.geometry.array.to_numpy(), clipped)
    out = rows.set_geometry(gpd.GeoSeries(geoms, index=rows.index, crs=crs))
    return out.loc[~out.geometry.is_empty]


def _fallback_crs(layers: LayerSet) -> str:
    """The UTM zone of the layers' centre when no district names a metric CRS."""
    frames = [g.loc[drawn_mask(g)] for g in layers.values() if len(g)]
    frames = [g for g in frames if len(g)]
    if not frames:
        return "EPSG:32650"
    b = np.array([g.total_bounds for g in frames])
    lon, lat = (b[:, 0].min() + b[:, 2].max()) / 2, (b[:, 1].min() + b[:, 3].max()) / 2
    return f"EPSG:{(32600 if lat >= 0 else 32700) + int((lon + 180) // 6) + 1}"


def _frame_bounds(extent: Extent, frame: Box, n: int) -> tuple[float, float, float, float]:
    cx, cy = extent.centre
    half_w, half_h = frame.w * n / 2000, frame.h * n / 2000
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _scale(options: SheetOptions, extent: Extent, frame: Box, sheet_paper: Paper) -> int:
    room = (frame.w - 2 * PAD_MM, frame.h - 2 * PAD_MM)
    best = choose_scale(extent.size, room)
    if options.scale is None:
        return best
    n = parse_scale(options.scale)
    if not fits(extent.size, room, n):
        w, h = extent.size
        raise OptionError(
            f"--scale {ratio_text(n)} cannot fit {extent.what} ({w / 1000:.1f} × {h / 1000:.1f} "
            f"km) on {sheet_paper} (map frame {frame.w:.0f} × {frame.h:.0f} mm); "
            f"{ratio_text(best)} would fit"
        )
    return n


def _date_text(day: dt.date, lang: str) -> str:
    if lang == "en":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def _notes(
    district: Any, crs: str, attributions: Sequence[str], unlocated: pd.DataFrame, lang: str
) -> list[tuple[str, str]]:
    def pick(zh: str, en: str) -> str:
        return {"zh": zh, "en": en}.get(lang, f"{zh} {en}")

    notes = [
        (
            "crs",
            pick(
                f"坐标系：WGS-84（与 CGCS2000 相差小于 1 米），按 {crs}（UTM）投影出图；未作 GCJ-02 偏移。",
                f"Coordinates: WGS-84 (within 1 m of CGCS2000), drawn in {crs} (UTM); "
                "no GCJ-02 shift applied.",
            ),
        )
    ]
    sources = []
    if district is not None:
        sources.append(district.boundary.source)
    sources += list(attributions)
    notes.append(("sources", pick("数据来源：", "Sources: ") + "；".join(sources)))
    if len(unlocated):
        names = "、".join(str(n) for n in unlocated["name"].tolist())
        notes.append(
            (
                "unlocated",
                pick(
                    f"未定位 {len(unlocated)} 处（报告提及，无可靠位置，未绘出）：",
                    f"{len(unlocated)} unlocated, not drawn: ",
                )
                + names,
            )
        )
    return notes


def _context(base: LayerSet | None, plan_ids: set[str], n: int) -> list[tuple[str, Any]]:
    if base is None:
        return []
    out = []
    for name in base.draw_order():
        frame = base[name]
        frame = frame[~frame["id"].isin(plan_ids)]
        if n > COMMUNITY_MAX_N and frame["kind"].eq(Kind.COMMUNITY.value).all():
            continue
        out.append((name, frame))
    return out


def compose(
    layers: LayerSet,
    options: SheetOptions = SheetOptions(),
    *,
    base: LayerSet | None = None,
    progress: Callable[[str], None] | None = None,
) -> Sheet:
    """Compose a sheet of ``layers`` (the visible ones as given: filter before) over the
    context ``base``.

    Raises
    ------
    OptionError
        A bad paper, orientation, scale, extent or language, or nothing to draw (naming the
        option).
    FontMissing
        No CJK font.
    """
    step = progress or (lambda _name: None)
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    font_path = cjk_font()
    lang = _lang(options.lang)
    sheet_paper = paper(options.paper, options.orientation)
    lay = layout(sheet_paper)
    k = lay.k
    district = layers.district
    crs = district.metric_crs if district is not None else _fallback_crs(layers)
    drawable = [n for n in layers.draw_order() if len(layers[n]) and drawn_mask(layers[n]).any()]
    if not drawable:
        raise OptionError(
            "--layers/--status: nothing to draw (the chosen layers have no located feature of "
            "the chosen statuses)"
        )
    from layers.sheet.inset import draw_inset, inset_frame

    boundaries = inset_frame(district) if district is not None else None
    district_rows = None
    if boundaries is not None:
        own = boundaries[boundaries["name"] == district.boundary.feature]
        district_rows = own.assign(kind=Kind.DISTRICT.value, precision="located", id="")
    extent = resolve_extent(options.extent, layers, crs=crs, district_frame=district_rows)
    n = _scale(options, extent, lay.map, sheet_paper)
    bounds = _frame_bounds(extent, lay.map, n)
    view = shapely.box(*bounds).buffer(max(bounds[2] - bounds[0], 1) * 0.02)
    step("extent")

    # by family, not by file: the SVG then names the font its text is set in
    name = _registered(str(font_path))
    font = font_manager.FontProperties(family=[name])
    rc = {
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        "font.family": [name, "DejaVu Sans"],
        "lines.scale_dashes": False,
        "hatch.linewidth": 0.45 * k,
        "path.simplify": True,
        "axes.unicode_minus": False,
    }
    with matplotlib.rc_context(rc):
        W, H = sheet_paper.width_mm, sheet_paper.height_mm
        fig = Figure(figsize=sheet_paper.inches)
        fig.set_facecolor("white")
        paper_ax = fig.add_axes((0, 0, 1, 1), zorder=10)
        paper_ax.set_xlim(0, W)
        paper_ax.set_ylim(0, H)
        paper_ax.set_axis_off()
        paper_ax.patch.set_alpha(0)
        fr = lay.map
        ax = fig.add_axes((fr.x / W, fr.y / H, fr.w / W, fr.h / H), zorder=1)
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        ax.set_axis_off()
        ax.set_facecolor("white")

        plan = {name: _metric(layers[name], crs, view) for name in drawable}
        plan_ids = set().union(*(set(layers[name]["id"]) for name in drawable))
        ground = [(nm, _metric(f, crs, view)) for nm, f in _context(base, plan_ids, n)]
        ground = [(nm, f) for nm, f in ground if len(f)]
        for i, (name, frame) in enumerate(ground):
            draw_layer(ax, name, frame, z=1 + i * 0.01, base=True, k=k)
        step("base")
        plan_frames = []
        for i, name in enumerate(drawable):
            frame = plan[name]
            if not len(frame):
                continue
            plan_frames.append(frame)
            group = layers.layer(name).group
            z = 2 + (0 if group is LayerGroup.CONTEXT else 1) + i * 0.01
            draw_layer(ax, name, frame, z=z, k=k)
        if options.highlight:
            for frame in plan_frames:
                hit = frame[frame["id"] == options.highlight]
                if len(hit):
                    style = {"color": HIGHLIGHT, "weight": 5, "opacity": 1, "fill": False,
                             "fillColor": HIGHLIGHT, "fillOpacity": 0, "dashArray": None,
                             "radius": 9}  # fmt: skip
                    draw_group(ax, hit.geometry, style, z=9, gid="highlight", k=k)
                    break
        step("layers")

        placed = place_labels(
            [*plan_frames, *(f for _, f in ground)], frame_box=fr, bounds=bounds, scale=n,
            size=lay.fonts["label"], lang=lang, first=options.highlight, k=k,
        )  # fmt: skip
        import matplotlib.patheffects as pe

        # the halo is a stroked copy underneath (drawn as outlines); the label itself stays
        # text, so the PDF's text layer holds every name
        halo: list[pe.AbstractPathEffect] = [pe.Stroke(linewidth=1.8 * k, foreground="white")]
        for lab in placed:
            for z, effects in ((19, halo), (20, None)):
                t = ax.annotate(
                    lab.text, (lab.x, lab.y), xytext=(lab.dx, lab.dy), textcoords="offset points",
                    ha=lab.ha, va=lab.va, fontsize=lab.size, color=lab.color, zorder=z,
                    fontproperties=font, annotation_clip=False,
                )  # fmt: skip
                if effects:
                    t.set_path_effects(effects)
                    t.set_gid("label-halo")
                else:
                    t.set_gid("label")
        step("labels")

        labels = district.legend if district is not None else None
        entries, base_entries = sheet_entries(plan_frames, [f for _, f in ground], labels=labels)
        from layers.map.render import attributions as licence_attributions

        attributions = licence_attributions([*plan_frames, *(f for _, f in ground)])
        unlocated = layers.unlocated()
        if len(unlocated) and "id" in unlocated:
            unlocated = unlocated.drop_duplicates("id")
        written = draw_legend(
            paper_ax, lay.legend, entries, base_entries, notes=conventions(entries, lang),
            fonts=lay.fonts, pad=lay.pad, k=k, lang=lang, font=font,
        )  # fmt: skip
        step("legend")

        _frames_and_titles(paper_ax, fig, lay, options, layers, font, lang)
        # north arrow and scale bar
        fu = lay.furniture.inset(lay.pad)
        north_h = min(fu.h, 20 * k)
        draw_north(paper_ax, fu.x + 6 * k, fu.y1, north_h, font, lay.fonts["body"])
        bar_x = fu.x + 16 * k
        draw_scale(
            paper_ax, bar_x, fu.y + fu.h * 0.35, n, fu.x1 - bar_x - 4 * k, font=font,
            fonts=lay.fonts, k=k, lang=lang,
        )  # fmt: skip
        if options.inset and boundaries is not None:
            draw_inset(
                fig, (W, H), lay.inset.inset(lay.pad), district, bounds, frame=boundaries,
                font=font, size=lay.fonts["small"], lang=lang,
            )  # fmt: skip
        draw_notes(
            paper_ax, lay.notes, _notes(district, crs, attributions, unlocated, lang), font=font,
            fonts=lay.fonts, pad=lay.pad, k=k,
        )  # fmt: skip
        day = options.date or dt.date.today()
        block = [
            (_pick("编制单位", "Producer", lang), options.producer or "—"),
            (_pick("制图时间", "Date", lang), _date_text(day, lang)),
            (_pick("比例", "Scale", lang), f"{ratio_text(n)} · {sheet_paper}"),
        ]
        draw_block(paper_ax, lay.block, block, font=font, fonts=lay.fonts, k=k)
        step("furniture")
    drawn = sum(len(f) for f in plan_frames)
    return Sheet(
        fig, lay, n, bounds, crs, _title(options, layers, lang), written, placed, unlocated,
        attributions, drawn,
    )  # fmt: skip


@functools.lru_cache(maxsize=8)
def _registered(path: str) -> str:
    """Add the font file to matplotlib's font list (once) and return its family name."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def _pick(zh: str, en: str, lang: str) -> str:
    return {"zh": zh, "en": en}.get(lang, f"{zh} {en}")


def _title(options: SheetOptions, layers: LayerSet, lang: str) -> str:
    if options.title:
        return options.title
    district = layers.district
    if district is None:
        return _pick("规划示意图", "Planning sheet", lang)
    if lang == "en":
        return f"{district.name_en} planning sheet"
    return f"{district.name}规划示意图"


def _frames_and_titles(
    ax: Any, fig: Any, lay: Layout, options: SheetOptions, layers: LayerSet, font: Any, lang: str
) -> None:
    """The sheet's border, the frame's neat line, the panel's rules, the title and subtitle."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    k = lay.k
    b = lay.border
    outer = Rectangle((b.x - 1.2 * k, b.y - 1.2 * k), b.w + 2.4 * k, b.h + 2.4 * k,
                      fill=False, linewidth=1.6 * k, edgecolor="black")  # fmt: skip
    ax.add_patch(outer)
    ax.add_patch(Rectangle((b.x, b.y), b.w, b.h, fill=False, linewidth=0.5, edgecolor="black"))
    fr = lay.map
    neat = Rectangle((fr.x, fr.y), fr.w, fr.h, fill=False, linewidth=0.8 * k, edgecolor="black",
                     gid="map-frame")  # fmt: skip
    ax.add_patch(neat)
    for box in (lay.legend, lay.inset, lay.notes, lay.block, lay.furniture):
        ax.add_patch(Rectangle((box.x, box.y), box.w, box.h, fill=False, linewidth=0.4,
                               edgecolor="black"))  # fmt: skip
    t = lay.title
    ax.add_line(Line2D([t.x, t.x1], [t.y, t.y], color="black", linewidth=0.5))
    title = _title(options, layers, lang)
    ax.text(t.x + t.w / 2, t.y + t.h * 0.62, title, ha="center", va="center",
            fontsize=lay.fonts["title"], fontproperties=font, gid="title")  # fmt: skip
    subtitle = layers.title or ""
    if lang == "en" and layers.district is not None:
        subtitle = f"{layers.district.name_en}: {subtitle}" if subtitle else ""
    if subtitle:
        ax.text(t.x + t.w / 2, t.y + t.h * 0.2, subtitle, ha="center", va="center",
                fontsize=lay.fonts["subtitle"], color="#333", fontproperties=font)  # fmt: skip


def save(sheet: Sheet, out: str | Path, *, dpi: int = 200) -> Path:
    """Write the sheet to ``out`` (``.pdf``, ``.svg`` or ``.png`` at ``dpi``) atomically."""
    fmt = check_out(out)
    if not 50 <= int(dpi) <= 1200:
        raise OptionError(f"--dpi {dpi} is outside 50 … 1200")
    with atomic_path(out) as tmp, matplotlib.rc_context(_SAVE_RC):
        sheet.figure.savefig(tmp, format=fmt, dpi=int(dpi), metadata=_metadata(sheet, fmt))
    return Path(out)


_LOCK = threading.Lock()
_SAVE_RC = {"pdf.fonttype": 42, "svg.fonttype": "none", "lines.scale_dashes": False}


def _metadata(sheet: Sheet, fmt: str) -> dict[str, str]:
    if fmt == "pdf":
        return {"Title": sheet.title, "Creator": "Planmap"}
    if fmt == "svg":
        return {"Title": sheet.title}
    return {"Title": sheet.title, "Software": "Planmap"}


def sheet_bytes(
    layers: LayerSet,
    fmt: str = "pdf",
    options: SheetOptions = SheetOptions(),
    *,
    base: LayerSet | None = None,
) -> bytes:
    """A sheet as bytes (the app's download)."""
    if fmt not in FORMATS:
        raise OptionError(f"format {fmt!r} is not one of: {', '.join(FORMATS)}")
    # matplotlib's rcParams are global: the app's sessions draw one sheet at a time
    with _LOCK:
        sheet = compose(layers, options, base=base)
        buf = io.BytesIO()
        with matplotlib.rc_context(_SAVE_RC):
            sheet.figure.savefig(buf, format=fmt, dpi=options.dpi, metadata=_metadata(sheet, fmt))
    return buf.getvalue()


def with_options(options: SheetOptions, **changes: Any) -> SheetOptions:
    """A copy of ``options`` with some changed."""
    return replace(options, **changes)
