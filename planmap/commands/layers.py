"""``planmap layers``: the spec's layers with their feature counts."""

from __future__ import annotations

import argparse

from planmap.commands._common import print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("layers", help="list layers and feature counts")
    p.add_argument("--spec", help="spec file (default: data/specs/luohu_2025.toml)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layers.build import build_from_files

    layers = build_from_files(args.spec)
    rows = [
        [
            name,
            layers.groups[name],
            len(gdf),
            int(gdf.geometry.notna().sum()),
            int((gdf["precision"] == "schematic").sum()),
            layers.titles[name],
        ]
        for name, gdf in layers.items()
    ]
    print_table(["layer", "group", "features", "located", "schematic", "title"], rows)
    return 0
