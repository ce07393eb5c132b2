"""The inset (区位图): the district among its neighbours, from the shipped boundaries file
(:attr:`geo.district.District.boundary`), with the sheet's frame outlined."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from matplotlib.figure import Figure

from geo.district import District
from geo.paths import data_dir
from layers.sheet.layout import Box
from layers.styles import kind_style

__all__ = ["draw_inset", "inset_frame"]


def inset_frame(district: District) -> gpd.GeoDataFrame | None:
    """The boundaries file the district's polygon comes from (its neighbours in it), or None
    when it cannot be read."""
    path = data_dir() / district.boundary.file
    try:
        frame = gpd.read_file(path)
    except Exception:  # an inset is a nicety: a broken file leaves it out, never the sheet
        return None
    if frame.crs is None or "name" not in frame:
        return None
    return frame.to_crs(district.metric_crs)


def draw_inset(
    fig: Figure,
    paper_wh: tuple[float, float],
    box: Box,
    district: District,
    view: tuple[float, float, float, float],
    *,
    frame: gpd.GeoDataFrame,
    font: Any,
    size: float,
    lang: str,
) -> None:
    """Draw the inset in ``box``: every district of the file muted, this one in its own
    colour, and the map frame's extent as a rectangle; a caption says what is shown."""
    W, H = paper_wh
    caption_h = size * 0.3528 * 1.6
    inner = Box(box.x, box.y, box.w, box.h - caption_h)
    ax = fig.add_axes((inner.x / W, inner.y / H, inner.w / W, inner.h / H))
    ax.set_axis_off()
    own = kind_style("district")
    other = kind_style("neighbour_district")
    mine = frame["name"] == district.name
    frame[~mine].plot(ax=ax, facecolor=other.fill_color, edgecolor="white", linewidth=0.4)
    frame[mine].plot(ax=ax, facecolor=own.color, edgecolor=own.color, linewidth=0.5, alpha=0.75)
    ax.plot(*shapely.box(*view).exterior.xy, color="black", linewidth=0.6)
    minx, miny, maxx, maxy = frame.total_bounds
    # the data's aspect kept inside the box
    w, h = maxx - minx, maxy - miny
    box_ratio = inner.w / inner.h
    if w / h > box_ratio:
        extra = (w / box_ratio - h) / 2
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny - extra, maxy + extra)
    else:
        extra = (h * box_ratio - w) / 2
        ax.set_xlim(minx - extra, maxx + extra)
        ax.set_ylim(miny, maxy)
    for _, row in frame.iterrows():
        p = row.geometry.representative_point()
        ax.text(p.x, p.y, str(row["name"]), fontsize=size * 0.85, ha="center", va="center",
                color="white" if row["name"] == district.name else "#555", fontproperties=font)  # fmt: skip
    city = district.city or ""
    text = {
        "zh": f"区位图 · {city}（仅示已载各区）",
        "en": "Location (the districts shipped only)",
    }.get(lang, f"区位图 Location · {city}（仅示已载各区 shipped districts only）")
    fig.text(box.x / W, box.y1 / H, text, fontsize=size, va="top", fontproperties=font)
