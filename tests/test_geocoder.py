"""Tests for geo.geocoder and ``planmap geocode`` on a small hand-made gazetteer."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from geo.errors import DataError, GeocodeError
from geo.geocoder import Geocoder, Match, representative_points
from geo.names import normalize_name
from planmap import cli
from planmap.commands import geocode as geocode_command

# Rough coordinates, good enough to tell features apart; aliases follow geo/gazetteer.py
# (stations carry their bare name, Traditional name and pinyin as aliases).
PLACES = [
    ("port.luohu", "罗湖口岸", "Luohu Port", ["羅湖口岸", "Luohu Kou'an", "Lo Wu Control Point"],
     "port", Point(114.1135, 22.5317)),
    ("port.liantang", "莲塘口岸", "Liantang Port",
     ["香园围口岸", "Liantang Port", "蓮塘口岸", "Heung Yuen Wai"], "port", Point(114.1758, 22.5622)),
    ("port.wenjindu", "文锦渡口岸", "Wenjindu Port", ["文錦渡口岸", "Man Kam To"], "port",
     Point(114.1262, 22.5366)),
    ("station.liantang", "莲塘站", "Liantang station", ["莲塘", "蓮塘站", "莲塘地铁站", "Liantang"],
     "metro_station", Point(114.1680, 22.5600)),
    ("station.luohu", "罗湖站", "Luohu station", ["罗湖", "羅湖站", "罗湖地铁站", "Luohu"],
     "metro_station", Point(114.1186, 22.5342)),
    ("station.lianhua_cun", "莲花村站", "Lianhuacun station", ["莲花村", "Lianhuacun"],
     "metro_station", Point(114.0700, 22.5500)),
    ("subdistrict.liantang", "莲塘街道", "Liantang Subdistrict", ["蓮塘街道"], "subdistrict", None),
    ("structure.hongling_axis", "红岭金融总部发展轴", "Hongling finance HQ axis",
     ["紅嶺金融總部發展軸"], "axis",
     LineString([(114.10, 22.54), (114.10, 22.56), (114.12, 22.56)])),
    ("structure.sunqing", "笋清科技创新组团", "Sunqing tech innovation cluster",
     ["筍清科技創新組團"], "cluster",
     Polygon([(114.10, 22.57), (114.12, 22.57), (114.12, 22.59), (114.10, 22.59)])),
    ("structure.caiwuwei_dongmen", "蔡屋围-东门现代商贸组团", "Caiwuwei-Dongmen commerce cluster",
     ["蔡屋圍－東門現代商貿組團"], "cluster", Point(114.118, 22.546)),
    ("metro.line5", "5号线", "Line 5", ["5號線", "Line 5", "环中线"], "metro_line",
     LineString([(114.09, 22.57), (114.12, 22.58)])),
    ("zone.yulong", "玉龙片区", "Yulong Area", [], "zone", None),
    ("zone.dongxiao", "东晓片区", "Dongxiao Area", None, "zone", None),
    ("district.luohu", "罗湖区", "Luohu District", ["羅湖區", "Luohu District"], "district",
     Point(114.13, 22.56)),
]  # fmt: skip


def make_gazetteer(places: list[tuple] = PLACES, *, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "id": [p[0] for p in places],
            "name": [p[1] for p in places],
            "name_en": [p[2] for p in places],
            "aliases": [p[3] for p in places],
            "kind": [p[4] for p in places],
            "status": "existing",
            "precision": ["unlocated" if p[5] is None else "located" for p in places],
            "source": "test fixture",
            "note": "",
        },
        geometry=[p[5] for p in places],
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


def to_traditional(texts: list[str]) -> list[str]:
    import opencc

    converter = opencc.OpenCC("s2t")
    return [converter.convert(text) for text in texts]


@pytest.fixture(scope="module")
def gazetteer() -> gpd.GeoDataFrame:
    return make_gazetteer()


@pytest.fixture(scope="module")
def geocoder(gazetteer: gpd.GeoDataFrame) -> Geocoder:
    return Geocoder(gazetteer)


# --- exact, alias, variants ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "score", "method"),
    [
        ("莲塘口岸", 100, "exact"),
        ("蓮塘口岸", 100, "exact"),
        ("蓮(lián)塘口岸", 100, "exact"),
        ("Liantang Port", 100, "exact"),
        ("liantang port", 100, "exact"),
        ("LIANTANG-PORT", 100, "exact"),
        ("香园围口岸", 95, "alias"),
        ("香園圍口岸", 95, "alias"),
        ("Heung Yuen Wai", 95, "alias"),
    ],
)
def test_liantang_port_spellings_find_the_same_feature(
    geocoder: Geocoder, query: str, score: float, method: str
) -> None:
    match = geocoder.geocode(query)
    assert (match.id, match.score, match.method) == ("port.liantang", score, method)
    assert (match.lon, match.lat) == (114.1758, 22.5622)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("羅湖口岸", "port.luohu"),
        ("Luohu Kou'an", "port.luohu"),
        ("luohu kouan", "port.luohu"),
        ("文錦渡口岸", "port.wenjindu"),
        ("罗湖站", "station.luohu"),
        ("羅湖地鐵站", "station.luohu"),
        ("Luohu Metro Station", "station.luohu"),
        ("紅嶺金融總部發展軸", "structure.hongling_axis"),
        ("蔡屋圍－東門現代商貿組團", "structure.caiwuwei_dongmen"),
        ("东晓", "zone.dongxiao"),
        ("羅湖區", "district.luohu"),
        ("軌道5號線", "metro.line5"),
        ("地铁5号线", "metro.line5"),
    ],
)
def test_names_in_any_script(geocoder: Geocoder, query: str, expected: str) -> None:
    assert geocoder.geocode(query).id == expected


def test_liantang_is_the_station_or_subdistrict_never_the_port(geocoder: Geocoder) -> None:
    assert geocoder.geocode("莲塘").id == "station.liantang"
    assert geocoder.geocode("蓮塘").id == "station.liantang"
    assert geocoder.geocode("莲塘", kinds=["subdistrict"]).id == "subdistrict.liantang"
    ranked = [m.id for m in geocoder.search("莲塘")]
    assert ranked[:2] == ["station.liantang", "subdistrict.liantang"]
    assert ranked.index("port.liantang") >= 2
    with pytest.raises(GeocodeError):
        geocoder.geocode("莲塘", kinds=["port"])


def test_liantang_without_bare_aliases_uses_suffix_variants() -> None:
    # A gazetteer whose station has no alias "莲塘": the suffix tier still beats the port.
    places = [(*p[:3], [], *p[4:]) for p in PLACES]
    geocoder = Geocoder(make_gazetteer(places))
    station = geocoder.geocode("莲塘")
    assert (station.id, station.method, station.score) == ("station.liantang", "alias", 90)
    assert geocoder.search("莲塘")[1].id == "subdistrict.liantang"
    assert geocoder.geocode("莲塘地铁站").id == "station.liantang"
    assert geocoder.geocode("莲塘地铁站").score == 92


def test_line_prefixes_are_variants_for_lines_only(geocoder: Geocoder) -> None:
    match = geocoder.geocode("轨道5号线")
    assert (match.id, match.method, match.score) == ("metro.line5", "alias", 92)
    assert geocoder.search("轨道25号线")[0].score < 85  # 25 is not 5


def test_exact_beats_alias_beats_variant_beats_fuzzy(geocoder: Geocoder) -> None:
    scores = {
        "exact": geocoder.geocode("莲塘站").score,
        "alias": geocoder.geocode("香园围口岸").score,
        "variant": geocoder.geocode("东晓").score,
        "fuzzy": geocoder.geocode("莲塘口").score,
    }
    assert scores["exact"] > scores["alias"] > scores["variant"] > scores["fuzzy"] >= 85
    assert geocoder.geocode("莲塘口").method == "fuzzy"


def test_different_suffix_groups_do_not_match(geocoder: Geocoder) -> None:
    # 莲塘社区 is neither the station nor the subdistrict: refused, but both are suggested.
    with pytest.raises(GeocodeError) as info:
        geocoder.geocode("莲塘社区")
    assert {"莲塘站", "莲塘街道"} <= set(info.value.suggestions[:3])
    ids = {m.id: m.score for m in geocoder.search("莲塘社区")}
    assert ids["station.liantang"] < 85


# --- fuzzy and refusals -------------------------------------------------------------------


def test_yulong_pian_is_matched_or_suggested_as_yulong_pianqu(gazetteer: gpd.GeoDataFrame) -> None:
    match = Geocoder(gazetteer).geocode("玉龙片")
    assert (match.name, match.method) == ("玉龙片区", "fuzzy")
    assert 85 <= match.score < 90
    strict = Geocoder(gazetteer, min_score=90)
    with pytest.raises(GeocodeError) as info:
        strict.geocode("玉龙片")
    assert info.value.query == "玉龙片"
    assert info.value.suggestions[0] == "玉龙片区"
    assert str(info.value).startswith("unknown place '玉龙片'; did you mean '玉龙片区'")


@pytest.mark.parametrize(
    "nonsense",
    ["火星基地", "天安门广场", "qwertyuiop", "Hong Kong Disneyland", "口岸", "Wutongshan"],
)
def test_random_strings_are_refused(geocoder: Geocoder, nonsense: str) -> None:
    with pytest.raises(GeocodeError) as info:
        geocoder.geocode(nonsense)
    message = str(info.value)
    assert "\n" not in message
    assert repr(nonsense) in message
    assert len(info.value.suggestions) <= 5
    for name in info.value.suggestions:
        assert f"'{name}'" in message


def test_refusal_lists_three_to_five_closest_names(geocoder: Geocoder) -> None:
    with pytest.raises(GeocodeError) as info:
        geocoder.geocode("莲塘口岸广场")
    assert 3 <= len(info.value.suggestions) <= 5
    assert info.value.suggestions[0] == "莲塘口岸"


def test_typos_in_pinyin(geocoder: Geocoder) -> None:
    assert geocoder.geocode("Liantang Prot").id == "port.liantang"
    assert geocoder.geocode("Liantang Prot").method == "fuzzy"


def test_empty_query_is_refused(geocoder: Geocoder) -> None:
    with pytest.raises(GeocodeError, match="empty"):
        geocoder.geocode(" ，")
    assert geocoder.search("") == []


# --- search, match_all, options -----------------------------------------------------------


def test_search_is_best_first_one_per_feature(geocoder: Geocoder) -> None:
    found = geocoder.search("莲塘口岸", limit=20)
    assert found[0].id == "port.liantang"
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert len({m.id for m in found}) == len(found)
    assert all(m.score > 0 for m in found)
    assert len(geocoder.search("莲塘口岸", limit=2)) == 2
    assert geocoder.search("莲塘口岸", limit=0) == []


def test_kinds_filter_and_validation(geocoder: Geocoder) -> None:
    assert {m.kind for m in geocoder.search("罗湖", kinds=["port", "district"])} <= {
        "port",
        "district",
    }
    assert geocoder.geocode("罗湖", kinds="district").id == "district.luohu"
    with pytest.raises(
        ValueError, match=r"kind 'nope' is not one of: district, .*axis, belt, cluster"
    ):
        geocoder.geocode("罗湖", kinds=["nope"])


def test_match_all(geocoder: Geocoder) -> None:
    found = geocoder.match_all(["蓮塘口岸", "火星基地", "莲塘口岸", "Liantang Port", "玉龙片"])
    assert [m and m.id for m in found] == [
        "port.liantang",
        None,
        "port.liantang",
        "port.liantang",
        "zone.yulong",
    ]
    assert geocoder.match_all(["莲塘"], kinds=["subdistrict"])[0].id == "subdistrict.liantang"


def test_match_is_frozen(geocoder: Geocoder) -> None:
    match = geocoder.geocode("莲塘街道")
    assert isinstance(match, Match)
    assert (match.lon, match.lat, match.precision) == (None, None, "unlocated")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.score = 1  # type: ignore[misc]


def test_bad_inputs(gazetteer: gpd.GeoDataFrame) -> None:
    with pytest.raises(DataError, match=r"missing column.*aliases"):
        Geocoder(gazetteer.drop(columns=["aliases"]))
    with pytest.raises(ValueError, match="min_score"):
        Geocoder(gazetteer, min_score=101)


# --- representative points ----------------------------------------------------------------


def test_representative_points() -> None:
    square = Polygon([(0, 0), (2, 0), (2, 2), (0, 2)])
    ring_shape = square.difference(Polygon([(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (0.5, 1.5)]))
    geoms = [
        Point(1, 2),
        LineString([(0, 0), (4, 0)]),
        LineString([(0, 0), (0, 1), (3, 1)]),
        MultiLineString([[(0, 0), (1, 0)], [(2, 0), (4, 0)]]),
        ring_shape,
        None,
        Point(),
    ]
    lon, lat = representative_points(geoms)
    np.testing.assert_allclose(lon[:4], [1, 2, 1, 2.5])
    np.testing.assert_allclose(lat[:4], [2, 0, 1, 0])
    assert ring_shape.contains(Point(lon[4], lat[4]))
    assert np.isnan(lon[5:]).all()
    assert np.isnan(lat[5:]).all()


def test_line_and_polygon_features_get_points_on_them(geocoder: Geocoder) -> None:
    axis = geocoder.geocode("红岭金融总部发展轴")
    line = LineString([(114.10, 22.54), (114.10, 22.56), (114.12, 22.56)])
    assert shapely.distance(Point(axis.lon, axis.lat), line) < 1e-9
    assert (axis.lon, axis.lat) == pytest.approx((114.10, 22.56))
    cluster = geocoder.geocode("笋清科技创新组团")
    assert Polygon([(114.10, 22.57), (114.12, 22.57), (114.12, 22.59), (114.10, 22.59)]).contains(
        Point(cluster.lon, cluster.lat)
    )


def test_projected_gazetteer_is_returned_in_lonlat() -> None:
    utm = Geocoder(make_gazetteer(crs="EPSG:32650"))
    match = utm.geocode("莲塘口岸")
    assert (match.lon, match.lat) == pytest.approx((114.1758, 22.5622), abs=1e-7)


# --- throughput ---------------------------------------------------------------------------


def test_throughput(gazetteer: gpd.GeoDataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    # 20x the fixture with distinct names: about the size of the shipped gazetteer.
    copies = [
        (f"{p[0]}.{i}", f"{p[1]}{i}", f"{p[2]} {i}", [f"{a}{i}" for a in p[3] or []], p[4], p[5])
        for i in range(20)
        for p in PLACES
    ]
    start = time.perf_counter()
    geocoder = Geocoder(make_gazetteer(copies))
    build_s = time.perf_counter() - start
    traditional = to_traditional([p[1] for p in copies])
    fuzzy = [f"{p[1][:-2]}片" for p in copies]
    rates = {}
    for label, queries in (("exact (Traditional)", traditional), ("fuzzy/refused", fuzzy)):
        normalize_name.cache_clear()  # measure normalisation too, not the cache
        start = time.perf_counter()
        for query in queries:
            with contextlib.suppress(GeocodeError):
                geocoder.geocode(query)
        rates[label] = len(queries) / (time.perf_counter() - start)
    assert geocoder.geocode("蓮塘口岸7").id == "port.liantang.7"
    with capsys.disabled():
        print(
            f"\ngeocoder: {len(geocoder)} features, index built in {build_s * 1000:.0f} ms; "
            + ", ".join(f"{k} {v:,.0f} queries/s" for k, v in rates.items())
        )


# --- planmap geocode ----------------------------------------------------------------------


@pytest.fixture
def command_gazetteer(
    monkeypatch: pytest.MonkeyPatch, gazetteer: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    monkeypatch.setattr(geocode_command, "_load", lambda: gazetteer)
    return gazetteer


def test_command_prints_one_line(
    command_gazetteer: gpd.GeoDataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["geocode", "蓮塘口岸"]) == 0
    out = capsys.readouterr().out
    assert out == (
        "port.liantang  莲塘口岸  Liantang Port  114.175800  22.562200  port  located  100.0\n"
    )


def test_command_prints_missing_values_as_dashes(
    command_gazetteer: gpd.GeoDataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["geocode", "莲塘", "--kind", "subdistrict", "zone"]) == 0
    assert capsys.readouterr().out.split("  ") == [
        "subdistrict.liantang",
        "莲塘街道",
        "Liantang Subdistrict",
        "-",
        "-",
        "subdistrict",
        "unlocated",
        "90.0\n",
    ]


def test_command_json(
    command_gazetteer: gpd.GeoDataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["geocode", "玉龙片", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record == {
        "id": "zone.yulong",
        "name": "玉龙片区",
        "name_en": "Yulong Area",
        "lon": None,
        "lat": None,
        "kind": "zone",
        "precision": "unlocated",
        "score": 85.7,
    }
    assert list(record) == list(geocode_command.FIELDS)


def test_command_refusal_goes_to_stderr(
    command_gazetteer: gpd.GeoDataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["geocode", "莲塘社区"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("planmap geocode: unknown place '莲塘社区'; did you mean '莲塘")
    assert captured.err.count("\n") == 1


def test_command_unknown_kind(
    command_gazetteer: gpd.GeoDataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["geocode", "莲塘", "--kind", "harbour"]) == 2
    assert "kind 'harbour' is not one of: district, neighbour_district" in capsys.readouterr().err


def test_command_geocodes_several_names_one_line_each(
    command_gazetteer: gpd.GeoDataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["geocode", "蓮塘口岸", "火星基地", "罗湖口岸"]) == 1
    captured = capsys.readouterr()
    assert [line.split("  ")[0] for line in captured.out.splitlines()] == [
        "port.liantang",
        "port.luohu",
    ]
    assert captured.err == "planmap geocode: unknown place '火星基地'\n"
