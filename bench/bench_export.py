"""GIS export scaling: the GeoPackage writer at 50, 200 and 2,000 layers, and the handoff formats.

The layers are the shipped Luohu layers, cycled and renamed to the wanted count (each table
keeps its real rows, styles and null geometries). Measured: ``write_gpkg`` (one SQLite
transaction, styled) per layer count, against the earlier way in the same run (one
``pyogrio.write_dataframe(..., append=True)`` per layer, which reopens the growing file each
time; measured at 50 and 200 layers only: it did not finish 2,000 in 300 s), the growth
exponent (slope of log time against log layers; 1 is linear), and one export per handoff
format (qgis, dxf, kml, shp) of the shipped layers.

Run ``.venv/bin/python bench/bench_export.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
from bench_build import slope

COUNTS = (50, 200, 2000)
PEER_COUNTS = (2, 4, 50, 200)  # 2, 4: the smoke test


def cycled(layers, n: int) -> dict:
    """``n`` tables from the given layers, cycled and renamed ``<name>_<i>``."""
    names = list(layers)
    return {f"{names[i % len(names)]}_{i}": layers[names[i % len(names)]] for i in range(n)}


def _old_way(tables: dict, path: Path) -> None:
    import pyogrio

    from layers.export.gpkg import gpkg_frame

    for name, gdf in tables.items():
        pyogrio.write_dataframe(
            gpkg_frame(gdf), path, layer=name, driver="GPKG", geometry_type="Unknown",
            promote_to_multi=False, append=path.exists(),
        )  # fmt: skip


def run(*, quick: bool = False, counts=COUNTS) -> list[dict]:
    from layers import export as ex
    from layers.build import build_from_files

    repeats = 1 if quick else 3
    layer_set = build_from_files(None)
    figures, sizes, medians = [], [], []
    scratch = Path(tempfile.mkdtemp(prefix="planmap-bench-export-"))
    for n in counts:
        tables = cycled(layer_set, n)
        ours, peer = [], []
        for r in range(repeats if n < 2000 else 1):
            target = scratch / f"ours_{n}_{r}.gpkg"
            dt, _ = c.time_once(lambda t=target, tb=tables: ex.write_gpkg(tb, t))
            ours.append(dt)
            if n in PEER_COUNTS:
                target = scratch / f"old_{n}_{r}.gpkg"
                dt, _ = c.time_once(lambda t=target, tb=tables: _old_way(tb, t))
                peer.append(dt)
        note = f"{n} tables, {sum(len(g) for g in tables.values())} features, styled"
        if peer:
            figures.append(
                c.comparison(
                    f"gpkg_write_{n}_layers",
                    ours,
                    peer,
                    "s",
                    peer_name="pyogrio append per layer",
                    note=note,
                )
            )
        else:
            figures.append(c.figure(f"gpkg_write_{n}_layers", ours, "s", note=note))
        sizes.append(n)
        medians.append(figures[-1]["median"])
    if len(sizes) > 1:
        figures.append(
            {
                "name": "gpkg_growth_exponent",
                "median": slope(sizes, medians),
                "unit": "exponent",
                "n": len(sizes),
                "note": f"slope of log(time) vs log(layers) over {sizes}; 1 = linear",
            }
        )
    for fmt, out, crs in (
        ("qgis", "q", None),
        ("dxf", "p.dxf", None),
        ("kml", "p.kml", None),
        ("shp", "shp", "epsg:4547"),
    ):
        times = []
        for r in range(repeats):
            target = scratch / f"{r}_{out}"
            dt, _ = c.time_once(
                lambda t=target, f=fmt, k=crs: ex.export(layer_set, fmt=f, out=t, crs=k)
            )
            times.append(dt)
        figures.append(c.figure(f"export_{fmt}", times, "s", note="the shipped Luohu layers"))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat")
    parser.add_argument("--counts", type=int, nargs="*", default=list(COUNTS))
    args = parser.parse_args(argv)
    print(c.table(run(quick=args.quick, counts=tuple(args.counts))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
