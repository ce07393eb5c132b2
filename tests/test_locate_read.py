"""Issue 12: reading a planner's file - every format GDAL writes here, encodings, CRSs and the
bad input the issue lists, each a one-line message naming the file."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import locate_files as lf
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString

from geo.errors import DataError, OptionError
from geo.locate import State, locate
from geo.locate.context import Context
from geo.locate.crs import parse_crs
from geo.locate.read import layer_meta, open_source
from geo.locate.text import clean_name, guess_encoding, plausibility, shown


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context.load()


@pytest.fixture(scope="module")
def bureau(tmp_path_factory) -> Path:
    return lf.write_bureau_shapefile(tmp_path_factory.mktemp("bureau"))


def located(result) -> dict[str, str]:
    """place id -> the file's name that located it."""
    return {p.place_id: p.options[0].name for p in result.by_state(State.LOCATED)}


# --- text -----------------------------------------------------------------------------------


def test_names_lose_padding_cr_and_lf():
    assert clean_name("罗沙路\r\n") == "罗沙路"
    assert clean_name(" 东门  中路\t") == "东门 中路"
    assert clean_name("\u3000") is None
    assert clean_name(None) is None
    assert clean_name(float("nan")) is None


def test_gbk_is_told_from_big5_garbage():
    names = ["东门中路", "罗沙路", "春风隧道", "新秀立交桥", "笋岗西路"]
    gbk = [n.encode("gbk") for n in names]
    guess = guess_encoding(gbk)
    assert guess.encoding == "gb18030"
    scores = dict(guess.scores)
    assert scores["utf-8"] is None
    assert scores["big5"] is None or scores["big5"] < 0.8
    # GBK read as Big5 decodes without error, into rare characters
    assert plausibility(["陲藷笢繚"]) < 0.5 < plausibility(["东门中路"])


def test_shown_escapes_terminal_controls():
    assert shown("罗沙路\x1b[31m\u202e") == "罗沙路\\x1b[31m\\u202e"
    assert shown("x" * 100, limit=10) == "x" * 9 + "…"


# --- formats --------------------------------------------------------------------------------


def test_bureau_shapefile_gbk_without_cpg(bureau, ctx):
    assert not bureau.with_suffix(".cpg").exists()
    result = locate(bureau, context=ctx)
    assert result.encoding is not None
    assert result.encoding.encoding == "gb18030"
    assert "tried utf-8 (does not decode)" in " ".join(result.notes)
    assert result.name_field == "DLMC"
    assert result.crs.crs.to_epsg() == 4547
    assert located(result) == {
        "road.luosha_upgrade": "罗沙路",  # padded with CR/LF in the DBF
        "road.qingshuihe_3rd_widening": "清水河三路",
        "road.xinxiu_interchange": "新秀立交桥",
    }


def _frame(names=("清水河三路", "翠竹路", "文锦路")):
    return lf.road_frame({k: lf.ROADS[k] for k in names})


@pytest.mark.parametrize(
    ("driver", "suffix"),
    [
        ("GPKG", ".gpkg"),
        ("FlatGeobuf", ".fgb"),
        ("GeoJSON", ".geojson"),
        ("OpenFileGDB", ".gdb"),
        ("LIBKML", ".kmz"),
        ("KML", ".kml"),
        ("ESRI Shapefile", ".shp"),
    ],
)
def test_every_format_gdal_writes(tmp_path, ctx, driver, suffix):
    frame = _frame().rename(columns={"DLMC": "name"})
    path = tmp_path / f"roads{suffix}"
    pyogrio.write_dataframe(frame, path, driver=driver)
    result = locate(path, context=ctx)
    assert located(result) == {"road.qingshuihe_3rd_widening": "清水河三路"}
    proposal = result.by_state(State.LOCATED)[0]
    assert result.label in result.source(proposal.options[0])


def test_zipped_shapefile(tmp_path, bureau, ctx):
    archive = tmp_path / "roads.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in bureau.parent.iterdir():
            z.write(part, part.name)
    result = locate(archive, context=ctx)
    assert "road.luosha_upgrade" in located(result)


