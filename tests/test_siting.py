"""Landing-point siting: solvers, coverage figures, constraints, bad input, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from scipy import sparse
from shapely.geometry import Point, box

from geo import _mclp, siting, siting_analysis, siting_inputs
from geo.errors import DataError, GeometryError, SpecError
from planmap.cli import main

TO_LONLAT = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
X0, Y0 = 800_000.0, 2_490_000.0  # a spot of UTM 50N near Luohu


def lonlat(x: float, y: float) -> Point:
    return Point(*TO_LONLAT.transform(x, y))


def matrix(cover: list[list[int]], n_demand: int) -> sparse.csr_matrix:
    """Coverage matrix from each candidate's list of covered demand rows."""
    rows = [i for col in cover for i in col]
    cols = [j for j, col in enumerate(cover) for _ in col]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_demand, len(cover)))


@pytest.fixture(scope="module")
def config() -> siting.SitingConfig:
    return siting.load_config()


@pytest.fixture(scope="module")
def coarse(config) -> siting.SitingResult:
    """Luohu on a coarse grid (quick)."""
    return siting.site_landing_points(
        config=config, n=20, spacing_m=600, demand_spacing_m=400, radius_m=700
    )


# --------------------------------------------------------------------------- solvers
def test_coverage_matrix_counts_the_radius_inclusively():
    demand = np.array([[0.0, 0.0], [300.0, 0.0], [301.0, 0.0]])
    cands = np.array([[0.0, 0.0], [600.0, 0.0]])
    a = _mclp.coverage_matrix(demand, cands, 300.0).toarray()
    # 300 m is in reach of both sites; 301 m is 301 from site 0 and 299 from site 1
    assert a.tolist() == [[1, 0], [1, 1], [0, 1]]


def test_greedy_is_suboptimal_here_and_swap_repairs_it():
    # rows 0..5 weigh 1; c0 covers 1-4, c1 covers 0-2, c2 covers 3-5; best pair is {c1, c2}
    a = matrix([[1, 2, 3, 4], [0, 1, 2], [3, 4, 5]], 6)
    w = np.ones(6)
    picks = _mclp.greedy(a, w, 2)
    assert picks[0] == 0 and _mclp.covered_weight(a, w, picks) == 5
    better, swaps = _mclp.swap_search(a, w, picks)
    assert sorted(better.tolist()) == [1, 2] and swaps == 1
    assert _mclp.covered_weight(a, w, better) == 6
    assert _mclp.brute_force(a, w, 2) == ((1, 2), 6.0)
    exact = _mclp.solve(a, w, 2, solver="exact", time_limit_s=10)
    assert exact.status == "Optimal" and sorted(exact.chosen.tolist()) == [1, 2]


@pytest.mark.parametrize("seed", range(4))
def test_exact_equals_brute_force_and_bounds_greedy(seed):
    rng = np.random.default_rng(seed)
    demand, cands = rng.uniform(0, 1000, (40, 2)), rng.uniform(0, 1000, (10, 2))
    w = rng.uniform(0.1, 5.0, 40)
    a = _mclp.coverage_matrix(demand, cands, 260.0)
    combo, best = _mclp.brute_force(a, w, 3)
    exact = _mclp.solve(a, w, 3, solver="exact", time_limit_s=10)
    assert exact.status == "Optimal"
    assert exact.objective == pytest.approx(best, rel=1e-9)
    assert exact.bound == pytest.approx(best, rel=1e-6)
    lp, status, _ = _mclp.lp_bound(a, w, 3)
    assert status == "Optimal" and lp >= best - 1e-6
    for swap in (False, True):
        greedy = _mclp.solve(a, w, 3, swap=swap)
        assert greedy.objective <= best + 1e-9
        assert greedy.objective == pytest.approx(_mclp.covered_weight(a, w, greedy.chosen))


