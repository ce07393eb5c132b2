"""Landing-point siting for the low-altitude network: candidates, demand, MCLP, three networks.

The 2025 report commits to 100 take-off/landing points in three networks and a cross-border
route but publishes no site; everything here is a *proposal* (status ``proposed``, precision
``schematic``) from the rules in ``data/siting.toml``. All measuring is in EPSG:32650 metres;
frames come back in EPSG:4326.

This module runs the whole siting (`site_landing_points`) and reports it (`SitingResult`,
`to_feature_collection`); it re-exports the public names of its parts, so ``from geo.siting
import X`` works for all of them:

- ``geo.siting_rules``: `SitingConfig` and `load_config` (``data/siting.toml``);
- ``geo.siting_inputs``: district, border, anchors, no-fly and constraint zones, candidates,
  demand;
- ``geo.siting_analysis``: networks, coverage figures, the cross-border route;
- ``geo._mclp`` (private): the solvers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo._mclp import Solution, Solver, coverage_matrix, solve
from geo.errors import DataError as DataError  # "X as X": re-exported, public here before
from geo.errors import GeometryError as GeometryError
from geo.errors import SpecError
from geo.geometry import to_lonlat, to_metric
from geo.paths import data_dir as data_dir
from geo.paths import facts_dir as facts_dir
from geo.siting_analysis import classify_networks, coverage_stats, cross_border_route
from geo.siting_inputs import (
    COLUMNS,
    LAYER,
    LONLAT,
    _find_point,
    _neighbours,
    _read_facts,
    _schema_frame,
    _xy,
    anchors_from_frame,
    border_line,
    build_constraints,
    candidate_sites,
    default_anchors,
    demand_points,
    load_district,
    read_no_fly,
)
from geo.siting_inputs import METRIC as METRIC
from geo.siting_inputs import PRECISIONS as PRECISIONS
from geo.siting_rules import Network as Network
from geo.siting_rules import ParkRule as ParkRule
from geo.siting_rules import SitingConfig, load_config

__all__ = [
    "COLUMNS",
    "SitingConfig",
    "SitingResult",
    "Solution",
    "Solver",
    "anchors_from_frame",
    "border_line",
    "build_constraints",
    "candidate_sites",
    "classify_networks",
    "coverage_matrix",
    "coverage_stats",
    "cross_border_route",
    "default_anchors",
    "demand_points",
    "load_config",
    "load_district",
    "read_no_fly",
    "site_landing_points",
    "solve",
    "to_feature_collection",
]

REPORT_URL = "https://0538ta.cn/post/95178.html"


@dataclass(frozen=True)
class SitingResult:
    """Everything ``planmap site`` reports; frames are in the feature schema, EPSG:4326.

    Attributes
    ----------
    sites, service_areas, route, constraints : geopandas.GeoDataFrame
        Landing points (rank order), their service discs, the cross-border route (0 or 1 row)
        and the constraint zones used.
    networks : numpy.ndarray
        Network key of each site, aligned with ``sites``.
    candidates, demand : geopandas.GeoDataFrame
        The instance that was solved.
    coverage : dict
        See `coverage_stats`.
    solution : Solution
        Solver status, objective, bound, gap, seconds.
    seconds : float
        Wall time of the whole run.
    params : dict
        n, radius_m, spacing_m and the other inputs, for the record.
    """

    sites: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    route: gpd.GeoDataFrame
    constraints: gpd.GeoDataFrame
    networks: np.ndarray
    candidates: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    coverage: dict
    solution: Solution
    seconds: float
    params: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``planmap site --json`` document."""
        sol = self.solution
        return {
            "sites": to_feature_collection(self.sites),
            "route": to_feature_collection(self.route),
            "coverage": self.coverage,
            "solver": sol.solver,
            "status": sol.status,
            "objective": round(sol.objective, 4),
            "bound": None if sol.bound is None else round(sol.bound, 4),
            "gap": None if sol.gap is None else round(sol.gap, 6),
            "solver_seconds": round(sol.seconds, 4),
            "solver_details": sol.details,
            "seconds": round(self.seconds, 4),
            "candidates": len(self.candidates),
            "demand_points": len(self.demand),
            "constraints": [
                {"id": r.id, "name": r.name, "precision": r.precision, "note": r.note}
                for r in self.constraints.itertuples()
            ],
            **self.params,
        }


