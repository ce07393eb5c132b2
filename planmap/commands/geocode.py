"""``planmap geocode NAME``: look a place name up in the shipped gazetteer, offline.

``--online`` (or ``PLANMAP_ONLINE=1``) asks OpenStreetMap's Nominatim for the names the
gazetteer does not know, preferring results inside the district's box
(:func:`geo.online.viewbox_of`). Those lines say ``online`` and are printed, never stored: an
online answer is a lead for the planner to check, not a source.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from geo.errors import GeocodeError, OptionError
from planmap.commands._common import add_district

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

    from geo.geocoder import Match

FIELDS = ("id", "name", "name_en", "lon", "lat", "kind", "precision", "score")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``geocode`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The ``planmap`` subparsers.
    """
    parser = subparsers.add_parser(
        "geocode",
        help="find a place name in the gazetteer",
        description=(
            "Match place names (Simplified, Traditional, English or pinyin) against the "
            "shipped gazetteer and print the best match of each, one line per name: "
            + "  ".join(FIELDS)
            + "."
        ),
    )
    parser.add_argument(
        "names",
        metavar="NAME",
        nargs="+",
        help="place names, e.g. 莲塘口岸 or 'Liantang Port' (several: one line each)",
    )
    parser.add_argument("--json", action="store_true", help="print the match as a JSON object")
    parser.add_argument(
        "--online",
        action="store_true",
        help="ask OpenStreetMap Nominatim for names the gazetteer does not know "
        "(also PLANMAP_ONLINE=1; PLANMAP_NOMINATIM_URL, PLANMAP_TIMEOUT apply)",
    )
    parser.add_argument(
        "--kind",
        dest="kinds",
        metavar="KIND",
        action="extend",
        nargs="+",
        help="only consider places of these kinds, e.g. --kind port metro_station (after NAME)",
    )
    add_district(parser)
    parser.set_defaults(func=run)


def _load(district: str | None = None) -> GeoDataFrame:
    """Return a district's shipped gazetteer (a seam for tests)."""
    from geo.gazetteer import load_gazetteer

    return load_gazetteer(district)


def _coord(value: float | None) -> str:
    return "-" if value is None else f"{value:.6f}"


def format_line(match: Match) -> str:
    """Return a match as one line of two-space separated fields (see ``FIELDS``).

    Parameters
    ----------
    match : Match
        A geocoder match.

    Returns
    -------
    str
        ``id  name  name_en  lon  lat  kind  precision  score``; missing values print ``-``.
    """
    values = (
        match.id,
        match.name,
        match.name_en or "-",
        _coord(match.lon),
        _coord(match.lat),
        match.kind,
        match.precision,
        f"{match.score:.1f}",
    )
    return "  ".join(values)


def format_json(match: Match) -> str:
    """Return a match as a JSON object with the keys of ``FIELDS`` (null when missing).

    Parameters
    ----------
    match : Match
        A geocoder match.

    Returns
    -------
    str
        One line of JSON, non-ASCII characters kept.
    """
    record = {
        "id": match.id,
        "name": match.name,
        "name_en": match.name_en,
        "lon": None if match.lon is None else round(match.lon, 6),
        "lat": None if match.lat is None else round(match.lat, 6),
        "kind": match.kind,
        "precision": match.precision,
        "score": match.score,
    }
    return json.dumps(record, ensure_ascii=False)


def run(args: argparse.Namespace) -> int:
    """Geocode each of ``args.names`` and print the best match of each.

    Parameters
    ----------
    args : argparse.Namespace
        ``names``, ``json``, ``kinds`` and ``district`` from :func:`register`.

    Returns
    -------
    int
        0 when every name matched; 1 when one is not close enough to any place (message and
        suggestions on stderr; the other names are still printed); 2 for a bad ``--kind``.
    """
    from geo.geocoder import Geocoder

    geocoder = Geocoder(_load(args.district) if args.district else _load())
    try:
        if len(args.names) == 1:
            matches: list[Match | None] = [geocoder.geocode(args.names[0], kinds=args.kinds)]
        else:
            matches = geocoder.match_all(args.names, kinds=args.kinds)
    except GeocodeError as exc:
        if _online_enabled(args) and _print_online(args.names[0], args):
            return 0
        print(f"planmap geocode: {exc}", file=sys.stderr)
        return 1
    except OptionError as exc:  # unknown --kind: the message lists the valid kinds
        print(f"planmap geocode: {exc}", file=sys.stderr)
        return 2
    code = 0
    for name, match in zip(args.names, matches, strict=True):
        if match is None:
            if _online_enabled(args) and _print_online(name, args):
                continue
            print(f"planmap geocode: unknown place {name!r}", file=sys.stderr)
            code = 1
            continue
        print(format_json(match) if args.json else format_line(match))
    return code


def _online_enabled(args: argparse.Namespace) -> bool:
    from geo.online import settings_from_env

    if getattr(args, "online", False):
        return True
    try:
        return settings_from_env().enabled
    except ValueError as exc:  # a PLANMAP_ONLINE that cannot be read
        raise OptionError(str(exc)) from None


def _print_online(name: str, args: argparse.Namespace) -> bool:
    """Print Nominatim's best answer for ``name`` (``online`` in the precision field); False if
    it has none. Network failures raise :class:`~geo.errors.NetworkError` (one line)."""
    import dataclasses

    from geo.online import nominatim_search, settings_from_env, viewbox_of

    settings = dataclasses.replace(settings_from_env(), enabled=True)
    found = nominatim_search(name, settings=settings, limit=1, viewbox=viewbox_of(args.district))
    if found.empty:
        return False
    row = found.iloc[0]
    record: dict[str, Any] = {
        "id": f"osm:{row['osm_type']}/{row['osm_id']}",
        "name": row["name"] or name,
        "name_en": None,
        "lon": round(float(row["lon"]), 6),
        "lat": round(float(row["lat"]), 6),
        "kind": f"{row['category']}/{row['type']}",
        "precision": "online",
        "score": None,
        "source": "OpenStreetMap Nominatim (ODbL), online: check before use",
    }
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
    else:
        cells = [record[k] for k in FIELDS]
        cells[3:5] = [_coord(record["lon"]), _coord(record["lat"])]
        print("  ".join("-" if v is None else str(v) for v in cells))
    print(f"planmap geocode: {name!r} is not in the gazetteer; {record['source']}", file=sys.stderr)
    return True