def test_exact_reduction_merges_rows_without_changing_the_optimum():
    # rows 0 and 1 have the same covering set {c0}: merged into one row of weight 3
    a = matrix([[0, 1], [2], [2, 3]], 5)  # row 4 is covered by nothing
    w = np.array([1.0, 2.0, 4.0, 1.0, 9.0])
    reduced, rw = _mclp._reduce(a, w)
    assert reduced.shape == (3, 3) and sorted(rw.tolist()) == [1.0, 3.0, 4.0]
    assert _mclp.solve(a, w, 1, solver="exact").objective == 5.0  # c2: rows 2 and 3


def test_bad_solver_and_p_are_one_line_spec_errors():
    a = matrix([[0], [1]], 2)
    with pytest.raises(SpecError, match="solver: 'fast' is not one of 'greedy', 'exact'"):
        _mclp.solve(a, np.ones(2), 1, solver="fast")
    with pytest.raises(SpecError, match="n=3 must be between 1 and the 2 candidate sites"):
        _mclp.solve(a, np.ones(2), 3)


# --------------------------------------------------------------------------- coverage figures
def test_coverage_stats_on_a_hand_checked_square():
    """1 km square; radius 100 m; site A at the centre (net a), site B 350 m east (net b).

    Demand 50 m (w 1), 99 m (w 2) and 150 m (w 3) east of A and 20 m north of B (w 4): A covers
    1 + 2, B covers 4, so 7 of 10 overall, 3/10 for a and 4/10 for b. The two discs (no
    overlap, both inside) cover 2 * pi * 100^2 m^2 of 1e6 m^2.
    """
    district = shapely.Polygon(
        [lonlat(X0, Y0), lonlat(X0 + 1000, Y0), lonlat(X0 + 1000, Y0 + 1000), lonlat(X0, Y0 + 1000)]
    )
    sites = gpd.GeoDataFrame(
        geometry=[lonlat(X0 + 500, Y0 + 500), lonlat(X0 + 850, Y0 + 500)], crs="EPSG:4326"
    )
    demand = gpd.GeoDataFrame(
        {"weight": [1.0, 2.0, 3.0, 4.0]},
        geometry=[
            lonlat(X0 + 550, Y0 + 500),
            lonlat(X0 + 599, Y0 + 500),
            lonlat(X0 + 650, Y0 + 500),
            lonlat(X0 + 850, Y0 + 520),
        ],
        crs="EPSG:4326",
    )
    stats = siting.coverage_stats(sites, np.array(["a", "b"]), demand, district, radius_m=100.0)
    disc = math.pi * 100**2 / 1e6
    assert stats["demand_share"] == pytest.approx(0.7)
    assert stats["total_weight"] == pytest.approx(10.0)
    assert stats["district_area_km2"] == pytest.approx(1.0, rel=1e-4)
    assert stats["area_share"] == pytest.approx(2 * disc, rel=3e-3)  # 64-gon discs
    assert stats["per_network"]["a"]["demand_share"] == pytest.approx(0.3)
    assert stats["per_network"]["b"]["demand_share"] == pytest.approx(0.4)
    assert stats["per_network"]["b"]["area_share"] == pytest.approx(disc, rel=3e-3)


def test_network_counts_scale_by_largest_remainder(config):
    assert siting_analysis._scaled_counts(config.networks, 100) == [15, 25, 60]
    # 10 sites: 1.5, 2.5, 6 -> floors 1, 2, 6 and the one left goes to the first tie
    assert siting_analysis._scaled_counts(config.networks, 10) == [2, 2, 6]


def test_classify_gives_the_port_side_site_to_the_manned_network(config):
    port = lonlat(X0, Y0)
    sites = gpd.GeoDataFrame(
        geometry=[lonlat(X0 + 3000, Y0), lonlat(X0 + 100, Y0), lonlat(X0 + 6000, Y0)],
        crs="EPSG:4326",
    )
    anchors = gpd.GeoDataFrame(
        {"id": ["p"], "name": ["口岸"], "name_en": [""], "kind": ["port"]},
        geometry=[port],
        crs="EPSG:4326",
    )
    nets = (
        siting.Network("manned", "载人", "manned", 1, ("port",)),
        siting.Network("drone", "无人机", "drone", 2, (), rest=True),
    )
    assert siting.classify_networks(sites, anchors, nets).tolist() == ["drone", "manned", "drone"]


