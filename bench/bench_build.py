"""Build scaling: ``layers.build.build_layers`` at 1×, 10× and 100× the features.

The gazetteer gets ``k - 1`` copies of every place (the district excepted) with unique ids,
names and aliases, moved by up to ~200 m (seeded) so the inside-the-district checks keep
them; the spec names every copy of each place it names, and its kind selectors pick up the
copies by themselves (:func:`_common.scale_gazetteer`, :func:`_common.scale_spec`). Reported:
median build time, time per built feature and the growth exponent (slope of log time
against log features; 1 is linear).

Run ``.venv/bin/python bench/bench_build.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

FACTORS = (1, 10, 100)


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ``log(ys)`` against ``log(xs)``."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((x - mx) ** 2 for x in lx)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / den if den else 0.0


def run(*, quick: bool = False, factors=FACTORS, repeats: int | None = None) -> list[dict]:
    """Figures: build time per factor, time per feature, and the growth exponent."""
    from geo.gazetteer import load_gazetteer
    from geo.paths import default_spec
    from layers.build import build_layers
    from layers.spec import load_spec

    repeats = repeats or (1 if quick else 3)
    gaz, spec = load_gazetteer(), load_spec(default_spec())
    figures, sizes, medians = [], [], []
    for k in factors:
        g, copies = c.scale_gazetteer(gaz, k)
        s = c.scale_spec(spec, g, copies)
        times, built = [], None
        for _ in range(repeats if k < 100 else max(1, repeats - 1)):
            dt, built = c.time_once(lambda g=g, s=s: build_layers(s, g))
            times.append(dt)
        n = sum(len(f) for f in built.values())
        fig = c.figure(f"build_{k}x", times, "s", note=f"{n} features from {len(g)} places")
        figures.append(fig)
        figures.append(
            c.figure(
                f"build_per_feature_{k}x",
                [t / n * 1e6 for t in times],
                "us/feature",
                note=f"{n} features",
            )
        )
        sizes.append(n)
        medians.append(fig["median"])
    if len(sizes) > 1:
        figures.append(
            {
                "name": "build_growth_exponent",
                "median": slope(sizes, medians),
                "unit": "exponent",
                "n": len(sizes),
                "note": "slope of log(build time) vs log(features) over "
                + ", ".join(f"{n}" for n in sizes)
                + " features; 1 = linear",
            }
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--factors", type=int, nargs="*", default=list(FACTORS))
    args = parser.parse_args(argv)
    print(c.table(run(quick=args.quick, factors=tuple(args.factors))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
