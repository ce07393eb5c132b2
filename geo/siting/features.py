"""Siting output as features: frames with exactly :data:`geo.model.FEATURE_COLUMNS`, EPSG:4326.

Every proposed feature is ``status=proposed``, ``precision=schematic`` in the layer
:data:`LAYER`; its ``source`` says how it was derived and its ``note`` which network it serves.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.geometry import to_lonlat
from geo.model import FEATURE_COLUMNS, Kind, Precision, Status
from geo.siting.rules import Network, SitingConfig

__all__ = [
    "LAYER",
    "LONLAT",
    "feature_frame",
    "frame_from_collection",
    "proposal_frame",
    "proposed",
    "route_frame",
    "site_frames",
]

LAYER = "low_altitude"
LONLAT = "EPSG:4326"
_DEFAULTS = {"report_excerpt": "", "mentions": 0}


def feature_frame(records: Sequence[dict], geoms: Sequence) -> gpd.GeoDataFrame:
    """Rows in the feature schema (``report_excerpt`` "" and ``mentions`` 0 unless given)."""
    frame = pd.DataFrame(list(records), columns=list(FEATURE_COLUMNS))
    for column, value in _DEFAULTS.items():
        frame[column] = frame[column].where(frame[column].notna(), value)
    frame["mentions"] = frame["mentions"].astype("int64")
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs=LONLAT)


def proposed(**values: object) -> dict:
    """The columns every proposed low-altitude feature shares, plus ``values``."""
    return {
        "layer": LAYER,
        "status": Status.PROPOSED.value,
        "precision": Precision.SCHEMATIC.value,
    } | values


def site_frames(
    sites: gpd.GeoDataFrame,
    networks: np.ndarray,
    *,
    rules: Sequence[Network],
    site_xy: np.ndarray,
    radius_m: float,
    source: str,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The chosen sites (rank order) and their service discs as features.

    Parameters
    ----------
    sites : GeoDataFrame
        The chosen candidates (``origin``, ``name``, ``kind``), best first.
    networks : numpy.ndarray
        The network key of each site.
    site_xy : numpy.ndarray
        The sites in EPSG:32650 metres (the discs are buffered there).
    """
    by_key = {net.key: net for net in rules}
    n = len(sites)
    site_rows, ring_rows = [], []
    for rank, (row, key) in enumerate(zip(sites.itertuples(), networks, strict=True), start=1):
        net = by_key[key]
        where = f"at anchor {row.name} ({row.kind})" if row.origin == "anchor" else "grid site"
        site_rows.append(
            proposed(
                id=f"low_altitude.site.{rank:03d}",
                name=f"{net.name}起降点 {rank:03d}",
                name_en=f"{net.name_en} landing point {rank:03d}",
                kind=Kind.LANDING_POINT.value,
                source=source,
                note=f"network {net.key} ({net.name}/{net.name_en}); rank {rank} of {n}; "
                f"{where}; proposed by the model, not a published site",
            )
        )
        ring_rows.append(
            proposed(
                id=f"low_altitude.service.{rank:03d}",
                name=f"{net.name}起降点 {rank:03d} 服务范围",
                name_en=f"service area of landing point {rank:03d}",
                kind=Kind.SERVICE_AREA.value,
                source=source,
                note=f"network {net.key}; rank {rank}; radius {radius_m:g} m",
            )
        )
    discs = to_lonlat(shapely.buffer(shapely.points(site_xy), radius_m, quad_segs=16))
    return feature_frame(site_rows, list(sites.geometry)), feature_frame(ring_rows, list(discs))


def route_frame(
    line: BaseGeometry | None, *, config: SitingConfig, start_id: str = "", length_m: float = 0
) -> gpd.GeoDataFrame:
    """The schematic cross-border route as one feature (none when ``line`` is None)."""
    if line is None:
        return feature_frame([], [])
    rule = config.route
    beyond = f"{rule.beyond} " if rule.beyond else ""
    row = proposed(
        id="low_altitude.route.cross_border",
        name=rule.name,
        name_en=rule.name_en,
        kind=Kind.AIR_ROUTE.value,
        source=rule.source or f"schematic, from the rules in {config.path.name}",
        note=f"SCHEMATIC: from {start_id} (site nearest {rule.from_anchor}) to the nearest "
        "border point whose perpendicular leads out of the district and its neighbours, then "
        f"{rule.beyond_m:g} m beyond the border along that perpendicular; length "
        f"{length_m:.0f} m; no {beyond}destination is sourced or drawn",
    )
    return feature_frame([row], [line])


def proposal_frame(
    sites: gpd.GeoDataFrame,
    networks: np.ndarray,
    service_areas: gpd.GeoDataFrame,
    route: gpd.GeoDataFrame,
    *,
    rules: Sequence[Network],
    radius_m: float,
    source: str,
) -> gpd.GeoDataFrame:
    """One frame of a proposal: the sites numbered per network, the route, the service discs.

    Parameters
    ----------
    sites, service_areas : GeoDataFrame
        In rank order (as `geo.siting.site_landing_points` returns them), aligned.
    networks : numpy.ndarray
        The network key of each site.
    route : GeoDataFrame
        The cross-border route (0 or 1 row), kept as it is.
    rules : sequence of Network
        The networks of the rules.
    radius_m : float
        The service radius (for the discs' notes).
    source : str
        How the sites were derived (the rules file and the method).

    Returns
    -------
    GeoDataFrame
        ``landing.<network>.<k:03d>`` (``k``-th site of its network, by rank) named
        ``载人起降点 12`` / ``Manned landing point 12``, then the route, then one
        ``service_area`` row per site.
    """
    by_key = {net.key: net for net in rules}
    seen: dict[str, int] = {}
    points, discs = [], []
    for rank, key in enumerate(networks, start=1):
        net = by_key[key]
        k = seen[key] = seen.get(key, 0) + 1
        fid = f"landing.{key}.{k:03d}"
        served = f"network {key} ({net.name}, {net.name_en}); rank {rank} of {len(networks)}"
        points.append(
            proposed(
                id=fid,
                name=f"{net.name}起降点 {k}",
                name_en=f"{key.replace('_', ' ').capitalize()} landing point {k}",
                kind=Kind.LANDING_POINT.value,
                source=source,
                note=f"{served}; proposed by the model, not a published site",
            )
        )
        discs.append(
            proposed(
                id=f"{fid}.service_area",
                name=f"{net.name}起降点 {k} 服务范围",
                name_en=f"service area of {key} landing point {k}",
                kind=Kind.SERVICE_AREA.value,
                source=source,
                note=f"{served}; radius {radius_m:g} m",
            )
        )
    # the route's note names its first site by the result's id: use the proposal's
    renamed = dict(zip(sites["id"], (p["id"] for p in points), strict=True))
    route = route.copy()
    for old, fid in renamed.items():
        route["note"] = route["note"].str.replace(f"{old} ", f"{fid} ", regex=False)
    frames = [
        feature_frame(points, list(sites.geometry)),
        route[[*FEATURE_COLUMNS, "geometry"]],
        feature_frame(discs, list(service_areas.geometry)),
    ]
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=LONLAT)


def frame_from_collection(doc: dict) -> gpd.GeoDataFrame:
    """A FeatureCollection (as `geo.geojson.feature_collection` writes it) as a feature frame."""
    features = doc.get("features") or []
    frame = gpd.GeoDataFrame.from_features(features, crs=LONLAT)
    if not len(frame):
        return feature_frame([], [])
    return feature_frame(frame[list(FEATURE_COLUMNS)].to_dict("records"), list(frame.geometry))
