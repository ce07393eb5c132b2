"""A district's gazetteer: every place of its report and its context, with source and precision.

Assembled from data at load time (editing a fact changes the map):

- the shared facts of ``data/facts/`` as its manifest ``facts.toml`` describes them (station
  positions, official line orders, sourced points, boundaries): :mod:`geo.gazetteer.facts`;
- the district's curated places (``data/districts/<id>/places.toml``) with their geometry
  recipes: :mod:`geo.gazetteer.places`, :mod:`geo.gazetteer.recipes`.

Recipe anchors name places exactly as the gazetteer writes them (a name or an alias, or a
station's bare name), like a reference; matching names people type is the name index's job
(:mod:`geo.name_index`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geo.district import District, get_district
from geo.errors import DataError
from geo.gazetteer import recipes
from geo.gazetteer.facts import (
    OSM_LICENCE,
    Facts,
    boundaries,
    line_rows,
    line_runs,
    load_facts,
    lonlat_point,
    osm_frame,
    osm_rows,
    pinyin,
    point_facts,
    station_rows,
)
from geo.gazetteer.places import Place, load_places
from geo.geometry import area_km2
from geo.model import GAZETTEER_COLUMNS, Kind, Precision
from geo.names import normalize_name
from geo.paths import data_dir

__all__ = ["COLUMNS", "assemble", "line_runs", "load_gazetteer", "lonlat_point"]

COLUMNS = list(GAZETTEER_COLUMNS)


class _Assembly:
    """The rows made so far, and the names recipes may use as anchors."""

    def __init__(self, where: str):
        self.rows: list[dict] = []
        self.by_name: dict[str, dict] = {}
        self.where = where

    def add(self, row: dict) -> None:
        self.rows.append(row)
        for key in [row["name"], *row["aliases"]]:
            self.by_name.setdefault(key, row)

    def row(self, name: str) -> dict:
        if name in self.by_name:
            return self.by_name[name]
        if name + "站" in self.by_name:
            return self.by_name[name + "站"]
        raise DataError(f"{self.where}: unknown anchor '{name}' (define it earlier)")

    def anchor(self, name: str) -> BaseGeometry | None:
        return self.row(name)["geometry"]


@dataclass
class _Made:
    """What a recipe made: the geometry, the note, and fields it sets (source, licence, within)."""

    geometry: BaseGeometry | None
    note: str
    fields: dict[str, str] = field(default_factory=dict)


class _Recipes:
    """Evaluates the geometry recipes of one district's places (see places.toml's header)."""

    def __init__(self, facts: Facts, made: _Assembly, bounds: dict, district_geom: BaseGeometry):
        self.facts = facts
        self.made = made
        self.bounds = bounds
        self.district_geom = district_geom
        self.points = point_facts(facts)
        self.border: LineString | None = None
        self._osm: dict[str, gpd.GeoDataFrame] = {}

    def osm(self, layer: str, name: str, where: str) -> pd.Series:
        if layer not in self.facts.osm:
            raise DataError(f"{where}: geometry.osm '{layer}' is not an OSM layer of the facts")
        if layer not in self._osm:
            self._osm[layer] = osm_frame(self.facts, layer)
        rows = self._osm[layer][self._osm[layer]["name"] == name]
        if rows.empty:
            raise DataError(f"{where}: geometry.name '{name}' is not in the OSM {layer}")
        return rows.iloc[0]

    def make(self, entry: Place, where: str) -> _Made:
        recipe = dict(entry.geometry or {})
        note = entry.note
        if "point_fact" in recipe:
            key = recipe["point_fact"]
            if key not in self.points:
                raise DataError(f"{where}: geometry.point_fact '{key}' is not in the point facts")
            return _Made(self.points[key], note)
        if "boundary" in recipe:
            if recipe["boundary"] not in self.bounds:
                raise DataError(f"{where}: geometry.boundary '{recipe['boundary']}' not found")
            return _Made(self.bounds[recipe["boundary"]], note)
        if "same_as" in recipe:
            return _Made(self.made.anchor(recipe["same_as"]), note)
        if "osm" in recipe:
            row = self.osm(recipe["osm"], recipe.get("name", entry.name), where)
            source = f"{row['source']}; {entry.source}"
            return _Made(row.geometry, note, {"source": source, "licence": OSM_LICENCE})
        if "stand_in" in recipe:
            return self._stand_in(entry, recipe["stand_in"], note)
        if "within" in recipe:
            return self._within(entry, recipe, note, where)
        if "border_of" in recipe:
            name = recipe["border_of"]
            if name not in self.bounds:
                raise DataError(f"{where}: geometry.border_of '{name}' not found")
            others = [g for n, g in self.bounds.items() if n != name]
            tol = float(recipe.get("tol_m", 150))
            self.border = recipes.hk_border(self.bounds[name], others, tol_m=tol)
            return _Made(self.border, note)
        if not recipe:
            return _Made(None, note)
        result = recipes.build(
            recipe,
            resolve=self.made.anchor,
            district=self.district_geom,
            border=self.border,
            where=where,
        )
        geom = result.geometry
        if result.skipped:
            note = f"{note} Unlocated anchors left out: {', '.join(result.skipped)}.".strip()
        if geom is not None and geom.geom_type.endswith("Polygon"):
            note = f"{note} Drawn area {area_km2(geom):.1f} km².".strip()
        return _Made(geom, note)

    def _stand_in(self, entry: Place, name: str, note: str) -> _Made:
        """A 片区 named after a 街道 or 社区: that polygon stands in for its unpublished extent."""
        area = self.made.row(name)
        label = Kind.get(area["kind"]).label
        said = (
            f"The {entry.name}'s own extent is not published; the {area['name']} "
            f"({label.zh} {label.en.lower()}) polygon stands in for it."
        )
        fields = {"licence": area.get("licence") or ""}
        return _Made(area["geometry"], f"{said} {note}".strip(), fields)

    def _within(self, entry: Place, recipe: dict, note: str, where: str) -> _Made:
        """A place a source puts somewhere inside an area: the area (or the stretch of a line
        inside it) is drawn, never as the place's extent."""
        area = self.made.row(recipe["within"])
        geom = area["geometry"]
        if "along" in recipe:
            line = self.made.anchor(recipe["along"])
            if line is None or geom is None:
                raise DataError(f"{where}: geometry.along needs a located line and area")
            geom = recipes.simplify_empty(shapely.intersection(line, geom))
            if geom is None:
                raise DataError(f"{where}: '{recipe['along']}' does not cross '{area['name']}'")
        said = f"位于 {area['name']} · somewhere in {area['name_en']}; the area is not its extent."
        fields = {"within": area["name"], "licence": area.get("licence") or ""}
        return _Made(geom, f"{said} {note}".strip(), fields)


