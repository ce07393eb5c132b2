"""The benchmark scripts work (their helpers on tiny sizes, one repeat, no timing asserts), and
the scale measures the benchmark led to in layers.map keep doing what they claim."""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import folium
import numpy as np
import pytest
import shapely

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import _common as c  # noqa: E402
import bench_build  # noqa: E402
import bench_geocode  # noqa: E402
import bench_locate  # noqa: E402
import bench_map  # noqa: E402
import run as bench_run  # noqa: E402

FIGURE_KEYS = {"name", "median", "unit", "n"}
PEER_KEYS = FIGURE_KEYS | {"peer", "peer_median", "ratio"}


@pytest.fixture(scope="module")
def luohu():
    return bench_map.luohu_layers()


def _check(figures: list[dict]) -> dict[str, dict]:
    for f in figures:
        assert set(f) >= FIGURE_KEYS, f
        if f.get("missing"):
            assert f["median"] is None
            assert f["n"] == 0
            continue
        assert f["n"] >= 1
        assert f["median"] is not None
        assert f["median"] >= 0
        if "peer" in f:
            assert set(f) >= PEER_KEYS
            assert math.isclose(f["ratio"], f["median"] / f["peer_median"])
    return {f["name"]: f for f in figures}


def test_comparison_is_ours_over_peer_medians():
    f = c.comparison("x", [1.0, 3.0, 2.0], [4.0, 8.0, 6.0], "s", peer_name="p", note="n")
    assert f == {
        "name": "x",
        "median": 2.0,
        "unit": "s",
        "n": 3,
        "note": "n",
        "peer": "p",
        "peer_median": 6.0,
        "ratio": 2.0 / 6.0,
    }
    a, b = c.interleaved(lambda: 1.0, lambda: 2.0, 3)
    assert a == [1.0] * 3
    assert b == [2.0] * 3
    assert c.missing("y", "s", "why")["missing"] == "why"
    assert "| x | 2.00 s | 3 | p | 6.00 s | 0.33 |" in c.table([f])


def test_translate_each_moves_each_geometry_and_keeps_none():
    geoms = np.array([shapely.Point(0, 0), None, shapely.LineString([(0, 0), (1, 1)])])
    out = c.translate_each(geoms, np.array([1.0, 5.0, 2.0]), np.array([0.0, 5.0, -1.0]))
    assert out[0].equals(shapely.Point(1, 0))
    assert out[1] is None
    assert out[2].equals(shapely.LineString([(2, -1), (3, 0)]))
    assert geoms[0].equals(shapely.Point(0, 0))  # the input is kept


def test_scale_layers_copies_with_unique_ids_inside_shenzhen(luohu):
    scaled = c.scale_layers(luohu, 3)
    assert scaled.titles == luohu.titles
    x0, y0, x1, y1 = c.SHENZHEN_BBOX
    for name, gdf in luohu.items():
        big = scaled[name]
        assert len(big) == 3 * len(gdf)
        assert big["id"].is_unique
        copies = big.geometry.iloc[len(gdf) :].dropna()
        points = copies[copies.geom_type == "Point"]
        assert ((points.x >= x0) & (points.x <= x1) & (points.y >= y0) & (points.y <= y1)).all()


def test_build_scaling_runs_at_1x():
    figures = _check(bench_build.run(factors=(1,), repeats=1))
    assert figures["build_1x"]["unit"] == "s"
    assert figures["build_per_feature_1x"]["unit"] == "us/feature"
    assert math.isclose(bench_build.slope([1, 10, 100], [2, 20, 200]), 1.0)
    assert math.isclose(bench_build.slope([1, 10], [1, 100]), 2.0)


def test_scaled_spec_names_every_copy():
    from geo.gazetteer import load_gazetteer
    from geo.paths import default_spec
    from layers.build import build_layers
    from layers.spec import load_spec

    gaz, spec = load_gazetteer(), load_spec(default_spec())
    big, copies = c.scale_gazetteer(gaz, 2)
    assert big["id"].is_unique
    assert len(big) == 2 * len(gaz) - 1
    built = build_layers(c.scale_spec(spec, big, copies), big)
    one = build_layers(spec, gaz)
    assert built["ports"]["id"].tolist() == [
        *one["ports"]["id"],
        *[f"{i}~1" for i in one["ports"]["id"]],
    ]


def test_geocode_throughput_structure():
    from geo.gazetteer import load_gazetteer

    gaz = load_gazetteer().head(25)
    figures = _check(bench_geocode.run(repeats=1, gaz=gaz))
    for name in ("exact", "alias", "fuzzy", "seed"):
        f = figures[f"geocode_{name}_vs_difflib"]
        assert f["unit"] == "names/s"
        assert f["peer"] == bench_geocode.PEER
    assert "correct: ours" in figures["geocode_seed_vs_difflib"]["note"]
    assert figures["geocode_seed_total_vs_difflib"]["unit"] == "s"
    scan = bench_geocode.DifflibScan(gaz)
    assert scan.geocode(str(gaz["name"].iloc[3])) == str(gaz["name"].iloc[3])


def test_map_comparison_at_1x_without_browser(luohu):
    figures = _check(bench_map.run(factors=(1,), repeats=1, browser=False, base=luohu))
    size = figures["map_bytes_vs_explore_1x"]
    assert size["unit"] == "bytes"
    assert size["peer"] == "GeoDataFrame.explore()"
    assert figures["map_vs_explore_1x"]["missing"]
    frame = bench_map.drawable_frame(luohu)
    names = ("matplotlib", "matplotlib.pyplot", "matplotlib.colors", "mapclassify")
    before = {n: sys.modules.get(n) for n in names}
    html = bench_map.explore_html(frame)
    assert 'src="vendor/leaflet-1.9.4/leaflet.js"' in html
    assert "cdn.jsdelivr" not in html
    # the stand-ins for explore()'s imports are gone again; real modules loaded before stay
    assert {n: sys.modules.get(n) for n in names} == before


