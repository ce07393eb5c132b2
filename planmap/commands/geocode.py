"""``planmap geocode NAME``: look a place name up in the shipped gazetteer, offline."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from geo.errors import GeocodeError

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
            "Match a place name (Simplified, Traditional, English or pinyin) against the "
            "shipped gazetteer and print the best match: " + "  ".join(FIELDS) + "."
        ),
    )
    parser.add_argument("name", metavar="NAME", help="place name, e.g. 莲塘口岸 or 'Liantang Port'")
    parser.add_argument("--json", action="store_true", help="print the match as a JSON object")
    parser.add_argument(
        "--kind",
        dest="kinds",
        metavar="KIND",
        action="extend",
        nargs="+",
        help="only consider places of these kinds, e.g. --kind port metro_station (after NAME)",
    )
    parser.set_defaults(func=run)


def _load() -> GeoDataFrame:
    """Return the shipped gazetteer (a seam for tests)."""
    from geo.gazetteer import load_gazetteer

    return load_gazetteer()


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
    """Geocode ``args.name`` and print the best match.

    Parameters
    ----------
    args : argparse.Namespace
        ``name``, ``json`` and ``kinds`` from :func:`register`.

    Returns
    -------
    int
        0 on a match; 1 when no place is close enough (message and suggestions on stderr).
    """
    from geo.geocoder import Geocoder

    geocoder = Geocoder(_load())
    try:
        match = geocoder.geocode(args.name, kinds=args.kinds)
    except GeocodeError as exc:
        print(f"planmap geocode: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # unknown --kind: the message lists the valid kinds
        print(f"planmap geocode: {exc}", file=sys.stderr)
        return 2
    print(format_json(match) if args.json else format_line(match))
    return 0
