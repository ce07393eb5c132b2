"""Print sheets: the A3 Luohu sheet (PDF, the issue's target < 5 s) and the same sheet as a PNG
at 300 dpi, from the built layers (the build itself is the ``build`` section's figure).

Each measurement is one ``compose`` + ``save`` (the figure is drawn anew each time, as the CLI
and the app do); the first run of the process is discarded (font loading and matplotlib's
imports are the cold start's, not the sheet's). Also: the SVG, and the A0 PDF (the same
layout at 2.8× the size), the file sizes, and ``planmap sheet`` end to end (a new process:
imports, the build and the sheet).

Run ``.venv/bin/python bench/bench_sheet.py [--quick]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c


def _layers():
    from geo.gazetteer import load_gazetteer
    from layers.base import context_base
    from layers.build import build_from_files

    built = build_from_files(None)
    shown = built.select(names=[layer.name for layer in built.layers if layer.visible])
    return shown, context_base(load_gazetteer(shown.district), shown.district)


def run(*, quick: bool = False) -> list[dict]:
    from layers.sheet import SheetOptions, compose, save

    repeats = 1 if quick else 5
    layers, base = _layers()
    scratch = Path(tempfile.mkdtemp(prefix="planmap-bench-sheet-"))

    def once(fmt: str, dpi: int = 200, paper: str = "A3") -> Path:
        out = scratch / f"luohu_{paper}_{dpi}.{fmt}"
        save(compose(layers, SheetOptions(paper=paper), base=base), out, dpi=dpi)
        return out

    once("pdf")  # warm-up: fonts and imports
    figures = []
    for name, fmt, dpi, paper, note in (
        ("sheet_a3_pdf", "pdf", 200, "A3", "A3 landscape Luohu, vector, CJK font embedded"),
        ("sheet_a3_png_300dpi", "png", 300, "A3", "A3 landscape Luohu, 4961 x 3508 px"),
        ("sheet_a3_svg", "svg", 200, "A3", "A3 landscape Luohu, text kept as text"),
        ("sheet_a0_pdf", "pdf", 200, "A0", "A0 landscape Luohu, the same layout scaled"),
    ):
        times, path = [], None
        for _ in range(repeats if paper == "A3" else 1):
            dt, path = c.time_once(lambda f=fmt, d=dpi, p=paper: once(f, d, p))
            times.append(dt)
        figures.append(c.figure(name, times, "s", note=note))
        figures.append(c.figure(f"{name}_bytes", [float(path.stat().st_size)], "bytes", note=note))
    times = []
    for _ in range(1 if quick else 3):
        out = scratch / "cli.pdf"
        cmd = [sys.executable, "-m", "planmap.cli", "sheet", "--out", str(out)]
        dt, proc = c.time_once(
            lambda cmd=cmd: subprocess.run(cmd, cwd=c.ROOT, capture_output=True, timeout=300)
        )
        if proc.returncode:
            return [*figures, c.missing("sheet_cli_a3_pdf", "s", proc.stderr.decode()[-300:])]
        times.append(dt)
    figures.append(
        c.figure(
            "sheet_cli_a3_pdf",
            times,
            "s",
            note="`planmap sheet --out luohu.pdf` end to end: start, imports, build, sheet",
        )
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat")
    args = parser.parse_args(argv)
    print(c.table(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
