"""The shared fact files (``data/facts/``), read as the manifest ``facts.toml`` describes them.

Boundaries, metro stations, official line orders and sourced points: each becomes gazetteer rows
or lookups here. What a file's columns mean and which area it covers is data (the manifest), so
no district is named in code: a station's note says where it lies relative to the district
being built, from the file's own measurement when the file was measured for that district and
measured here otherwise.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import opencc
import pandas as pd
import shapely
from pydantic import Field
from pypinyin import lazy_pinyin
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry

from geo.config import Frozen, chosen, load_model
from geo.district import District
from geo.errors import DataError
from geo.geometry import repair, to_metric
from geo.model import Kind, Precision, Status

__all__ = [
    "Facts",
    "OsmLayer",
    "boundaries",
    "line_rows",
    "load_facts",
    "lonlat_point",
    "osm_frame",
    "osm_row",
    "osm_rows",
    "pinyin",
    "point_facts",
    "station_rows",
]

_s2t = opencc.OpenCC("s2t")


class _Boundaries(Frozen):
    file: str = Field(min_length=1)


class _Stations(Frozen):
    file: str = Field(min_length=1)
    source: str = Field(min_length=1)
    coverage: str = Field(min_length=1, description="which stations the file lists")
    reference_district: str = ""
    inside_column: str = ""
    distance_column: str = ""


class _Lines(Frozen):
    file: str = Field(min_length=1)
    source: str = Field(min_length=1)


class _Points(Frozen):
    files: tuple[str, ...] = ()


class OsmLayer(Frozen):
    """One OpenStreetMap context file: its GCJ-02 input, the shipped WGS-84 file, the fields
    kept (input name -> output name) and the gazetteer kind of its features."""

    raw: str = Field(min_length=1)
    file: str = Field(min_length=1)
    kind: chosen(Kind)  # type: ignore[valid-type]
    fields: dict[str, str]


class Facts(Frozen):
    """``data/facts/facts.toml``: the shared fact files and how to read them."""

    boundaries: _Boundaries
    stations: _Stations
    lines: _Lines
    points: _Points = _Points()
    osm: dict[str, OsmLayer] = Field(default_factory=dict)
    folder: str = ""

    def path(self, name: str) -> Path:
        return Path(self.folder) / name


def load_facts(folder: Path) -> Facts:
    """Read the manifest of a facts folder."""
    return load_model(
        Facts, folder / "facts.toml", what="facts manifest", extra={"folder": str(folder)}
    )


def lonlat_point(lon: float, lat: float) -> Point:
    """The one place where a coordinate pair becomes a geometry: ``Point(lon, lat)``."""
    return Point(float(lon), float(lat))


def pinyin(name: str) -> str:
    """Toneless pinyin of a name, capitalised: ``莲塘口岸`` -> ``Liantangkouan``."""
    return "".join(lazy_pinyin(name)).capitalize()


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype={"name_zh": str, "name": str})


def point_facts(facts: Facts) -> dict[str, Point]:
    """Sourced point coordinates by their ``name_zh``, from every points file."""
    out: dict[str, Point] = {}
    for fname in facts.points.files:
        frame = _read_csv(facts.path(fname))
        for i, (_, row) in enumerate(frame.iterrows()):
            try:
                out[str(row["name_zh"]).strip()] = lonlat_point(row["lon"], row["lat"])
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{facts.path(fname)}: row {i + 2}: bad lon/lat ({exc})") from exc
    return out


def boundaries(facts: Facts) -> dict[str, BaseGeometry]:
    """Boundary polygons by their ``name``."""
    path = facts.path(facts.boundaries.file)
    frame = gpd.read_file(path)
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise DataError(f"{path}: expected EPSG:4326")
    return dict(zip(frame["name"], frame.geometry, strict=True))


def _where(row: pd.Series, facts: Facts, district: District, district_m: BaseGeometry) -> str:
    """``in Luohu`` or ``N m outside Luohu``, for the district being built."""
    spec = facts.stations
    if district.name == spec.reference_district and spec.inside_column and spec.distance_column:
        inside = str(row[spec.inside_column]).lower() == "true"
        distance = 0 if inside else int(row[spec.distance_column])
    else:
        point = to_metric(lonlat_point(row["lon"], row["lat"]))
        inside = bool(shapely.covered_by(point, district_m))
        distance = math.ceil(float(shapely.distance(point, district_m)))
    return f"in {district.short_en}" if inside else f"{distance} m outside {district.short_en}"


def station_rows(facts: Facts, district: District, district_geom: BaseGeometry) -> list[dict]:
    """One gazetteer row per station of the stations file."""
    frame = _read_csv(facts.path(facts.stations.file))
    district_m = repair(to_metric(district_geom))
    rows = []
    for _, r in frame.iterrows():
        name = str(r["name"])
        py = pinyin(name)
        where = _where(r, facts, district, district_m)
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
                "kind": Kind.METRO_STATION.value,
                "status": Status.EXISTING.value,
                "precision": Precision.LOCATED.value,
                "source": facts.stations.source,
                "note": f"{where}; {spread}",
                "licence": "",
                "within": "",
                "geometry": lonlat_point(r["lon"], r["lat"]),
                "in_district": where == f"in {district.short_en}",
            }
        )
    return rows


def line_runs(order: list[str], coords: dict[str, Point]) -> tuple[BaseGeometry | None, list[str]]:
    """Runs of consecutive located stations; a single unlocated station between two located
    ones is bridged (named in the note), longer gaps break the line."""
    runs: list[list[Point]] = []
    bridged: list[str] = []
    current: list[Point] = []
    for i, name in enumerate(order):
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
    if len(current) >= 2:
        runs.append(current)
    if not runs:
        return None, bridged
    lines = [LineString(r) for r in runs]
    return (lines[0] if len(lines) == 1 else MultiLineString(lines)), bridged


def line_rows(facts: Facts, station_coords: dict[str, Point]) -> list[dict]:
    """One gazetteer row per metro line, drawn station to station through located stations."""
    path = facts.path(facts.lines.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        routes = data["routes"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a line-order file ({exc})") from None
    rows = []
    for line_name, order in routes.items():
        numbers = [n.replace("号线", "") for n in line_name.split("&")]
        geom, bridged = line_runs(order, station_coords)
        note = f"Drawn station to station through the stations {facts.stations.coverage}."
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
                "kind": Kind.METRO_LINE.value,
                "status": Status.EXISTING.value,
                "precision": (
                    Precision.APPROXIMATE if geom is not None else Precision.UNLOCATED
                ).value,
                "source": facts.lines.source,
                "note": note,
                "licence": "",
                "within": "",
                "geometry": geom,
                "stations": order,
            }
        )
    return rows


#: the licence column of OpenStreetMap-derived rows
OSM_LICENCE = "ODbL-1.0 (© OpenStreetMap contributors)"
_EN_SUFFIX = {
    Kind.SUBDISTRICT: (("街道",), "Subdistrict"),
    Kind.COMMUNITY: (("社区",), "Community"),
    Kind.PARK: (("社区公园", "体育公园", "文体公园", "公园"), "Park"),
}


def osm_frame(facts: Facts, name: str) -> gpd.GeoDataFrame:
    """One OpenStreetMap layer of the manifest (WGS-84, as prepared)."""
    layer = facts.osm[name]
    path = facts.path(layer.file)
    frame = gpd.read_file(path)
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise DataError(f"{path}: expected EPSG:4326 (run scripts/prepare_osm_context.py)")
    return frame


def _english(name: str, kind: Kind) -> tuple[str, str]:
    """``清水河街道`` -> (``Qingshuihe Subdistrict``, ``qingshuihe``)."""
    suffixes, word = _EN_SUFFIX.get(kind, ((), ""))
    stem = next(
        (name[: -len(s)] for s in suffixes if name.endswith(s) and len(name) > len(s)), name
    )
    py = pinyin(stem)
    return f"{py} {word}".strip(), py.lower()


def osm_row(facts: Facts, layer: str, props: dict, geom: BaseGeometry) -> dict:
    """A gazetteer row for one OpenStreetMap feature (a community, park or subdistrict)."""
    kind = facts.osm[layer].kind
    name = str(props.get("osm_name") or props["name"])
    name_en, slug = _english(name, kind)
    aliases = [_s2t.convert(name), name_en, pinyin(name)]
    note = ""
    if kind is Kind.COMMUNITY and props.get("subdistrict"):
        people = props.get("population")
        count = f"; population {int(people)}" if people is not None and people == people else ""
        note = f"社区 of {props['subdistrict']}{count}."
    listed = props.get("name")
    if kind is Kind.PARK and listed and listed != name:
        # the republishing repository matched the official list to OSM polygons by name;
        # the polygon is OSM's park, which may not be the listed one
        note = (
            f"OpenStreetMap's {name}; the official park list's {listed} was matched to it by "
            "name by the republishing repository and may be another park."
        )
    return {
        "id": f"{kind.value}.{slug}",
        "name": name,
        "name_en": name_en,
        "aliases": list(dict.fromkeys(a for a in aliases if a and a != name)),
        "kind": kind.value,
        "status": Status.EXISTING.value,
        "precision": Precision.LOCATED.value,
        "source": str(props["source"]),
        "note": note,
        "licence": OSM_LICENCE,
        "within": "",
        "geometry": geom,
    }


def osm_rows(
    facts: Facts, *, skip: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()
) -> list[dict]:
    """Gazetteer rows of every OpenStreetMap layer, but the ``(layer, name)`` pairs a curated
    place already uses."""
    rows = []
    for layer in facts.osm:
        frame = osm_frame(facts, layer)
        for props, geom in zip(
            frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True
        ):
            if (layer, props["name"]) in skip:
                continue
            rows.append(osm_row(facts, layer, props, geom))
    seen: dict[str, int] = {}
    for row in rows:  # two parks with the same pinyin: number the second
        n = seen.get(row["id"], 0)
        seen[row["id"]] = n + 1
        if n:
            row["id"] = f"{row['id']}_{n + 1}"
    return rows
