"""layers.map.basemap_settings: the planner's basemaps.toml, one line per mistake."""

from __future__ import annotations

import pytest

from geo.errors import DataError
from layers.map.basemap_settings import (
    MBTilesEntry,
    TileDatum,
    check_tile_url,
    load_settings,
    remove_mbtiles,
    settings_path,
    upsert_mbtiles,
)

GOOD = """\
# our intranet services
[xyz.intranet]
url = "http://tiles.gis.example/vec/{z}/{x}/{y}.png"
datum = "cgcs2000"
attribution = "市规划和自然资源局"
min_zoom = 8
max_zoom = 18

[xyz.wmts]  # WMTS, Web Mercator matrix set
url = "https://t{s}.gis.example/wmts?LAYER=img&TILEMATRIXSET=w&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}"
datum = "gcj02"
attribution = "影像"
subdomains = "0123"

[tianditu]
tk = "0123456789abcdef0123456789abcdef"
"""


def _write(tmp_path, text: str):
    path = tmp_path / "basemaps.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file(tmp_path):
    settings = load_settings(_write(tmp_path, GOOD))
    assert settings.xyz["intranet"].datum is TileDatum.CGCS2000
    assert settings.xyz["intranet"].datum.display == "wgs84"
    assert settings.xyz["wmts"].datum.display == "gcj02"
    # WMTS placeholders become Leaflet's
    assert settings.xyz["wmts"].url.endswith("TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")
    assert settings.tianditu.tk.startswith("0123")


def test_a_missing_file_is_empty_settings(tmp_path):
    settings = load_settings(tmp_path / "none.toml")
    assert not settings.mbtiles
    assert not settings.xyz
    assert settings.tianditu is None


def test_the_path_comes_from_the_user_folder_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANMAP_BASEMAPS", raising=False)
    monkeypatch.setenv("PLANMAP_USER_DIR", str(tmp_path / "user"))
    assert settings_path() == tmp_path / "user" / "basemaps.toml"
    monkeypatch.setenv("PLANMAP_BASEMAPS", str(tmp_path / "elsewhere.toml"))
    assert settings_path() == tmp_path / "elsewhere.toml"


BAD = [
    ('url = "javascript:alert(1)//{z}/{x}/{y}"', "xyz.a.url: scheme 'javascript'"),
    ('url = "ftp://h/{z}/{x}/{y}.png"', "xyz.a.url: scheme 'ftp'"),
    ('url = "//h/{z}/{x}/{y}.png"', r"xyz.a.url: scheme '\(none\)'"),
    ('url = "http:///{z}/{x}/{y}.png"', "xyz.a.url: the URL has no host"),
    ('url = "http://h/{{ 7*7 }}/{z}/{x}/{y}"', "xyz.a.url: the URL holds '{{'"),
    ('url = "http://h/{% if 1 %}/{z}/{x}/{y}"', "xyz.a.url: the URL holds '{%'"),
    ('url = "http://h/{z}/{x}.png"', r"xyz.a.url: the URL must hold \{z\}, \{x\} and \{y\}"),
    ('url = "http://h/{z}/{x}/{y}/{token}.png"', r"xyz.a.url: unknown placeholder \{token\}"),
    ('url = "http://h/{z}/{x}/{y}.png\\"onload=\\"x"', "xyz.a.url: the URL holds a space, quote"),
    ('url = "http://h/{s}/{z}/{x}/{y}.png"', "xyz.a: the URL holds {s}: give subdomains"),
    ('datum = "bd09"', "xyz.a.datum: 'bd09' is not one of: wgs84, gcj02, cgcs2000"),
    ("min_zoom = 12\nmax_zoom = 10", "xyz.a: min_zoom 12 is above max_zoom 10"),
    ("max_zoom = 30", "xyz.a.max_zoom: Input should be less than or equal to 22"),
    ('colour = "red"', "xyz.a.colour: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("line", "message"), BAD)
def test_a_bad_entry_is_one_line_naming_file_and_key(tmp_path, line, message):
    entry = {
        "url": 'url = "http://h/{z}/{x}/{y}.png"',
        "datum": 'datum = "wgs84"',
        "attribution": 'attribution = "x"',
    }
    entry[line.split(" ")[0]] = line
    path = _write(tmp_path, "[xyz.a]\n" + "\n".join(entry.values()) + "\n")
    with pytest.raises(DataError, match=message) as info:
        load_settings(path)
    assert str(info.value).startswith("basemaps.toml: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[xyz.a]\nurl = "http://h/{z}/{x}/{y}"\ndatum = "wgs84"\n',
            "xyz.a.attribution: Field required",
        ),
        (
            '[xyz.a]\nurl = "http://h/{z}/{x}/{y}"\nattribution = "x"\n',
            "xyz.a.datum: Field required",
        ),
        ('[xyz.Bad-Name]\nurl = "x"\n', "must be lower-case letters"),
        ('[mbtiles.osm]\nfile = "a.mbtiles"\n', "taken by a built-in basemap"),
        ('[tianditu]\ntk = "<script>"\n', "tianditu.tk: String should match pattern"),
        (
            '[mbtiles.a]\nfile = "a.mbtiles"\n[xyz.a]\nurl = "http://h/{z}/{x}/{y}"\n'
            'datum = "wgs84"\nattribution = "x"\n',
            "basemap 'a' is both",
        ),
        ("[xyz\n", "not valid TOML"),
    ],
)
def test_more_mistakes(tmp_path, text, message):
    with pytest.raises(DataError, match=message) as info:
        load_settings(_write(tmp_path, text))
    assert str(info.value).startswith("basemaps.toml: ")
    assert "\n" not in str(info.value)


