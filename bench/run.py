"""Planmap benchmarks: how fast and how far it scales, against what users would use instead.

``make bench`` (or ``.venv/bin/python bench/run.py [--quick] [--only map geocode ...]``) runs
every section, prints a table, writes ``bench/results.json`` (a list of figures: ``name``,
``median``, ``unit``, ``n`` and, for comparisons, ``peer``, ``peer_median``, ``ratio`` =
ours/peer measured in the same run) and rewrites the figures in ``bench/PERFORMANCE.md``.

Sections (``bench/bench_<name>.py``, each also runnable alone): ``coldstart``, ``app``,
``app_load`` (N parallel sessions: time to the first map, server memory), ``map``, ``geocode``, ``build``, ``locate``, ``export``, ``sheet``; every figure records its ``section``,
and ``--only`` replaces
just those sections' figures in the results file. Other engineers' benchmarks (``bench_siting.py``,
``bench_extract.py``) run as subprocesses when present (``--quick`` passed if they take it);
JSON figures they write (to a scratch ``--out`` file when they take one, else
``bench/results_<name>.json``) are merged in. A section that fails
is reported as a missing figure with the reason; the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results.json"
PERFORMANCE = BENCH / "PERFORMANCE.md"
SECTIONS = ("coldstart", "app", "app_load", "map", "geocode", "build", "locate", "export", "sheet")
#: other engineers' scripts: extra arguments that keep them inside the time budget, if taken
FOREIGN = {
    "siting": ["--quick", "--runs", "3", "--time-limit", "20", "--lp-time-limit", "30"],
    "extract": ["--quick"],
}
TARGETS = (
    ("map_bytes_vs_explore_100x", 0.5, "at most half the bytes of explore() at 100×"),
    ("map_vs_explore_100x", 0.5, "at most half the draw time of explore() at 100×"),
    ("build_growth_exponent", 1.15, "build time grows linearly (exponent ≤ 1.15)"),
    ("extract_line_1mb", 5.0, "a 1 MB single-line report is read in < 5 s"),
    ("extract_line_10mb", 60.0, "a 10 MB single-line report is read in < 60 s"),
    ("locate_100k_shapefile", 10.0, "locate from a 100,000-feature road file in < 10 s"),
    ("map_context_vs_explore_1x", 1.0, "the 1× map with the context base no slower than explore()"),
    ("gpkg_growth_exponent", 1.15, "GeoPackage writing grows linearly in layers (exponent ≤ 1.15)"),
    ("sheet_a3_pdf", 5.0, "an A3 Luohu sheet (PDF) in < 5 s"),
)
_MARK_START = "<!-- figures:start (bench/run.py rewrites this part) -->"
_MARK_END = "<!-- figures:end -->"


def run_section(name: str, *, quick: bool) -> list[dict[str, Any]]:
    """One of our sections, in this process; a failure becomes a missing figure."""
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(f"bench_{name}")
        figures = module.run(quick=quick)
    except Exception as exc:
        traceback.print_exc()
        figures = [c.missing(f"{name}_section", "s", f"{type(exc).__name__}: {exc}"[:300])]
    print(f"[bench] {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return figures


def _accepted(script: Path, args: list[str]) -> list[str]:
    """The options of ``args`` that the script's ``--help`` lists (each with its value)."""
    try:
        text = subprocess.run(
            [sys.executable, str(script), "--help"],
            capture_output=True, text=True, timeout=120, cwd=c.ROOT,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    out, i = [], 0
    while i < len(args):
        takes_value = i + 1 < len(args) and not args[i + 1].startswith("--")
        if args[i] in text:
            out += args[i : i + 1 + takes_value]
        i += 1 + takes_value
    return out


def run_foreign(name: str, *, quick: bool, timeout: float = 600) -> list[dict[str, Any]]:
    """Another engineer's benchmark as a subprocess; its JSON figures, if it writes any."""
    script = BENCH / f"bench_{name}.py"
    if not script.exists():
        return []
    wanted = FOREIGN.get(name, ["--quick"])
    args = _accepted(script, wanted if quick or name == "siting" else [])
    out = BENCH / f"results_{name}.json"
    if _accepted(script, ["--out"]):
        # their committed results stay as they are: this run's go to a scratch file
        out = Path(tempfile.mkdtemp(prefix="planmap-bench-")) / out.name
        args += ["--out", str(out)]
    before = out.stat().st_mtime if out.exists() else None
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True, text=True, timeout=timeout, cwd=c.ROOT,
        )  # fmt: skip
        print(proc.stdout[-4000:])
        if proc.returncode:
            reason = f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
            return [c.missing(f"{name}_section", "s", reason)]
    except subprocess.TimeoutExpired:
        return [c.missing(f"{name}_section", "s", f"timed out after {timeout:.0f} s")]
    finally:
        dt = time.perf_counter() - t0
        print(f"[bench] {name} ({' '.join(args)}): {dt:.0f} s", file=sys.stderr, flush=True)
    if not out.exists() or out.stat().st_mtime == before:
        return []
    try:
        figures = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [c.missing(f"{name}_section", "s", f"unreadable {out.name}: {exc}")]
    for f in figures:
        f.setdefault("n", f.get("runs", 1))
        f.setdefault("source", f"bench/bench_{name}.py {' '.join(args)}".strip())
    return figures