def test_csv_with_xy_and_with_wkt(tmp_path, ctx):
    line = lf.road_frame({"清水河三路": lf.ROADS["清水河三路"]}).geometry.iloc[0]
    (tmp_path / "points.csv").write_text(
        "名称,经度,纬度\n莲塘口岸,114.15,22.556\n", encoding="utf-8"
    )
    (tmp_path / "lines.csv").write_bytes(f'名称,WKT\n清水河三路,"{line.wkt}"\n'.encode("gbk"))
    result = locate(tmp_path / "lines.csv", context=ctx)
    assert located(result) == {"road.qingshuihe_3rd_widening": "清水河三路"}
    assert "gb18030" in " ".join(result.notes)
    points = locate(tmp_path / "points.csv", context=ctx)
    assert [p.state for p in points.proposals if p.name == "莲塘口岸"] == [State.SOURCED]


def test_dxf_needs_its_name_field_and_crs(tmp_path, ctx):
    path = lf.write_dxf(tmp_path)
    with pytest.raises(DataError, match=r"roads\.dxf: no field is plainly the name \(Layer,"):
        locate(path, context=ctx)
    with pytest.raises(DataError, match="EPSG:4547 CGCS2000 / 3-degree Gauss-Kruger CM 114E"):
        locate(path, name_field="Layer", context=ctx)
    result = locate(path, name_field="Layer", crs="EPSG:4547", context=ctx)
    assert located(result) == {"road.qingshuihe_3rd_widening": "清水河三路"}


def test_osm_xml_named_ways_tunnel_and_route_relation(tmp_path, ctx):
    result = locate(lf.write_osm(tmp_path), context=ctx)
    found = located(result)
    assert found["road.chunfeng_tunnel"] == "春风隧道"  # a way tagged tunnel=yes
    assert found["metro.line24_north_ext"] == "深圳地铁24号线北延"  # the route relation (GDAL)
    assert found["road.luosha_upgrade"] == "罗沙路"
    assert result.licence.startswith("ODbL-1.0")
    route = next(p for p in result.proposals if p.place_id == "metro.line24_north_ext")
    assert route.options[0].fids == ("relation/900",)
    assert route.options[0].geometry.geom_type in ("LineString", "MultiLineString")


def test_osm_pbf_through_gdal(tmp_path, ctx):
    pytest.importorskip("osmium", reason="pyosmium writes the PBF (pip install -e '.[test]')")
    result = locate(lf.write_pbf(tmp_path), context=ctx)
    found = {p.place_id: p.options[0].fids for p in result.by_state(State.LOCATED)}
    assert found["road.chunfeng_tunnel"] == ("way/103",)
    assert found["metro.line24_north_ext"] == ("relation/900",)
    assert found["road.luosha_upgrade"] == ("way/100",)


def test_a_multi_layer_file_lists_its_layers(tmp_path, ctx):
    path = tmp_path / "bureau.gpkg"
    frame = _frame().rename(columns={"DLMC": "name"})
    pyogrio.write_dataframe(frame, path, layer="roads")
    pyogrio.write_dataframe(frame.iloc[:1], path, layer="道路规划", append=False)
    with pytest.raises(
        DataError, match=r"bureau\.gpkg: 2 layers \(roads \(3 LineString\); 道路规划"
    ):
        locate(path, context=ctx)
    assert located(locate(path, layer="roads", context=ctx))
    with pytest.raises(DataError, match="no layer 'parcels'; its layers: roads"):
        locate(path, layer="parcels", context=ctx)


