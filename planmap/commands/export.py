"""``planmap export``: layers to GeoJSON, GeoPackage, KML, CSV, Shapefile, DXF or a QGIS project,
in WGS-84 (default), CGCS2000, a Gauss–Krüger zone, or GCJ-02 on request."""

from __future__ import annotations

import argparse
import sys

from planmap.commands._common import (
    add_district,
    add_report,
    add_spec,
    build_from_args,
    check_out,
    print_warnings,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export layers for GIS")
    from layers.export.formats import Format

    p.add_argument("--format", required=True, choices=Format.values())
    p.add_argument("--out", required=True, help="file to write (shp, qgis: a folder)")
    p.add_argument("--layer", action="append", dest="layers", metavar="NAME", help="repeatable")
    p.add_argument(
        "--crs",
        default=None,
        metavar="CRS",
        help="wgs84 (default), cgcs2000 (EPSG:4490), epsg:NNNN (e.g. epsg:4547, CGCS2000 "
        "3° Gauss-Kruger CM 114E; DXF's default is the district's zone), or gcj02 only for "
        "loading into Chinese web platforms",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="shp, qgis: write into a folder that holds other files (they are kept)",
    )
    add_district(p)
    add_spec(p)
    add_report(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layers.export import export
    from layers.export.formats import FOLDER_FORMATS, preflight

    # a bad --crs or --out is reported before the layers are built
    fmt = preflight(args.format, out=args.out, crs=args.crs, force=args.force)
    check_out(args.out, folder=fmt in FOLDER_FORMATS)
    layers = build_from_args(args)
    path = export(
        layers, fmt=args.format, out=args.out, names=args.layers, crs=args.crs, force=args.force
    )
    if (args.crs or "").strip().lower() == "gcj02":
        print(
            "note: coordinates are GCJ-02 (shifted ~600 m), for Chinese web maps only",
            file=sys.stderr,
        )
    print(f"wrote {path}")
    print_warnings(layers.warnings)
    return 0
