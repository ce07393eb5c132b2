"""Issue 12: ``planmap locate`` - the match table, the datum trap before anything is written,
one-line errors, escaped names; saving to the user store and the next build."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import locate_files as lf
import pyogrio
import pytest

from geo.errors import OptionError
from layers.locate import parse_picks
from planmap.cli import main


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "user"
    monkeypatch.setenv("PLANMAP_USER_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def bureau(tmp_path_factory) -> Path:
    return lf.write_bureau_shapefile(tmp_path_factory.mktemp("bureau"))


def test_dry_run_prints_the_table_and_writes_nothing(bureau, user_dir, capsys):
    assert main(["locate", "--from", str(bureau), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("roads.shp: layer roads, name field DLMC, 13 named features, EPSG:4547")
    header = next(line for line in out.splitlines() if line.startswith("place"))
    assert header.split() == [
        "place",
        "id",
        "action",
        "feature",
        "size",
        "to",
        "district",
        "rule",
        "why",
    ]
    rows = {tuple(line.split()[:4]) for line in out.splitlines()}
    assert ("罗沙路改扩建", "road.luosha_upgrade", "save", "罗沙路") in rows
    assert ("新秀立交", "road.xinxiu_interchange", "save", "新秀立交桥") in rows
    assert ("翠竹路北延", "road.cuizhu_north_ext", "unlocated", "翠竹路") in rows
    assert any(r[:3] == ("东门路升级工程", "road.dongmen_road_upgrade", "choose") for r in rows)
    assert "--pick road.dongmen_road_upgrade=N" in out
    assert "dry run: 3 location(s) would be saved; nothing written" in out
    assert not user_dir.exists()


def test_the_datum_trap_is_one_line_and_nothing_is_written(tmp_path, user_dir, capsys):
    path = lf.write_gcj_geojson(tmp_path)
    assert main(["locate", "--from", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("planmap locate: roads_gcj02.geojson: read as")
    assert "--datum gcj02" in err
    assert not user_dir.exists()


def test_one_line_errors(tmp_path, user_dir, capsys):
    assert main(["locate", "--from", str(tmp_path / "nope.shp"), "--dry-run"]) == 2
    assert capsys.readouterr().err == "planmap locate: nope.shp: no such file\n"
    assert main(["locate", "--from", str(lf.write_kml(tmp_path)), "--crs", "EPSG:99999"]) == 2
    assert capsys.readouterr().err.startswith("planmap locate: --crs 'EPSG:99999': PROJ does not")
    with pytest.raises(SystemExit):
        main(["locate", "--from", "x.shp", "--datum", "mars"])


def test_zero_matches_is_one_line_and_exit_1(tmp_path, user_dir, capsys):
    frame = lf.road_frame({"无名路": lf.ROADS["文锦路"]}).rename(columns={"DLMC": "name"})
    path = tmp_path / "none.gpkg"
    pyogrio.write_dataframe(frame, path)
    assert main(["locate", "--from", str(path)]) == 1
    assert capsys.readouterr().err == (
        "planmap locate: none.gpkg: none of its 1 named features (field 'name') carries the "
        "name of a place of the district\n"
    )
    assert not user_dir.exists()


def test_hostile_names_are_escaped_in_the_terminal(tmp_path, user_dir, capsys):
    frame = gpd.GeoDataFrame(
        {"name": ["清水河三路\x1b\x07", "翠竹路\u202e"]},
        geometry=list(lf.road_frame({k: lf.ROADS[k] for k in ("清水河三路", "翠竹路")}).geometry),
        crs="EPSG:4326",
    )
    path = tmp_path / "evil\x1b[31m.gpkg"
    pyogrio.write_dataframe(frame, path)
    assert main(["locate", "--from", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\u202e" not in out
    assert "清水河三路\\x1b\\x07" in out
    assert "翠竹路\\u202e" in out
    assert "evil\\x1b[31m.gpkg" in out


def test_picks_are_parsed_at_the_edge():
    assert parse_picks(["road.a=2", "road.b=1,3"]) == {"road.a": [2], "road.b": [1, 3]}
    for bad in ("road.a", "road.a=x", "=1", "road.a=0"):
        with pytest.raises(OptionError, match="--pick"):
            parse_picks([bad])


def test_a_pick_for_nothing_is_refused(bureau, user_dir, capsys):
    assert (
        main(["locate", "--from", str(bureau), "--dry-run", "--pick", "road.chunfeng_tunnel=1"])
        == 2
    )
    assert "the file has no candidates for this place" in capsys.readouterr().err
    assert (
        main(
            ["locate", "--from", str(bureau), "--dry-run", "--pick", "road.dongmen_road_upgrade=4"]
        )
        == 2
    )
    assert "it has 3 candidate(s)" in capsys.readouterr().err


# --- saving: the user store, the next build ---------------------------------------------------


def _store(user_dir: Path):
    from layers.store import UserStore, default_store_path

    return UserStore(default_store_path())


def test_done_when_bureau_roads_are_located_and_the_next_build_shows_them(
    bureau, user_dir, tmp_path, capsys
):
    """The issue's "done when": a bureau Shapefile (CGCS2000 GK, GBK) locates every report road
    it names within the file's own line, leaves the others unlocated, offers the ambiguous one,
    and the next build shows them with the file as their source."""
    import shapely

    from geo.locate.text import clean_name
    from layers.build import build_from_files

    assert main(["locate", "--from", str(bureau), "--licence", "内部资料 internal use"]) == 0
    out = capsys.readouterr().out
    assert "saved 3 location(s) to " in out
    assert "1 place(s) left to choose" in out
    stored = _store(user_dir).locations().set_index("id")
    assert sorted(stored.index) == [
        "road.luosha_upgrade",
        "road.qingshuihe_3rd_widening",
        "road.xinxiu_interchange",
    ]
    file_roads = gpd.read_file(bureau, encoding="gbk").to_crs(4326)
    file_roads["DLMC"] = file_roads["DLMC"].map(clean_name)
    for place, name in [
        ("road.luosha_upgrade", "罗沙路"),
        ("road.xinxiu_interchange", "新秀立交桥"),
    ]:
        own = shapely.union_all(file_roads.geometry[file_roads["DLMC"] == name].to_numpy())
        assert shapely.hausdorff_distance(stored.geometry[place], own) < 1e-7
        assert stored.loc[place, "precision"] == "located"
        assert stored.loc[place, "source"].startswith(f"roads.shp, layer roads, DLMC '{name}'")
        assert stored.loc[place, "licence"] == "内部资料 internal use"

    layers = build_from_files()
    roads = layers["roads"].set_index("id")
    assert roads.loc["road.luosha_upgrade", "precision"] == "located"
    assert "roads.shp" in roads.loc["road.luosha_upgrade", "source"]
    assert "内部资料" in roads.loc["road.luosha_upgrade", "source"]
    for unlocated in ("road.chunfeng_tunnel", "road.cuizhu_north_ext", "road.dongmen_road_upgrade"):
        assert roads.loc[unlocated, "precision"] == "unlocated"
        assert roads.loc[unlocated, "geometry"] is None

    # the ambiguous one, chosen: 东门中路 is the middle section
    assert main(["locate", "--from", str(bureau), "--dry-run"]) == 0
    out = capsys.readouterr().out
    number = next(
        line.split()[3]
        for line in out.splitlines()
        if line.startswith("东门路升级工程") and "东门中路" in line
    )
    assert (
        main(["locate", "--from", str(bureau), "--pick", f"road.dongmen_road_upgrade={number}"])
        == 0
    )
    out = capsys.readouterr().out
    assert "saved 1 location(s)" in out  # the other three are in the store already: kept
    assert "your store already locates it" in out
    assert (
        build_from_files()["roads"].set_index("id").loc["road.dongmen_road_upgrade", "precision"]
        == "located"
    )


def test_a_sourced_location_and_a_drawing_are_never_overwritten(tmp_path, user_dir, capsys):
    from shapely.geometry import Point

    from layers.store import Location

    store = _store(user_dir)
    drawn = Point(114.11, 22.55)
    store.save(Location("road.qingshuihe_3rd_widening", drawn, note="drawn", source="user"))
    frame = lf.road_frame({k: lf.ROADS[k] for k in ("清水河三路", "文锦路")})
    frame = gpd.GeoDataFrame(
        {"name": ["清水河三路", "文锦路", "莲塘口岸"]},
        geometry=[*frame.geometry, Point(114.1505, 22.5562)],
        crs=4326,
    )
    path = tmp_path / "mixed.gpkg"
    pyogrio.write_dataframe(frame, path)
    assert main(["locate", "--from", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sourced" in out
    assert "port.liantang" in out
    assert "saved 0 location(s)" in out
    kept = store.locations().set_index("id")
    assert list(kept.index) == ["road.qingshuihe_3rd_widening"]
    assert kept.geometry.iloc[0].equals(drawn)
    assert main(["locate", "--from", str(path), "--replace"]) == 0
    replaced = store.locations().set_index("id")
    assert replaced.loc["road.qingshuihe_3rd_widening", "source"].startswith("mixed.gpkg")
    assert "port.liantang" not in replaced.index  # a sourced place is never written


def test_a_failed_save_loses_nothing_and_writes_nothing(bureau, user_dir, monkeypatch, capsys):
    from shapely.geometry import Point

    from layers.store import Location, UserStore

    store = _store(user_dir)
    store.save(Location("zone.yulong_area", Point(114.12, 22.56).buffer(0.002), note="mine"))
    before = store.path.read_bytes()
    real = UserStore._insert

    def fail_halfway(self, conn, rows):
        rows = list(rows)
        real(self, conn, rows[:1])  # one row is in, then the disk fills
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(UserStore, "_insert", fail_halfway)
    capsys.readouterr()
    assert main(["locate", "--from", str(bureau)]) == 2  # one line at the CLI boundary
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "planmap locate: no space left on device"
    )
    monkeypatch.undo()
    after = store.locations()
    assert list(after["id"]) == ["zone.yulong_area"]
    assert store.path.read_bytes() == before
