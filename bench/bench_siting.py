"""Benchmark: greedy (+1-swap) against the exact MCLP in HiGHS, on a district and random candidates.

Run ``.venv/bin/python bench/bench_siting.py [--time-limit 60] [--runs 5] [--quick]``. Prints a
table and writes ``bench/results_siting.json``: a list of figures, each with ``name``,
``median``, ``unit`` and, for comparisons, ``peer``, ``peer_median`` and ``ratio``.

Instances (N = 100, radius 500 m: at 800 m and more greedy covers everything, 500 m is hard):
Every ``ratio`` is ``median / peer_median`` (ours over peer, as ``bench/run.py`` expects):
for times below 1 means greedy is faster. ``n`` is the number of runs behind a median.
``luohu``: the shipped rules (250 m grid + anchors, minus constraints; ~8k demand points);
``random_1k`` / ``random_10k``: 1,000 / 10,000 candidates drawn uniformly inside the
district, same demand. The exact run is time-limited and cold (no greedy warm start), so
its incumbent is what HiGHS found on its own; its status, best bound and gap are reported.
The LP relaxation (HiGHS IPM) gives a second upper bound on the optimum, often the tighter one,
so "greedy+swap / proven bound" is a guaranteed lower bound on greedy's share of the optimum.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import siting  # noqa: E402
from geo.geometry import to_metric  # noqa: E402
from geo.siting import inputs  # noqa: E402
from geo.siting.constraints import build_constraints  # noqa: E402


def _median_time(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _finite(value: object) -> object:
    """NaN (a bound that was not found) becomes null: JSON has no NaN."""
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def _random_candidates(district, n: int, seed: int) -> np.ndarray:
    area = to_metric(district)
    x0, y0, x1, y1 = area.bounds
    rng = np.random.default_rng(seed)
    out = np.zeros((0, 2))
    while len(out) < n:
        xy = rng.uniform((x0, y0), (x1, y1), (2 * n, 2))
        out = np.vstack([out, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return out[:n]


def instances(*, quick: bool) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, demand_xy, weights, candidate_xy) in EPSG:32650 metres."""
    cfg = siting.load_config()
    area = inputs.load_area()
    district = area.polygon
    zones = build_constraints(cfg, area)
    anchors = inputs.default_anchors(cfg, area)
    cands = inputs.candidate_sites(
        district,
        spacing_m=cfg.siting.spacing_m,
        anchors=anchors.loc[anchors["kind"].isin(cfg.anchors.kinds)],
        constraints=zones,
    )
    demand = inputs.demand_points(district, cfg, anchors=anchors)
    dxy, w = inputs.metric_xy(demand), demand["weight"].to_numpy(dtype=float)
    out = [(area.record.id, dxy, w, inputs.metric_xy(cands))]
    sizes = [1_000] if quick else [1_000, 10_000]
    for size in sizes:
        out.append((f"random_{size // 1000}k", dxy, w, _random_candidates(district, size, size)))
    return out


