"""Features drawn with the web map's styles (:func:`layers.styles.style_for`), on paper.

A style's Leaflet numbers (pixels) become points: :data:`PX` pt per pixel for widths, dashes
and marker radii, so a sheet reads like the web map at print density. Areas are one path
collection per style, lines one line collection, points one scatter; each carries a ``gid``
(``layer.<name>.<kind>.<status>.<precision>``) that the SVG output keeps.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.path import Path as MplPath

from layers.styles import muted, style_for

__all__ = ["PX", "draw_group", "draw_layer", "linestyle", "mpl_style"]

#: points per Leaflet pixel on paper
PX = 0.5
_HATCH = "////"


def linestyle(dash: str | None, scale: float = 1.0) -> Any:
    """A Leaflet ``dashArray`` (``"10 6"``) as a matplotlib dash pattern in points."""
    if not dash:
        return "solid"
    parts = [float(v) * PX * scale for v in str(dash).replace(",", " ").split()]
    if len(parts) % 2:
        parts *= 2
    return (0, tuple(max(p, 0.3) for p in parts))


def mpl_style(style: dict[str, Any], *, k: float = 1.0) -> dict[str, Any]:
    """A :func:`~layers.styles.style_for` dict as matplotlib values (``k``: the paper's size
    against A3)."""
    edge = to_rgba(style["color"], style["opacity"])
    face = to_rgba(style["fillColor"], style["fillOpacity"]) if style["fill"] else (0, 0, 0, 0)
    return {
        "edge": edge,
        "face": face,
        "width": max(style["weight"] * PX * k, 0.25),
        "linestyle": linestyle(style["dashArray"], k),
        "radius": style["radius"] * PX * k,
        "hatch": _HATCH if style.get("hatch") else None,
    }


def _ring(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    codes[0] = MplPath.MOVETO
    codes[-1] = MplPath.CLOSEPOLY
    return coords, codes


def _polygon_path(geom: Any) -> MplPath:
    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        poly = shapely.orient_polygons(poly)
        for ring in (poly.exterior, *poly.interiors):
            v, c = _ring(np.asarray(ring.coords)[:, :2])
            verts.append(v)
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _lines(geom: Any) -> list[np.ndarray]:
    parts = getattr(geom, "geoms", [geom])
    return [np.asarray(p.coords)[:, :2] for p in parts if p.geom_type == "LineString"]


def draw_group(
    ax: Axes,
    geoms: gpd.GeoSeries,
    style: dict[str, Any],
    *,
    z: float,
    gid: str,
    k: float = 1.0,
) -> list[Any]:
    """Draw geometries (metric CRS) in one style; returns the artists."""
    s = mpl_style(style, k=k)
    types = geoms.geom_type.to_numpy()
    arr = geoms.to_numpy()
    artists: list[Any] = []
    areas = arr[np.isin(types, ("Polygon", "MultiPolygon"))]
    if len(areas):
        hatch = s["hatch"]
        coll = PathCollection(
            [_polygon_path(g) for g in areas],
            facecolors=[(0, 0, 0, 0)] if hatch else [s["face"]],
            edgecolors=[s["edge"]],
            linewidths=[s["width"]],
            linestyles=[s["linestyle"]],
            zorder=z,
            hatch=hatch,
        )
        coll.set_gid(f"{gid}.area")
        ax.add_collection(coll, autolim=False)
        artists.append(coll)
    lines = arr[np.isin(types, ("LineString", "MultiLineString"))]
    if len(lines):
        segments = [part for g in lines for part in _lines(g)]
        lc = LineCollection(
            segments,
            colors=[s["edge"]],
            linewidths=[s["width"]],
            linestyles=[s["linestyle"]],
            capstyle="round",
            joinstyle="round",
            zorder=z + 0.1,
        )
        lc.set_gid(f"{gid}.line")
        ax.add_collection(lc, autolim=False)
        artists.append(lc)
    points = arr[np.isin(types, ("Point", "MultiPoint"))]
    if len(points):
        xy = shapely.get_coordinates(points)
        size = (2 * s["radius"]) ** 2
        face = s["face"] if s["face"][3] > 0 else "white"
        sc = ax.scatter(
            xy[:, 0], xy[:, 1], s=size, marker="o", facecolors=[face], edgecolors=[s["edge"]],
            linewidths=max(1.5 * PX * k, 0.4), zorder=z + 0.2,
        )  # fmt: skip
        sc.set_gid(f"{gid}.point")
        artists.append(sc)
    return artists


def draw_layer(
    ax: Axes,
    name: str,
    frame: gpd.GeoDataFrame,
    *,
    z: float,
    base: bool = False,
    k: float = 1.0,
) -> list[dict[str, Any]]:
    """Draw one layer (metric CRS, drawn rows only), one group per style; ``base``: muted, as
    the context base. Returns the style groups drawn (``kind, status, precision, style``)."""
    drawn: list[dict[str, Any]] = []
    if not len(frame):
        return drawn
    keys = ["kind", "status", "precision"]
    for (kind, status, precision), rows in frame.groupby(keys, sort=False):
        style = style_for(str(kind), str(status), str(precision))
        if style is None:
            continue
        if base:
            style = muted(style)
        gid = f"layer.{name}.{kind}.{status}.{precision}"
        draw_group(ax, gpd.GeoSeries(rows.geometry), style, z=z, gid=gid, k=k)
        drawn.append({"kind": kind, "status": status, "precision": precision, "style": style})
    return drawn
