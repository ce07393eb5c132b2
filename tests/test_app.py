"""The Streamlit app's logic: ``layers.app`` directly, and the page through AppTest.

AppTest runs the script headless (no browser, so the map itself is never drawn here; see
tests/test_app_browser.py). The st_folium element is an UnknownElement whose proto's
``json_args`` holds the map's script, header and JS/CSS links.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely
import streamlit as st
from shapely.geometry import Point, mapping
from streamlit.testing.v1 import AppTest

from geo.crs import wgs84_to_gcj02
from geo.errors import DataError
from geo.gazetteer import load_gazetteer
from layers import app
from layers.map import assets
from layers.store import UserStore

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
APP_FIXTURES = Path(__file__).parent / "fixtures" / "app"
XSS = "<img src=x onerror=alert(1)>"
LIANTANG = "port.liantang"


# -- layers.app ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch):
    """Every test writes overrides (if at all) into its own folder, never the repo."""
    folder = tmp_path / "user"
    monkeypatch.setenv("PLANMAP_USER_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def view():
    return app.build_view(store_path="/nonexistent/planmap_user.gpkg")


@pytest.fixture(scope="module")
def searcher(view):
    return app.Searcher(view, load_gazetteer())


def _fc(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def _feature(props: dict, geom=None) -> dict:
    geom = Point(114.12, 22.55) if geom is None else geom
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


@pytest.mark.parametrize("query", ["蓮塘口岸", "莲塘口岸", "Liantang Port", "lian tang kou an"])
def test_search_finds_the_port_in_every_script(searcher, query):
    hits = searcher.search(query)
    assert hits[0].id == LIANTANG
    assert hits[0].on_map
    assert hits[0].layer == "ports"


def test_search_keeps_the_station_as_a_second_choice(searcher):
    ids = [h.id for h in searcher.search("lian tang kou an")]
    assert ids.index("station.liantangkouan") > 0
    assert searcher.search("   ") == []


def test_search_tells_unlocated_places(searcher, view):
    missing = app.unlocated_table(view)
    name = missing["name"].iloc[0]
    hit = searcher.search(name)[0]
    assert hit.name == name
    assert not hit.on_map


def test_filter_layers_and_statuses(view):
    only = app.filter_layers(view, names=["ports", "zones"], statuses=["planned"])
    assert list(only) == ["ports", "zones"]
    assert all(set(g["status"]) <= {"planned"} for g in only.values())
    assert only.titles == {n: view.titles[n] for n in only}
    table = app.feature_table(only)
    assert len(table) == sum(len(g) for g in only.values())
    everything = app.feature_table(view)
    assert len(everything) > len(table)
    assert everything["on_map"].sum() == sum(int(app.drawn_mask(g).sum()) for g in view.values())


def test_read_geojson_layer_fills_the_schema():
    line = shapely.LineString([(114.1, 22.55), (114.12, 22.56)])
    frame = app.read_geojson_layer(
        _fc(
            _feature({"名称": "试验点", "status": "Planned"}),
            _feature({"name": "试验线", "kind": "greenway"}, line),
            {"type": "Feature", "properties": {"name": "无位置"}, "geometry": None},
        ),
        name="my layer.geojson",
    )
    assert list(frame.columns)[:9] == [
        "id",
        "name",
        "name_en",
        "layer",
        "kind",
        "status",
        "precision",
        "source",
        "note",
    ]
    assert frame.crs.to_epsg() == 4326
    assert frame["name"].tolist() == ["试验点", "试验线", "无位置"]
    assert frame["kind"].tolist() == ["landmark", "greenway", "landmark"]
    assert frame["status"].tolist() == ["planned", "existing", "existing"]
    assert frame["precision"].tolist() == ["approximate", "approximate", "unlocated"]
    assert frame["id"].iloc[0] == "upload.my_layer.1"
    assert set(frame["layer"]) == {"uploaded"}
    assert frame["source"].iloc[0] == "uploaded file my layer.geojson"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "bad.geojson: not valid JSON (line 1"),
        (b"\xff\xfe\x00garbage", "bad.geojson: not UTF-8 text"),
        (b'{"type": "Point", "coordinates": [1, 2]}', "not a GeoJSON FeatureCollection"),
        (_fc(), "has no features"),
        (
            _fc(_feature({}, Point(500000, 2500000))),
            "features[0].geometry: coordinates are not lon/lat",
        ),
        (_fc(_feature({"kind": "castle"})), "features[0].kind: 'castle' is not one of: district"),
        (
            _fc(_feature({"status": "dreamt"})),
            "'dreamt' is not one of: existing, under_construction",
        ),
        (
            _fc({"type": "Feature", "properties": {}, "geometry": {"type": "Point"}}),
            "features[0].geometry: not a valid GeoJSON geometry",
        ),
        (
            _fc(_feature({}, shapely.GeometryCollection([Point(114.1, 22.5)]))),
            "features[0].geometry: a GeometryCollection",
        ),
    ],
)
def test_read_geojson_layer_refuses_bad_files_in_one_line(data, message):
    with pytest.raises(DataError) as err:
        app.read_geojson_layer(data, name="bad.geojson")
    assert message in str(err.value)
    assert "\n" not in app.one_line(err.value)


def test_empty_geometry_is_unlocated_and_exports(tmp_path):
    frame = app.read_geojson_layer(
        _fc(
            {
                "type": "Feature",
                "properties": {"name": "空"},
                "geometry": mapping(shapely.LineString()),
            },
            _feature({"name": "点"}),
        ),
        name="e.geojson",
    )
    assert frame.geometry.iloc[0] is None
    assert frame["precision"].iloc[0] == "unlocated"
    layers = {"uploaded": frame}
    assert b"\xe7\xa9\xba" in app.csv_bytes(layers)  # 空
    assert len(json.loads(app.geojson_bytes(layers))["features"]) == 2


def test_upload_is_an_extra_layer():
    built = app.build_view(
        upload=("extra.geojson", _fc(_feature({"name": XSS}))),
        store_path="/nonexistent/planmap_user.gpkg",
    )
    assert list(built)[-1] == "uploaded"
    assert "extra.geojson" in built.titles["uploaded"]
    assert built["uploaded"]["name"].tolist() == [XSS]


def test_bad_spec_text_is_a_spec_error():
    with pytest.raises(DataError.__mro__[1]) as err:  # PlanmapError
        app.build_view(spec_text="title = 'x'\nlayers = [", spec_name="broken.toml")
    assert str(err.value).startswith("broken.toml: not valid TOML")
    with pytest.raises(ValueError, match="not UTF-8"):
        app.read_spec_text(b"\xff\xfe", name="x.toml")


def test_drawing_on_amap_is_stored_in_wgs84(view, user_dir):
    fid = app.unlocated_table(view)["id"].iloc[0]
    lon, lat = 114.1300, 22.5600
    glon, glat = wgs84_to_gcj02(lon, lat)
    drawing = {"type": "Feature", "properties": {}, "geometry": mapping(Point(glon, glat))}
    geom = app.drawing_geometry(drawing, basemap="amap")
    assert abs(geom.x - lon) < 1e-7
    assert abs(geom.y - lat) < 1e-7
    assert app.drawing_geometry(drawing, basemap="none").equals(Point(glon, glat))

    app.save_drawing(fid, drawing, note="from the site visit", basemap="amap")
    (feat,) = UserStore(user_dir / "planmap_user.gpkg").locations().itertuples()
    assert feat.id == fid
    assert feat.source == "user"
    assert feat.precision == "approximate"
    assert [feat.geometry.x, feat.geometry.y] == pytest.approx([lon, lat], abs=1e-6)

    rebuilt = app.build_view()  # PLANMAP_USER_DIR: the override is merged
    table = app.feature_table(rebuilt).set_index("id")
    assert table.at[fid, "on_map"]
    assert table.at[fid, "source"] == "user"
    assert "from the site visit" in table.at[fid, "note"]
    exported = json.loads(app.geojson_bytes(rebuilt))  # and the export carries it
    (mine,) = [f for f in exported["features"] if f["properties"]["id"] == fid]
    assert mine["properties"]["source"] == "user"
    assert mine["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)


def test_nothing_drawn_is_a_clear_error():
    with pytest.raises(DataError, match="nothing drawn yet"):
        app.drawing_geometry(None)
    with pytest.raises(DataError, match="choose which place"):
        app.save_drawing("", {"type": "Point", "coordinates": [114.1, 22.5]}, note="")


def test_downloads(view, tmp_path):
    shown = app.filter_layers(view, names=["ports", "metro_stations"])
    doc = json.loads(app.geojson_bytes(shown))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert len(doc["features"]) == len(shown["ports"]) + len(shown["metro_stations"])
    one = json.loads(app.geojson_bytes(shown, ["ports"]))
    assert {f["properties"]["layer"] for f in one["features"]} == {"ports"}

    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(app.gpkg_bytes(shown))
    listed = [row[0] for row in pyogrio.list_layers(gpkg)]
    assert listed == ["ports", "metro_stations", "layer_styles"]  # + QGIS's styles

    data = app.csv_bytes(shown)
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert LIANTANG in set(table["id"])
    assert {"lon", "lat", "wkt"} <= set(table.columns)


def test_md_escapes_what_markdown_would_act_on():
    hostile = "<img src=x> [a](javascript:x) ![i](http://e/x.png) :red[x] **b** `c` $x$"
    escaped = app.md(hostile)
    assert re.sub(r"\\(.)", r"\1", escaped) == hostile
    # every ASCII punctuation mark comes escaped by a backslash
    assert re.fullmatch(r"(?:\\[!-/:-@\[-`{-~]|[^!-/:-@\[-`{-~])*", escaped)
    assert not re.fullmatch(r"(?:\\[!-/:-@\[-`{-~]|[^!-/:-@\[-`{-~])*", hostile)
    assert "\\<img" in escaped
    assert "\\!\\[i\\]" in escaped
    assert "\\:red\\[" in escaped
    assert app.md("莲塘口岸 Liantang") == "莲塘口岸 Liantang"


def test_standalone_html_has_no_remote_links(view):
    html = app.map_html(app.filter_layers(view, names=["ports"])).decode()
    assets.assert_no_cdn(html)
    assert "data:text/javascript" in html
    assert "/app/static/" not in html


def test_app_map_uses_local_assets_and_drawing_tools(view):
    m = app.planning_map(view, draw=True, highlight_id=LIANTANG)
    html = m.get_root().render()
    assets.assert_no_cdn(html)
    assert "/app/static/vendor/leaflet-draw-1.0.2/leaflet.draw.js" in html
    assert '"collapsed": true' in html
    assert '"paddingBottomRight": [400, 290]' in html


# -- the page (AppTest) ---------------------------------------------------------------------


def _app(**state) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _map_args(at: AppTest) -> dict:
    (element,) = at.get("component_instance")
    assert type(element).__name__ == "UnknownElement"
    return json.loads(element.proto.json_args)


def _features_table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[-1].value


def _plain(markdown: str) -> str:
    """Undo :func:`layers.app.md` (the app escapes user text in markdown)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_page_runs_and_the_map_is_offline(user_dir):
    at = _app()
    _ok(at)
    assert not at.error
    args = _map_args(at)
    links = args["js_links"] + args["css_links"]
    assert links
    assert all(u.startswith("/app/static/vendor/") for u in links)
    for url in links:  # every link is a file Streamlit will serve from ./static
        assert (ROOT / "static" / url.removeprefix("/app/static/")).is_file(), url
    page = args["header"] + args["html"] + args["script"]
    assert assets.cdn_links(page) == []
    for cdn in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "unpkg.com"):
        assert cdn not in json.dumps(args)
    assert "window.__planmap" in args["script"]
    assert args["returned_objects"] == ["last_active_drawing"]  # panning does not rerun
    assert not any(user_dir.iterdir()) if user_dir.exists() else True


