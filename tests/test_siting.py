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

from geo import siting
from geo.errors import DataError, GeometryError, OptionError, SpecError
from geo.model import FEATURE_COLUMNS
from geo.siting import analysis, constraints, inputs, rules
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
def area() -> inputs.SitingArea:
    return inputs.load_area()


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
    a = siting.coverage_matrix(demand, cands, 300.0).toarray()
    # 300 m is in reach of both sites; 301 m is 301 from site 0 and 299 from site 1
    assert a.tolist() == [[1, 0], [1, 1], [0, 1]]


def test_greedy_is_suboptimal_here_and_swap_repairs_it():
    # rows 0..5 weigh 1; c0 covers 1-4, c1 covers 0-2, c2 covers 3-5; best pair is {c1, c2}
    a = matrix([[1, 2, 3, 4], [0, 1, 2], [3, 4, 5]], 6)
    w = np.ones(6)
    picks = siting.greedy(a, w, 2)
    assert picks[0] == 0
    assert siting.covered_weight(a, w, picks) == 5
    better, swaps = siting.swap_search(a, w, picks)
    assert sorted(better.tolist()) == [1, 2]
    assert swaps == 1
    assert siting.covered_weight(a, w, better) == 6
    assert siting.brute_force(a, w, 2) == ((1, 2), 6.0)
    exact = siting.solve(a, w, 2, solver="exact", time_limit_s=10)
    assert exact.status == "Optimal"
    assert sorted(exact.chosen.tolist()) == [1, 2]


@pytest.mark.parametrize("seed", range(4))
def test_exact_equals_brute_force_and_bounds_greedy(seed):
    rng = np.random.default_rng(seed)
    demand, cands = rng.uniform(0, 1000, (40, 2)), rng.uniform(0, 1000, (10, 2))
    w = rng.uniform(0.1, 5.0, 40)
    a = siting.coverage_matrix(demand, cands, 260.0)
    _combo, best = siting.brute_force(a, w, 3)
    exact = siting.solve(a, w, 3, solver="exact", time_limit_s=10)
    assert exact.status == "Optimal"
    assert exact.objective == pytest.approx(best, rel=1e-9)
    assert exact.bound == pytest.approx(best, rel=1e-6)
    lp, status, _ = siting.lp_bound(a, w, 3)
    assert status == "Optimal"
    assert lp >= best - 1e-6
    for swap in (False, True):
        greedy = siting.solve(a, w, 3, swap=swap)
        assert greedy.objective <= best + 1e-9
        assert greedy.objective == pytest.approx(siting.covered_weight(a, w, greedy.chosen))


def test_exact_reduction_merges_rows_without_changing_the_optimum():
    # rows 0 and 1 have the same covering set {c0}: merged into one row of weight 3
    a = matrix([[0, 1], [2], [2, 3]], 5)  # row 4 is covered by nothing
    w = np.array([1.0, 2.0, 4.0, 1.0, 9.0])
    reduced, rw = siting.reduce_rows(a, w)
    assert reduced.shape == (3, 3)
    assert sorted(rw.tolist()) == [1.0, 3.0, 4.0]
    assert siting.solve(a, w, 1, solver="exact").objective == 5.0  # c2: rows 2 and 3


def test_bad_solver_and_p_are_one_line_option_errors():
    a = matrix([[0], [1]], 2)
    with pytest.raises(OptionError, match="solver 'fast' is not one of: greedy, exact"):
        siting.solve(a, np.ones(2), 1, solver="fast")
    with pytest.raises(OptionError, match="n=3 must be between 1 and the 2 candidate sites"):
        siting.solve(a, np.ones(2), 3)


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
    stats = analysis.coverage_stats(sites, np.array(["a", "b"]), demand, district, radius_m=100.0)
    disc = math.pi * 100**2 / 1e6
    assert stats["demand_share"] == pytest.approx(0.7)
    assert stats["total_weight"] == pytest.approx(10.0)
    assert stats["district_area_km2"] == pytest.approx(1.0, rel=1e-4)
    assert stats["area_share"] == pytest.approx(2 * disc, rel=3e-3)  # 64-gon discs
    assert stats["per_network"]["a"]["demand_share"] == pytest.approx(0.3)
    assert stats["per_network"]["b"]["demand_share"] == pytest.approx(0.4)
    assert stats["per_network"]["b"]["area_share"] == pytest.approx(disc, rel=3e-3)