def run(
    *,
    time_limit_s: float = 60.0,
    runs: int = 5,
    quick: bool = False,
    p: int = 100,
    radius_m: float = 500.0,
    lp_limit_s: float = 300.0,
) -> list[dict]:
    """Measure every instance; returns the list of figures (also printed as a table)."""
    figures: list[dict] = []
    rows = []
    for name, dxy, w, cxy in instances(quick=quick):
        total = float(w.sum())
        t_matrix, a = _median_time(
            lambda d=dxy, c=cxy: siting.coverage_matrix(d, c, radius_m), runs
        )
        t_greedy, g = _median_time(lambda a=a, w=w: siting.solve(a, w, p, swap=False), runs)
        t_swap, gs = _median_time(lambda a=a, w=w: siting.solve(a, w, p, swap=True), runs)
        ex = siting.solve(a, w, p, solver="exact", time_limit_s=time_limit_s)
        hit_limit = ex.status != "Optimal"
        cov = {k: s.objective / total for k, s in (("greedy", g), ("swap", gs), ("exact", ex))}
        bound = ex.bound / total if ex.bound is not None else float("nan")
        lp_value, lp_status, lp_seconds = siting.lp_bound(a, w, p, time_limit_s=lp_limit_s)
        lp = lp_value / total if lp_value is not None else float("nan")
        best = min(bound, lp) if lp_value is not None else bound
        prefix = f"siting.{name}"
        figures += [
            {
                "name": f"{prefix}.coverage_matrix",
                "median": t_matrix,
                "unit": "s",
                "candidates": len(cxy),
                "demand_points": len(dxy),
                "nonzeros": int(a.nnz),
            },
            {
                "name": f"{prefix}.greedy.seconds",
                "median": t_greedy,
                "unit": "s",
                "peer": f"{prefix}.exact.seconds",
                "peer_median": ex.seconds,
                "ratio": t_greedy / ex.seconds,
            },
            {
                "name": f"{prefix}.greedy_swap.seconds",
                "median": t_swap,
                "unit": "s",
                "peer": f"{prefix}.exact.seconds",
                "peer_median": ex.seconds,
                "ratio": t_swap / ex.seconds,
                "swaps": gs.details.get("swaps"),
            },
            {
                "name": f"{prefix}.greedy.coverage",
                "median": cov["greedy"],
                "unit": "share of demand weight",
                "peer": f"{prefix}.exact.coverage",
                "peer_median": cov["exact"],
                "ratio": cov["greedy"] / cov["exact"],
            },
            {
                "name": f"{prefix}.greedy_swap.coverage",
                "median": cov["swap"],
                "unit": "share of demand weight",
                "peer": f"{prefix}.exact.coverage",
                "peer_median": cov["exact"],
                "ratio": cov["swap"] / cov["exact"],
            },
            {
                "name": f"{prefix}.greedy_swap.coverage_vs_bound",
                "median": cov["swap"],
                "unit": "share of demand weight",
                "peer": f"{prefix}.exact.best_bound",
                "peer_median": bound,
                "ratio": cov["swap"] / bound,
            },
            {
                "name": f"{prefix}.exact.seconds",
                "median": ex.seconds,
                "unit": "s",
                "n": 1,
                "status": ex.status,
                "hit_time_limit": hit_limit,
                "time_limit_s": time_limit_s,
                "incumbent": cov["exact"],
                "best_bound": bound,
                "mip_gap": ex.gap,
                "model_rows": ex.details["model_rows"],
                "model_cols": ex.details["model_cols"],
                "build_seconds": ex.details["build_seconds"],
            },
            {
                "name": f"{prefix}.lp_bound.seconds",
                "median": lp_seconds,
                "unit": "s",
                "n": 1,
                "status": lp_status,
                "lp_bound": lp,
                "note": "LP relaxation by HiGHS IPM without crossover: an upper bound on the optimum",
            },
            {
                "name": f"{prefix}.greedy_swap.coverage_vs_proven_bound",
                "median": cov["swap"],
                "unit": "share of demand weight",
                "peer": f"{prefix}.min(lp_bound, exact.best_bound)",
                "peer_median": best,
                "ratio": cov["swap"] / best,
            },
        ]
        for f in figures:
            f.setdefault("n", runs)
            f.setdefault("quick", quick)
            f.setdefault("exact_time_limit_s", time_limit_s)
        rows.append(
            (
                name,
                len(cxy),
                t_matrix,
                t_greedy,
                cov["greedy"],
                t_swap,
                cov["swap"],
                ex.seconds,
                cov["exact"],
                bound,
                ex.status,
                ex.gap,
                lp,
                lp_seconds,
                best,
            )
        )
    head = (
        "instance",
        "cands",
        "matrix s",
        "greedy s",
        "greedy cov",
        "+swap s",
        "+swap cov",
        "exact s",
        "exact cov",
        "MIP bound",
        "status",
        "gap",
        "LP bound",
        "LP s",
    )
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for r in rows:
        gap = "-" if r[11] is None else f"{r[11]:.2%}"
        print(
            f"{r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.3f} | {r[4]:.4f} | {r[5]:.3f} | "
            f"{r[6]:.4f} | {r[7]:.1f} | {r[8]:.4f} | {r[9]:.4f} | {r[10]} | {gap} | "
            f"{r[12]:.4f} | {r[13]:.1f}"
        )
    for r in rows:
        print(
            f"{r[0]}: greedy+swap / exact coverage = {r[6] / r[8]:.4f}; "
            f"greedy+swap is {r[7] / r[5]:.0f}x faster than exact; "
            f"greedy+swap / proven bound = {r[6] / r[14]:.4f} (at least this share of optimum)"
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lp-time-limit", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="skip the 10k instance")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results_siting.json")
    args = parser.parse_args(argv)
    figures = run(
        time_limit_s=args.time_limit,
        runs=args.runs,
        quick=args.quick,
        lp_limit_s=args.lp_time_limit,
    )
    clean = [{k: _finite(v) for k, v in f.items()} for f in figures]
    args.out.write_text(json.dumps(clean, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
