"""``planmap basemap``: a planner's own tiles. ``add`` an MBTiles file, ``list`` what there is,
``remove`` one. Tile services (XYZ/WMTS, 天地图) are declared in the settings file by hand."""

from __future__ import annotations

import argparse
import sys

from planmap.commands._common import add_district, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("basemap", help="add, list or remove basemaps (MBTiles, tile services)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)

    add = verbs.add_parser(
        "add",
        help="add a raster MBTiles file as a basemap (checked, and prepared for the app)",
    )
    add.add_argument("name", metavar="NAME", help="its name, e.g. district_2024")
    add.add_argument("file", metavar="FILE.mbtiles", help="a raster MBTiles file (png/jpg/webp)")
    add.add_argument(
        "--datum",
        default="wgs84",
        help="the datum the tiles are drawn in: wgs84 (default), gcj02 or cgcs2000",
    )
    add.add_argument("--attribution", default="", metavar="TEXT", help="credit shown on maps")
    add.add_argument("--label", default="", metavar="TEXT", help="name shown in the app")
    add_district(add)
    add.set_defaults(func=run_add)

    ls = verbs.add_parser("list", help="list the built-in and configured basemaps")
    ls.set_defaults(func=run_list)

    rm = verbs.add_parser("remove", help="remove an MBTiles basemap (the file is kept)")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=run_remove)


def _district_polygon(district: str | None):
    from geo.district import get_district
    from geo.gazetteer.facts import boundaries, load_facts
    from geo.paths import facts_dir

    record = get_district(district)
    return record, boundaries(load_facts(facts_dir()))[record.boundary.feature]


def run_add(args: argparse.Namespace) -> int:
    from pathlib import Path

    from geo.errors import DataError
    from layers.map.basemap_settings import (
        MBTilesEntry,
        TileDatum,
        check_name,
        settings_path,
        upsert_mbtiles,
    )
    from layers.map.mbtiles import district_coverage, read_mbtiles
    from layers.map.tiles import prepare_for_app

    try:
        name = check_name(args.name)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    datum = TileDatum.get(args.datum, name="datum")
    path = Path(args.file).expanduser().resolve()
    mb = read_mbtiles(path)
    record, polygon = _district_polygon(args.district)
    share = district_coverage(mb, polygon, datum=datum.display)
    if share <= 0:
        w, s, e, n = mb.finest_bounds
        raise DataError(
            f"{path}: its tiles ({w:.3f},{s:.3f} to {e:.3f},{n:.3f}) lie outside "
            f"{record.name} {record.name_en}"
        )
    try:
        entry = MBTilesEntry(
            file=str(path), datum=datum, attribution=args.attribution, label=args.label
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise DataError(f"--attribution/--label: {str(exc).splitlines()[-1].strip()}") from None
    folder, count = prepare_for_app(
        name, path, progress=lambda n: print(f"\r{n} tiles…", end="", file=sys.stderr)
    )
    if count >= 1000:
        print(file=sys.stderr)
    settings = settings_path()
    upsert_mbtiles(name, entry, settings)
    print(
        f"added basemap {name}: {path.name} ({mb.format}, zoom {mb.minzoom}-{mb.maxzoom}, "
        f"{count} tiles, {datum.value}), covering {share:.0%} of {record.name_en}"
    )
    print(f"  settings: {settings}")
    print(f"  the app serves it from {folder}")
    if share < 0.95:
        print(f"note: the tiles cover only {share:.0%} of {record.name_en}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from layers.map.basemap_settings import load_settings, settings_path
    from layers.map.basemaps import basemap_notes, basemaps
    from layers.map.tiles import app_folder

    settings = load_settings()
    rows = []
    for name, info in basemaps(settings).items():
        if info.kind == "mbtiles":
            assert info.mbtiles is not None  # an mbtiles basemap always names its file
            ready = (app_folder(name, info.mbtiles) / "tiles.json").is_file()
            where = info.mbtiles + ("" if ready else "  (not prepared for the app: add it again)")
        elif info.kind == "builtin":
            where = "built in"
        else:
            where = str(info.tiles["tiles"]).split("?")[0]
        network = "offline" if not info.online else "network"
        rows.append((name, info.kind, info.datum, network, where))
    print_table(["name", "kind", "datum", "needs", "source"], rows)
    print(f"settings: {settings_path()}")
    for note in basemap_notes(settings):
        print(f"note: {note}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from geo.errors import OptionError
    from layers.map.basemap_settings import remove_mbtiles, settings_path
    from layers.map.tiles import remove_from_app

    if not remove_mbtiles(args.name):
        raise OptionError(f"no MBTiles basemap {args.name!r} in {settings_path()}")
    remove_from_app(args.name)
    print(f"removed basemap {args.name} (its MBTiles file is kept)")
    return 0
