"""Tests for geo.geometry: builders in EPSG:32650 from lon/lat facts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.ops
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPolygon,
    Point,
    Polygon,
)

from geo.errors import GeometryError
from geo.geometry import (
    area_km2,
    axis_through,
    cluster,
    corridor,
    distance_outside_m,
    edge_between,
    length_m,
    repair,
    to_lonlat,
    to_metric,
    unshared_edges,
)
from geo.paths import facts_dir

LUOHU_PORT = Point(114.113365, 22.531083)
LIANTANG_PORT = Point(114.1524222, 22.5542861)
WUTONG_SUMMIT = Point(114.214639, 22.582278)
FAIRY_LAKE = Point(114.16555, 22.5786389)


@pytest.fixture(scope="module")
def luohu() -> MultiPolygon:
    return gpd.read_file(facts_dir() / "luohu_boundary.geojson").geometry.iloc[0]


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return gpd.read_file(facts_dir() / "luohu_and_neighbours.geojson")


def in_lonlat_range(geom) -> bool:
    xy = shapely.get_coordinates(geom)
    return bool(len(xy) and np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90))


def metres_between(a, b) -> float:
    return float(shapely.distance(to_metric(a), to_metric(b)))


# --- projection helpers ---------------------------------------------------------------------


def test_metric_round_trip_and_rejects_projected_input():
    line = LineString([(114.1, 22.5), (114.2, 22.6)])
    back = to_lonlat(to_metric(line))
    assert shapely.hausdorff_distance(back, line) < 1e-9
    x, y = to_metric(Point(114.1, 22.5)).coords[0]
    # Shenzhen lies near the western edge of zone 50 (central meridian 117 E)
    assert 150_000 < x < 250_000
    assert 2_400_000 < y < 2_600_000
    with pytest.raises(GeometryError, match="lon/lat"):
        to_metric(Point(810_000, 2_495_000))


# --- axis_through ---------------------------------------------------------------------------


def test_axis_through_passes_anchors_in_order():
    pts = [LUOHU_PORT, FAIRY_LAKE, WUTONG_SUMMIT]
    axis = axis_through(pts)
    np.testing.assert_allclose(np.asarray(axis.coords), [p.coords[0] for p in pts], atol=1e-9)
    assert axis.is_valid
    assert in_lonlat_range(axis)


def test_axis_extension_adds_metres_along_end_segments():
    pts = [LUOHU_PORT, FAIRY_LAKE, WUTONG_SUMMIT]
    base = axis_through(pts)
    ext = axis_through(pts, extend_m=500)
    assert length_m(ext) == pytest.approx(length_m(base) + 1000, abs=0.01)
    assert len(ext.coords) == 5
    assert metres_between(Point(ext.coords[0]), LUOHU_PORT) == pytest.approx(500, abs=0.01)
    assert metres_between(Point(ext.coords[-1]), WUTONG_SUMMIT) == pytest.approx(500, abs=0.01)
    # the new start lies on the backward extension of the first segment
    first = to_metric(LineString([ext.coords[0], ext.coords[2]]))
    assert first.distance(to_metric(LUOHU_PORT)) < 1e-6


def test_axis_skips_repeated_anchors():
    axis = axis_through([LUOHU_PORT, LUOHU_PORT, LIANTANG_PORT], extend_m=100)
    assert len(axis.coords) == 4


@pytest.mark.parametrize("pts", [[LUOHU_PORT], [LUOHU_PORT, LUOHU_PORT], []])
def test_axis_needs_two_distinct_points(pts):
    with pytest.raises(GeometryError, match="two distinct"):
        axis_through(pts)


def test_axis_rejects_negative_extension_and_non_points():
    with pytest.raises(ValueError, match="extend_m"):
        axis_through([LUOHU_PORT, LIANTANG_PORT], extend_m=-1)
    with pytest.raises(GeometryError, match="Points"):
        axis_through([LUOHU_PORT, LineString([(114, 22), (114.1, 22.1)])])


# --- corridor -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def axis() -> LineString:
    return axis_through([LUOHU_PORT, FAIRY_LAKE, WUTONG_SUMMIT])


def test_corridor_area_is_length_times_width(axis):
    band = corridor(axis, width_m=1000)
    assert band.is_valid
    assert in_lonlat_range(band)
    expected = length_m(axis) * 1000 / 1e6
    assert area_km2(band) == pytest.approx(expected, rel=0.02)
    # half the width on each side
    assert metres_between(band.exterior, axis) == pytest.approx(0, abs=1e-6)
    assert shapely.hausdorff_distance(to_metric(band.exterior), to_metric(axis)) == (
        pytest.approx(500, abs=1)
    )


@pytest.mark.parametrize("side", ["left", "right"])
def test_one_sided_corridor(axis, side):
    band = corridor(axis, width_m=400, side=side)
    assert band.is_valid
    assert area_km2(band) == pytest.approx(length_m(axis) * 400 / 1e6, rel=0.02)
    # a straight axis running north-east: left lies north-west of it, right south-east
    straight = LineString([LUOHU_PORT, FAIRY_LAKE])
    band = corridor(straight, width_m=400, side=side)
    segment = to_metric(straight)
    (x0, y0), (x1, y1) = segment.coords
    cx, cy = to_metric(band.centroid).coords[0]
    cross = (x1 - x0) * (cy - y0) - (y1 - y0) * (cx - x0)
    assert (cross > 0) == (side == "left")


def test_round_caps_add_end_discs(axis):
    flat = area_km2(corridor(axis, width_m=1000))
    rounded = area_km2(corridor(axis, width_m=1000, cap="round"))
    assert rounded - flat == pytest.approx(np.pi * 0.5**2, rel=0.01)


def test_corridor_clip_stays_inside(axis, luohu):
    band = corridor(axis, width_m=1000, clip=luohu)
    assert band.is_valid
    assert not band.is_empty
    assert distance_outside_m(band, luohu) < 0.5
    assert area_km2(band) < area_km2(corridor(axis, width_m=1000))


def test_corridor_clip_can_leave_nothing(axis):
    far = Point(100.0, 30.0).buffer(0.01)
    assert corridor(axis, width_m=100, clip=far).is_empty


def test_corridor_of_multilinestring_one_sided():
    lines = MultiLineString(
        [[(114.10, 22.55), (114.12, 22.55)], [(114.13, 22.56), (114.15, 22.56)]]
    )
    band = corridor(lines, width_m=200, side="right")
    assert band.is_valid
    assert area_km2(band) == pytest.approx(length_m(lines) * 200 / 1e6, rel=0.02)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width_m": 0}, "width_m"),
        ({"width_m": -5}, "width_m"),
        ({"width_m": 100, "side": "up"}, "'both', 'left', 'right'"),
        ({"width_m": 100, "cap": "butt"}, "'flat', 'round', 'square'"),
    ],
)
def test_corridor_validates_options(axis, kwargs, match):
    with pytest.raises(ValueError, match=match):
        corridor(axis, **kwargs)


def test_corridor_needs_a_line():
    with pytest.raises(GeometryError):
        corridor(Point(114.1, 22.5), width_m=100)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(114.05, 114.22), st.floats(22.52, 22.62)),
        min_size=2,
        max_size=6,
        unique=True,
    ),
    st.floats(50, 2000),
    st.sampled_from(["both", "left", "right"]),
)
# found by hypothesis: valid in metres, self-intersecting once projected back to lon/lat
@example(
    coords=[
        (114.1875, 22.546875),
        (114.0625, 22.5703125),
        (114.09375, 22.5625),
        (114.125, 22.5625),
    ],
    width=50.0,
    side="left",
)
def test_corridor_always_valid(coords, width, side):
    line = LineString(coords)
    if length_m(line) < 1:
        return
    band = corridor(line, width_m=width, side=side)
    assert band.is_valid
    assert not band.is_empty
    assert in_lonlat_range(band)
    # never wider than the asked-for width from the axis
    reach = width / 2 if side == "both" else width
    vertices = shapely.points(shapely.get_coordinates(to_metric(band)))
    assert shapely.distance(vertices, to_metric(line)).max() <= reach + 0.01


# --- cluster --------------------------------------------------------------------------------


def test_cluster_contains_anchors_and_buffer(luohu):
    anchors = [LUOHU_PORT, FAIRY_LAKE, Point(114.1155556, 22.5477778)]
    area = cluster(anchors, buffer_m=300)
    assert isinstance(area, Polygon)
    assert area.is_valid
    hull_m = shapely.convex_hull(to_metric(shapely.MultiPoint(anchors)))
    assert area_km2(area) == pytest.approx(
        (hull_m.area + hull_m.length * 300 + np.pi * 300**2) / 1e6, rel=0.01
    )
    for p in anchors:
        assert metres_between(area.exterior, p) == pytest.approx(300, abs=2) or (
            area.contains(p) and metres_between(area.exterior, p) > 300 - 2
        )


def test_cluster_clip_and_mixed_anchors(luohu):
    anchors = [
        LUOHU_PORT,
        LineString([LIANTANG_PORT, Point(114.16, 22.56)]),
        None,
        Point(),
        Point(114.1, 22.56).buffer(0.003),
    ]
    area = cluster(anchors, buffer_m=500, clip=luohu)
    assert area.is_valid
    assert not area.is_empty
    assert distance_outside_m(area, luohu) < 0.5
    assert area_km2(area) < area_km2(cluster(anchors, buffer_m=500))


def test_cluster_errors():
    with pytest.raises(GeometryError, match="no non-empty"):
        cluster([None, Point()], buffer_m=100)
    with pytest.raises(GeometryError, match="without area"):
        cluster([LUOHU_PORT, LIANTANG_PORT], buffer_m=0)
    with pytest.raises(ValueError, match="buffer_m"):
        cluster([LUOHU_PORT], buffer_m=-1)
    one = cluster([LUOHU_PORT], buffer_m=200)
    assert area_km2(one) == pytest.approx(np.pi * 0.2**2, rel=0.01)


# --- edge_between ---------------------------------------------------------------------------


def test_edge_between_square_takes_shorter_way():
    square = Polygon([(114.0, 22.5), (114.01, 22.5), (114.01, 22.51), (114.0, 22.51)])
    a = Point(114.002, 22.499)  # below the south side
    b = Point(114.011, 22.508)  # right of the east side
    edge = edge_between(square, a, b)
    assert edge.is_valid
    # nearest points are found in metres, so they sit within millimetres of the lon/lat ones
    assert edge.coords[0] == pytest.approx((114.002, 22.5), abs=1e-6)
    assert edge.coords[-1] == pytest.approx((114.01, 22.508), abs=1e-6)
    assert (114.01, 22.5) in [tuple(np.round(c, 9)) for c in edge.coords]
    assert len(edge.coords) == 3
    # reversed arguments give the same stretch, reversed
    back = edge_between(square, b, a)
    assert shapely.equals_exact(back, edge.reverse(), 1e-9)


def test_edge_between_across_ring_start():
    square = Polygon([(114.0, 22.5), (114.01, 22.5), (114.01, 22.51), (114.0, 22.51)])
    # either side of the ring's first vertex (114.0, 22.5)
    edge = edge_between(square, Point(114.0, 22.502), Point(114.002, 22.5))
    assert length_m(edge) == pytest.approx(
        metres_between(Point(114.0, 22.502), Point(114.0, 22.5))
        + metres_between(Point(114.002, 22.5), Point(114.0, 22.5)),
        rel=1e-6,
    )
    assert len(edge.coords) == 3


def test_edge_between_uses_largest_part():
    big = Point(114.1, 22.5).buffer(0.01)
    small = Point(114.2, 22.5).buffer(0.001)
    edge = edge_between(MultiPolygon([small, big]), Point(114.2, 22.5), Point(114.1, 22.52))
    assert metres_between(edge, big.exterior) < 0.01


def test_edge_between_same_point_errors():
    square = Polygon([(114.0, 22.5), (114.01, 22.5), (114.01, 22.51), (114.0, 22.51)])
    with pytest.raises(GeometryError, match="same point"):
        edge_between(square, Point(114.005, 22.49), Point(114.005, 22.495))


def test_port_belt_follows_luohu_southern_border(luohu):
    belt = edge_between(luohu, LUOHU_PORT, LIANTANG_PORT)
    assert belt.is_valid
    assert in_lonlat_range(belt)
    assert metres_between(Point(belt.coords[0]), LUOHU_PORT) < 500
    assert metres_between(Point(belt.coords[-1]), LIANTANG_PORT) < 200
    # measured 6.50 km of river border, against 4.77 km straight-line between the ports
    assert 5_000 < length_m(belt) < 9_000
    # along the border, south of the district's middle
    assert belt.bounds[3] < luohu.centroid.y
    assert metres_between(belt, luohu.boundary) < 1e-6


# --- unshared_edges -------------------------------------------------------------------------


def test_unshared_edges_small_squares():
    a = Polygon([(114.0, 22.5), (114.02, 22.5), (114.02, 22.52), (114.0, 22.52)])
    east = Polygon([(114.02, 22.5), (114.04, 22.5), (114.04, 22.52), (114.02, 22.52)])
    out = unshared_edges(a, [east], tol_m=100)
    assert isinstance(out, MultiLineString)
    assert len(out.geoms) == 1  # merged across the ring's start point
    side = metres_between(Point(114.0, 22.5), Point(114.02, 22.5))
    height = metres_between(Point(114.0, 22.5), Point(114.0, 22.52))
    # west side + north and south sides, each shortened by the 100 m tolerance at the east
    assert length_m(out) == pytest.approx(height + 2 * (side - 100), rel=0.002)
    assert metres_between(out, east) >= 100 - 0.01


def test_unshared_edges_no_neighbours_and_all_shared():
    a = Point(114.1, 22.5).buffer(0.01)
    assert length_m(unshared_edges(a, [])) == pytest.approx(length_m(a), rel=1e-9)
    assert unshared_edges(a, [a.buffer(0.001)]).is_empty
    with pytest.raises(ValueError, match="must be >= 0"):
        unshared_edges(a, [], tol_m=-1)


def test_unshared_edges_drops_slivers():
    a = Polygon([(114.0, 22.5), (114.02, 22.5), (114.02, 22.52), (114.0, 22.52)])
    # neighbours cover everything but a ~40 m gap on the north side
    south = Polygon([(113.99, 22.49), (114.03, 22.49), (114.03, 22.51), (113.99, 22.51)])
    north_w = Polygon([(113.99, 22.51), (114.0098, 22.51), (114.0098, 22.53), (113.99, 22.53)])
    north_e = Polygon([(114.0102, 22.51), (114.03, 22.51), (114.03, 22.53), (114.0102, 22.53)])
    kept = unshared_edges(a, [south, north_w, north_e], tol_m=0, min_length_m=10)
    assert 30 < length_m(kept) < 50
    assert unshared_edges(a, [south, north_w, north_e], tol_m=0, min_length_m=50).is_empty


def test_luohu_unshared_edge_is_the_hong_kong_border(districts, luohu):
    others = districts.loc[districts["name"] != "罗湖区", "geometry"]
    assert sorted(districts["name"]) == sorted(["罗湖区", "福田区", "盐田区", "龙岗区", "龙华区"])
    border = unshared_edges(luohu, list(others), tol_m=150)
    assert border.is_valid
    assert in_lonlat_range(border)
    # measured: one piece of 14.70 km (14.90 km at tol 50 m, 14.34 km at 300 m)
    assert len(border.geoms) == 1
    assert 8_000 < length_m(border) < 25_000
    # in the south of the district: max latitude well south of the centroid
    assert border.bounds[3] < luohu.centroid.y - 0.01
    # on Luohu's boundary, at least tol_m from every Shenzhen neighbour
    assert metres_between(border, luohu.boundary) < 1e-6
    # (buffers are polygons with 8 segments per quarter circle: up to 0.7 m short)
    assert min(metres_between(border, g) for g in others) >= 150 - 1
    # it passes both river ports, and contains the port belt apart from its ends
    assert metres_between(border, LUOHU_PORT) < 300
    assert metres_between(border, LIANTANG_PORT) < 300
    belt = edge_between(luohu, LUOHU_PORT, LIANTANG_PORT)
    belt_m = to_metric(belt)
    middle = shapely.ops.substring(belt_m, 300, belt_m.length - 300)
    assert to_metric(border).buffer(0.01).covers(middle)
    # and it does not run along Futian (west) or Yantian (east) beyond the tolerance
    futian = districts.loc[districts["name"] == "福田区", "geometry"].iloc[0]
    assert metres_between(border, futian) >= 149


# --- repair and measures --------------------------------------------------------------------


def test_repair_bowtie_stays_polygonal():
    bowtie = Polygon([(114.0, 22.5), (114.01, 22.51), (114.01, 22.5), (114.0, 22.51)])
    assert not bowtie.is_valid
    fixed = repair(bowtie)
    assert fixed.is_valid
    assert isinstance(fixed, MultiPolygon)
    assert area_km2(fixed) > 0


def test_repair_drops_collapsed_parts():
    # a valid square plus a zero-area spike: make_valid returns a collection with a line
    spiky = Polygon([(0, 0), (2, 0), (2, 2), (0, 2), (0, 0), (-1, -1), (0, 0)])
    assert not spiky.is_valid
    raw = shapely.make_valid(spiky)
    assert isinstance(raw, GeometryCollection)
    fixed = repair(spiky)
    assert isinstance(fixed, Polygon)
    assert fixed.is_valid
    assert fixed.area == 4


def test_repair_passthrough_and_failure():
    p = Point(114, 22)
    assert repair(p) is p
    assert repair(None) is None
    line = LineString([(0, 0), (1, 1), (0, 0)])
    assert repair(line).is_valid
    with pytest.raises(GeometryError, match="no area"):
        repair(Polygon([(0, 0), (1, 1), (2, 2), (0, 0)]))


def test_luohu_area_and_perimeter(luohu):
    assert area_km2(luohu) == pytest.approx(79.09, abs=0.05)
    assert 40_000 < length_m(luohu) < 70_000
    assert length_m(Point(114, 22)) == 0
    one_degree_lat = length_m(LineString([(114.1, 22.0), (114.1, 23.0)]))
    assert one_degree_lat == pytest.approx(110_760, rel=0.002)


def test_distance_outside(luohu):
    assert distance_outside_m(LUOHU_PORT, luohu) == 0
    # point_facts.csv: Liantang port lies 52 m outside, Man Kam To 331 m
    assert distance_outside_m(LIANTANG_PORT, luohu) == pytest.approx(52, abs=1.5)
    assert distance_outside_m(Point(114.1294, 22.537), luohu) == pytest.approx(331, abs=1.5)
    # a line reaching 1 km past the boundary
    inside = luohu.representative_point()
    out_m = to_metric(inside)
    far = to_lonlat(Point(out_m.x, out_m.y - 100_000))
    crossing = LineString([inside, far])
    reach = distance_outside_m(crossing, luohu)
    assert reach == pytest.approx(metres_between(far, luohu), abs=0.5)
    assert distance_outside_m(luohu.buffer(-0.001), luohu) == 0
    assert distance_outside_m(Point(), luohu) == 0


def test_metric_measures_close_to_ellipsoid(luohu):
    area, perimeter = Geod(ellps="WGS84").geometry_area_perimeter(luohu)
    # UTM 50N scale near 114 E is ~1.0007 (documented in the module docstring)
    assert length_m(luohu) / perimeter == pytest.approx(1.0007, abs=0.0002)
    assert area_km2(luohu) / (abs(area) / 1e6) == pytest.approx(1.0013, abs=0.0003)