def test_network_counts_scale_by_largest_remainder(config):
    assert analysis.network_counts(config.networks, 100) == [15, 25, 60]
    # 10 sites: 1.5, 2.5, 6 -> floors 1, 2, 6 and the one left goes to the first tie
    assert analysis.network_counts(config.networks, 10) == [2, 2, 6]


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
        rules.Network(key="manned", name="载人", name_en="manned", count=1, near=("port",)),
        rules.Network(key="drone", name="无人机", name_en="drone", count=2, rest=True),
    )
    assert analysis.classify_networks(sites, anchors, nets).tolist() == [
        "drone",
        "manned",
        "drone",
    ]


# --------------------------------------------------------------------------- Luohu run
def test_sites_lie_inside_the_district_and_outside_every_constraint(coarse, area):
    district = area.polygon
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
        assert list(frame.columns) == [*FEATURE_COLUMNS, "geometry"]
        assert frame.crs.to_epsg() == 4326
        assert set(frame["kind"]) == {kind}
        assert set(frame["layer"]) == {"low_altitude"}
        assert set(frame["status"]) == {"proposed"}
        assert set(frame["precision"]) == {"schematic"}
    assert coarse.sites["id"].is_unique
    assert coarse.sites["note"].str.contains(r"network (?:manned|cargo|drone)").all()
    assert sorted(coarse.params["networks"].values()) == [3, 5, 12]  # 15/25/60 of 20


def test_schematic_parks_say_how_they_were_derived(config):
    no_border = inputs.load_area(neighbours=[])
    parks = constraints.build_constraints(config, no_border)
    wut = parks.set_index("id").loc["constraint.park.wutongshan"]
    assert wut["precision"] == "schematic"
    assert "31.82" in wut["source"]
    assert "http" in wut["source"]
    assert wut["note"].startswith("SCHEMATIC:")
    area = gpd.GeoSeries([wut.geometry], crs="EPSG:4326").to_crs("EPSG:32650").area.iloc[0]
    assert area / 1e6 == pytest.approx(31.82, rel=5e-3)
    assert constraints.build_constraints(config, no_border, allow_parks=True).empty


def test_cross_border_route_ends_outside_shenzhen(coarse, area):
    line = coarse.route.geometry.iloc[0]
    start, end = Point(line.coords[0]), Point(line.coords[-1])
    assert shapely.distance(coarse.sites.geometry.values, start).min() < 1e-9
    land = gpd.GeoSeries([area.polygon, *area.neighbours], crs="EPSG:4326")
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
    points = inputs.anchors_from_frame(frame)
    assert points["name"].tolist() == ["乙"]
    assert points["kind"].tolist() == ["landmark"]
    both = inputs.anchors_from_frame(frame, polygons=True)
    assert both["name"].tolist() == ["甲", "乙"]
    assert both.crs.to_epsg() == 4326
    assert (both.geom_type == "Point").all()
    assert inputs.anchors_from_frame(frame, kind="port")["kind"].tolist() == ["port"]
    with pytest.raises(DataError, match="no 'name' column"):
        inputs.anchors_from_frame(frame.drop(columns="name"))


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
        constraints.read_no_fly(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_no_fly_file(tmp_path):
    with pytest.raises(DataError, match="no such no-fly file"):
        constraints.read_no_fly(tmp_path / "absent.geojson")


def test_a_good_no_fly_zone_is_respected(config, tmp_path):
    path = write(tmp_path, feature(POLY))
    result = siting.site_landing_points(
        config=config, n=10, spacing_m=500, demand_spacing_m=500, no_fly=path
    )
    zone = constraints.read_no_fly(path).geometry.iloc[0]
    assert "constraint.no_fly.001" in set(result.constraints["id"])
    assert not result.candidates.intersects(zone).any()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"radius_m": 0}, OptionError, "radius_m must be > 0"),
        ({"radius_m": -5}, OptionError, "radius_m must be > 0"),
        ({"n": 10_000}, OptionError, "n=10000 exceeds the"),
        ({"spacing_m": 0}, OptionError, "spacing_m must be > 0"),
        ({"solver": "fast"}, OptionError, "not one of"),
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
        rules.load_config(path)
    text = rules.load_config().path.read_text(encoding="utf-8")
    path.write_text(text.replace("n_sites = 100", 'n_sites = "many"'), encoding="utf-8")
    with pytest.raises(SpecError, match=r"siting.toml: siting.n_sites: expected int"):
        rules.load_config(path)


