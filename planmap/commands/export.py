"""``planmap export``: layers to GeoJSON, GeoPackage, KML or CSV, in WGS-84 (or GCJ-02)."""

from __future__ import annotations

import argparse
import sys

from planmap.commands._common import build_with_progress, print_warnings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export layers for GIS")
    p.add_argument("--format", required=True, choices=["geojson", "gpkg", "kml", "csv"])
    p.add_argument("--out", required=True, help="file to write")
    p.add_argument("--layer", action="append", dest="layers", metavar="NAME", help="repeatable")
    p.add_argument(
        "--crs",
        default="wgs84",
        choices=["wgs84", "gcj02"],
        help="gcj02 only for loading into Chinese web platforms (default wgs84)",
    )
    p.add_argument("--spec", help="spec file (default: data/specs/luohu_2025.toml)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layers.export import export

    layers = build_with_progress(args.spec)
    path = export(layers, fmt=args.format, out=args.out, names=args.layers, crs=args.crs)
    if args.crs == "gcj02":
        print(
            "note: coordinates are GCJ-02 (shifted ~600 m), for Chinese web maps only",
            file=sys.stderr,
        )
    print(f"wrote {path}")
    print_warnings(layers.warnings)
    return 0