# --------------------------------------------------------------------------- Luohu run
def test_sites_lie_inside_the_district_and_outside_every_constraint(coarse):
    district = siting.load_district()
    assert len(coarse.sites) == 20
    assert coarse.sites.within(district).all()
    blocked = coarse.constraints.geometry.union_all()
    assert not coarse.sites.intersects(blocked).any()
    assert set(coarse.constraints["id"]) == {
        "constraint.border_buffer",
        "constraint.park.wutongshan",
        "constraint.park.xianhu",
    }


def test_outputs_follow_the_feature_schema(coarse):
    for frame, kind in [
        (coarse.sites, "landing_point"),
        (coarse.service_areas, "service_area"),
        (coarse.route, "air_route"),
    ]:
        assert list(frame.columns) == [*siting.COLUMNS, "geometry"]
        assert frame.crs.to_epsg() == 4326
        assert set(frame["kind"]) == {kind}
        assert set(frame["layer"]) == {"low_altitude"}
        assert set(frame["status"]) == {"proposed"}
        assert set(frame["precision"]) == {"schematic"}
    assert coarse.sites["id"].is_unique
    assert coarse.sites["note"].str.contains(r"network (?:manned|cargo|drone)").all()
    assert sorted(coarse.params["networks"].values()) == [3, 5, 12]  # 15/25/60 of 20


def test_schematic_parks_say_how_they_were_derived(config):
    district = siting.load_district()
    parks = siting.build_constraints(config, district)
    wut = parks.set_index("id").loc["constraint.park.wutongshan"]
    assert wut["precision"] == "schematic"
    assert "31.82" in wut["source"] and "http" in wut["source"]
    assert wut["note"].startswith("SCHEMATIC:")
    area = gpd.GeoSeries([wut.geometry], crs="EPSG:4326").to_crs("EPSG:32650").area.iloc[0]
    assert area / 1e6 == pytest.approx(31.82, rel=5e-3)
    assert siting.build_constraints(config, district, allow_parks=True).empty


def test_cross_border_route_ends_outside_shenzhen(coarse):
    line = coarse.route.geometry.iloc[0]
    start, end = Point(line.coords[0]), Point(line.coords[-1])
    assert shapely.distance(coarse.sites.geometry.values, start).min() < 1e-9
    land = gpd.read_file(siting.facts_dir() / "luohu_and_neighbours.geojson")
    assert not land.intersects(end).any()
    assert "no Hong Kong destination" in coarse.route["note"].iloc[0]


def test_anchors_from_frame_takes_any_named_frame():
    frame = gpd.GeoDataFrame(
        {"name": ["甲", "乙", "丙", "丁"], "kind": ["zone", None, "metro_line", "port"]},
        geometry=[
            box(X0, Y0, X0 + 10, Y0 + 10),
            Point(X0, Y0),
            shapely.LineString([(X0, Y0), (X0 + 99, Y0)]),
            None,
        ],
        crs="EPSG:32650",
    )
    points = siting.anchors_from_frame(frame)
    assert points["name"].tolist() == ["乙"] and points["kind"].tolist() == ["landmark"]
    both = siting.anchors_from_frame(frame, polygons=True)
    assert both["name"].tolist() == ["甲", "乙"]
    assert both.crs.to_epsg() == 4326 and (both.geom_type == "Point").all()
    assert siting.anchors_from_frame(frame, kind="port")["kind"].tolist() == ["port"]
    with pytest.raises(DataError, match="no 'name' column"):
        siting.anchors_from_frame(frame.drop(columns="name"))


# --------------------------------------------------------------------------- bad input
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nofly.geojson"
    path.write_text(text, encoding="utf-8")
    return path