def test_filters_change_the_table():
    at = _app()
    everything = _features_table(at)
    at.multiselect(key="layers").set_value(["ports"]).run()
    _ok(at)
    ports = _features_table(at)
    assert 0 < len(ports) < len(everything)
    assert set(ports["layer"]) == {"ports"}
    at.multiselect(key="statuses").set_value(["planned", "proposed"]).run()
    _ok(at)
    planned = _features_table(at)
    assert set(planned["status"]) <= {"planned", "proposed"}
    assert len(planned) < len(ports)
    script = _map_args(at)["script"]
    assert "Ports" in script
    assert "Metro stations" not in script


@pytest.mark.parametrize("query", ["蓮塘口岸", "Liantang Port", "lian tang kou an"])
def test_search_selects_and_highlights_the_port(query):
    at = _app()
    at.text_input(key="search").input(query).run()
    _ok(at)
    assert at.selectbox(key="search_pick").value == 0
    assert any(LIANTANG in _plain(c.value) for c in at.sidebar.caption)
    script = _map_args(at)["script"]
    assert re.search(r'highlight:\s*"port\.liantang"', script)


def test_unknown_place_is_a_warning_not_an_error():
    at = _app()
    at.text_input(key="search").input("zzqqxx").run()
    _ok(at)
    assert not at.error


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.toml", b"title = 'x'\nlayers = [", "broken.toml: not valid TOML"),
        ("empty.toml", "title = 'x'\ndistrict = '罗湖区'\n".encode(), "empty.toml: layers"),
        ("binary.toml", b"\xff\xfe\x00\x01", "binary.toml: not UTF-8"),
        ("bad.geojson", b"{", "bad.geojson: not valid JSON"),
        (
            "unknown.toml",
            "title='t'\ndistrict='罗湖区'\n[[layers]]\nname='x'\ntitle='x'\ngroup='Ports'\n"
            "[[layers.features]]\nplace='不存在的地方'\n".encode(),
            "unknown place '不存在的地方'",
        ),
    ],
)
def test_bad_upload_is_one_line_error(name, data, message):
    at = _app()
    at.file_uploader(key="upload").upload(name, data).run()
    _ok(at)
    errors = [_plain(e.value) for e in at.error]
    assert len(errors) == 1
    assert message in errors[0]
    assert "\n" not in errors[0]
    assert "Traceback" not in errors[0]
    assert _map_args(at)["script"]  # the shipped map is still shown


