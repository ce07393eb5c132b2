"""layers.map.mbtiles: reading a raster MBTiles file, and one line for every bad one."""

from __future__ import annotations

import sqlite3

import pytest
from shapely.geometry import box
from tilesets import ELSEWHERE_BOX, LUOHU_BOX, make_mbtiles, png_tile, tile_range

from geo.errors import DataError
from layers.map.mbtiles import district_coverage, iter_tiles, read_mbtiles


@pytest.fixture(scope="module")
def luohu_tiles(tmp_path_factory):
    return make_mbtiles(tmp_path_factory.mktemp("mb") / "luohu.mbtiles", zooms=(11, 12))


def test_reads_what_the_file_holds(luohu_tiles):
    mb = read_mbtiles(luohu_tiles)
    expected = sum(len(c) * len(r) for c, r in (tile_range(LUOHU_BOX, z) for z in (11, 12)))
    assert (mb.format, mb.suffix, mb.minzoom, mb.maxzoom) == ("png", "png", 11, 12)
    assert mb.count == expected
    assert mb.attribution == "Test tiles <b>&</b> co"
    # the metadata bounds, inside the tiles' extent
    assert mb.bounds == pytest.approx(LUOHU_BOX)
    w, s, e, n = mb.finest_bounds
    assert w <= LUOHU_BOX[0]
    assert s <= LUOHU_BOX[1]
    assert e >= LUOHU_BOX[2]
    assert n >= LUOHU_BOX[3]


def test_rows_are_flipped_from_tms_to_xyz(luohu_tiles):
    """The file stores TMS rows (from the south); every tile comes back at its XYZ address,
    which the test tile's own image names."""
    tiles = list(iter_tiles(read_mbtiles(luohu_tiles)))
    assert tiles
    for z, x, y, data in tiles[:6]:
        assert data == png_tile(z, x, y)
    cols, rows = tile_range(LUOHU_BOX, 12)
    assert {(x, y) for z, x, y, _ in tiles if z == 12} == {(x, y) for x in cols for y in rows}


def test_without_metadata_the_format_is_read_from_the_tiles(tmp_path):
    path = make_mbtiles(tmp_path / "a.mbtiles", zooms=(12,), fmt="jpg")
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE metadata")
    con.close()
    mb = read_mbtiles(path)
    assert mb.format == "jpg"
    assert mb.attribution == ""
    assert mb.bounds == mb.finest_bounds  # no declared bounds: the tiles' own extent


def test_tiles_as_a_view_are_read(tmp_path):
    """mbutil and QGIS write `map` + `images` tables and a `tiles` view."""
    path = tmp_path / "view.mbtiles"
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE map (zoom_level, tile_column, tile_row, tile_id)")
        con.execute("CREATE TABLE images (tile_id, tile_data)")
        con.execute("CREATE TABLE metadata (name, value)")
        con.execute("INSERT INTO metadata VALUES ('format', 'png')")
        con.execute("INSERT INTO map VALUES (12, 3346, 4095 - 1784, 'a')")
        con.execute("INSERT INTO images VALUES ('a', ?)", (png_tile(12, 3346, 1784),))
        con.execute(
            "CREATE VIEW tiles AS SELECT zoom_level, tile_column, tile_row, tile_data "
            "FROM map JOIN images USING (tile_id)"
        )
    con.close()
    assert [t[:3] for t in iter_tiles(read_mbtiles(path))] == [(12, 3346, 1784)]


def _one_line(path, match):
    with pytest.raises(DataError, match=match) as info:
        read_mbtiles(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_bad_files_are_one_line_naming_the_file(tmp_path):
    text = tmp_path / "notes.mbtiles"
    text.write_text("these are not tiles", encoding="utf-8")
    _one_line(text, "not an SQLite file")
    _one_line(tmp_path / "missing.mbtiles", "no such MBTiles file")
    _one_line(tmp_path, "is a folder")
    _one_line(make_mbtiles(tmp_path / "other.mbtiles", tables=False), "has no tiles table")
    vector = make_mbtiles(tmp_path / "vector.mbtiles", fmt="pbf", tile=b"\x1f\x8b\x08\x00")
    assert "not supported yet" in _one_line(vector, "holds vector tiles")
    # a vector file that does not say so in its metadata is still recognised
    with sqlite3.connect(vector) as con:
        con.execute("DELETE FROM metadata WHERE name = 'format'")
    con.close()
    _one_line(vector, "holds vector tiles")
    gif = make_mbtiles(tmp_path / "gif.mbtiles", zooms=(12,), metadata={"format": "gif"})
    _one_line(gif, "tile format 'gif' is not one of: png, jpg, webp")
    empty = make_mbtiles(tmp_path / "empty.mbtiles", zooms=(12,))
    with sqlite3.connect(empty) as con:
        con.execute("DELETE FROM tiles")
    con.close()
    _one_line(empty, "holds no tiles")


def test_a_truncated_database_is_one_line(tmp_path, luohu_tiles):
    broken = tmp_path / "broken.mbtiles"
    broken.write_bytes(luohu_tiles.read_bytes()[:200])  # the header survives, the pages do not
    _one_line(broken, "SQLite|tiles")


def test_coverage_of_the_district(tmp_path, luohu_tiles):
    district = box(114.08, 22.53, 114.20, 22.62)
    assert district_coverage(read_mbtiles(luohu_tiles), district) == pytest.approx(1.0)
    far = read_mbtiles(make_mbtiles(tmp_path / "far.mbtiles", box=ELSEWHERE_BOX, zooms=(12,)))
    assert district_coverage(far, district) == 0.0
    # GCJ-02 tiles are compared after shifting their extent back to WGS-84 (about 600 m)
    half = read_mbtiles(make_mbtiles(tmp_path / "half.mbtiles", box=(114.0, 22.5, 114.14, 22.7)))
    wgs, gcj = district_coverage(half, district), district_coverage(half, district, datum="gcj02")
    assert 0.2 < gcj < wgs < 0.8
