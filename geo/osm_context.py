"""OpenStreetMap context data (subdistricts, communities, parks) prepared for shipping.

The inputs in ``data/raw/osm/`` are OpenStreetMap polygons as republished by the public
repository grumoon/shenzhen-footprint, **in GCJ-02** (that repository shifted them for AMap).
:func:`prepare` converts each to WGS-84 with Planmap's own iterative inverse
(:func:`geo.crs.gcj02_to_wgs84`, forward residual below 1e-9°), keeps the fields a planner
needs (names, OSM relation ids, subdistrict and population of communities, the official park
list's fields without phone numbers), and records the source and the licence on every feature:
ODbL 1.0, "© OpenStreetMap contributors".

``python scripts/prepare_osm_context.py`` regenerates the shipped files in ``data/facts/``
from the inputs; ``tests/test_osm_context.py`` checks that the shipped files are exactly what
it makes, that every polygon is valid, that the subdistricts tile the district and that their
outlines sit on the district boundary.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geo.crs import transform_geometry
from geo.errors import DataError
from geo.gazetteer.facts import OsmLayer, load_facts
from geo.geometry import repair

__all__ = ["ATTRIBUTION", "LICENCE", "prepare", "prepare_all"]

LICENCE = "ODbL-1.0"
ATTRIBUTION = "© OpenStreetMap contributors"


def _source(props: dict, layer: OsmLayer) -> str:
    where = str(props.get("source", "")).removeprefix("github:")
    osm = f"OpenStreetMap relation {props['osm_id']}" if props.get("osm_id") else "OpenStreetMap"
    listed = " (name from the official Shenzhen park list)" if props.get("list_source") else ""
    return (
        f"{osm}{listed}, {ATTRIBUTION}, {LICENCE}; republished in GCJ-02 by {where}; "
        "converted to WGS-84 by Planmap (iterative inverse, geo.crs.gcj02_to_wgs84)"
    )


def prepare(raw: Path, layer: OsmLayer) -> gpd.GeoDataFrame:
    """One OSM layer (as the facts manifest describes it) converted to WGS-84 with its kept
    fields, ``source``, ``licence`` and ``attribution``.

    Raises
    ------
    DataError
        An input that is not the expected GCJ-02 GeoJSON, naming the file.
    """
    fields = layer.fields
    path = raw / layer.raw
    frame = gpd.read_file(path)
    if "datum" not in frame or set(frame["datum"]) != {"gcj02"}:
        raise DataError(f"{path}: every feature must say datum=gcj02 (the input is GCJ-02)")
    missing = [f for f in fields if f not in frame]
    if missing:
        raise DataError(f"{path}: missing field(s) {', '.join(missing)}")
    geoms = transform_geometry(frame.geometry.array.to_numpy(), src="gcj02", dst="wgs84")
    geoms = [repair(g) for g in geoms]
    out = frame[list(fields)].rename(columns=fields)
    out["source"] = [_source(p, layer) for p in frame.to_dict("records")]
    out["licence"] = LICENCE
    out["attribution"] = ATTRIBUTION
    result = gpd.GeoDataFrame(out, geometry=geoms, crs="EPSG:4326")
    if not result.geometry.is_valid.all():
        raise DataError(f"{path}: a polygon is invalid after conversion")
    return result


def prepare_all(raw: Path, facts: Path, out: Path | None = None) -> list[Path]:
    """Write the WGS-84 file of every OSM layer of the facts manifest in ``facts`` into ``out``
    (default: ``facts``), through the one GeoJSON writer."""
    from geo.geojson import geojson_text

    manifest = load_facts(facts)
    written = []
    for layer in manifest.osm.values():
        path = (out or facts) / layer.file
        path.write_text(geojson_text(prepare(raw, layer)) + "\n", encoding="utf-8")
        written.append(path)
    return written