def test_good_spec_upload_replaces_the_layers():
    at = _app()
    data = (APP_FIXTURES / "ports_only.toml").read_bytes()
    at.file_uploader(key="upload").upload("ports_only.toml", data).run()
    _ok(at)
    assert not at.error
    assert at.multiselect(key="layers").value == ["ports", "context"]
    table = _features_table(at)
    assert (
        sorted(table["id"]) == ["district.luohu", "port.liantang", "port.luohu"] or len(table) == 3
    )
    assert table.set_index("id").at[LIANTANG, "status"] == "under_construction"
    at.text_input(key="search").input("Liantang Port").run()
    assert re.search(r'highlight:\s*"port\.liantang"', _map_args(at)["script"])


def test_good_geojson_upload_is_shown_and_searchable():
    at = _app()
    data = (APP_FIXTURES / "hostile.geojson").read_bytes()
    at.file_uploader(key="upload").upload("hostile.geojson", data).run()
    _ok(at)
    assert not at.error
    assert "uploaded" in at.multiselect(key="layers").value
    table = _features_table(at)
    assert XSS in set(table["name"])
    script = _map_args(at)["script"]
    # the name is in the map's data, but only escaped (&lt;img …, itself JSON-escaped)
    assert "onerror=alert(1)" in script
    assert XSS not in script
    at.text_input(key="search").input(XSS).run()
    _ok(at)
    assert re.search(r'highlight:\s*"test\.xss"', _map_args(at)["script"])


