"""``planmap diff OLD NEW``: places new, dropped or changed in status between two reports
(or two ``planmap build`` folders), as a table and optionally as a GeoJSON layer."""

from __future__ import annotations

import argparse

from planmap.commands._common import (
    check_out,
    district_and_gazetteer,
    json_for_terminal,
    print_table,
    shown,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="places new, dropped or changed in status between two reports or builds",
        description=(
            "Compare two report texts (status from the report's wording: 建成, 开工建设, "
            "推动, 建议 ...) or two folders written by `planmap build`."
        ),
    )
    p.add_argument("old", help="the earlier report (text file) or build folder")
    p.add_argument("new", help="the later report (text file) or build folder")
    p.add_argument("--out", help="write the changes as GeoJSON (property `change`)")
    p.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    p.add_argument("--spec", help="spec file for the layer of each place (reports only)")
    p.add_argument(
        "--district",
        help="district id, for reports: its gazetteer and spec (default: the spec's, else the default one)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from layers.export import write_geojson
    from layers.report.diff import COLUMNS, diff_paths

    check_out(args.out, folder=False)
    gazetteer = layer_of = None
    if not Path(args.old).is_dir():  # reports: the district's gazetteer and layer names
        from layers.build import build_from_files
        from layers.report import layer_index

        district, gazetteer = district_and_gazetteer(args.district, spec=args.spec)
        layer_of = layer_index(build_from_files(args.spec, district=district.id))
    frame = diff_paths(args.old, args.new, gazetteer=gazetteer, layer_of=layer_of)
    rows = frame[COLUMNS].astype(object).where(frame[COLUMNS].notna(), None)
    records = rows.to_dict("records")
    if args.json:
        print(json_for_terminal(records))
    else:
        print_table(
            ["change", "place", "id", "layer", "status", "mentions"],
            [
                [
                    shown(cell)  # names and ids may come from a folder's GeoJSON
                    for cell in (
                        r["change"],
                        r["name"],
                        r["id"],
                        r["layer"] or "-",
                        f"{r['old_status'] or '-'} -> {r['new_status'] or '-'}",
                        f"{r['old_mentions']} -> {r['new_mentions']}",
                    )
                ]
                for r in records
            ],
        )
        counts = {c: sum(r["change"] == c for r in records) for c in ("new", "dropped")}
        changed = sum(r["change"] == "status_changed" for r in records)
        print(f"{counts['new']} new, {counts['dropped']} dropped, {changed} changed in status")
    if args.out:
        write_geojson(frame, args.out)
        if not args.json:
            print(f"wrote {len(frame)} features to {args.out}")
    return 0
