"""Landing-point siting for the low-altitude network: candidates, demand, MCLP, networks.

A district's report may commit to landing points without publishing a site; everything here
is a *proposal* (status ``proposed``, precision ``schematic``) from the district's siting rules
(its record's ``siting`` file, e.g. ``data/districts/<id>/siting.toml``). All measuring is in
EPSG:32650 metres; frames come back in EPSG:4326 with :data:`geo.model.FEATURE_COLUMNS`.

- `site_landing_points` runs the whole siting and returns a `SitingResult`;
- `proposed_network` is the default proposal as one frame, cached on disk by its inputs;
- the solvers: `solve`, `coverage_matrix`, `greedy`, `swap_search`, `exact`, `lp_bound`, ….

The parts have their own public modules: :mod:`geo.siting.rules` (the rules file and the
limits of every option), :mod:`geo.siting.inputs` (district area, anchors, candidates,
demand), :mod:`geo.siting.constraints`, :mod:`geo.siting.analysis` (networks, coverage,
route), :mod:`geo.siting.features` and :mod:`geo.siting.cache`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.district import District, get_district
from geo.errors import OptionError
from geo.gazetteer.facts import load_facts
from geo.geojson import feature_collection, geojson_text
from geo.geometry import to_metric
from geo.model import FEATURE_COLUMNS
from geo.paths import data_dir, facts_dir
from geo.siting._mclp import (
    Solution,
    Solver,
    brute_force,
    coverage_matrix,
    covered_weight,
    exact,
    greedy,
    lp_bound,
    rank_order,
    reduce_rows,
    solve,
    swap_search,
)
from geo.siting.analysis import classify_networks, coverage_stats, cross_border_route
from geo.siting.cache import cache_key, default_cache_dir, read_cached, write_cached
from geo.siting.constraints import build_constraints, read_no_fly
from geo.siting.features import frame_from_collection, proposal_frame, route_frame, site_frames
from geo.siting.inputs import (
    candidate_sites,
    default_anchors,
    demand_points,
    find_point,
    input_files,
    load_area,
    metric_xy,
    read_points,
)
from geo.siting.rules import LIMITS, SitingConfig, load_config

__all__ = [
    "SitingConfig",
    "SitingResult",
    "Solution",
    "Solver",
    "brute_force",
    "coverage_matrix",
    "covered_weight",
    "exact",
    "greedy",
    "load_config",
    "lp_bound",
    "proposed_network",
    "rank_order",
    "reduce_rows",
    "site_landing_points",
    "solve",
    "swap_search",
]


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
        See `geo.siting.analysis.coverage_stats`.
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
            "sites": feature_collection(self.sites, columns=FEATURE_COLUMNS),
            "route": feature_collection(self.route, columns=FEATURE_COLUMNS),
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


def _option(field_name: str, value: object, default: float, *, name: str) -> float:
    """A keyword option checked against its limit; None (not 0) means the rules' value."""
    return default if value is None else LIMITS[field_name].check(value, name=name)


