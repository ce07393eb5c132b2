"""``planmap layers``: the spec's layers with their feature counts."""

from __future__ import annotations

import argparse

from planmap.commands._common import add_district, add_spec, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("layers", help="list layers and feature counts")
    add_district(p)
    add_spec(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.model import Precision
    from layers.build import build_from_files

    layers = build_from_files(args.spec, district=args.district)
    rows = [
        [
            layer.name,
            layer.group.value,
            len(layer.frame),
            int(layer.frame.geometry.notna().sum()),
            int((layer.frame["precision"] == Precision.SCHEMATIC.value).sum()),
            layer.title,
        ]
        for layer in layers.layers
    ]
    print_table(["layer", "group", "features", "located", "schematic", "title"], rows)
    return 0