def assemble(
    data: Path | None = None, *, district: str | District | None = None
) -> gpd.GeoDataFrame:
    """Build a district's gazetteer from a data folder (uncached; see :func:`load_gazetteer`)."""
    data = data or data_dir()
    record = get_district(district, data=data)
    facts: Facts = load_facts(data / "facts")
    places_path = record.gazetteer_path
    bounds = boundaries(facts)
    if record.boundary.feature not in bounds:
        raise DataError(
            f"{record.path / 'district.toml'}: boundary.feature '{record.boundary.feature}' "
            f"is not in {facts.boundaries.file}"
        )
    district_geom = bounds[record.boundary.feature]
    stations = station_rows(facts, record, district_geom)
    made = _Assembly(places_path.name)
    for row in stations + line_rows(facts, {r["name"][:-1]: r["geometry"] for r in stations}):
        made.add(row)
    places = load_places(places_path)
    referenced = {
        (p.geometry["osm"], p.geometry.get("name", p.name))
        for p in places
        if p.geometry and "osm" in p.geometry
    }
    make = _Recipes(facts, made, bounds, district_geom)
    for row in osm_rows(facts, skip=referenced):
        made.add(row)
    for i, entry in enumerate(places):
        where = f"{places_path.name}: place[{i}] ({entry.id})"
        result = make.make(entry, where)
        if result.geometry is None and entry.precision is not Precision.UNLOCATED:
            raise DataError(f"{where}: the recipe produced no geometry")
        aliases = list(entry.aliases)
        if entry.pinyin:
            aliases.append(pinyin(entry.name))  # "lian tang kou an" finds 莲塘口岸
        made.add(
            {
                "id": entry.id,
                "name": entry.name,
                "name_en": entry.name_en,
                "aliases": list(dict.fromkeys(aliases)),
                "kind": entry.kind.value,
                "status": entry.status.value,
                "precision": entry.precision.value,
                "source": entry.source,
                "note": result.note,
                "licence": "",
                "within": "",
                "geometry": result.geometry,
                **result.fields,
            }
        )
    _give_bare_names_to_curated_places(made.rows, stations)
    frame = pd.DataFrame(made.rows)
    frame["in_district"] = frame["in_district"].astype("boolean")
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
    dupes = gdf["id"][gdf["id"].duplicated()].tolist()
    if dupes:
        raise DataError(f"{places_path.name}: duplicate ids {dupes}")
    return gdf[[*COLUMNS, "in_district", "stations", "geometry"]]


def _give_bare_names_to_curated_places(rows: list[dict], stations: list[dict]) -> None:
    """A bare station name that is also a curated name (罗湖 the district) stays with the
    curated place; the station keeps 罗湖站."""
    network = (Kind.METRO_STATION.value, Kind.METRO_LINE.value)
    curated = {
        normalize_name(k)
        for r in rows
        if r["kind"] not in network
        for k in [r["name"], *r["aliases"]]
    }
    for row in stations:
        row["aliases"] = [a for a in row["aliases"] if normalize_name(a) not in curated]


@functools.lru_cache(maxsize=8)
def _cached(data: str, district: str) -> gpd.GeoDataFrame:
    return assemble(Path(data), district=district)


def load_gazetteer(
    district: str | District | None = None, *, data: Path | None = None
) -> gpd.GeoDataFrame:
    """A district's gazetteer as a GeoDataFrame in EPSG:4326 (a fresh copy of a cached build).

    Parameters
    ----------
    district : str or District, optional
        The district id (default :func:`geo.district.default_district`).
    data : Path, optional
        A data folder laid out like the shipped one (default: :func:`geo.paths.data_dir`).

    Returns
    -------
    GeoDataFrame
        Columns ``id, name, name_en, aliases, kind, status, precision, source, note,
        in_district, stations, geometry``; geometry is None for unlocated places.
    """
    folder = data or data_dir()
    record = get_district(district, data=folder)
    return _cached(str(folder), record.id).copy()
