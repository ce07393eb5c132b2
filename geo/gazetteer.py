"""The shipped gazetteer: every place of the report and its context, with source and precision.

It is assembled from the files in ``data/`` at load time (so editing a fact changes the map):
- ``gazetteer/places.toml``: curated places with geometry recipes (see its header);
- ``facts/metro_stations.csv``: station positions (two public compilations, averaged);
- ``facts/metro_line_order.json``: official station order of each line;
- ``facts/point_facts.csv`` (+ ``extra_point_facts.csv``): sourced point coordinates;
- ``facts/luohu_and_neighbours.geojson``: district boundaries.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import opencc
import pandas as pd
from pypinyin import lazy_pinyin
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry

from geo import recipes
from geo.errors import DataError
from geo.geometry import area_km2
from geo.names import normalize_name
from geo.paths import data_dir, facts_dir

COLUMNS = ["id", "name", "name_en", "aliases", "kind", "status", "precision", "source", "note"]
STATUSES = ("existing", "under_construction", "planned", "proposed")
PRECISIONS = ("surveyed", "located", "approximate", "schematic", "unlocated")
STATION_SOURCE = (
    "facts/metro_stations.csv: mean of two public station compilations "
    "(Baidu-derived 2024-03, OSM-derived 2026-06)"
)
LINE_SOURCE = (
    "station order: Shenzhen Transport Bureau list 2026-01-14 "
    "(https://jtys.sz.gov.cn/jtzx/wycx/dtcx/dtxl/content/post_12601089.html); "
    "drawn through facts/metro_stations.csv positions"
)

_s2t = opencc.OpenCC("s2t")


def lonlat_point(lon: float, lat: float) -> Point:
    """The one place where a coordinate pair becomes a geometry: ``Point(lon, lat)``."""
    return Point(float(lon), float(lat))


def _pinyin(name: str) -> str:
    return "".join(lazy_pinyin(name)).capitalize()


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype={"name_zh": str, "name": str})


def point_facts(folder: Path | None = None) -> dict[str, Point]:
    """Sourced point coordinates by their ``name_zh``, from point_facts and extra_point_facts."""
    folder = folder or facts_dir()
    out: dict[str, Point] = {}
    for fname in ("point_facts.csv", "extra_point_facts.csv"):
        frame = _read_csv(folder / fname)
        for i, row in frame.iterrows():
            try:
                out[str(row["name_zh"]).strip()] = lonlat_point(row["lon"], row["lat"])
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{folder / fname}: row {i + 2}: bad lon/lat ({exc})") from exc
    return out


def _stations(folder: Path) -> list[dict]:
    frame = _read_csv(folder / "metro_stations.csv")
    rows = []
    for _, r in frame.iterrows():
        name = str(r["name"])
        py = _pinyin(name)
        inside = str(r["in_luohu"]).lower() == "true"
        where = "in Luohu" if inside else f"{int(r['dist_outside_luohu_m'])} m outside Luohu"
        spread = (
            f"compilations differ by {r['disagreement_m']:.0f} m"
            if pd.notna(r["disagreement_m"])
            else "one compilation only"
        )
        rows.append(
            {
                "id": f"station.{py.lower()}",
                "name": f"{name}站",
                "name_en": f"{py} station",
                "aliases": [name, _s2t.convert(name) + "站", f"{name}地铁站", py, f"{py} station"],
                "kind": "metro_station",
                "status": "existing",
                "precision": "located",
                "source": STATION_SOURCE,
                "note": f"{where}; {spread}",
                "geometry": lonlat_point(r["lon"], r["lat"]),
                "in_district": inside,
            }
        )
    return rows


def _line_runs(order: list[str], coords: dict[str, Point]) -> tuple[BaseGeometry | None, list[str]]:
    """Runs of consecutive located stations; a single unlocated station between two located
    ones is bridged (named in the note), longer gaps break the line."""
    runs: list[list[Point]] = []
    bridged: list[str] = []
    current: list[Point] = []
    i = 0
    while i < len(order):
        name = order[i]
        if name in coords:
            current.append(coords[name])
        elif (
            current
            and i + 1 < len(order)
            and order[i + 1] in coords
            and (i == 0 or order[i - 1] in coords)
        ):
            bridged.append(name)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = []
        i += 1
    if len(current) >= 2:
        runs.append(current)
    if not runs:
        return None, bridged
    lines = [LineString(r) for r in runs]
    return (lines[0] if len(lines) == 1 else MultiLineString(lines)), bridged


def _lines(folder: Path, station_coords: dict[str, Point]) -> list[dict]:
    data = json.loads((folder / "metro_line_order.json").read_text(encoding="utf-8"))
    rows = []
    for line_name, order in data["routes"].items():
        numbers = [n.replace("号线", "") for n in line_name.split("&")]
        geom, bridged = _line_runs(order, station_coords)
        note = "Drawn station to station through the stations within 3 km of Luohu."
        if bridged:
            note += f" Bridged over unlocated: {', '.join(bridged)}."
        aliases = []
        for n in numbers:
            aliases += [f"{n}号线", f"{n}號線", f"地铁{n}号线", f"深圳地铁{n}号线", f"Line {n}"]
        rows.append(
            {
                "id": "metro.line" + "_".join(numbers),
                "name": "/".join(f"{n}号线" for n in numbers),
                "name_en": "Line " + "/".join(numbers),
                "aliases": aliases,
                "kind": "metro_line",
                "status": "existing",
                "precision": "approximate" if geom is not None else "unlocated",
                "source": LINE_SOURCE,
                "note": note,
                "geometry": geom,
                "stations": order,
            }
        )
    return rows


def _boundaries(folder: Path) -> dict[str, BaseGeometry]:
    frame = gpd.read_file(folder / "luohu_and_neighbours.geojson")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise DataError(f"{folder / 'luohu_and_neighbours.geojson'}: expected EPSG:4326")
    return dict(zip(frame["name"], frame.geometry, strict=True))


def _check_entry(entry: dict, where: str) -> None:
    for key in ("id", "name", "name_en", "kind", "status", "precision", "source"):
        if not str(entry.get(key, "")).strip():
            raise DataError(f"{where}: missing field '{key}'")
    if entry["status"] not in STATUSES:
        raise DataError(f"{where}: status '{entry['status']}' is not one of {', '.join(STATUSES)}")
    if entry["precision"] not in PRECISIONS:
        raise DataError(
            f"{where}: precision '{entry['precision']}' is not one of {', '.join(PRECISIONS)}"
        )
    if entry["precision"] == "unlocated" and "geometry" in entry:
        raise DataError(f"{where}: precision 'unlocated' but a geometry recipe is given")
    if entry["precision"] != "unlocated" and "geometry" not in entry:
        raise DataError(f"{where}: no geometry recipe, so precision must be 'unlocated'")


def load_places(path: Path) -> list[dict]:
    """Read and check the curated places file."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from exc
    places = doc.get("place", [])
    seen: set[str] = set()
    for i, entry in enumerate(places):
        where = f"{path.name}: place[{i}] ({entry.get('id', '?')})"
        _check_entry(entry, where)
        if entry["id"] in seen:
            raise DataError(f"{where}: duplicate id '{entry['id']}'")
        seen.add(entry["id"])
    return places


