"""The shipped gazetteer: complete for the seed article, honest about precision and sources."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import shapely
from shapely.geometry import LineString, Point

from geo.errors import DataError
from geo.gazetteer import assemble, line_runs, load_gazetteer
from geo.geometry import area_km2, distance_outside_m, length_m
from geo.names import normalize_name, strip_pinyin, to_simplified
from geo.paths import data_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def _by_name(gaz, name):
    rows = gaz[gaz["name"] == name]
    assert len(rows) == 1, name
    return rows.iloc[0]


def test_schema_and_crs(gaz):
    assert gaz.crs.to_epsg() == 4326
    assert gaz["id"].is_unique
    for col in ("id", "name", "name_en", "kind", "status", "precision", "source"):
        assert gaz[col].map(lambda v: isinstance(v, str) and v.strip() != "").all(), col
    assert set(gaz["status"]) <= {"existing", "under_construction", "planned", "proposed"}
    assert set(gaz["precision"]) <= {
        "surveyed",
        "located",
        "approximate",
        "within",
        "schematic",
        "unlocated",
    }


def test_unlocated_means_no_geometry_and_located_means_valid_geometry_near_shenzhen(gaz):
    unlocated = gaz["precision"] == "unlocated"
    assert gaz.loc[unlocated].geometry.isna().all()
    located = gaz.loc[~unlocated]
    assert located.geometry.notna().all()
    assert shapely.is_valid(located.geometry.array).all()
    minx, miny, maxx, maxy = located.total_bounds
    assert minx > 113.7
    assert maxx < 114.7
    assert miny > 22.3
    assert maxy < 22.9


def test_every_place_the_seed_names_is_in_the_gazetteer(gaz):
    labels = json.loads((ROOT / "tests/fixtures/seed_labels.json").read_text(encoding="utf-8"))
    keys = {}
    for name, aliases in zip(gaz["name"], gaz["aliases"], strict=True):
        for k in [name, *aliases]:
            keys.setdefault(normalize_name(k), name)
    seed = strip_pinyin((ROOT / "tests/fixtures/seed_article.txt").read_text(encoding="utf-8"))
    for canonical, forms in labels["places"].items():
        assert canonical in set(gaz["name"]), canonical
        for form in forms:
            assert form in seed, form
            assert keys.get(normalize_name(to_simplified(form))) == canonical, form


def test_no_coordinate_is_typed_into_the_curated_places():
    """Coordinates come only from the facts files with their sources, never from places.toml."""
    files = sorted((data_dir() / "districts").glob("*/places.toml"))
    assert len(files) >= 2
    for path in files:
        text = path.read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert not re.search(r"\b1[01]\d\.\d{3,}|\b2[23]\.\d{3,}", body), path


def test_schematic_features_say_so(gaz):
    schematic = gaz[gaz["precision"] == "schematic"]
    assert len(schematic) >= 6  # axis, two belts, three clusters at least
    assert schematic["note"].str.contains("Schematic").all()


def test_ports_are_at_the_border(gaz):
    district = _by_name(gaz, "罗湖区").geometry
    assert distance_outside_m(_by_name(gaz, "罗湖口岸").geometry, district) == 0
    # Wikipedia's point for 文锦渡 is the HK control point across the river (~330 m)
    assert 250 < distance_outside_m(_by_name(gaz, "文锦渡口岸").geometry, district) < 400
    assert distance_outside_m(_by_name(gaz, "莲塘口岸").geometry, district) < 100


def test_hk_border_runs_from_luohu_port_to_beyond_liantang(gaz):
    border = _by_name(gaz, "深港边界").geometry
    assert border.geom_type == "LineString"
    assert 10_000 < length_m(border) < 20_000
    for port in ("罗湖口岸", "莲塘口岸"):
        p = _by_name(gaz, port).geometry
        assert distance_outside_m(p, border.buffer(0.01)) == 0  # within ~1 km
        assert shapely.distance(p, border) < 0.005  # ~500 m


def test_structure_geometries_derive_from_stated_facts(gaz):
    axis = _by_name(gaz, "红岭金融总部发展轴").geometry
    assert axis.geom_type == "LineString"
    assert 2_000 < length_m(axis) < 3_600  # 红岭路 is 3.6 km; drawn between its stations
    dawutong = _by_name(gaz, "大梧桐新兴产业带")
    # stated 57.06 km² of a 79 km² district: the drawn belt is the district north of the line
    assert 40 < area_km2(dawutong.geometry) < 65
    assert "Drawn area" in dawutong["note"]
    district = _by_name(gaz, "罗湖区").geometry
    for name in (
        "口岸经济发展带",
        "笋清科技创新组团",
        "商旅文融合发展组团",
        "蔡屋围-东门现代商贸组团",
    ):
        geom = _by_name(gaz, name).geometry
        assert geom.geom_type in ("Polygon", "MultiPolygon"), name
        assert shapely.area(shapely.difference(geom, district.buffer(1e-6))) < 1e-9, name


def test_bare_station_name_that_is_a_curated_alias_stays_with_the_curated_place(gaz):
    station = _by_name(gaz, "罗湖站")
    assert "罗湖" not in station["aliases"]
    assert "罗湖" in _by_name(gaz, "罗湖区")["aliases"]
    assert "Luohu station" in station["aliases"]


def test_metro_line_5_extension_skips_the_unlocated_dongmen_station(gaz):
    ext = _by_name(gaz, "5号线西延")
    assert ext.geometry.geom_type == "LineString"
    assert len(ext.geometry.coords) == 3  # 黄贝岭, 湖贝, 大剧院
    assert "东门站" in ext["note"]


def test_line_runs_bridge_one_gap_and_break_on_longer_ones():
    coords = {n: Point(i, 0) for i, n in enumerate("ABDEH")}
    geom, bridged = line_runs(list("ABCDEFGH"), coords)
    assert bridged == ["C"]
    assert geom.geom_type == "LineString"  # F and G missing: H alone is no run
    assert list(geom.coords) == [(0, 0), (1, 0), (2, 0), (3, 0)]
    geom, _ = line_runs(list("ABXYDE"), {n: Point(i, 0) for i, n in enumerate("ABDE")})
    assert geom.geom_type == "MultiLineString"
    assert line_runs(["A"], {"A": Point(0, 0)})[0] is None
    assert isinstance(LineString([(0, 0), (1, 1)]), LineString)


@pytest.fixture
def data_copy(tmp_path):
    dst = tmp_path / "data"
    shutil.copytree(data_dir(), dst, ignore=shutil.ignore_patterns("user"))
    return dst


def _edit(data, old, new):
    p = data / "districts" / "luohu" / "places.toml"
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "port.wenjindu"', 'id = "port.luohu"', "duplicate id 'port.luohu'"),
        ('status = "planned"', 'status = "maybe"', "status 'maybe' is not one of"),
        (
            'geometry = { point_fact = "罗湖口岸" }',
            'geometry = { point_fact = "不存在" }',
            "point_fact '不存在' is not in the point facts",
        ),
        (
            'precision = "schematic"',
            'precision = "unlocated"',
            "precision 'unlocated' but a geometry",
        ),
        (
            'line_through = ["红岭北", "红岭", "红岭南"]',
            'line_through = ["红岭北", "火星"]',
            "unknown anchor '火星'",
        ),
        ("[[place]]", "[[place]\n", "not valid TOML"),
    ],
)
def test_a_broken_places_file_gets_a_one_line_error_naming_file_and_entry(
    data_copy, old, new, message
):
    _edit(data_copy, old, new)
    with pytest.raises(DataError) as err:
        assemble(data_copy)
    text = str(err.value)
    assert "places.toml" in text
    assert message in text
    assert "\n" not in text.strip()


@pytest.mark.parametrize(
    "query",
    ["莲塘口岸", "蓮塘口岸", "Liantang Port", "香园围口岸", "Heung Yuen Wai", "lian tang kou an"],
)
def test_the_real_gazetteer_geocodes_every_spelling_of_liantang_port(gaz, query):
    from geo.geocoder import Geocoder

    assert Geocoder(gaz).geocode(query).id == "port.liantang"


def test_every_name_and_alias_of_the_real_gazetteer_geocodes_to_its_own_place(gaz):
    from geo.geocoder import Geocoder

    coder = Geocoder(gaz)
    wrong = []
    for pid, name, name_en, aliases in gaz[["id", "name", "name_en", "aliases"]].itertuples(
        index=False
    ):
        for query in [name, name_en, *aliases]:
            if coder.geocode(query).id != pid:
                wrong.append((query, pid))
    assert wrong == []
    assert coder.geocode("罗湖").id == "district.luohu"
