"""Basemaps beyond the built-ins: configured ones in the registry, their tiles written where a
map loads them (the app's static folder, a folder beside a standalone page), the CLI."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile

import folium
import pytest
from test_render import _geojsons, layer_set, luohu_layers
from tilesets import ELSEWHERE_BOX, make_mbtiles, png_tile

from geo.errors import DataError, OptionError
from layers.map import assert_no_cdn, basemap_info, basemap_notes, basemaps, make_map, page_html
from layers.map.tiles import APP_TILES_DIR, app_folder, for_app, remove_from_app
from planmap.cli import main

#: a name no one else uses: the app's tile folder is in the repository's (git-ignored) static/
NAME = f"t{os.getpid()}_luohu"


@pytest.fixture
def user(tmp_path, monkeypatch):
    """An empty user folder with its own settings file, and no 天地图 key."""
    folder = tmp_path / "user"
    monkeypatch.setenv("PLANMAP_USER_DIR", str(folder))
    monkeypatch.delenv("PLANMAP_BASEMAPS", raising=False)
    monkeypatch.delenv("TIANDITU_TK", raising=False)
    yield folder
    remove_from_app(NAME)


@pytest.fixture(scope="module")
def mbtiles(tmp_path_factory):
    return make_mbtiles(tmp_path_factory.mktemp("tiles") / "luohu.mbtiles", zooms=(12, 13))


@pytest.fixture
def added(user, mbtiles, capsys):
    assert main(["basemap", "add", NAME, str(mbtiles), "--attribution", "区局 <b> {{ 7*7 }}"]) == 0
    capsys.readouterr()
    return NAME


def _tile_layers(m: folium.Map) -> list[folium.TileLayer]:
    return [c for c in m._children.values() if isinstance(c, folium.TileLayer)]


def _write_settings(user, text: str):
    user.mkdir(parents=True, exist_ok=True)
    (user / "basemaps.toml").write_text(text, encoding="utf-8")


XYZ = """
[xyz.intranet]
url = "http://tiles.gis.example/{z}/{x}/{y}.png"
datum = "gcj02"
attribution = "内网 <i>&</i>"
max_zoom = 17
"""


def test_configured_basemaps_follow_the_built_ins(user, added):
    _write_settings(user, (user / "basemaps.toml").read_text(encoding="utf-8") + XYZ)
    names = list(basemaps())
    assert names[:6] == ["context", "none", "osm", "cartodb_positron", "amap", "satellite"]
    assert set(names[6:]) == {NAME, "intranet"}
    info = basemap_info(NAME)
    assert (info.kind, info.datum, info.online) == ("mbtiles", "wgs84", False)
    assert info.tiles["min_native_zoom"] == 12
    assert info.tiles["max_native_zoom"] == 13
    with pytest.raises(OptionError, match=f"not one of: context, none, .*{NAME}"):
        basemap_info("google")


def test_a_gcj02_service_shifts_the_overlays_and_escapes_its_attribution(user):
    _write_settings(user, XYZ)
    layers = layer_set(luohu_layers())
    m = make_map(layers, basemap="intranet")
    (tiles,) = _tile_layers(m)
    assert tiles.tiles == "http://tiles.gis.example/{z}/{x}/{y}.png"
    assert tiles.options["max_native_zoom"] == 17
    assert tiles.options["attribution"] == "内网 &lt;i&gt;&amp;&lt;/i&gt;"
    plain = _geojsons(make_map(layers))["ports"].data["features"][0]["geometry"]["coordinates"]
    shifted = _geojsons(m)["ports"].data["features"][0]["geometry"]["coordinates"]
    assert abs(shifted[0] - plain[0]) > 0.003  # about 600 m, as on AMap


def test_builtin_attribution_shows_the_copyright_sign_once_escaped():
    m = make_map(layer_set(luohu_layers()), basemap="osm")
    assert _tile_layers(m)[0].options["attribution"] == "© OpenStreetMap contributors"


def test_tianditu_needs_a_key(user, monkeypatch):
    assert not any(n.startswith("tianditu") for n in basemaps())
    (note,) = [n for n in basemap_notes() if "天地图" in n]
    assert "TIANDITU_TK" in note
    assert "not offered" in note
    with pytest.raises(OptionError, match="no tk key"):
        basemap_info("tianditu_vec")
    monkeypatch.setenv("TIANDITU_TK", "0123456789abcdef0123456789abcdef")
    assert {"tianditu_vec", "tianditu_img"} <= set(basemaps())
    m = make_map(layer_set(luohu_layers()), basemap="tianditu_img")
    base, notes = _tile_layers(m)
    assert "/img_w/wmts?" in base.tiles
    assert "/cia_w/wmts?" in notes.tiles
    assert "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=0123456789abcdef" in base.tiles
    assert base.options["subdomains"] == "01234567"
    # CGCS2000 is drawn as WGS-84: nothing shifted
    assert (
        _geojsons(m)["ports"].data == _geojsons(make_map(layer_set(luohu_layers())))["ports"].data
    )
    monkeypatch.setenv("TIANDITU_TK", "not a key!")
    assert "not letters and digits" in " ".join(basemap_notes())


def test_mbtiles_basemap_must_be_written_for_its_map(user, added):
    with pytest.raises(DataError, match="not been written for this map"):
        make_map(layer_set(luohu_layers()), basemap=NAME)


def test_the_app_serves_prepared_tiles_from_static(user, added, mbtiles):
    from layers import app

    folder = app_folder(NAME, mbtiles)
    assert folder.parent == APP_TILES_DIR
    assert (folder / "tiles.json").is_file()
    assert (folder / "13" / "6693" / "3568.png").read_bytes() == png_tile(13, 6693, 3568)
    info = for_app(basemap_info(NAME))
    assert info.tiles["tiles"] == f"/app/static/tiles/{folder.name}/{{z}}/{{x}}/{{y}}.png"
    labels, notes = app.basemap_options()
    assert labels[NAME].startswith(NAME)
    assert not any(NAME in n for n in notes)
    html = page_html(app.planning_map(layer_set(luohu_layers()), basemap=NAME))
    assert f"/app/static/tiles/{folder.name}/" in html
    assert_no_cdn(html)
    # a changed file is a new folder: the app no longer offers the old tiles until re-added
    os.utime(mbtiles, ns=(1, 1))
    labels, notes = app.basemap_options()
    assert NAME not in labels
    assert any("planmap basemap add" in n for n in notes)


def test_the_app_download_is_a_zip_with_the_tiles(user, added):
    from layers import app

    assert app.map_file("luohu", NAME) == ("luohu_map.zip", "application/zip")
    assert app.map_file("luohu", "none") == ("luohu_map.html", "text/html")
    data = app.map_html(layer_set(luohu_layers()), basemap=NAME)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        html = zf.read("map.html").decode("utf-8")
    assert f"map_files/tiles/{NAME}/13/6693/3568.png" in names
    assert f'"map_files/tiles/{NAME}/{{z}}/{{x}}/{{y}}.png"' in html
    assert_no_cdn(html)


def test_planmap_map_writes_the_tiles_beside_the_page(user, added, tmp_path, capsys):
    from layers.export import write_build

    src = tmp_path / "layers"
    write_build(layer_set(luohu_layers()), src)
    out = tmp_path / "out" / "plan map.html"
    assert main(["map", "--out", str(out), "--layers-dir", str(src), "--basemap", NAME]) == 0
    assert "keep the folder beside the HTML" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert_no_cdn(html)
    assert f'"plan%20map_files/tiles/{NAME}/{{z}}/{{x}}/{{y}}.png"' in html
    tile = out.parent / "plan map_files" / "tiles" / NAME / "12" / "3346" / "1784.png"
    assert tile.read_bytes() == png_tile(12, 3346, 1784)  # the XYZ address, not the TMS row
    assert sorted(p.name for p in out.parent.iterdir()) == ["plan map.html", "plan map_files"]
    # the attribution is escaped once, and its template syntax stays text
    (attr,) = re.findall(r'"attribution": ("[^"]*")', html)
    assert json.loads(attr) == "区局 &lt;b&gt; &#123;&#123; 7*7 &#125;&#125;"


def _last_err(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    return lines[-1] if lines else ""


def test_basemap_add_refuses_bad_files_in_one_line(user, tmp_path, capsys):
    far = make_mbtiles(tmp_path / "far.mbtiles", box=ELSEWHERE_BOX, zooms=(12,))
    assert main(["basemap", "add", "far", str(far)]) == 2
    assert re.fullmatch(
        rf"planmap basemap: {re.escape(str(far))}: its tiles .* lie outside 罗湖区 Luohu District",
        _last_err(capsys),
    )
    text = tmp_path / "text.mbtiles"
    text.write_text("hello", encoding="utf-8")
    assert main(["basemap", "add", "text", str(text)]) == 2
    assert _last_err(capsys).endswith("text.mbtiles: not an SQLite file, so not an MBTiles file")
    vector = make_mbtiles(tmp_path / "v.mbtiles", fmt="pbf", tile=b"\x1f\x8b", zooms=(12,))
    assert main(["basemap", "add", "v", str(vector)]) == 2
    assert "vector MBTiles are not supported yet" in _last_err(capsys)
    assert main(["basemap", "add", "osm", str(far)]) == 2
    assert "taken by a built-in basemap" in _last_err(capsys)
    assert main(["basemap", "add", "ok", str(far), "--datum", "bd09"]) == 2
    assert "datum 'bd09' is not one of: wgs84, gcj02, cgcs2000" in _last_err(capsys)
    assert not (user / "basemaps.toml").exists()  # nothing was recorded


def test_basemap_list_and_remove(user, added, capsys):
    _write_settings(user, (user / "basemaps.toml").read_text(encoding="utf-8") + XYZ)
    assert main(["basemap", "list"]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"^{NAME}\s+mbtiles\s+wgs84\s+offline\s+\S*luohu.mbtiles$", out, re.M)
    assert re.search(r"^intranet\s+xyz\s+gcj02\s+network\s+http://tiles.gis.example/", out, re.M)
    assert "天地图 Tianditu not offered" in out
    assert main(["basemap", "remove", NAME]) == 0
    assert not list(APP_TILES_DIR.glob(f"{NAME}-*"))
    assert main(["basemap", "remove", NAME]) == 2
    assert NAME not in basemaps()


def test_a_broken_settings_file_is_one_line_for_the_cli_and_a_note_in_the_app(user, capsys):
    from layers import app

    _write_settings(user, '[xyz.a]\nurl = "javascript:x/{z}/{x}/{y}"\n')
    assert main(["basemap", "list"]) == 2
    assert _last_err(capsys) == (
        "planmap basemap: basemaps.toml: xyz.a.url: scheme 'javascript' is not one of: "
        "http, https, file (+2 more)"
    )
    labels, notes = app.basemap_options()
    assert list(labels) == list(app.BASEMAPS)
    assert notes[0].startswith("basemap settings not read")
    assert basemap_info("osm").name == "osm"  # built-ins never read the settings


def test_a_gcj02_mbtiles_basemap_shifts_the_overlays(user, mbtiles, capsys):
    assert main(["basemap", "add", NAME, str(mbtiles), "--datum", "gcj02"]) == 0
    info = for_app(basemap_info(NAME))
    assert info.datum == "gcj02"
    layers = layer_set(luohu_layers())
    plain = _geojsons(make_map(layers))["ports"].data["features"][0]["geometry"]["coordinates"]
    shifted = _geojsons(make_map(layers, basemap=info))["ports"].data["features"][0]
    assert abs(shifted["geometry"]["coordinates"][0] - plain[0]) > 0.003
    # what a planner draws on it is shifted back to WGS-84 before it is stored
    from layers import app

    drawn = {"type": "Point", "coordinates": shifted["geometry"]["coordinates"]}
    back = app.drawing_geometry(drawn, basemap=NAME)
    assert back.distance(type(back)(plain)) < 1e-6


def test_planmap_map_with_tianditu_says_the_page_holds_the_key(user, tmp_path, capsys, monkeypatch):
    from layers.export import write_build

    monkeypatch.setenv("TIANDITU_TK", "0123456789abcdef0123456789abcdef")
    write_build(layer_set(luohu_layers()), tmp_path / "layers")
    out = tmp_path / "map.html"
    args = ["map", "--out", str(out), "--layers-dir", str(tmp_path / "layers")]
    assert main([*args, "--basemap", "tianditu_vec"]) == 0
    printed = capsys.readouterr().out
    assert "needs the network" in printed
    assert "holds your 天地图 key" in printed
    assert_no_cdn(out.read_text(encoding="utf-8"), allow_tiles=True)
