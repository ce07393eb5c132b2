"""``planmap site``: propose the low-altitude landing points (maximal covering siting)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from geo import siting
from geo.errors import SpecError
from layers.export import atomic_write_text

STAGES = ["constraints", "candidates", "coverage matrix", "solving", "networks and outputs"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``site`` subcommand."""
    p = subparsers.add_parser(
        "site",
        help="propose the report's 100 low-altitude landing points (schematic)",
        description="Choose N landing points maximising weighted demand within a service "
        "radius; rules in data/siting.toml. Output is a proposal, not published sites.",
    )
    p.add_argument("--n", type=int, default=None, help="number of sites (default 100)")
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
    p.add_argument(
        "--allow-parks", action="store_true", help="do not exclude the schematic park discs"
    )
    p.add_argument("--config", type=Path, default=None, help="siting rules (data/siting.toml)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write GeoJSON here")
    p.add_argument("--json", action="store_true", help="print a JSON document on stdout")
    p.set_defaults(func=run)


def _write_atomic(path: Path, doc: dict) -> None:
    atomic_write_text(path, json.dumps(doc, ensure_ascii=False))


def run(args: argparse.Namespace) -> int:
    """Run the siting and report it; returns the exit code."""
    if args.radius is not None and not args.radius > 0:
        raise SpecError(f"--radius must be > 0 metres (got {args.radius:g})")
    if args.spacing is not None and not args.spacing > 0:
        raise SpecError(f"--spacing must be > 0 metres (got {args.spacing:g})")
    siting.Solver.get_value(args.solver)  # fail before any work on a bad choice
    config = siting.load_config(args.config)
    bar = tqdm(total=len(STAGES), desc="planmap site", file=sys.stderr, leave=False)

    def progress(label: str) -> None:  # called as each stage starts
        bar.set_postfix_str(label)
        bar.update(1)

    try:
        result = siting.site_landing_points(
            config=config,
            n=args.n,
            radius_m=args.radius,
            spacing_m=args.spacing,
            demand_spacing_m=args.demand_spacing,
            solver=args.solver,
            time_limit_s=args.time_limit,
            no_fly=args.no_fly,
            allow_parks=args.allow_parks,
            progress=progress,
        )
    finally:
        bar.close()
    if args.out is not None:
        proposed = siting.to_feature_collection(
            pd.concat([result.sites, result.route], ignore_index=True)
            if len(result.route)
            else result.sites
        )
        _write_atomic(args.out / "low_altitude_proposed.geojson", proposed)
        _write_atomic(
            args.out / "service_areas.geojson",
            siting.to_feature_collection(result.service_areas),
        )
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