def targets(figures: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(target, verdict)`` for each target the issue sets."""
    by_name = {f["name"]: f for f in figures}
    out = []
    for name, limit, text in TARGETS:
        f = by_name.get(name)
        if f is None or f.get("missing") or f.get("median") is None:
            verdict = "not measured"
        else:
            value = f["ratio"] if "ratio" in f else f["median"]
            verdict = f"{'met' if value <= limit else 'NOT met'} ({value:.2f})"
        out.append((text, verdict))
    return out


def performance_md(figures: list[dict[str, Any]], info: dict[str, str], quick: bool) -> str:
    """The generated part of PERFORMANCE.md: machine, targets, table."""
    lines = [
        _MARK_START,
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')}"
        + (" with `--quick` (fewer repeats)" if quick else "")
        + f" on {info['nproc']} cores ({info['cpu']}), {info['ram']} RAM, Python "
        f"{info['python']}, {info['chromium']}; {info['platform']}.",
        "",
        "| target | verdict |",
        "|---|---|",
        *[f"| {t} | {v} |" for t, v in targets(figures)],
        "",
        c.table(figures),
        "",
        _MARK_END,
    ]
    return "\n".join(lines)


def write_performance(figures: list[dict[str, Any]], info: dict[str, str], quick: bool) -> None:
    """Replace the figures part of PERFORMANCE.md (the prose around it is kept)."""
    block = performance_md(figures, info, quick)
    text = PERFORMANCE.read_text(encoding="utf-8") if PERFORMANCE.exists() else ""
    if _MARK_START in text and _MARK_END in text:
        head, rest = text.split(_MARK_START, 1)
        tail = rest.split(_MARK_END, 1)[1]
        text = head + block + tail
    else:
        text = "# Performance\n\n" + block + "\n" + text
    PERFORMANCE.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a few minutes)")
    parser.add_argument(
        "--only", nargs="*", choices=[*SECTIONS, *FOREIGN], help="run only these sections"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--no-docs", action="store_true", help="do not rewrite bench/PERFORMANCE.md"
    )
    args = parser.parse_args(argv)
    chosen = args.only or [*SECTIONS, *FOREIGN]
    t0 = time.perf_counter()
    figures: list[dict[str, Any]] = []
    for name in chosen:
        got = (run_section if name in SECTIONS else run_foreign)(name, quick=args.quick)
        figures += [f | {"section": name} for f in got]
    if args.only and args.out.exists():
        # a partial run replaces its sections' figures and keeps the others
        try:
            old = json.loads(args.out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = []
        figures = [f for f in old if f.get("section") not in chosen] + figures
    info = c.machine()
    args.out.write_text(
        json.dumps(figures, ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8"
    )
    print(c.table(figures))
    for text, verdict in targets(figures):
        print(f"target: {text}: {verdict}")
    if not args.no_docs and args.out == RESULTS:
        write_performance(figures, info, args.quick)
    print(f"[bench] wrote {args.out} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