def test_no_obvious_name_field_lists_the_fields(tmp_path, ctx):
    path = tmp_path / "roads.gpkg"
    frame = _frame().rename(columns={"DLMC": "ROAD_LABEL", "DLDJ": "GRADE"})
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(
        DataError,
        match=r"roads\.gpkg: no field is plainly the name \(ROAD_LABEL, GRADE\); choose one with --name-field",
    ):
        locate(path, context=ctx)
    assert located(locate(path, name_field="ROAD_LABEL", context=ctx))
    with pytest.raises(DataError, match="no field 'NAME'; its fields: ROAD_LABEL, GRADE"):
        locate(path, name_field="NAME", context=ctx)


# --- CRS ------------------------------------------------------------------------------------


def test_crs_names_and_aliases():
    assert parse_crs("cgcs2000-gk", lon=114.1).to_epsg() == 4547
    assert parse_crs("xian80-gk", lon=114.1).to_epsg() == 2383
    assert parse_crs("beijing54-gk-zone", lon=114.1).to_epsg() == 2414
    assert parse_crs("4547", lon=114.1).to_epsg() == 4547
    assert parse_crs("WGS-84", lon=114.1).to_epsg() == 4326
    with pytest.raises(OptionError, match=r"--crs 'EPSG:99999': PROJ does not know it"):
        parse_crs("EPSG:99999", lon=114.1)


def test_a_file_without_crs(tmp_path, ctx):
    frame = _frame().rename(columns={"DLMC": "name"})
    lonlat = tmp_path / "lonlat.shp"
    pyogrio.write_dataframe(frame, lonlat)
    lonlat.with_suffix(".prj").unlink()
    result = locate(lonlat, context=ctx)  # plainly lon/lat near the district
    assert result.crs.origin == "assumed"
    assert located(result)
    metric = tmp_path / "metric.shp"
    pyogrio.write_dataframe(frame.to_crs(4547), metric)
    metric.with_suffix(".prj").unlink()
    with pytest.raises(DataError, match=r"^metric\.shp: no CRS .* --crs") as info:
        locate(metric, context=ctx)
    assert "\n" not in str(info.value)
    assert located(locate(metric, crs="cgcs2000-gk", context=ctx))


def test_xian80_is_located_only_approximately(tmp_path, ctx):
    path = tmp_path / "xian80.gpkg"
    pyogrio.write_dataframe(_frame().rename(columns={"DLMC": "name"}).to_crs(2383), path)
    result = locate(path, context=ctx)
    option = result.by_state(State.LOCATED)[0].options[0]
    assert option.precision.value == "approximate"
    assert "ballpark" in result.note(result.by_state(State.LOCATED)[0], option)


def test_web_mercator(tmp_path, ctx):
    path = tmp_path / "mercator.geojson"
    pyogrio.write_dataframe(_frame().rename(columns={"DLMC": "name"}).to_crs(3857), path)
    result = locate(path, context=ctx)
    assert result.crs.crs.to_epsg() == 3857
    assert located(result)


def test_the_located_line_is_the_files_own(bureau, ctx):
    """Within the file's own line, not approximately: the merged segments, converted by PROJ."""
    result = locate(bureau, context=ctx)
    option = next(p for p in result.proposals if p.place_id == "road.luosha_upgrade").options[0]
    file_line = lf.line_in(gpd.read_file(bureau, encoding="gbk")[["DLMC", "geometry"]], "罗沙路")
    assert len(option.fids) == 4  # four segments, merged
    assert option.geometry.geom_type == "LineString"
    assert shapely.hausdorff_distance(option.geometry, file_line) < 1e-7  # degrees: ~1 cm


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("part", [".shx", ".dbf"])
def test_shapefile_without_its_parts(tmp_path, bureau, ctx, part):
    folder = tmp_path / "copy"
    shutil.copytree(bureau.parent, folder)
    (folder / f"roads{part}").unlink()
    with pytest.raises(DataError, match=rf"^roads\.shp: no roads\{part} beside it"):
        locate(folder / "roads.shp", context=ctx)


@pytest.mark.parametrize("part", [".shp", ".shx", ".dbf"])
def test_truncated_shapefile(tmp_path, bureau, ctx, part):
    folder = tmp_path / "copy"
    shutil.copytree(bureau.parent, folder)
    cut = folder / f"roads{part}"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    with pytest.raises(DataError, match=rf"^roads\.shp: roads\{part} is truncated"):
        locate(folder / "roads.shp", context=ctx)


