"""``planmap locate --from FILE``: locate the report's places from a planner's own GIS file.

Reads any vector file GDAL reads (and OpenStreetMap XML/PBF), converts it to WGS-84, refuses a
file whose coordinates sit where GCJ-02 or BD-09 would put them until ``--datum`` says which,
matches its named features to the district's places and saves the located ones to the user
store (one transaction), so the next ``planmap build`` and the app show them with the file as
their source. ``--dry-run`` prints the match table and writes nothing.
"""

from __future__ import annotations

import argparse
import sys

from planmap.commands._common import add_district, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "locate",
        help="locate the report's places from your own GIS file (Shapefile, GeoPackage, …)",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    p.add_argument("--from", dest="source", required=True, metavar="FILE", help="the file")
    p.add_argument("--layer", metavar="NAME", help="the layer of a file with several")
    p.add_argument("--name-field", metavar="FIELD", help="the field that names the features")
    p.add_argument(
        "--crs",
        metavar="CRS",
        help="the file's CRS when it has none or a wrong one: EPSG:4547, cgcs2000-gk, "
        "xian80-gk, beijing54-gk, webmercator, wgs84, any PROJ string",
    )
    p.add_argument(
        "--datum",
        choices=["wgs84", "gcj02", "bd09"],
        help="what the file's lon/lat really are (default: WGS-84, checked)",
    )
    p.add_argument("--licence", default="", metavar="TEXT", help="the file's licence, recorded")
    p.add_argument(
        "--pick",
        action="append",
        default=[],
        metavar="ID=N",
        help="choose candidate N (or N,M) for a place offered as a choice (repeatable)",
    )
    p.add_argument(
        "--reject", action="append", default=[], metavar="ID", help="do not save this place"
    )
    p.add_argument(
        "--replace", action="store_true", help="replace locations already in your user store"
    )
    p.add_argument("--dry-run", action="store_true", help="print the match table, write nothing")
    p.add_argument("--all", action="store_true", help="also list places the file says nothing of")
    p.add_argument("--store", metavar="PATH", help="the user store (default: yours)")
    add_district(p)
    p.set_defaults(func=run)


def _stored(store) -> dict[str, str]:  # noqa: ANN001
    if not store.path.exists():
        return {}
    frame = store.locations()
    return dict(zip(frame["id"], frame["source"], strict=True))


def run(args: argparse.Namespace) -> int:
    from geo.locate import locate
    from geo.locate.text import shown
    from layers.locate import Action, parse_picks, plan, save, table

    picks = parse_picks(args.pick)
    result = locate(
        args.source,
        district=args.district,
        layer=args.layer,
        name_field=args.name_field,
        crs=args.crs,
        datum=args.datum,
        licence=args.licence,
    )
    print(
        f"{result.label}: layer {shown(result.layer)}, name field {shown(result.name_field)}, "
        f"{result.features:,} named features, {result.crs.name}, datum {result.datum.value}"
    )
    for note in result.notes:
        print(f"  {shown(note, limit=300)}")
    if not result.matched:
        print(f"planmap locate: {result.empty_message()}", file=sys.stderr)
        return 1
    store = None
    stored: dict[str, str] = {}
    if not args.dry_run:
        from layers.store import UserStore

        store = UserStore(args.store)
        stored = _stored(store)
    the_plan = plan(result, picks=picks, rejected=args.reject, stored=stored, replace=args.replace)
    frame = table(the_plan, everything=args.all)
    print_table(
        list(frame.columns),
        [
            [shown(v, limit=60 if c != "why" else 160) for c, v in row.items()]
            for row in frame.to_dict("records")
        ],
    )
    choose = the_plan.of(Action.CHOOSE)
    for d in choose:
        print(
            f"choose for {d.proposal.place_id} ({shown(d.proposal.name)}): "
            + "; ".join(f"{n}. {shown(o.describe())}" for n, o in enumerate(d.options, 1))
            + f" -> --pick {d.proposal.place_id}=N"
        )
    to_save = the_plan.of(Action.SAVE)
    if args.dry_run:
        print(f"dry run: {len(to_save)} location(s) would be saved; nothing written")
        return 0
    assert store is not None  # made above unless a dry run
    saved = save(the_plan, store)
    ids = ", ".join(d.proposal.place_id for d in to_save)
    print(f"saved {saved} location(s) to {store.path}" + (f": {ids}" if ids else ""))
    if choose:
        print(f"{len(choose)} place(s) left to choose (see above); nothing saved for them")
    return 0
