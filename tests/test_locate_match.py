"""Issue 12: matching the report's places to a file's features - project words, types that must
agree, merged segments, ambiguous names offered (never picked), the one extension rule."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import locate_files as lf
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point

from geo.locate import Rule, State, locate
from geo.locate.context import Context
from geo.locate.match import MAX_AWAY_M, allowed_kinds, name_kinds


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context.load()


@pytest.fixture(scope="module")
def bureau_result(tmp_path_factory, ctx):
    return locate(lf.write_bureau_shapefile(tmp_path_factory.mktemp("b")), context=ctx)


def proposal(result, place_id):
    return next(p for p in result.proposals if p.place_id == place_id)


def write(folder: Path, rows: list[tuple[str, object]], name="roads.gpkg") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {"name": [n for n, _ in rows]}, geometry=[g for _, g in rows], crs="EPSG:4326"
    )
    path = folder / name
    pyogrio.write_dataframe(frame, path)
    return path


def through(*stations: str) -> LineString:
    where = lf.stations()
    return LineString([where[s] for s in stations])


def test_kinds_from_the_name_then_the_type_fields():
    assert name_kinds("春风隧道") == {"tunnel"}
    assert name_kinds("新秀立交桥") == {"interchange"}
    assert name_kinds("罗沙路改扩建") == {"road"}
    assert name_kinds("深圳地铁24号线北延") == {"metro_line", "metro_project"}
    assert name_kinds("红花岭") is None
    assert "tunnel" in allowed_kinds("红花岭", "tunnel=yes", 1)
    assert "road" not in allowed_kinds("罗沙路", "", 0)  # a point is not a road
    assert "interchange" in allowed_kinds("新秀立交", "", 1)  # ramps are lines


def test_project_words_works_and_variants(bureau_result):
    luosha = proposal(bureau_result, "road.luosha_upgrade")
    assert luosha.state is State.LOCATED
    assert luosha.options[0].precision.value == "located"
    xinxiu = proposal(bureau_result, "road.xinxiu_interchange")  # 立交 vs 立交桥
    assert xinxiu.state is State.LOCATED
    assert xinxiu.options[0].name == "新秀立交桥"


def test_works_stripped_from_a_name_without_an_alias(tmp_path, ctx):
    gaz = ctx.gazetteer.copy()
    row = gaz[gaz["id"] == "road.luosha_upgrade"].index[0]
    gaz.at[row, "aliases"] = []  # only 罗沙路改扩建 itself
    bare = Context(ctx.district, gaz)
    result = locate(write(tmp_path, [("罗沙路", through("水贝站", "太安站"))]), context=bare)
    assert proposal(result, "road.luosha_upgrade").rule is Rule.WORKS


def test_a_phase_lies_within(tmp_path, ctx):
    extra = ctx.gazetteer.iloc[[0]].copy()
    extra[["id", "name", "name_en", "kind", "precision"]] = [
        "road.wenjin_phase2", "文锦路二期", "Wenjin Road phase 2", "road", "unlocated"
    ]  # fmt: skip
    extra["aliases"] = [[]]
    extra = extra.set_geometry([None], crs="EPSG:4326")
    gaz = gpd.GeoDataFrame(pd.concat([ctx.gazetteer, extra], ignore_index=True), crs="EPSG:4326")
    result = locate(
        write(tmp_path, [("文锦路", through("文锦站", "黄贝岭站"))]),
        context=Context(ctx.district, gaz),
    )
    phase = proposal(result, "road.wenjin_phase2")
    assert phase.rule is Rule.PHASE
    assert phase.options[0].precision.value == "within"


def test_a_tunnel_is_not_its_road(bureau_result, tmp_path, ctx):
    assert proposal(bureau_result, "road.chunfeng_tunnel").state is State.UNLOCATED  # 春风路
    tunnel = locate(write(tmp_path, [("春风隧道", through("罗湖站", "国贸站"))]), context=ctx)
    assert proposal(tunnel, "road.chunfeng_tunnel").state is State.LOCATED
    portal = locate(write(tmp_path / "p", [("春风隧道", Point(114.113, 22.534))]), context=ctx)
    assert proposal(portal, "road.chunfeng_tunnel").state is State.UNLOCATED  # a point


def test_segments_of_one_road_merge(bureau_result):
    option = proposal(bureau_result, "road.luosha_upgrade").options[0]
    assert len(option.fids) == 4
    assert option.geometry.geom_type == "LineString"
    assert 1500 < option.length_m < 3000


def test_directional_roads_are_offered_never_picked(bureau_result):
    dongmen = proposal(bureau_result, "road.dongmen_road_upgrade")
    assert dongmen.state is State.CHOOSE
    assert dongmen.rule is Rule.DIRECTIONS
    assert sorted(o.name for o in dongmen.options) == ["东门中路", "东门北路", "东门南路"]
    for option in dongmen.options:
        assert option.length_m > 100
        assert option.distance_m == 0
        assert "km at 114." in option.describe()


def test_one_name_in_two_places_is_a_choice(tmp_path, ctx):
    path = write(
        tmp_path,
        [
            ("清水河三路", through("笋岗站", "泥岗站")),
            ("清水河三路", through("莲塘站", "梧桐山南站")),
        ],
    )
    result = locate(path, context=ctx)
    choice = proposal(result, "road.qingshuihe_3rd_widening")
    assert choice.state is State.CHOOSE
    assert len(choice.options) == 2
    assert "2 separate features" in choice.note


def test_a_same_named_road_far_away_is_set_aside(tmp_path, ctx):
    far = LineString([(114.30, 22.70), (114.31, 22.71)])  # ~20 km north-east
    path = write(tmp_path, [("清水河三路", through("笋岗站", "泥岗站")), ("清水河三路", far)])
    result = locate(path, context=ctx)
    near = proposal(result, "road.qingshuihe_3rd_widening")
    assert near.state is State.LOCATED
    assert len(near.away) == 1
    assert near.away[0].distance_m > MAX_AWAY_M
    only_far = locate(
        write(tmp_path / "far", [("清水河三路", far), ("文锦路", through("文锦站", "黄贝岭站"))]),
        context=ctx,
    )
    assert proposal(only_far, "road.qingshuihe_3rd_widening").state is State.UNLOCATED


def test_the_extension_rule(bureau_result):
    """The file holds 翠竹路, not its northern extension: context, and unlocated."""
    ext = proposal(bureau_result, "road.cuizhu_north_ext")
    assert ext.state is State.UNLOCATED
    assert ext.rule is Rule.EXTENSION
    assert [o.name for o in ext.options] == ["翠竹路"]
    assert "extension rule" in ext.note
    east = proposal(bureau_result, "road.shennan_east_ext")  # alias 深南东路东延 -> 深南东路
    assert east.state is State.UNLOCATED
    assert [o.name for o in east.options] == ["深南东路"]


def test_an_extension_with_its_own_alignment_is_located(tmp_path, ctx):
    path = write(tmp_path, [("翠竹路北延线", through("翠竹站", "田贝站"))])
    assert proposal(locate(path, context=ctx), "road.cuizhu_north_ext").state is State.LOCATED


def test_a_sourced_place_is_reported_not_overwritten(tmp_path, ctx):
    path = write(
        tmp_path,
        [("莲塘口岸", Point(114.1505, 22.5562)), ("文锦路", through("文锦站", "黄贝岭站"))],
    )
    port = proposal(locate(path, context=ctx), "port.liantang")
    assert port.state is State.SOURCED
    assert "not written" in port.note


def test_zero_matches(tmp_path, ctx):
    path = write(tmp_path, [("无名路", through("文锦站", "黄贝岭站"))])
    result = locate(path, context=ctx)
    assert result.matched == 0
    assert result.empty_message() == (
        "roads.gpkg: none of its 1 named features (field 'name') carries the name of a place "
        "of the district"
    )


def test_hostile_names_are_data(tmp_path, ctx):
    path = write(
        tmp_path,
        [
            ("<script>alert(1)</script>{{7*7}}", through("文锦站", "黄贝岭站")),
            ("清水河三路\x1b", through("笋岗站", "泥岗站")),
        ],
    )
    result = locate(path, context=ctx)
    option = proposal(result, "road.qingshuihe_3rd_widening").options[0]
    assert option.name == "清水河三路\x1b"  # kept as the file writes it; escaped when shown
    assert result.matched == 1