def test_labels_and_basemap():
    at = _app()
    at.radio(key="lang").set_value("en").run()
    at.selectbox(key="basemap").set_value("amap").run()
    _ok(at)
    script = _map_args(at)["script"]
    assert "autonavi.com" in script
    assert "Liantang Port" in script


def test_filter_changes_are_served_from_cache(monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    calls = []
    real = app.build_view
    monkeypatch.setattr(app, "build_view", lambda **kw: calls.append(kw) or real(**kw))
    at = _app()
    at.multiselect(key="statuses").set_value(["existing"]).run()
    at.multiselect(key="statuses").set_value(app.STATUSES).run()
    at.radio(key="lang").set_value("en").run()
    _ok(at)
    assert len(calls) == 1


def test_upload_repairs_a_spiked_polygon_to_a_polygon_and_refuses_a_one_point_line():
    import json

    from geo.errors import DataError

    def doc(geom, mentions):
        feat = {"type": "Feature", "properties": {"name": "x", "mentions": mentions}}
        return json.dumps({"type": "FeatureCollection", "features": [{**feat, "geometry": geom}]})

    ring = [
        [114.1, 22.5],
        [114.2, 22.5],
        [114.2, 22.6],
        [114.1, 22.6],
        [114.1, 22.55],
        [114.0, 22.55],
        [114.1, 22.55],
        [114.1, 22.5],
    ]  # a spike sticks out west
    frame = app.read_geojson_layer(
        doc({"type": "Polygon", "coordinates": [ring]}, "²").encode(), name="s.geojson"
    )
    assert frame.geometry.iloc[0].geom_type == "Polygon"  # not a GeometryCollection
    assert frame["mentions"].iloc[0] == 0  # "²".isdigit() is True, int("²") fails
    with pytest.raises(DataError) as err:
        app.read_geojson_layer(
            doc({"type": "LineString", "coordinates": [[114.1, 22.5]]}, 1).encode(),
            name="l.geojson",
        )
    assert str(err.value).startswith("l.geojson: features[0].geometry: broken geometry")
    assert "\n" not in str(err.value)


def test_an_uploaded_id_that_is_not_a_plain_slug_is_replaced():
    import json

    feats = [
        {
            "type": "Feature",
            "properties": {"id": pid, "name": "x"},
            "geometry": {"type": "Point", "coordinates": [114.12, 22.55]},
        }
        for pid in ("{{7*7}}", "<b>", "zone.ok-1")
    ]
    doc = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    frame = app.read_geojson_layer(doc, name="My File.geojson")
    assert list(frame["id"]) == ["upload.my_file.1", "upload.my_file.2", "zone.ok-1"]