# --------------------------------------------------------------------------- CLI
COARSE = ["--n", "12", "--spacing", "700", "--demand-spacing", "500"]


def test_cli_json_shape(capsys):
    assert main(["site", "--json", *COARSE]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sites"]["type"] == "FeatureCollection"
    assert len(doc["sites"]["features"]) == 12
    props = doc["sites"]["features"][0]["properties"]
    assert list(props) == list(FEATURE_COLUMNS)
    assert {"area_share", "demand_share", "per_network"} <= set(doc["coverage"])
    assert set(doc["coverage"]["per_network"]) == {"manned", "cargo", "drone"}
    assert 0 < doc["coverage"]["area_share"] <= doc["coverage"]["demand_share"] + 1
    assert doc["solver"] == "greedy"
    assert isinstance(doc["seconds"], float)
    assert doc["route"]["features"][0]["properties"]["kind"] == "air_route"


def test_cli_writes_rfc7946_files(tmp_path, capsys):
    assert main(["site", *COARSE, "--out", str(tmp_path)]) == 0
    assert "12 proposed landing points" in capsys.readouterr().out
    sites = json.loads((tmp_path / "low_altitude_proposed.geojson").read_text(encoding="utf-8"))
    rings = json.loads((tmp_path / "service_areas.geojson").read_text(encoding="utf-8"))
    assert "crs" not in sites
    assert "crs" not in rings
    kinds = [f["properties"]["kind"] for f in sites["features"]]
    assert kinds.count("landing_point") == 12
    assert kinds.count("air_route") == 1
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
        (["--solver", "fast"], "planmap site: solver 'fast' is not one of: greedy, exact"),
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


def test_border_is_the_south_side(area):
    border = area.border
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
    assert doc["solver"] == "exact"
    assert doc["solver_details"]["warm_start"] is True
    assert doc["solver_details"]["time_limit_s"] == 20.0  # as HiGHS reports its option
    assert doc["status"] in {"Optimal", "Time limit reached"}


def test_a_custom_district_without_neighbours_has_no_border_or_route(config):
    square = shapely.Polygon(
        [lonlat(X0, Y0), lonlat(X0 + 3000, Y0), lonlat(X0 + 3000, Y0 + 3000), lonlat(X0, Y0 + 3000)]
    )
    anchors = inputs.anchors_from_frame(
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
        boundary=square,
        anchors=anchors,
        allow_parks=True,
    )
    assert result.constraints.empty
    assert result.route.empty
    assert result.sites.within(square).all()
    assert len(result.sites) == 4
    # 36 grid candidates (6 x 6 at 500 m) plus the port anchor
    assert len(result.candidates) == 37
    assert result.to_json()["route"] == {"type": "FeatureCollection", "features": []}
    # the port-side site is the manned one
    nearest = shapely.distance(result.sites.geometry.values, anchors.geometry.iloc[0]).argmin()
    assert result.networks[nearest] == "manned"


# --------------------------------------------------------------------------- numbers at the edge
BAD_NUMBERS = [
    ("n", 0, "n must be a whole number from 1 to 200000 (got 0)"),
    ("n", -3, "n must be a whole number from 1"),
    ("n", 10**12, "n must be a whole number from 1 to 200000 (got 1000000000000)"),
    ("n", 2.5, "n must be a whole number"),
    ("n", True, "n must be a whole number"),
    ("radius_m", math.inf, "radius_m must be > 0 metres and at most 50000 (got inf)"),
    ("radius_m", math.nan, "radius_m must be > 0 metres and at most 50000 (got nan)"),
    ("spacing_m", math.inf, "spacing_m must be > 0 metres and at most 10000 (got inf)"),
    ("spacing_m", -250.0, "spacing_m must be > 0 metres"),
    ("demand_spacing_m", 0, "demand_spacing_m must be > 0 metres and at most 10000 (got 0)"),
    ("demand_spacing_m", math.nan, "demand_spacing_m must be > 0 metres"),
    ("time_limit_s", -1.0, "time_limit_s must be > 0 seconds and at most 86400 (got -1)"),
    ("time_limit_s", math.nan, "time_limit_s must be > 0 seconds and at most 86400 (got nan)"),
    ("time_limit_s", math.inf, "time_limit_s must be > 0 seconds"),
    ("time_limit_s", 0, "time_limit_s must be > 0 seconds"),
    ("time_limit_s", "60", "time_limit_s must be > 0 seconds and at most 86400 (got '60')"),
]


@pytest.mark.parametrize(("option", "value", "message"), BAD_NUMBERS)
def test_numeric_options_are_checked_before_any_work(config, option, value, message, monkeypatch):
    def no_work(*_args, **_kwargs):
        raise AssertionError("the siting started before its options were checked")

    monkeypatch.setattr(siting, "load_area", no_work)
    with pytest.raises(OptionError) as info:
        siting.site_landing_points(config=config, solver="exact", **{option: value})
    assert str(info.value) == message or str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_none_means_the_rules_value_and_zero_is_an_error(config, area):
    grid = inputs.demand_points(area.polygon, config, spacing_m=None)
    assert (grid["weight"] == config.demand["area_per_km2"] * 100.0**2 / 1e6).all()
    with pytest.raises(OptionError, match=r"spacing_m must be > 0 metres .*\(got 0\)"):
        inputs.demand_points(area.polygon, config, spacing_m=0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time-limit", "-1"], "--time-limit must be > 0 seconds and at most 86400 (got -1)"),
        (["--time-limit", "nan"], "--time-limit must be > 0 seconds and at most 86400 (got nan)"),
        (["--time-limit", "inf"], "--time-limit must be > 0 seconds and at most 86400 (got inf)"),
        (["--radius", "inf"], "--radius must be > 0 metres and at most 50000 (got inf)"),
        (["--spacing", "inf"], "--spacing must be > 0 metres and at most 10000 (got inf)"),
        (["--demand-spacing", "0"], "--demand-spacing must be > 0 metres"),
        (["--n", "0"], "--n must be a whole number from 1 to 200000 (got 0)"),
        (["--n", "-5"], "--n must be a whole number from 1 to 200000 (got -5)"),
        (["--n", "99999999999"], "--n must be a whole number from 1 to 200000"),
    ],
)
def test_cli_refuses_numbers_out_of_range_in_one_line(capsys, args, message):
    assert main(["site", "--solver", "exact", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"planmap site: {message}" or err[-1].startswith(f"planmap site: {message}")
    assert not any("Traceback" in line for line in err)


def test_highs_is_given_the_time_limit_asked_for():
    a = matrix([[1, 2, 3, 4], [0, 1, 2], [3, 4, 5]], 6)
    sol = siting.solve(a, np.ones(6), 2, solver="exact", time_limit_s=7)
    assert sol.details["time_limit_s"] == 7.0  # read back from HiGHS
    for bad in (-1.0, math.nan, math.inf, 0.0):
        with pytest.raises(OptionError, match="time_limit_s must be > 0 seconds"):
            siting.exact(a, np.ones(6), 2, time_limit_s=bad)
        with pytest.raises(OptionError, match="time_limit_s must be > 0 seconds"):
            siting.lp_bound(a, np.ones(6), 2, time_limit_s=bad)
    with pytest.raises(OptionError, match="radius_m must be > 0 metres"):
        siting.coverage_matrix(np.zeros((1, 2)), np.zeros((1, 2)), math.inf)


def test_site_landing_points_hands_its_time_limit_to_highs(config):
    result = siting.site_landing_points(
        config=config, n=3, spacing_m=1500, demand_spacing_m=1000, solver="exact", time_limit_s=9
    )
    assert result.solution.details["time_limit_s"] == 9.0


def test_the_landing_page_keywords_keep_working():
    """pages/2_Landing_points.py calls the siting with exactly these keywords."""
    result = siting.site_landing_points(
        n=10, radius_m=800.0, spacing_m=900.0, solver="greedy", time_limit_s=30.0, allow_parks=True
    )
    assert len(result.sites) == 10
    assert result.params["allow_parks"] is True
    assert not result.constraints["kind"].eq("park").any()


def rules_text() -> str:
    return rules.load_config().path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("radius_m = 500.0", "radius_m = inf", "siting.radius_m: Input should be a finite number"),
        ("radius_m = 500.0", "radius_m = nan", "siting.radius_m: Input should be a finite number"),
        ("radius_m = 500.0", "radius_m = -1.0", "siting.radius_m: must be > 0 metres"),
        ("n_sites = 100", "n_sites = 0", "siting.n_sites: must be a whole number from 1"),
        ("n_sites = 100", "n_sites = 100.5", "siting.n_sites: expected int, got 100.5"),
        ("time_limit_s = 60.0", "time_limit_s = -1.0", "siting.time_limit_s: must be > 0"),
        ("demand_spacing_m = 100.0", "demand_spacing_m = 0", "siting.demand_spacing_m: must be"),
        ("spacing_m = 250.0", "spacing_m = 1e9", "siting.spacing_m: must be > 0 metres"),
        ("buffer_m = 200.0", "buffer_m = -5.0", "constraints.border.buffer_m: Input should be"),
        ("port = 500.0", "port = -1.0", "demand.port: Input should be greater than or equal"),
        ("port = 500.0", "prot = 500.0", "demand: anchor kind 'prot' is not one of:"),
        ("area_km2 = 31.82", "area_km2 = nan", "zones[0].area_km2: Input should be a finite"),
        ('near = ["port", "logistics"]', 'near = ["port", "dock"]', "networks[1].near[1]: anchor"),
        ("count = 25", "count = -25", "networks[1].count: Input should be greater than or equal"),
        ("beyond_m = 500.0", "beyond_m = 0.0", "route.beyond_m: Input should be greater than 0"),
        ("swap = true", 'swap = "yes"', "siting.swap: expected bool, got 'yes'"),
    ],
)
def test_rules_file_numbers_are_validated_naming_file_and_field(tmp_path, old, new, message):
    text = rules_text()
    assert old in text
    path = tmp_path / "siting.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        rules.load_config(path)
    assert str(info.value).startswith("siting.toml: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_rules_keys_are_refused(tmp_path):
    path = tmp_path / "siting.toml"
    path.write_text(rules_text() + "\n[extra]\nkey = 1\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"siting.toml: extra: Extra inputs are not permitted"):
        rules.load_config(path)


# --------------------------------------------------------------------------- district as data
def copy_data(tmp_path: Path) -> Path:
    import shutil

    from geo.paths import data_dir

    target = tmp_path / "data"
    shutil.copytree(data_dir(), target, ignore=shutil.ignore_patterns("user"))
    return target


def test_a_district_without_siting_rules_is_one_line(tmp_path, monkeypatch):
    data = copy_data(tmp_path)
    folder = data / "districts" / "nosite"
    folder.mkdir()
    record = (data / "districts" / "luohu" / "district.toml").read_text(encoding="utf-8")
    record = record.replace('id = "luohu"', 'id = "nosite"').replace('siting = "siting.toml"', "")
    (folder / "district.toml").write_text(record, encoding="utf-8")
    monkeypatch.setenv("PLANMAP_DATA", str(data))
    with pytest.raises(DataError, match=r"siting: district 'nosite' has no siting rules") as info:
        siting.site_landing_points(district="nosite", n=3)
    assert "\n" not in str(info.value)
    assert main(["site", "--district", "nosite"]) == 2
    with pytest.raises(
        OptionError, match="district 'atlantis' is not one of: futian, luohu, nosite"
    ):
        siting.site_landing_points(district="atlantis")


def test_the_district_comes_from_its_record_and_the_facts_manifest(area):
    from geo.gazetteer.facts import boundaries

    bounds = boundaries(area.facts)
    record = area.record
    assert area.polygon.equals(bounds[record.boundary.feature])
    assert [g.wkb for g in area.neighbours] == [bounds[n].wkb for n in record.neighbours]
    assert area.inside_column == area.facts.stations.inside_column != ""
    assert record.boundary.file in area.border_source
    assert record.boundary.source in area.border_source


def test_stations_inside_are_measured_when_the_file_was_not_made_for_the_polygon(config, area):
    from dataclasses import replace

    by_column = inputs.default_anchors(config, area)
    measured = inputs.default_anchors(config, replace(area, inside_column=""))
    assert by_column["name"].tolist() == measured["name"].tolist()  # they agree here
    square = shapely.Polygon(
        [lonlat(X0, Y0), lonlat(X0 + 3000, Y0), lonlat(X0 + 3000, Y0 + 3000), lonlat(X0, Y0 + 3000)]
    )
    small = inputs.load_area(boundary=square)
    assert small.inside_column == ""
    assert small.border is None
    stations = inputs.default_anchors(config, small)
    stations = stations[stations["kind"].isin(["metro_station", "metro_interchange"])]
    assert stations.within(square).all()


def test_no_district_is_named_in_the_siting_code():
    import ast

    names = ("罗湖", "luohu")
    for path in Path(siting.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings:
                    continue
                assert not any(n in node.value.lower() for n in names), (path.name, node.value)


def test_sources_say_where_the_border_and_sites_come_from(coarse, area):
    buffer = coarse.constraints.set_index("id").loc["constraint.border_buffer"]
    assert buffer["source"] == area.border_source
    assert buffer["kind"] == "constraint"
    assert buffer["status"] == "existing"
    assert coarse.sites["source"].str.contains("siting.toml").all()
    assert coarse.params["district"] == area.record.id


# --------------------------------------------------------------------------- cached proposal
@pytest.fixture(scope="module")
def proposal(tmp_path_factory) -> tuple[gpd.GeoDataFrame, Path]:
    folder = tmp_path_factory.mktemp("siting-cache")
    return siting.proposed_network(cache_dir=folder), folder


def test_the_proposal_is_one_frame_in_the_feature_schema(proposal, config):
    frame, _ = proposal
    assert list(frame.columns) == [*FEATURE_COLUMNS, "geometry"]
    assert frame.crs.to_epsg() == 4326
    assert frame["id"].is_unique
    kinds = frame["kind"].value_counts().to_dict()
    assert kinds == {"landing_point": 100, "service_area": 100, "air_route": 1}
    assert set(frame["status"]) == {"proposed"}
    assert set(frame["precision"]) == {"schematic"}
    assert set(frame["layer"]) == {"low_altitude"}
    sites = frame[frame["kind"] == "landing_point"]
    counts = sites["id"].str.split(".").str[1].value_counts().to_dict()
    assert counts == {net.key: net.count for net in config.networks}
    first = sites.set_index("id").loc["landing.manned.012"]
    assert first["name"] == "载人起降点 12"
    assert first["name_en"] == "Manned landing point 12"
    assert "载人" in first["note"]
    assert "network manned" in first["note"]
    assert first["source"].startswith("proposed from the rules districts/luohu/siting.toml: ")
    assert "greedy + 1-swap" in first["source"]
    assert (sites.geom_type == "Point").all()
    discs = frame[frame["kind"] == "service_area"]
    assert (discs["id"] == sites["id"].to_numpy() + ".service_area").all()
    assert frame["mentions"].dtype == "int64"
    assert set(frame["report_excerpt"]) == {""}


def test_a_second_call_is_served_from_the_cache(proposal, monkeypatch):
    from geopandas.testing import assert_geodataframe_equal

    frame, folder = proposal
    files = list(folder.glob("proposed_luohu_*.geojson"))
    assert len(files) == 1
    assert not list(folder.glob(".*.tmp"))
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    assert len(doc["features"]) == len(frame)
    assert "crs" not in doc

    def rerun(**_kwargs):
        raise AssertionError("the siting ran again with unchanged inputs")

    monkeypatch.setattr(siting, "site_landing_points", rerun)
    again = siting.proposed_network(cache_dir=folder)
    assert_geodataframe_equal(again, frame)


def test_changing_a_rule_byte_invalidates_the_cache(tmp_path, monkeypatch):
    data = copy_data(tmp_path)
    monkeypatch.setenv("PLANMAP_DATA", str(data))
    cache = tmp_path / "cache"
    calls = []
    real = siting.site_landing_points

    def counted(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(siting, "site_landing_points", counted)
    first = siting.proposed_network(cache_dir=cache)
    siting.proposed_network(cache_dir=cache)
    assert len(calls) == 1
    rules_file = data / "districts" / "luohu" / "siting.toml"
    text = rules_file.read_text(encoding="utf-8")
    rules_file.write_text(text.replace("radius_m = 500.0", "radius_m = 600.0"), encoding="utf-8")
    wider = siting.proposed_network(cache_dir=cache)
    assert len(calls) == 2
    assert len(list(cache.glob("*.geojson"))) == 2
    assert not wider.equals(first)
    rules_file.write_text(text + "\n", encoding="utf-8")  # one byte, a blank line
    siting.proposed_network(cache_dir=cache)
    assert len(calls) == 3


def test_the_cache_key_covers_every_input(tmp_path, config):
    from geo.gazetteer.facts import load_facts
    from geo.paths import facts_dir
    from geo.siting import cache

    facts = load_facts(facts_dir())
    files = inputs.input_files(config, facts)
    assert config.path in files
    assert facts.path(facts.stations.file) in files
    assert facts.path(facts.boundaries.file) in files
    assert facts.path("point_facts.csv") in files
    record = inputs.load_area().record
    key = cache.cache_key(files, record, {"n": 100})
    assert key == cache.cache_key(files, record, {"n": 100})
    assert key != cache.cache_key(files, record, {"n": 99})
    assert key != cache.cache_key(files[1:], record, {"n": 100})
    assert key != cache.cache_key(files, record.model_copy(update={"short_en": "X"}), {"n": 100})


def test_cache_files_are_written_atomically_and_a_broken_one_is_remade(tmp_path, monkeypatch):
    from geo.siting import cache

    monkeypatch.setenv("PLANMAP_CACHE_DIR", str(tmp_path / "root"))
    assert cache.default_cache_dir() == tmp_path / "root" / "siting"
    target = tmp_path / "c" / "x.geojson"
    assert cache.write_cached(target, '{"type": "FeatureCollection", "features": []}')
    assert cache.read_cached(target) == {"type": "FeatureCollection", "features": []}
    assert [p.name for p in target.parent.iterdir()] == ["x.geojson"]
    target.write_text('{"type": "FeatureColl', encoding="utf-8")  # a torn write
    assert cache.read_cached(target) is None
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert cache.write_cached(tmp_path / "file" / "x.geojson", "{}") is False
