"""``planmap districts``: the districts shipped as data (``data/districts/<id>/``)."""

from __future__ import annotations

import argparse

from planmap.commands._common import print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("districts", help="list the districts Planmap has data for")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.district import default_district, list_districts

    default = default_district()

    rows = [
        [
            d.id + (" (default)" if d.id == default else ""),
            d.name,
            d.name_en,
            d.spec,
            "; ".join(d.notes) or "-",
        ]
        for d in list_districts()
    ]
    print_table(["id", "name", "name_en", "spec", "notes"], rows)
    return 0