def test_unreadable_and_empty_files(tmp_path, ctx):
    bad = tmp_path / "roads.geojson"
    text = lf.road_frame().to_json()
    bad.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DataError, match=r"^roads\.geojson: GDAL cannot read it"):
        locate(bad, context=ctx)
    (tmp_path / "empty.gpkg").write_bytes(b"")
    with pytest.raises(DataError, match=r"^empty\.gpkg: the file is empty$"):
        locate(tmp_path / "empty.gpkg", context=ctx)
    (tmp_path / "notes.txt").write_text("not a map", encoding="utf-8")
    with pytest.raises(DataError, match=r"^notes\.txt: GDAL cannot read it"):
        locate(tmp_path / "notes.txt", context=ctx)
    with pytest.raises(DataError, match=r"^missing\.shp: no such file$"):
        locate(tmp_path / "missing.shp", context=ctx)


def test_text_that_is_garbage_in_every_encoding(tmp_path, ctx):
    path = tmp_path / "garbled.shp"
    frame = gpd.GeoDataFrame(
        {"NAME": ["ÿþý", "ÿÿÿ"]}, geometry=list(_frame().geometry[:2]), crs="EPSG:4326"
    )
    pyogrio.write_dataframe(frame, path, encoding="latin1")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    with pytest.raises(
        DataError,
        match=r"garbage in every encoding tried \(utf-8 \(does not decode\), gb18030 \(does not decode\), big5 \(does not decode\)\)",
    ):
        locate(path, context=ctx)


def test_a_name_field_of_nulls(tmp_path, ctx):
    path = tmp_path / "nulls.gpkg"
    frame = gpd.GeoDataFrame(
        {"name": [None, None], "道路等级": ["主干路", "次干路"]},
        geometry=list(_frame().geometry[:2]),
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(
        DataError,
        match=r"^nulls\.gpkg: field 'name' is empty \(NULL\) in all 2 features; choose another with --name-field \(道路等级\)$",
    ):
        locate(path, context=ctx)


def test_a_file_elsewhere(tmp_path, ctx):
    path = tmp_path / "beijing.gpkg"
    frame = gpd.GeoDataFrame(
        {"name": ["罗沙路"]}, geometry=[LineString([(116.39, 39.90), (116.40, 39.91)])], crs=4326
    )
    pyogrio.write_dataframe(frame.to_crs(4547), path)
    with pytest.raises(
        DataError,
        match=r"^beijing\.gpkg: no feature lies within 20 km of 罗湖区 \(its features lie around 116\.395, 39\.905\)",
    ):
        locate(path, context=ctx)
    lonlat = tmp_path / "beijing.geojson"
    pyogrio.write_dataframe(frame, lonlat)
    with pytest.raises(DataError, match=r"^beijing\.geojson: no feature lies within 20 km"):
        locate(lonlat, context=ctx)


def test_the_file_is_read_once(bureau, ctx, monkeypatch):
    """Features are read in one pass (a 2 GB file is streamed once, near the district only)."""
    calls = []
    real = pyogrio.read_dataframe

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "read_dataframe", spy)
    locate(bureau, context=ctx)
    full = [c for c in calls if c.get("read_geometry", True)]
    assert len(full) == 1
    assert full[0]["bbox"] is not None
    assert full[0]["columns"] == ["DLMC", "DLDJ"]
    assert all(c.get("max_features") for c in calls if not c.get("read_geometry", True))


def test_meta_of_a_layer(bureau):
    source = open_source(bureau)
    meta = layer_meta(source, source.pick_layer(None))
    assert meta.name_field == "DLMC"
    assert meta.hint_fields == ("DLDJ",)
    assert meta.encoding == "gb18030"
    assert meta.features == 13
    assert np.isfinite(meta.bounds).all()
