"""Issue 11: the OpenStreetMap context, converted from GCJ-02 to WGS-84 reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import DataError
from geo.gazetteer.facts import load_facts
from geo.geometry import repair, to_metric
from geo.osm_context import ATTRIBUTION, LICENCE, prepare, prepare_all

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw" / "osm"
FACTS = ROOT / "data" / "facts"
OSM = load_facts(FACTS).osm


@pytest.fixture(scope="module")
def district_m():
    frame = gpd.read_file(FACTS / "luohu_and_neighbours.geojson")
    return repair(to_metric(frame.loc[frame["name"] == "罗湖区"].geometry.iloc[0]))


def test_the_shipped_files_are_what_the_preparation_makes(tmp_path):
    prepare_all(RAW, FACTS, tmp_path)
    assert len(OSM) == 3
    for layer in OSM.values():
        assert (tmp_path / layer.file).read_bytes() == (FACTS / layer.file).read_bytes()


@pytest.mark.parametrize("dataset", ["subdistricts", "communities", "parks"])
def test_every_polygon_is_valid_and_carries_its_licence(dataset):
    frame = gpd.read_file(FACTS / OSM[dataset].file)
    assert len(frame) == {"subdistricts": 10, "communities": 39, "parks": 30}[dataset]
    assert shapely.is_valid(frame.geometry.array).all()
    assert set(frame.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (frame["licence"] == LICENCE).all()
    assert (frame["attribution"] == ATTRIBUTION).all()
    assert frame["source"].str.contains("© OpenStreetMap contributors").all()
    assert "phone" not in frame
    assert "address" not in frame
    if "osm_id" in frame:
        ids = frame["osm_id"].astype(int).astype(str)
        assert all(f"relation {i}" in s for i, s in zip(ids, frame["source"], strict=True))


def _union_m(dataset: str):
    frame = gpd.read_file(FACTS / OSM[dataset].file)
    return to_metric(frame.geometry.array.to_numpy())


def test_the_subdistricts_tile_the_district(district_m):
    parts = _union_m("subdistricts")
    union = shapely.union_all(parts)
    covered = shapely.intersection(union, district_m).area / district_m.area
    overlaps = (shapely.area(parts).sum() - union.area) / district_m.area
    assert covered >= 0.97
    assert overlaps < 0.01


def _boundary_offsets(parts, district_m) -> np.ndarray:
    """Distances (m) from the subdistricts' outer outline, every 20 m, to the district's."""
    union = shapely.union_all(parts)
    xy = shapely.get_coordinates(shapely.segmentize(union.boundary, 20))
    return shapely.distance(shapely.points(xy), district_m.boundary)


def test_converted_outlines_sit_on_the_district_boundary(district_m):
    offsets = _boundary_offsets(_union_m("subdistricts"), district_m)
    assert np.median(offsets) < 30
    assert np.percentile(offsets, 90) < 100


def test_read_as_wgs84_the_raw_polygons_would_be_hundreds_of_metres_off(district_m):
    """The check above can fail: the unconverted GCJ-02 outlines are ~300-600 m away."""
    raw = gpd.read_file(RAW / OSM["subdistricts"].raw)
    offsets = _boundary_offsets(to_metric(raw.geometry.array.to_numpy()), district_m)
    assert np.median(offsets) > 250


def test_communities_lie_in_their_subdistrict():
    subs = gpd.read_file(FACTS / OSM["subdistricts"].file).set_index("name")
    comms = gpd.read_file(FACTS / OSM["communities"].file)
    for name, sub, geom in zip(comms["name"], comms["subdistrict"], comms.geometry, strict=True):
        inside = shapely.intersection(geom, subs.geometry[sub]).area / geom.area
        assert inside > 0.9, name


def test_an_input_not_marked_gcj02_is_refused(tmp_path):
    doc = json.loads((RAW / OSM["parks"].raw).read_text(encoding="utf-8"))
    for feat in doc["features"]:
        feat["properties"]["datum"] = "wgs84"
    (tmp_path / OSM["parks"].raw).write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError, match="datum=gcj02"):
        prepare(tmp_path, OSM["parks"])
