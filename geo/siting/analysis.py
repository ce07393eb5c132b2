"""What a set of chosen sites gives: their networks, coverage figures, the cross-border route.

Measured in EPSG:32650 metres.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from geo.errors import GeometryError
from geo.geometry import to_lonlat, to_metric
from geo.siting._mclp import coverage_matrix
from geo.siting.inputs import metric_xy
from geo.siting.rules import Network

__all__ = ["classify_networks", "coverage_stats", "cross_border_route", "network_counts"]


def network_counts(networks: Sequence[Network], n: int) -> list[int]:
    """Counts per network summing to ``n``: as configured, else scaled by largest remainder."""
    counts = np.array([net.count for net in networks], dtype=float)
    if counts.sum() == n:
        return [int(c) for c in counts]
    if counts.sum() == 0:
        counts = np.array([1.0 if net.rest else 0.0 for net in networks])
    exact = counts * n / counts.sum()
    out = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - out), kind="stable")[: n - out.sum()]:
        out[i] += 1
    return [int(c) for c in out]


def classify_networks(
    sites: gpd.GeoDataFrame, anchors: gpd.GeoDataFrame, networks: Sequence[Network]
) -> np.ndarray:
    """Assign each site a network key by the rules' networks (see a district's ``siting.toml``).

    In config order, each non-rest network takes its count of still-unassigned sites nearest
    to any anchor of its ``near`` kinds (ties by site order); the rest network takes the others.
    """
    n = len(sites)
    counts = network_counts(networks, n)
    label = np.full(n, "", dtype=object)
    sxy = metric_xy(sites)
    for net, count in zip(networks, counts, strict=True):
        if net.rest:
            continue
        targets = anchors.loc[anchors["kind"].isin(net.near)] if len(anchors) else anchors
        free = np.flatnonzero(label == "")
        if not len(targets) or not free.size:
            dist = np.zeros(free.size)
        else:
            txy = metric_xy(targets)
            diff = sxy[free, None, :] - txy[None, :, :]
            dist = np.sqrt((diff**2).sum(axis=2)).min(axis=1)
        label[free[np.argsort(dist, kind="stable")[:count]]] = net.key
    rest = next(net for net in networks if net.rest)
    label[label == ""] = rest.key
    return label


def coverage_stats(
    sites: gpd.GeoDataFrame,
    networks: np.ndarray,
    demand: gpd.GeoDataFrame,
    district: BaseGeometry,
    *,
    radius_m: float,
    network_names: dict[str, str] | None = None,
) -> dict:
    """Shares of the district area and of weighted demand within ``radius_m`` of the sites.

    Area shares are geometric (union of discs, 64-gon each, clipped to the district, over the
    district area); demand shares are covered weight over total weight.

    Returns
    -------
    dict
        ``area_share, demand_share, covered_area_km2, district_area_km2, covered_weight,
        total_weight, per_network`` (``{key: {name, count, area_share, demand_share}}``).
    """
    area = to_metric(district)
    sxy, dxy = metric_xy(sites), metric_xy(demand)
    weights = demand["weight"].to_numpy(dtype=float)
    matrix = coverage_matrix(dxy, sxy, radius_m) if len(sites) else None
    total_w = float(weights.sum())

    def shares(mask: np.ndarray) -> tuple[float, float, float, float]:
        if matrix is None or not mask.any():
            return 0.0, 0.0, 0.0, 0.0
        discs = shapely.buffer(shapely.points(sxy[mask]), radius_m, quad_segs=16)
        covered_area = shapely.union_all(discs).intersection(area).area
        hit = np.asarray(matrix[:, np.flatnonzero(mask)].sum(axis=1)).ravel() > 0
        cw = float(weights[hit].sum())
        return covered_area / area.area, cw / total_w if total_w else 0.0, covered_area, cw

    a, d, ca, cw = shares(np.ones(len(sites), dtype=bool))
    per = {}
    for key in dict.fromkeys(list(network_names or {}) + list(networks)):
        na, nd, _, _ = shares(networks == key)
        per[key] = {
            "name": (network_names or {}).get(key, key),
            "count": int((networks == key).sum()),
            "area_share": round(na, 6),
            "demand_share": round(nd, 6),
        }
    return {
        "area_share": round(a, 6),
        "demand_share": round(d, 6),
        "covered_area_km2": round(ca / 1e6, 4),
        "district_area_km2": round(area.area / 1e6, 4),
        "covered_weight": round(cw, 4),
        "total_weight": round(total_w, 4),
        "per_network": per,
    }


def cross_border_route(
    site: Point,
    border: BaseGeometry,
    district: BaseGeometry,
    *,
    beyond_m: float,
    neighbours: list[BaseGeometry] | None = None,
    step_m: float = 50.0,
) -> tuple[LineString, float]:
    """A schematic line from ``site`` to a border point, then ``beyond_m`` across the border.

    The border is sampled every ``step_m``; at each sample the last leg runs perpendicular to
    the border (tangent over +-100 m), pointing out of the district. The sample nearest to
    ``site`` whose end lies outside the district and its ``neighbours`` (i.e. across the border,
    not in another district) is used. No destination on the far side is sourced, so none is
    invented.

    Returns
    -------
    tuple of (LineString, float)
        The route in lon/lat and its length in metres.

    Raises
    ------
    GeometryError
        The border is empty, or no border point has an end outside the land polygons.
    """
    if border is None or border.is_empty:
        raise GeometryError("cross-border route: the district has no unshared (border) edge")
    area = to_metric(district)
    land = shapely.union_all([area] + [to_metric(g) for g in neighbours or []])
    s = to_metric(site)
    best: tuple[float, LineString] | None = None
    for part in getattr(to_metric(border), "geoms", [to_metric(border)]):
        d = np.arange(0.0, part.length + 1e-9, step_m)
        p = shapely.get_coordinates(shapely.line_interpolate_point(part, d))
        a = shapely.get_coordinates(shapely.line_interpolate_point(part, np.maximum(d - 100, 0)))
        b = shapely.get_coordinates(
            shapely.line_interpolate_point(part, np.minimum(d + 100, part.length))
        )
        t = b - a
        t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        normal = np.column_stack([-t[:, 1], t[:, 0]])
        flip = shapely.contains_xy(area, *(p + 30 * normal).T)
        normal[flip] *= -1
        end = p + beyond_m * normal
        ok = ~shapely.intersects_xy(land, *end.T) & ~shapely.contains_xy(area, *(p + 30 * normal).T)
        for i in np.flatnonzero(ok):
            route = LineString([s, Point(p[i]), Point(end[i])])
            dist = math.hypot(p[i, 0] - s.x, p[i, 1] - s.y)
            if best is None or dist < best[0]:
                best = (dist, route)
    if best is None:
        raise GeometryError("cross-border route: no border point leads out of the district")
    return to_lonlat(best[1]), best[1].length