def feature(geometry: dict, **extra) -> str:
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geometry}]}
    return json.dumps(doc | extra)


POLY = {"type": "Polygon", "coordinates": [[[114.1, 22.55], [114.11, 22.55], [114.1, 22.56]]]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        (feature({"type": "Point", "coordinates": [114.1, 22.55]}), r"is Point; no-fly zones"),
        (
            feature(POLY, crs={"type": "name", "properties": {"name": "EPSG:3857"}}),
            "crs 'EPSG:3857' is not WGS-84",
        ),
        (
            feature({"type": "Polygon", "coordinates": [[[0, 0], [9e5, 0], [0, 9e5]]]}),
            "not lon/lat degrees",
        ),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
    ],
)
def test_broken_no_fly_files_name_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as info:
        siting.read_no_fly(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_no_fly_file(tmp_path):
    with pytest.raises(DataError, match="no such no-fly file"):
        siting.read_no_fly(tmp_path / "absent.geojson")


def test_a_good_no_fly_zone_is_respected(config, tmp_path):
    path = write(tmp_path, feature(POLY))
    result = siting.site_landing_points(
        config=config, n=10, spacing_m=500, demand_spacing_m=500, no_fly=path
    )
    zone = siting.read_no_fly(path).geometry.iloc[0]
    assert "constraint.no_fly.001" in set(result.constraints["id"])
    assert not result.candidates.intersects(zone).any()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"radius_m": 0}, SpecError, "radius must be > 0"),
        ({"radius_m": -5}, SpecError, "radius must be > 0"),
        ({"n": 10_000}, SpecError, "n=10000 exceeds the"),
        ({"spacing_m": 0}, SpecError, "spacing_m must be > 0"),
        ({"solver": "fast"}, SpecError, "not one of"),
    ],
)
def test_bad_options_raise_one_line_errors(config, kwargs, error, message):
    options = {"config": config, "n": 5, "spacing_m": 800, "demand_spacing_m": 800} | kwargs
    with pytest.raises(error, match=message):
        siting.site_landing_points(**options)


def test_constraints_that_exclude_everything(config, tmp_path):
    everywhere = {"type": "Polygon", "coordinates": [[[113, 22], [115, 22], [115, 23], [113, 22]]]}
    everywhere["coordinates"][0].insert(3, [113, 23])
    path = write(tmp_path, feature(everywhere))
    with pytest.raises(GeometryError, match="constraints exclude every candidate site"):
        siting.site_landing_points(config=config, n=5, spacing_m=800, no_fly=path)


def test_bad_config_names_the_field(tmp_path):
    path = tmp_path / "siting.toml"
    path.write_text('[siting]\nn_sites = "many"\n', encoding="utf-8")
    with pytest.raises(SpecError, match="exactly one network needs rest = true"):
        siting.load_config(path)
    text = (siting.data_dir() / "siting.toml").read_text(encoding="utf-8")
    path.write_text(text.replace("n_sites = 100", 'n_sites = "many"'), encoding="utf-8")
    with pytest.raises(SpecError, match=r"siting.toml: siting.n_sites: expected int"):
        siting.load_config(path)


# --------------------------------------------------------------------------- CLI
COARSE = ["--n", "12", "--spacing", "700", "--demand-spacing", "500"]