def test_targets_and_performance_page():
    figures = [
        c.comparison("map_bytes_vs_explore_100x", [1.0], [4.0], "bytes", peer_name="p"),
        c.missing("map_vs_explore_100x", "s", "no browser"),
        {"name": "build_growth_exponent", "median": 1.02, "unit": "exponent", "n": 3},
    ]
    verdicts = dict(bench_run.targets(figures))
    assert verdicts["at most half the bytes of explore() at 100×"] == "met (0.25)"
    assert verdicts["at most half the draw time of explore() at 100×"] == "not measured"
    assert verdicts["build time grows linearly (exponent ≤ 1.15)"] == "met (1.02)"
    info = {k: "?" for k in ("nproc", "cpu", "ram", "python", "chromium", "platform")}
    page = bench_run.performance_md(figures, info, quick=True)
    assert page.startswith(bench_run._MARK_START)
    assert page.endswith(bench_run._MARK_END)
    assert "missing: no browser" in page


def test_locate_bench_runs_small_and_finds_the_report_roads():
    figures = _check(bench_locate.run(features=2000, repeats=1))
    assert set(figures) == {"locate_2k_shapefile", "locate_2k_gpkg"}
    assert all(re.search(r", [1-9]\d* places located", f["note"]) for f in figures.values())
    verdicts = dict(
        bench_run.targets([{**figures["locate_2k_shapefile"], "name": "locate_100k_shapefile"}])
    )
    assert verdicts["locate from a 100,000-feature road file in < 10 s"].startswith(
        ("met", "NOT met")
    )


# -- what layers.map does for scale (found by bench_map; see bench/PERFORMANCE.md) ---------


def test_drawn_geometry_is_simplified_within_its_precision_and_rounded(luohu):
    from geo.geometry import to_metric
    from layers import map as render
    from layers.map import features as _features

    gdf = luohu["context"]
    gdf = gdf.loc[render.drawable(gdf)]
    before = gdf.geometry.array.to_numpy()
    after = _features.display_geoms(before, gdf["precision"])
    assert shapely.get_num_coordinates(after).sum() < shapely.get_num_coordinates(before).sum()
    tol = gdf["precision"].map(render.SIMPLIFY_M).to_numpy()
    moved = shapely.hausdorff_distance(to_metric(before), to_metric(after))
    assert (moved <= tol + 0.2).all()  # the tolerance, plus rounding to 6 decimals
    xy = shapely.get_coordinates(after)
    assert np.allclose(xy, np.round(xy, _features.DECIMALS))


def test_labels_are_one_array_and_start_hidden_beyond_the_cap(luohu):
    from layers import map as render
    from layers.map import labels as _labels

    def labels_of(layers):
        m = render.make_map(layers)
        group = next(c for c in m._children.values() if isinstance(c, _labels.Labels))
        return m, group

    m, group = labels_of(luohu)
    labels = [mk for mk in group._children.values() if isinstance(mk, _labels.LabelMarker)]
    assert len(group.rows) == len(labels) > 0  # markers stay inspectable
    html = m.get_root().render()
    assert group.show
    assert f"{group.get_name()}.addTo(" in html
    assert html.count("L.divIcon(") == 1
    assert html.count("L.marker(") == 1
    # streamlit-folium writes each element's script itself: the same one loop, and shown
    from streamlit_folium import generate_leaflet_string

    js = generate_leaflet_string(m)
    assert js.count("L.divIcon(") == 1
    assert js.count("L.marker(") == 1
    assert re.search(r"feature_group_div_\d+\.addTo\(", js.split("L.divIcon(")[1])
    big = c.scale_layers(luohu, 1 + render.MAX_LABELS_SHOWN // len(group.rows))
    m, group = labels_of(big)
    html = m.get_root().render()
    assert not group.show
    assert f"{group.get_name()}.addTo(" not in html
    assert 'group.once("add", fill)' in html  # its markers are made when first switched on


def test_the_view_is_set_before_any_layer_is_added(luohu):
    from folium.map import FitBounds

    from layers import map as render

    kinds = [type(c) for c in render.make_map(luohu)._children.values()]
    first_group = next(i for i, k in enumerate(kinds) if k is folium.FeatureGroup)
    assert FitBounds in kinds[:first_group]


def test_big_layers_are_packed_not_inline_geojson(luohu):
    """At scale the page gets each layer packed (~5 bytes a vertex), not GeoJSON (~22)."""
    from layers import map as render
    from layers.map.packed import PackedGeoJson

    big = c.scale_layers(luohu, 3)
    m = render.make_map(big)
    html = m.get_root().render()
    vertices = 0
    for group in m._children.values():
        for gj in getattr(group, "_children", {}).values():
            if isinstance(gj, folium.GeoJson) and gj.layer_name != "highlight":
                assert isinstance(gj, PackedGeoJson)
                vertices += sum(
                    len(shapely.get_coordinates(shapely.geometry.shape(f["geometry"])))
                    for f in gj.data["features"]
                )
    assert "L.geoJson(null" in html
    assert '"coordinates"' not in html
    assert len(html.encode()) < 200_000 + 8 * vertices
