"""Reading local OSM XML offline: tagged features through osmnx, route relations through GDAL."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from shapely.geometry import MultiLineString, Point, Polygon

from geo.errors import DataError
from geo.osm import (
    ROUTE_COLUMNS,
    parse_other_tags,
    read_osm_features,
    read_osm_routes,
)

STATION_AND_PARK = {"railway": "station", "leisure": "park"}


@pytest.fixture(scope="module")
def osm_file(fixtures_dir: Path) -> Path:
    return fixtures_dir / "osm" / "luohu_small.osm"


def test_read_osm_features_returns_station_nodes_and_park_polygon(osm_file: Path) -> None:
    gdf = read_osm_features(osm_file, STATION_AND_PARK)

    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.columns[:2]) == ["element", "id"]
    assert sorted(gdf["name"]) == sorted(["莲塘口岸", "仙湖路", "黄贝岭", "测试公园"])
    stations = gdf[gdf["railway"] == "station"]
    assert set(stations["element"]) == {"node"}
    liantang = stations.set_index("name").geometry["莲塘口岸"]
    assert liantang.equals_exact(Point(114.15029, 22.55603), tolerance=1e-9)
    park = gdf[gdf["leisure"] == "park"].geometry.iloc[0]
    assert isinstance(park, Polygon)
    assert park.bounds == pytest.approx((114.12, 22.548, 114.126, 22.552))


def test_read_osm_features_tag_filter_drops_the_track_ways(osm_file: Path) -> None:
    gdf = read_osm_features(osm_file, {"railway": "station"})
    assert len(gdf) == 3
    assert "way" not in set(gdf["element"])


def test_read_osm_features_with_no_match_is_empty_not_an_error(osm_file: Path) -> None:
    gdf = read_osm_features(osm_file, {"amenity": "school"})
    assert len(gdf) == 0
    assert list(gdf.columns) == ["element", "id", "geometry"]
    assert gdf.crs.to_epsg() == 4326


def test_osmnx_drops_the_route_relation_that_read_osm_routes_keeps(osm_file: Path) -> None:
    import osmnx as ox

    # every element osmnx keeps, unfiltered: the route relations are not among them
    everything = ox.features_from_xml(osm_file)
    elements = set(everything.index.get_level_values("element"))
    assert "relation" not in elements
    assert "深圳地铁2号线" not in set(everything.get("name", []))

    routes = read_osm_routes(osm_file)
    assert list(routes["name"]) == ["深圳地铁2号线"]


def test_read_osm_routes_subway_line_2(osm_file: Path) -> None:
    routes = read_osm_routes(osm_file, route="subway")

    assert list(routes.columns) == ROUTE_COLUMNS
    assert routes.crs.to_epsg() == 4326
    assert len(routes) == 1
    line = routes.iloc[0]
    assert line["osm_id"] == 9900000201
    assert line["ref"] == "2"
    assert line["route"] == "subway"
    assert line["name_en"] == "Shenzhen Metro Line 2"
    assert line["colour"] == "#F6A800"
    assert line["network"] == "深圳地铁"
    assert isinstance(line.geometry, MultiLineString)
    # the three member ways, in order; the stop nodes add no geometry
    assert len(line.geometry.geoms) == 3
    merged = shapely.line_merge(line.geometry)
    assert merged.geom_type == "LineString"
    assert Point(merged.coords[0]).equals_exact(Point(114.118, 22.557), tolerance=1e-9)
    assert Point(merged.coords[-1]).equals_exact(Point(114.15029, 22.55603), tolerance=1e-9)


def test_read_osm_routes_filter(osm_file: Path) -> None:
    assert list(read_osm_routes(osm_file, route=None)["ref"]) == ["2", "K1"]
    assert list(read_osm_routes(osm_file, route="bus")["name"]) == ["测试公交线"]
    empty = read_osm_routes(osm_file, route="tram")
    assert len(empty) == 0
    assert list(empty.columns) == ROUTE_COLUMNS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, {}),
        ("", {}),
        ('"route"=>"subway","ref"=>"2"', {"route": "subway", "ref": "2"}),
        ('"name:en"=>"A, B"', {"name:en": "A, B"}),
        ('"note"=>"say \\"hi\\"","x"=>"a\\\\b"', {"note": 'say "hi"', "x": "a\\b"}),
        ('"a"=>"=>"', {"a": "=>"}),
    ],
)
def test_parse_other_tags(text: str | None, expected: dict[str, str]) -> None:
    assert parse_other_tags(text) == expected


@pytest.mark.parametrize("reader", [read_osm_routes, lambda p: read_osm_features(p, {"a": True})])
def test_missing_file_is_a_data_error(tmp_path: Path, reader) -> None:
    missing = tmp_path / "nowhere.osm"
    with pytest.raises(DataError, match=r"nowhere.osm: no such OSM file"):
        reader(missing)


@pytest.mark.parametrize("reader", [read_osm_routes, lambda p: read_osm_features(p, {"a": True})])
def test_not_osm_is_a_one_line_data_error(tmp_path: Path, reader) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.osm: ") as info:
        reader(bad)
    assert "\n" not in str(info.value)