def _round_coords(geom: BaseGeometry) -> BaseGeometry:
    geom = shapely.orient_polygons(geom)  # RFC 7946: counter-clockwise exteriors
    return shapely.transform(geom, lambda xy: np.round(xy, 6))


def to_feature_collection(frame: gpd.GeoDataFrame) -> dict:
    """An RFC 7946 FeatureCollection (lon/lat, 6 decimals, CCW exteriors, no ``crs`` member)."""
    frame = frame.to_crs(LONLAT)
    features = []
    for row, geom in zip(
        frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True
    ):
        props = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        gj = None if geom is None else shapely.geometry.mapping(_round_coords(geom))
        features.append({"type": "Feature", "properties": props, "geometry": gj})
    return {"type": "FeatureCollection", "features": features}


def site_landing_points(
    *,
    config: SitingConfig | None = None,
    n: int | None = None,
    radius_m: float | None = None,
    spacing_m: float | None = None,
    demand_spacing_m: float | None = None,
    solver: str | Solver = "greedy",
    swap: bool | None = None,
    time_limit_s: float | None = None,
    no_fly: gpd.GeoDataFrame | Path | str | None = None,
    allow_parks: bool = False,
    anchors: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    district: BaseGeometry | None = None,
    neighbours: list[BaseGeometry] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SitingResult:
    """Propose ``n`` landing points: candidates, demand, MCLP, networks, route, coverage.

    Parameters
    ----------
    config : SitingConfig, optional
        Default `load_config()`; the other options override its values.
    n, radius_m, spacing_m, demand_spacing_m, swap, time_limit_s
        See ``data/siting.toml``.
    solver : {"greedy", "exact"}
        Greedy + 1-swap, or the HiGHS integer program (time-limited, warm-started with greedy).
    no_fly : GeoDataFrame or path, optional
        Extra no-fly zones (a path is read with `read_no_fly`).
    allow_parks : bool
        Do not exclude the (schematic) parks.
    anchors : GeoDataFrame, optional
        Named anchors (see `anchors_from_frame`); default `default_anchors`.
    zones : GeoDataFrame, optional
        Zones whose centroids become demand points.
    district, neighbours : optional
        Another district polygon (lon/lat) and its same-country neighbours; by default Luohu.
        With a custom district and no neighbours there is no border (no buffer, no route).
    progress : callable, optional
        Called with a short label before each stage.

    Raises
    ------
    SpecError, DataError, GeometryError
        Bad options, a broken no-fly file, or constraints that exclude every candidate.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _label: None)
    cfg = config or load_config()
    n = cfg.n_sites if n is None else int(n)
    radius = cfg.radius_m if radius_m is None else float(radius_m)
    spacing = cfg.spacing_m if spacing_m is None else float(spacing_m)
    kind = Solver.get_value(solver)
    if not radius > 0:
        raise SpecError(f"radius must be > 0 metres (got {radius:g})")
    if n < 1:
        raise SpecError(f"n must be >= 1 (got {n})")
    say("constraints")
    if isinstance(no_fly, str | Path):
        no_fly = read_no_fly(no_fly)
    if district is None:
        district = load_district()
        neighbours = _neighbours() if neighbours is None else neighbours
    border = border_line(district, neighbours, tol_m=cfg.border_tol_m) if neighbours else None
    constraints = build_constraints(
        cfg, district, border=border, allow_parks=allow_parks, no_fly=no_fly
    )
    anchors = default_anchors(cfg, district) if anchors is None else anchors
    say("candidates")
    cands = candidate_sites(
        district,
        spacing_m=spacing,
        anchors=anchors.loc[anchors["kind"].isin(cfg.anchor_kinds)],
        constraints=constraints,
    )
    if n > len(cands):
        raise SpecError(
            f"n={n} exceeds the {len(cands)} candidate sites left after constraints; "
            "lower --n or --spacing"
        )
    demand = demand_points(district, cfg, anchors=anchors, zones=zones, spacing_m=demand_spacing_m)
    say("coverage matrix")
    matrix = coverage_matrix(_xy(demand), _xy(cands), radius)
    say(f"solving ({kind.value})")
    sol = solve(
        matrix,
        demand["weight"].to_numpy(dtype=float),
        n,
        solver=kind,
        swap=cfg.swap if swap is None else swap,
        time_limit_s=cfg.time_limit_s if time_limit_s is None else time_limit_s,
        warm_start=True,
    )
    say("networks and outputs")
    chosen = cands.iloc[sol.chosen].reset_index(drop=True)
    nets = classify_networks(chosen, anchors, cfg.networks)
    by_key = {net.key: net for net in cfg.networks}
    method = "greedy + 1-swap" if kind is Solver.GREEDY and sol.details.get("swap") else kind.value
    source = (
        f"Planmap MCLP siting ({method}, status {sol.status}), radius {radius:g} m, N={n}, "
        f"{len(cands)} candidates ({spacing:g} m grid + named anchors), demand weights in "
        f"{cfg.path.name}; the report publishes no sites ({REPORT_URL})"
    )
    site_rows, ring_rows = [], []
    for rank, (row, key) in enumerate(zip(chosen.itertuples(), nets, strict=True), start=1):
        net = by_key[key]
        where = f"at anchor {row.name} ({row.kind})" if row.origin == "anchor" else "grid site"
        common = {"layer": LAYER, "status": "proposed", "precision": "schematic", "source": source}
        site_rows.append(
            common
            | {
                "id": f"low_altitude.site.{rank:03d}",
                "name": f"{net.name}起降点 {rank:03d}",
                "name_en": f"{net.name_en} landing point {rank:03d}",
                "kind": "landing_point",
                "note": f"network {net.key} ({net.name}/{net.name_en}); rank {rank} of {n}; "
                f"{where}; proposed by the model, not a published site",
            }
        )
        ring_rows.append(
            common
            | {
                "id": f"low_altitude.service.{rank:03d}",
                "name": f"{net.name}起降点 {rank:03d} 服务范围",
                "name_en": f"service area of landing point {rank:03d}",
                "kind": "service_area",
                "note": f"network {net.key}; rank {rank}; radius {radius:g} m",
            }
        )
    sxy = _xy(chosen)
    sites = _schema_frame(site_rows, list(chosen.geometry))
    rings = _schema_frame(
        ring_rows, list(to_lonlat(shapely.buffer(shapely.points(sxy), radius, quad_segs=16)))
    )
    route = _schema_frame([], [])
    if border is not None and not border.is_empty and cfg.route_from:
        points, _ = _read_facts()
        port = to_metric(_find_point(points, cfg.route_from))
        start = int(np.argmin(np.hypot(sxy[:, 0] - port.x, sxy[:, 1] - port.y)))
        line, length = cross_border_route(
            chosen.geometry.iloc[start],
            border,
            district,
            beyond_m=cfg.route_beyond_m,
            neighbours=neighbours,
        )
        route = _schema_frame(
            [
                {
                    "id": "low_altitude.route.cross_border",
                    "name": "跨境低空航线（示意）",
                    "name_en": "cross-border low-altitude route (schematic, proposed)",
                    "layer": LAYER,
                    "kind": "air_route",
                    "status": "proposed",
                    "precision": "schematic",
                    "source": f"the 2025 report names a 跨境低空航线 ({REPORT_URL}); no route is "
                    "published",
                    "note": f"SCHEMATIC: from {sites.iloc[start]['id']} (site nearest "
                    f"{cfg.route_from}) to the nearest border point whose perpendicular leads "
                    f"out of Shenzhen, then {cfg.route_beyond_m:g} m beyond the border along that "
                    f"perpendicular; length {length:.0f} m; no Hong Kong "
                    "destination is sourced or drawn",
                }
            ],
            [line],
        )
    coverage = coverage_stats(
        sites,
        nets,
        demand,
        district,
        radius_m=radius,
        network_names={net.key: net.name_en for net in cfg.networks},
    )
    params = {
        "n": n,
        "radius_m": radius,
        "spacing_m": spacing,
        "allow_parks": allow_parks,
        "networks": {k: int((nets == k).sum()) for k in by_key},
    }
    return SitingResult(
        sites=sites,
        service_areas=rings,
        route=route,
        constraints=constraints,
        networks=nets,
        candidates=cands,
        demand=demand,
        coverage=coverage,
        solution=sol,
        seconds=time.perf_counter() - t0,
        params=params,
    )
