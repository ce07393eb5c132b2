"""Tests for geo.crs: WGS-84 / GCJ-02 / BD-09 conversions."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon

from geo import crs
from geo.crs import (
    Datum,
    DatumError,
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_crs_frame,
    transform_geometry,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import PlanmapError
from geo.paths import facts_dir

GEOD = Geod(ellps="WGS84")
SZ_LON = st.floats(113.7, 114.7)
SZ_LAT = st.floats(22.4, 22.9)
# mainland China, away from the rectangle's edges, where the shift is continuous
CN_LON = st.floats(75.0, 134.0)
CN_LAT = st.floats(18.0, 53.0)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.fixture(scope="module")
def luohu() -> gpd.GeoDataFrame:
    return gpd.read_file(facts_dir() / "luohu_boundary.geojson")


# Published vectors, (lon, lat). eviltransform's test suite (googollee/eviltransform, the same
# three pairs in its Go, Ruby, C#, Haskell ports) and wandergis/coordtransform's README example.
EVILTRANSFORM_WGS_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_WGS_GCJ)
def test_wgs_to_gcj_matches_published_vectors(wgs, gcj):
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-12)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_WGS_GCJ)
def test_gcj_to_wgs_inverts_published_vectors(wgs, gcj):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert metres(lon, lat, *wgs) < 0.01


def test_coordtransform_readme_vectors():
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )


def test_bd_inverse_is_exact_at_published_vector():
    lon, lat = bd09_to_gcj02(116.41036949371029, 39.92133699351021)
    assert metres(lon, lat, 116.404, 39.915) < 0.001


def test_luohu_shift_magnitude(luohu):
    xy = shapely.get_coordinates(luohu.geometry.array.to_numpy())
    glon, glat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    shift = metres(xy[:, 0], xy[:, 1], glon, glat)
    # FINDINGS: GCJ-02 shifts Luohu by 591-606 m
    assert shift.min() > 585
    assert shift.max() < 612
    # GCJ-02 lies east and south of WGS-84 in Shenzhen
    assert np.all(glon > xy[:, 0])
    assert np.all(glat < xy[:, 1])


def test_one_step_inverse_is_off_by_metres_iterative_is_not():
    lon, lat = np.meshgrid(np.linspace(113.7, 114.7, 101), np.linspace(22.4, 22.9, 51))
    lon, lat = lon.ravel(), lat.ravel()
    glon, glat = wgs84_to_gcj02(lon, lat)
    # the common one-step inverse: subtract the shift evaluated at the GCJ-02 point
    slon, slat = wgs84_to_gcj02(glon, glat)
    one_lon, one_lat = glon - (slon - glon), glat - (slat - glat)
    one_step = metres(lon, lat, one_lon, one_lat)
    assert 1.0 < one_step.max() < 3.0
    ilon, ilat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, ilon, ilat).max() < 0.001


def test_iterative_inverse_meets_its_tolerance():
    glon, glat = wgs84_to_gcj02(114.12, 22.55)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    flon, flat = wgs84_to_gcj02(wlon, wlat)
    assert abs(flon - glon) < 1e-9
    assert abs(flat - glat) < 1e-9


@settings(max_examples=300, deadline=None)
@given(SZ_LON, SZ_LAT)
def test_round_trip_gcj_shenzhen(lon, lat):
    assert metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat) < 0.01


@settings(max_examples=300, deadline=None)
@given(SZ_LON, SZ_LAT)
def test_round_trip_bd_shenzhen(lon, lat):
    assert metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < 0.01


@settings(max_examples=100, deadline=None)
@given(CN_LON, CN_LAT)
def test_round_trips_all_china(lon, lat):
    assert metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat) < 0.01
    assert metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < 0.01
    assert metres(*bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), lon, lat) < 0.01


@settings(max_examples=200, deadline=None)
@given(st.floats(-180, 180), st.floats(-90, 90))
def test_outside_china_is_identity(lon, lat):
    if not out_of_china(lon, lat):
        return
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-0.1276, 51.5072), (139.6917, 35.6895), (72.0, 30.0), (100.0, 0.8), (137.9, 40.0)],
)
def test_points_outside_rectangle_not_shifted(lon, lat):
    assert out_of_china(lon, lat)
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)


def test_hong_kong_is_shifted_like_other_implementations():
    # documented assumption: the rectangle includes Hong Kong
    lon, lat = 114.1694, 22.3193
    assert not out_of_china(lon, lat)
    assert metres(*wgs84_to_gcj02(lon, lat), lon, lat) > 400


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(SZ_LON, SZ_LAT), min_size=1, max_size=20))
def test_arrays_equal_scalar_loop(points):
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    for func in (
        wgs84_to_gcj02,
        gcj02_to_wgs84,
        gcj02_to_bd09,
        bd09_to_gcj02,
        wgs84_to_bd09,
        bd09_to_wgs84,
    ):
        alon, alat = func(lon, lat)
        loop = np.array([func(x, y) for x, y in points])
        # iterative inverses stop on the batch's worst residual, so allow 1e-9 deg
        np.testing.assert_allclose(alon, loop[:, 0], rtol=0, atol=1e-9)
        np.testing.assert_allclose(alat, loop[:, 1], rtol=0, atol=1e-9)


def test_scalar_in_float_out_and_shapes_kept():
    lon, lat = wgs84_to_gcj02(114.1, 22.5)
    assert type(lon) is float
    assert type(lat) is float
    grid = np.full((3, 4), 114.1), np.full((3, 4), 22.5)
    glon, glat = gcj02_to_wgs84(*grid)
    assert glon.shape == (3, 4)
    assert glat.shape == (3, 4)
    # broadcasting a scalar latitude against an array of longitudes
    blon, blat = wgs84_to_bd09(np.array([114.0, 114.1]), 22.5)
    assert blon.shape == (2,)
    assert blat.shape == (2,)


def test_nan_passes_through():
    lon = np.array([114.1, np.nan, 114.2])
    lat = np.array([22.5, 22.6, np.nan])
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, wgs84_to_bd09, bd09_to_wgs84):
        out_lon, out_lat = func(lon, lat)
        assert np.isfinite(out_lon[0])
        assert np.isfinite(out_lat[0])
        assert out_lon[0] != 114.1
        assert np.isnan(out_lon[1]) or np.isnan(out_lat[1])
        assert np.isnan(out_lat[2])
    assert all(np.isnan(v) for v in gcj02_to_wgs84(float("nan"), float("nan")))


def test_inputs_not_modified():
    lon = np.array([114.1, 114.2])
    lat = np.array([22.5, 22.6])
    gcj02_to_wgs84(lon, lat)
    bd09_to_wgs84(lon, lat)
    assert lon.tolist() == [114.1, 114.2]
    assert lat.tolist() == [22.5, 22.6]


def test_convert_dispatch_and_identity():
    assert convert(114.1, 22.5, src="wgs84", dst="gcj02") == wgs84_to_gcj02(114.1, 22.5)
    assert convert(114.1, 22.5, src=Datum.BD09, dst="WGS-84") == bd09_to_wgs84(114.1, 22.5)
    assert convert(114.1, 22.5, src="gcj02", dst="gcj02") == (114.1, 22.5)


@pytest.mark.parametrize("bad", ["gcj", "epsg:4326", "", "mars"])
def test_bad_datum_lists_choices(bad):
    with pytest.raises(DatumError, match="valid choices are 'wgs84', 'gcj02', 'bd09'"):
        Datum.get(bad)
    with pytest.raises(PlanmapError):
        transform_geometry(Point(114, 22), src=bad, dst="wgs84")
    with pytest.raises(ValueError, match="valid choices are"):
        convert(114, 22, src="wgs84", dst=bad)


def test_transform_geometry_shifts_every_vertex_like_points():
    line = LineString([(114.10, 22.54), (114.12, 22.55), (114.15, 22.56)])
    out = transform_geometry(line, src="wgs84", dst="gcj02")
    expected = np.column_stack(wgs84_to_gcj02(*np.asarray(line.coords).T))
    np.testing.assert_array_equal(np.asarray(out.coords), expected)
    back = transform_geometry(out, src=Datum.GCJ02, dst=Datum.WGS84)
    assert shapely.hausdorff_distance(back, line) < 1e-9


def test_transform_geometry_none_empty_z_and_arrays():
    assert transform_geometry(None, src="wgs84", dst="gcj02") is None
    assert transform_geometry(Polygon(), src="wgs84", dst="bd09").is_empty
    pz = transform_geometry(Point(114.1, 22.5, 30.0), src="wgs84", dst="gcj02")
    assert pz.has_z
    assert pz.z == 30.0
    assert pz.x != 114.1
    arr = np.array([Point(114.1, 22.5), None, LineString([(114, 22), (114.1, 22.1)])])
    out = transform_geometry(arr, src="wgs84", dst="gcj02")
    assert out.shape == (3,)
    assert out[1] is None
    assert out[0].equals_exact(Point(*wgs84_to_gcj02(114.1, 22.5)), 1e-12)


@pytest.fixture
def small_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["a", "b", "c", "d"], "mentions": [1, 2, 3, 4]},
        geometry=[
            Point(114.12, 22.55),
            None,
            Polygon([(114.1, 22.54), (114.13, 22.54), (114.13, 22.57), (114.1, 22.57)]),
            LineString(),
        ],
        crs="EPSG:4326",
        index=[10, 20, 30, 40],
    )


def test_to_crs_frame_keeps_rows_attrs_and_none(small_frame):
    out = to_crs_frame(small_frame, dst="gcj02")
    assert out is not small_frame
    assert len(out) == 4
    assert out.index.tolist() == [10, 20, 30, 40]
    assert out[["id", "mentions"]].equals(small_frame[["id", "mentions"]])
    assert out.crs == "EPSG:4326"
    assert out.attrs["datum"] == "gcj02"
    assert out.geometry.iloc[1] is None
    assert out.geometry.iloc[3].is_empty
    assert out.geometry.iloc[0].x == pytest.approx(wgs84_to_gcj02(114.12, 22.55)[0], abs=1e-12)
    # the input is untouched
    assert small_frame.geometry.iloc[0].x == 114.12
    assert "datum" not in small_frame.attrs


def test_to_crs_frame_reads_source_datum_from_attrs(small_frame):
    gcj = to_crs_frame(small_frame, dst="gcj02")
    back = to_crs_frame(gcj, dst="wgs84")
    assert back.attrs["datum"] == "wgs84"
    d = shapely.hausdorff_distance(back.geometry.iloc[2], small_frame.geometry.iloc[2])
    assert d < 1e-9
    bd = to_crs_frame(gcj, dst="bd09")
    direct = to_crs_frame(small_frame, dst="bd09")
    assert shapely.hausdorff_distance(bd.geometry.iloc[2], direct.geometry.iloc[2]) < 1e-12


def test_to_crs_frame_rejects_other_crs(small_frame):
    with pytest.raises(ValueError, match="EPSG:4326"):
        to_crs_frame(small_frame.to_crs(32650), dst="gcj02")
    with pytest.raises(DatumError):
        to_crs_frame(small_frame, dst="webmercator")


def test_real_boundary_stays_valid(luohu):
    out = to_crs_frame(luohu, dst="gcj02")
    assert out.is_valid.all()
    assert len(out) == len(luohu)
    assert out.geometry.iloc[0].geom_type == luohu.geometry.iloc[0].geom_type
    area = luohu.to_crs(32650).area.iloc[0]
    # GCJ-02 is not a pure translation: its shift varies by ~15 m across the district (0.18 %)
    assert out.to_crs(32650).area.iloc[0] == pytest.approx(area, rel=5e-3)
    assert out.to_crs(32650).area.iloc[0] != pytest.approx(area, rel=1e-6)


@settings(max_examples=50, deadline=None)
@given(
    SZ_LON,
    SZ_LAT,
    st.floats(0.0005, 0.05),
    st.integers(3, 40),
    st.sampled_from(["gcj02", "bd09"]),
)
def test_polygons_stay_valid(lon, lat, radius, n, dst):
    poly = Point(lon, lat).buffer(radius, quad_segs=n)
    frame = gpd.GeoDataFrame({"k": [1]}, geometry=[poly], crs="EPSG:4326")
    out = to_crs_frame(frame, dst=dst)
    assert out.is_valid.all()
    assert len(shapely.get_coordinates(out.geometry.iloc[0])) == len(shapely.get_coordinates(poly))


def test_module_documents_order_and_hong_kong():
    doc = crs.__doc__ or ""
    assert "(lon, lat)" in doc
    assert "Hong Kong" in doc
    assert "assumption" in doc