def site_landing_points(
    *,
    district: str | District | None = None,
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
    boundary: BaseGeometry | None = None,
    neighbours: list[BaseGeometry] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SitingResult:
    """Propose ``n`` landing points: candidates, demand, MCLP, networks, route, coverage.

    Parameters
    ----------
    district : str or District, optional
        Whose record, facts and rules (default :func:`geo.district.default_district`).
    config : SitingConfig, optional
        Default: the district's rules; the options below override its values.
    n, radius_m, spacing_m, demand_spacing_m, swap, time_limit_s
        See the rules file; None means the rules' value, anything else is checked against
        :data:`geo.siting.rules.LIMITS` (finite and in range).
    solver : {"greedy", "exact"}
        Greedy + 1-swap, or the HiGHS integer program (time-limited, warm-started with greedy).
    no_fly : GeoDataFrame or path, optional
        Extra no-fly zones (a path is read with `geo.siting.constraints.read_no_fly`).
    allow_parks : bool
        Do not exclude the parks.
    anchors : GeoDataFrame, optional
        Named anchors (see `geo.siting.inputs.anchors_from_frame`); default the shipped ones.
    zones : GeoDataFrame, optional
        Zones whose centroids become demand points.
    boundary, neighbours : optional
        Another polygon (lon/lat) and its same-country neighbours instead of the district's.
        With a boundary and no neighbours there is no border (no buffer, no route).
    progress : callable, optional
        Called with a short label before each stage.

    Raises
    ------
    OptionError
        An option out of range or not one of its choices, naming the option.
    DataError, GeometryError
        Broken rules or no-fly file, a district without rules, or constraints that exclude
        every candidate.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _label: None)
    record = get_district(district)
    cfg = config or load_config(district=record)
    rules = cfg.siting
    n = int(_option("n_sites", n, rules.n_sites, name="n"))  # an integer limit: already int
    radius = _option("radius_m", radius_m, rules.radius_m, name="radius_m")
    spacing = _option("spacing_m", spacing_m, rules.spacing_m, name="spacing_m")
    demand_spacing = _option(
        "demand_spacing_m", demand_spacing_m, rules.demand_spacing_m, name="demand_spacing_m"
    )
    limit = _option("time_limit_s", time_limit_s, rules.time_limit_s, name="time_limit_s")
    kind = Solver.get(solver)
    swap = rules.swap if swap is None else bool(swap)
    say("constraints")
    if isinstance(no_fly, str | Path):
        no_fly = read_no_fly(no_fly)
    area = load_area(record, boundary=boundary, neighbours=neighbours)
    constraints = build_constraints(cfg, area, allow_parks=allow_parks, no_fly=no_fly)
    anchors = default_anchors(cfg, area) if anchors is None else anchors
    say("candidates")
    cands = candidate_sites(
        area.polygon,
        spacing_m=spacing,
        anchors=anchors.loc[anchors["kind"].isin(cfg.anchors.kinds)],
        constraints=constraints,
    )
    if n > len(cands):
        raise OptionError(
            f"n={n} exceeds the {len(cands)} candidate sites left after constraints; "
            "lower --n or --spacing"
        )
    demand = demand_points(
        area.polygon, cfg, anchors=anchors, zones=zones, spacing_m=demand_spacing
    )
    say("coverage matrix")
    matrix = coverage_matrix(metric_xy(demand), metric_xy(cands), radius)
    say(f"solving ({kind.value})")
    weights = demand["weight"].to_numpy(dtype=float)
    sol = solve(matrix, weights, n, solver=kind, swap=swap, time_limit_s=limit, warm_start=True)
    say("networks and outputs")
    chosen = cands.iloc[sol.chosen].reset_index(drop=True)
    nets = classify_networks(chosen, anchors, cfg.networks)
    method = "greedy + 1-swap" if kind is Solver.GREEDY and sol.details.get("swap") else kind.value
    report = f" ({rules.report_url})" if rules.report_url else ""
    source = (
        f"Planmap MCLP siting ({method}, status {sol.status}), radius {radius:g} m, N={n}, "
        f"{len(cands)} candidates ({spacing:g} m grid + named anchors), demand weights in "
        f"{cfg.path.name}; the report publishes no sites{report}"
    )
    sxy = metric_xy(chosen)
    sites, rings = site_frames(
        chosen, nets, rules=cfg.networks, site_xy=sxy, radius_m=radius, source=source
    )
    route = route_frame(None, config=cfg)
    if area.border is not None and not area.border.is_empty and cfg.route.from_anchor:
        port = to_metric(find_point(read_points(cfg, area.facts), cfg.route.from_anchor))
        start = int(np.argmin(np.hypot(sxy[:, 0] - port.x, sxy[:, 1] - port.y)))
        line, length = cross_border_route(
            cast(Point, chosen.geometry.iloc[start]),  # candidate sites are points
            area.border,
            area.polygon,
            beyond_m=cfg.route.beyond_m,
            neighbours=list(area.neighbours),
        )
        route = route_frame(line, config=cfg, start_id=sites.iloc[start]["id"], length_m=length)
    coverage = coverage_stats(
        sites,
        nets,
        demand,
        area.polygon,
        radius_m=radius,
        network_names={net.key: net.name_en for net in cfg.networks},
    )
    params = {
        "district": record.id,
        "n": n,
        "radius_m": radius,
        "spacing_m": spacing,
        "allow_parks": allow_parks,
        "networks": {net.key: int((nets == net.key).sum()) for net in cfg.networks},
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


def _label(path: Path) -> str:
    """A rules file as written in a ``source``: under the data folder when it is there."""
    try:
        return path.resolve().relative_to(data_dir().resolve()).as_posix()
    except ValueError:
        return path.name


def proposed_network(
    district: str | District | None = None, *, cache_dir: Path | None = None
) -> gpd.GeoDataFrame:
    """The district's default proposal (the rules' ``n_sites``, greedy) as one frame, cached.

    The first call for a set of inputs runs `site_landing_points` and keeps the result as a
    GeoJSON file under ``cache_dir``, named by a sha256 of the rules file, the facts files it
    reads, the district record, the parameters and `geo.siting.cache.CACHE_VERSION`; later
    calls with the same inputs read that file instead.

    Parameters
    ----------
    district : str or District, optional
        Default :func:`geo.district.default_district`.
    cache_dir : Path, optional
        Default `geo.siting.cache.default_cache_dir` (``$PLANMAP_CACHE_DIR/siting``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`geo.model.FEATURE_COLUMNS` and geometry, EPSG:4326: one
        ``landing_point`` per site (``landing.<network>.<k:03d>``), the ``air_route`` if any,
        then one ``service_area`` per site (drop them by ``kind`` if unwanted).
    """
    record = get_district(district)
    config = load_config(district=record)
    params = {"n": config.siting.n_sites, "solver": Solver.GREEDY.value, "allow_parks": False}
    key = cache_key(input_files(config, load_facts(facts_dir())), record, params)
    path = Path(cache_dir or default_cache_dir()) / f"proposed_{record.id}_{key}.geojson"
    doc = read_cached(path)
    if doc is None:
        result = site_landing_points(district=record, config=config, solver=Solver.GREEDY)
        method = result.sites["source"].iloc[0]
        frame = proposal_frame(
            result.sites,
            result.networks,
            result.service_areas,
            result.route,
            rules=config.networks,
            radius_m=result.params["radius_m"],
            source=f"proposed from the rules {_label(config.path)}: {method}",
        )
        text = geojson_text(frame, columns=FEATURE_COLUMNS)
        write_cached(path, text)
        doc = json.loads(text)  # exactly what a later call reads back
    return frame_from_collection(doc)
