"""``planmap build``: the spec's layers as GeoJSON files and one GeoPackage."""

from __future__ import annotations

import argparse

from planmap.commands._common import build_with_progress, print_table, print_warnings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build every layer of a spec into GeoJSON + GeoPackage")
    p.add_argument("--spec", help="spec file (default: data/specs/luohu_2025.toml)")
    p.add_argument("--out", default="build/layers", help="output folder (default: build/layers)")
    p.add_argument("--report", help="a report text: fill report_excerpt and mentions from it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layers.export import write_build

    excerpts = getattr(args, "excerpts", None)
    if getattr(args, "report", None):
        from layers.report import report_excerpts

        excerpts = report_excerpts(args.report)
    layers = build_with_progress(args.spec, excerpts=excerpts)
    write_build(layers, args.out)
    rows = []
    for name, gdf in layers.items():
        rows.append(
            [
                name,
                len(gdf),
                int((gdf["precision"] == "schematic").sum()),
                int(gdf.geometry.isna().sum()),
            ]
        )
    print_table(["layer", "features", "schematic", "unlocated"], rows)
    print(f"wrote {len(layers)} GeoJSON files and planmap.gpkg to {args.out}")
    print_warnings(layers.warnings)
    return 0