def test_check_tile_url_accepts_file_and_tms():
    assert check_tile_url("file:///srv/tiles/{z}/{x}/{y}.png").startswith("file:")
    assert check_tile_url(" http://h/{z}/{x}/{-y}.png ") == "http://h/{z}/{x}/{-y}.png"


def test_add_keeps_the_planners_own_lines_and_replaces_its_entry(tmp_path):
    path = _write(tmp_path, GOOD)
    entry = MBTilesEntry(file="/data/luohu.mbtiles", attribution='区 "规划" \\ 局 {{ x }}')
    upsert_mbtiles("luohu", entry, path)
    upsert_mbtiles("luohu", entry.model_copy(update={"datum": TileDatum.GCJ02}), path)
    upsert_mbtiles("second", MBTilesEntry(file="rel/second.mbtiles"), path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(GOOD.rstrip("\n"))  # comments and other tables kept as written
    assert text.count("[mbtiles.luohu]") == 1
    settings = load_settings(path)
    assert settings.mbtiles["luohu"].datum is TileDatum.GCJ02
    assert settings.mbtiles["luohu"].attribution == entry.attribution  # escaped for TOML
    # a relative file is relative to the settings file's folder
    assert settings.mbtiles_path("second") == tmp_path / "rel" / "second.mbtiles"
    assert remove_mbtiles("luohu", path)
    assert not remove_mbtiles("luohu", path)
    assert set(load_settings(path).mbtiles) == {"second"}
    assert set(load_settings(path).xyz) == {"intranet", "wmts"}


def test_control_characters_are_refused_in_text():
    with pytest.raises(ValueError, match="attribution"):
        MBTilesEntry(file="/a.mbtiles", attribution="a\x7fb")


def test_add_refuses_to_write_a_broken_file(tmp_path):
    path = _write(tmp_path, '[xyz.a]\nurl = "ftp://h/{z}/{x}/{y}"\n')
    before = path.read_text(encoding="utf-8")
    with pytest.raises(DataError, match=r"basemaps.toml: xyz.a"):
        upsert_mbtiles("luohu", MBTilesEntry(file="/x.mbtiles"), path)
    assert path.read_text(encoding="utf-8") == before
    with pytest.raises(DataError, match="must be lower-case"):
        upsert_mbtiles("Luohu", MBTilesEntry(file="/x.mbtiles"), path)
