"""``planmap site``: propose the low-altitude landing points (maximal covering siting)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

from geo import siting
from geo.district import get_district
from geo.geojson import geojson_text
from geo.model import FEATURE_COLUMNS
from geo.siting.constraints import read_no_fly
from geo.siting.rules import LIMITS
from layers.export import atomic_write_text
from planmap.commands._common import add_district, check_out

STAGES = ["constraints", "candidates", "coverage matrix", "solving", "networks and outputs"]
#: numeric options: (flag, argparse dest, field of the rules' [siting] table)
NUMBERS = [
    ("--n", "n", "n_sites"),
    ("--radius", "radius", "radius_m"),
    ("--spacing", "spacing", "spacing_m"),
    ("--demand-spacing", "demand_spacing", "demand_spacing_m"),
    ("--time-limit", "time_limit", "time_limit_s"),
]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``site`` subcommand."""
    p = subparsers.add_parser(
        "site",
        help="propose a district's low-altitude landing points (schematic)",
        description="Choose N landing points maximising weighted demand within a service "
        "radius; rules in the district's siting.toml. Output is a proposal, not published "
        "sites.",
    )
    add_district(p)
    p.add_argument("--n", type=int, default=None, help="number of sites (default: the rules')")
    p.add_argument("--radius", type=float, default=None, metavar="METRES", help="service radius")
    p.add_argument(
        "--spacing", type=float, default=None, metavar="METRES", help="candidate grid spacing"
    )
    p.add_argument(
        "--demand-spacing", type=float, default=None, metavar="METRES", help="area demand grid"
    )
    p.add_argument("--solver", default="greedy", help="greedy (default) or exact (HiGHS)")
    p.add_argument("--time-limit", type=float, default=None, metavar="S", help="exact only")
    p.add_argument("--no-fly", type=Path, default=None, metavar="FILE", help="WGS-84 GeoJSON")
    p.add_argument("--allow-parks", action="store_true", help="do not exclude the park zones")
    p.add_argument(
        "--config", type=Path, default=None, help="siting rules (default: the district's)"
    )
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write GeoJSON here")
    p.add_argument("--json", action="store_true", help="print a JSON document on stdout")
    p.set_defaults(func=run)


def _write(path: Path, frame: gpd.GeoDataFrame) -> None:
    atomic_write_text(path, geojson_text(frame, columns=FEATURE_COLUMNS))


def run(args: argparse.Namespace) -> int:
    """Run the siting and report it; returns the exit code."""
    for flag, dest, field in NUMBERS:  # fail before any work, naming the flag
        if getattr(args, dest) is not None:
            LIMITS[field].check(getattr(args, dest), name=flag)
    siting.Solver.get(args.solver)
    check_out(args.out, folder=True)
    record = get_district(args.district)
    config = siting.load_config(args.config, district=record)
    no_fly = read_no_fly(args.no_fly) if args.no_fly is not None else None
    bar = tqdm(total=len(STAGES), desc="planmap site", file=sys.stderr, leave=False)

    def progress(label: str) -> None:  # called as each stage starts
        bar.set_postfix_str(label)
        bar.update(1)

    try:
        result = siting.site_landing_points(
            district=record,
            config=config,
            n=args.n,
            radius_m=args.radius,
            spacing_m=args.spacing,
            demand_spacing_m=args.demand_spacing,
            solver=args.solver,
            time_limit_s=args.time_limit,
            no_fly=no_fly,
            allow_parks=args.allow_parks,
            progress=progress,
        )
    finally:
        bar.close()
    if args.out is not None:
        parts = [result.sites, result.route] if len(result.route) else [result.sites]
        proposed = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=result.sites.crs)
        _write(args.out / "low_altitude_proposed.geojson", proposed)
        _write(args.out / "service_areas.geojson", result.service_areas)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    cov, sol = result.coverage, result.solution
    gap = f", gap {sol.gap:.2%}" if sol.gap is not None and sol.solver == "exact" else ""
    print(
        f"{len(result.sites)} proposed landing points (schematic), radius "
        f"{result.params['radius_m']:g} m, {len(result.candidates)} candidates; "
        f"solver {sol.solver} ({sol.status}{gap}) in {sol.seconds:.2f} s"
    )
    print(
        f"covered: {cov['area_share']:.1%} of the district area, "
        f"{cov['demand_share']:.1%} of weighted demand"
    )
    for key, net in cov["per_network"].items():
        print(
            f"  {key:<7} {net['count']:>4} sites  area {net['area_share']:.1%}  "
            f"demand {net['demand_share']:.1%}"
        )
    for row in result.constraints.itertuples():
        print(f"constraint {row.id} ({row.precision}): {row.name}")
    if args.out is not None:
        print(f"wrote {args.out / 'low_altitude_proposed.geojson'} and service_areas.geojson")
    return 0