def assemble(data: Path | None = None) -> gpd.GeoDataFrame:
    """Build the gazetteer from the data folder (uncached; see :func:`load_gazetteer`)."""
    data = data or data_dir()
    folder = data / "facts"
    places_path = data / "gazetteer" / "places.toml"
    facts = point_facts(folder)
    boundaries = _boundaries(folder)
    stations = _stations(folder)
    station_xy = {r["name"][:-1]: r["geometry"] for r in stations}
    rows: list[dict] = list(stations) + _lines(folder, station_xy)
    by_name: dict[str, BaseGeometry | None] = {}

    def remember(row: dict) -> None:
        for key in [row["name"], *row["aliases"]]:
            by_name.setdefault(key, row["geometry"])

    for row in rows:
        remember(row)
    district = boundaries["罗湖区"]
    neighbours = [g for n, g in boundaries.items() if n != "罗湖区"]
    border: LineString | None = None

    def resolve(name: str) -> BaseGeometry | None:
        if name in by_name:
            return by_name[name]
        if name + "站" in by_name:
            return by_name[name + "站"]
        raise DataError(f"{places_path.name}: unknown anchor '{name}' (define it earlier)")

    for i, entry in enumerate(load_places(places_path)):
        where = f"{places_path.name}: place[{i}] ({entry['id']})"
        recipe = dict(entry.get("geometry", {}))
        note = entry.get("note", "")
        geom: BaseGeometry | None = None
        if "point_fact" in recipe:
            key = recipe["point_fact"]
            if key not in facts:
                raise DataError(f"{where}: geometry.point_fact '{key}' is not in the point facts")
            geom = facts[key]
        elif "boundary" in recipe:
            if recipe["boundary"] not in boundaries:
                raise DataError(f"{where}: geometry.boundary '{recipe['boundary']}' not found")
            geom = boundaries[recipe["boundary"]]
        elif "same_as" in recipe:
            geom = resolve(recipe["same_as"])
        elif "border_of" in recipe:
            border = recipes.hk_border(
                boundaries[recipe["border_of"]], neighbours, tol_m=float(recipe.get("tol_m", 150))
            )
            geom = border
        elif recipe:
            result = recipes.build(
                recipe, resolve=resolve, district=district, border=border, where=where
            )
            geom = result.geometry
            if result.skipped:
                note = f"{note} Unlocated anchors left out: {', '.join(result.skipped)}.".strip()
            if geom is not None and geom.geom_type.endswith("Polygon"):
                note = f"{note} Drawn area {area_km2(geom):.1f} km².".strip()
        geom = recipes.simplify_empty(geom)
        if geom is None and entry["precision"] != "unlocated":
            raise DataError(f"{where}: the recipe produced no geometry")
        aliases = list(entry.get("aliases", []))
        if entry["id"].split(".")[0] != "hk":  # pinyin of a Hong Kong name is not its name
            aliases.append(_pinyin(entry["name"]))  # "lian tang kou an" finds 莲塘口岸
        row = {
            **{k: entry.get(k, "") for k in COLUMNS},
            "aliases": list(dict.fromkeys(aliases)),
            "note": note,
            "geometry": geom,
        }
        rows.append(row)
        remember(row)
    curated = {
        k
        for r in rows
        if r["kind"] not in ("metro_station", "metro_line")
        for k in [r["name"], *r["aliases"]]
    }
    curated = {normalize_name(k) for k in curated}
    for row in stations:
        # a bare station name that is also a curated name ("罗湖" the district) stays with
        # the curated place; the station keeps "罗湖站"
        row["aliases"] = [a for a in row["aliases"] if normalize_name(a) not in curated]
    frame = pd.DataFrame(rows)
    frame["in_district"] = frame["in_district"].astype("boolean")
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
    dupes = gdf["id"][gdf["id"].duplicated()].tolist()
    if dupes:
        raise DataError(f"gazetteer: duplicate ids {dupes}")
    return gdf[[*COLUMNS, "in_district", "stations", "geometry"]]


@functools.lru_cache(maxsize=4)
def _cached(data: str) -> gpd.GeoDataFrame:
    return assemble(Path(data))


def load_gazetteer(data: Path | None = None) -> gpd.GeoDataFrame:
    """The gazetteer as a GeoDataFrame in EPSG:4326 (a fresh copy of a cached build).

    Parameters
    ----------
    data : Path, optional
        A data folder laid out like the shipped one (default: :func:`geo.paths.data_dir`).

    Returns
    -------
    GeoDataFrame
        Columns ``id, name, name_en, aliases, kind, status, precision, source, note,
        in_district, stations, geometry``; geometry is None for unlocated places.
    """
    return _cached(str(data or data_dir())).copy()


def names_of(gdf: gpd.GeoDataFrame) -> Iterable[str]:
    """Every canonical name and alias, for suggestions."""
    for name, aliases in zip(gdf["name"], gdf["aliases"], strict=True):
        yield name
        yield from aliases
