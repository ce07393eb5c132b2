"""``planmap build``: the spec's layers as GeoJSON files, one GeoPackage and a manifest."""

from __future__ import annotations

import argparse

from planmap.commands._common import (
    add_district,
    add_report,
    add_spec,
    build_from_args,
    check_out,
    print_table,
    print_warnings,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build every layer of a spec into GeoJSON + GeoPackage")
    add_district(p)
    add_spec(p)
    p.add_argument("--out", default="build/layers", help="output folder (default: build/layers)")
    add_report(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.model import Precision
    from layers.export import write_build

    check_out(args.out, folder=True)
    layers = build_from_args(args)
    write_build(layers, args.out)
    rows = []
    for name, gdf in layers.items():
        rows.append(
            [
                name,
                len(gdf),
                int((gdf["precision"] == Precision.SCHEMATIC.value).sum()),
                int(gdf.geometry.isna().sum()),
            ]
        )
    print_table(["layer", "features", "schematic", "unlocated"], rows)
    print(f"wrote {len(layers)} GeoJSON files and planmap.gpkg to {args.out}")
    print_warnings(layers.warnings)
    return 0