def test_cli_json_shape(capsys):
    assert main(["site", "--json", *COARSE]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sites"]["type"] == "FeatureCollection"
    assert len(doc["sites"]["features"]) == 12
    props = doc["sites"]["features"][0]["properties"]
    assert list(props) == siting.COLUMNS
    assert {"area_share", "demand_share", "per_network"} <= set(doc["coverage"])
    assert set(doc["coverage"]["per_network"]) == {"manned", "cargo", "drone"}
    assert 0 < doc["coverage"]["area_share"] <= doc["coverage"]["demand_share"] + 1
    assert doc["solver"] == "greedy" and isinstance(doc["seconds"], float)
    assert doc["route"]["features"][0]["properties"]["kind"] == "air_route"


def test_cli_writes_rfc7946_files(tmp_path, capsys):
    assert main(["site", *COARSE, "--out", str(tmp_path)]) == 0
    assert "12 proposed landing points" in capsys.readouterr().out
    sites = json.loads((tmp_path / "low_altitude_proposed.geojson").read_text(encoding="utf-8"))
    rings = json.loads((tmp_path / "service_areas.geojson").read_text(encoding="utf-8"))
    assert "crs" not in sites and "crs" not in rings
    kinds = [f["properties"]["kind"] for f in sites["features"]]
    assert kinds.count("landing_point") == 12 and kinds.count("air_route") == 1
    ring = rings["features"][0]["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw
    assert all(len(str(c).split(".")[-1]) <= 6 for c in ring[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "low_altitude_proposed.geojson",
        "service_areas.geojson",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--radius", "0"], "planmap site: --radius must be > 0 metres"),
        (["--n", "100000"], "planmap site: n=100000 exceeds the"),
        (["--solver", "fast"], "planmap site: solver: 'fast' is not one of 'greedy', 'exact'"),
    ],
)
def test_cli_bad_input_is_one_line(capsys, args, message):
    assert main(["site", *COARSE[2:], *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.strip().splitlines()[-1].count("planmap site:") >= 1


def test_cli_broken_no_fly_file(tmp_path, capsys):
    path = write(tmp_path, "{oops")
    assert main(["site", *COARSE, "--no-fly", str(path)]) == 2
    assert f"planmap site: {path}: not valid JSON" in capsys.readouterr().err


def test_border_is_the_south_side():
    district, neighbours = siting.load_district(), siting_inputs._neighbours()
    border = siting.border_line(district, neighbours, tol_m=150)
    metric = gpd.GeoSeries([border], crs="EPSG:4326").to_crs("EPSG:32650")
    # the Luohu port point lies about 100 m from it
    port = gpd.GeoSeries([Point(114.113365, 22.531083)], crs="EPSG:4326").to_crs("EPSG:32650")
    assert port.distance(metric.iloc[0]).iloc[0] < 200


def test_cli_exact_json_keeps_stdout_clean():
    """HiGHS prints a banner on C-level stdout; a fresh process shows whether it leaks."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "planmap.cli", "site", "--json", "--solver", "exact"]
    cmd += ["--n", "5", "--spacing", "1500", "--demand-spacing", "1000", "--time-limit", "20"]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1]
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["solver"] == "exact" and doc["solver_details"]["warm_start"] is True
    assert doc["status"] in {"Optimal", "Time limit reached"}


def test_a_custom_district_without_neighbours_has_no_border_or_route(config):
    square = shapely.Polygon(
        [lonlat(X0, Y0), lonlat(X0 + 3000, Y0), lonlat(X0 + 3000, Y0 + 3000), lonlat(X0, Y0 + 3000)]
    )
    anchors = siting.anchors_from_frame(
        gpd.GeoDataFrame(
            {"name": ["港"], "kind": ["port"]}, geometry=[lonlat(X0 + 100, Y0 + 100)]
        ).set_crs("EPSG:4326")
    )
    result = siting.site_landing_points(
        config=config,
        n=4,
        radius_m=800,
        spacing_m=500,
        demand_spacing_m=250,
        district=square,
        anchors=anchors,
        allow_parks=True,
    )
    assert result.constraints.empty and result.route.empty
    assert result.sites.within(square).all() and len(result.sites) == 4
    # 36 grid candidates (6 x 6 at 500 m) plus the port anchor
    assert len(result.candidates) == 37
    assert result.to_json()["route"] == {"type": "FeatureCollection", "features": []}
    # the port-side site is the manned one
    nearest = shapely.distance(result.sites.geometry.values, anchors.geometry.iloc[0]).argmin()
    assert result.networks[nearest] == "manned"
