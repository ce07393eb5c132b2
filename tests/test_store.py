"""The user store: transactional saves across threads and processes, kill -9 safety, GDAL reads
it, the old overrides file is imported once, a broken store is one line and left untouched."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyogrio
import pytest
from shapely.geometry import LineString, Point, Polygon

from geo.errors import DataError
from layers.store import LEGACY_NAME, STORE_NAME, TABLE, Location, UserStore, default_store_path

ROOT = Path(__file__).resolve().parents[1]

# a child process that saves locations: `python -c CHILD store prefix count [start-file]`
CHILD = """
import sys, time
from pathlib import Path
from shapely.geometry import Point
from layers.store import Location, UserStore
path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if len(sys.argv) > 4:
    while not Path(sys.argv[4]).exists():
        time.sleep(0.005)
store = UserStore(path)
for i in range(count):
    store.save(Location(f"{prefix}.{i}", Point(114.1 + i * 1e-4, 22.55), note=f"save {i}"))
    print(i, flush=True)
"""

# saves 20 locations one by one, then one big batch during which it is killed
KILLED = """
import sys
from shapely.geometry import Point
from layers import store as st
path = sys.argv[1]
store = st.UserStore(path)
for i in range(20):
    store.save(st.Location(f"early.{i}", Point(114.1 + i * 1e-4, 22.55)))
    print(f"saved {i}", flush=True)
insert = st.UserStore._insert
def announced(self, conn, rows):
    print("inserting", flush=True)
    return insert(self, conn, rows)
st.UserStore._insert = announced
batch = [st.Location(f"big.{i}", Point(114.1, 22.5 + i * 1e-6)) for i in range(50_000)]
store.save_many(batch)
print("batch saved", flush=True)
"""


def _child_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _ogrinfo_count(path: Path) -> int:
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(path), TABLE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    (line,) = [x for x in out.splitlines() if x.startswith("Feature Count:")]
    return int(line.split(":")[1])


@pytest.fixture
def store(tmp_path) -> UserStore:
    return UserStore(tmp_path / STORE_NAME)


def test_default_path_is_in_the_user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANMAP_USER_DIR", str(tmp_path))
    assert default_store_path() == tmp_path / "planmap_user.gpkg"
    assert UserStore().path == tmp_path / "planmap_user.gpkg"


def test_a_missing_store_is_empty_and_reading_creates_nothing(store):
    frame = store.locations()
    assert frame.empty
    assert frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [
        "id",
        "note",
        "source",
        "precision",
        "licence",
        "saved_at",
        "geometry",
    ]
    assert not store.path.exists()


def test_save_replaces_by_id_and_keeps_every_field(store):
    store.save(Location("zone.a", Point(114.1, 22.55), note="first"))
    store.save(
        Location(
            "zone.a",
            Polygon([(114.1, 22.5), (114.2, 22.5), (114.2, 22.6)]),
            note="second",
            source="plan.gpkg zones #4",
            precision="located",
            licence="CC-BY-4.0",
        )
    )
    (row,) = store.locations().itertuples()
    assert (row.id, row.note, row.source, row.precision, row.licence) == (
        "zone.a",
        "second",
        "plan.gpkg zones #4",
        "located",
        "CC-BY-4.0",
    )
    assert row.geometry.geom_type == "Polygon"
    assert row.saved_at.endswith("+00:00")


def test_gdal_reads_the_store_as_a_geopackage(store):
    store.save_many(
        [
            Location("p", Point(114.1, 22.55), note="点 <b>{{ 7*7 }}</b>"),
            Location("l", LineString([(114.1, 22.55), (114.2, 22.56)])),
            Location("a", Polygon([(114.1, 22.5), (114.2, 22.5), (114.2, 22.6)])),
        ]
    )
    assert _ogrinfo_count(store.path) == 3
    frame = pyogrio.read_dataframe(store.path, layer=TABLE)
    assert frame.crs.to_epsg() == 4326
    assert sorted(frame.geometry.geom_type) == ["LineString", "Point", "Polygon"]
    assert frame.set_index("id").at["p", "note"] == "点 <b>{{ 7*7 }}</b>"
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_row_qgis_wrote_is_read(store):
    """GDAL writing into the store (as QGIS does), then the store reading GDAL's row."""
    store.save(Location("mine", Point(114.1, 22.55)))
    frame = pyogrio.read_dataframe(store.path, layer=TABLE)
    frame.loc[0, "id"] = "theirs"
    pyogrio.write_dataframe(frame, store.path, layer=TABLE, append=True)
    assert sorted(store.locations()["id"]) == ["mine", "theirs"]


def test_save_many_is_all_or_nothing(store):
    store.save(Location("kept", Point(114.1, 22.55)))
    bad = [Location("new.1", Point(114.1, 22.55)), Location("new.2", Point(float("nan"), 22))]
    with pytest.raises(DataError, match=r"new\.2\.geometry: coordinates are not lon/lat"):
        store.save_many(bad)
    assert list(store.locations()["id"]) == ["kept"]


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (Location("", Point(1, 2)), "location id '': empty"),
        (Location("a", Point()), r"a\.geometry: empty geometry"),
        (Location("a", Point(500, 2)), r"a\.geometry: coordinates are not lon/lat"),
        (Location("a", "POINT (1 2)"), r"a\.geometry: not a geometry \(str\)"),
        (Location("a", Point(1, 2), precision="guess"), "a: precision 'guess' is not one of"),
        (Location("a", Point(1, 2), precision="unlocated"), "cannot be 'unlocated'"),
        (Location("a", Point(1, 2), note=3), r"a\.note: expected text, got int"),
        (Location("a", Point(1, 2), note="x" * 20_000), r"a\.note: longer than"),
    ],
)
def test_a_bad_location_is_one_line_naming_the_field(store, location, message):
    with pytest.raises(DataError, match=message) as err:
        store.save(location)
    assert "\n" not in str(err.value)
    assert "np.float64" not in str(err.value)
    assert not store.path.exists() or store.locations().empty


def test_nul_and_three_dimensions_are_stored_plainly(store):
    store.save(Location("a", Point(114.1, 22.5, 30), note="before\x00after"))
    (row,) = store.locations().itertuples()
    assert row.note == "beforeafter"
    assert not row.geometry.has_z


def test_eight_threads_saving_25_each_keep_all_200(store):
    errors: list[BaseException] = []

    def work(t: int) -> None:
        mine = UserStore(store.path) if t % 2 else store  # shared and separate objects
        try:
            for i in range(25):
                mine.save(Location(f"t{t}.{i}", Point(114.1 + i * 1e-4, 22.5 + t * 1e-4)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    frame = store.locations()
    assert len(frame) == 200
    assert frame["id"].is_unique
    assert _ogrinfo_count(store.path) == 200


def test_two_processes_saving_100_each_keep_all_200(store, tmp_path):
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(store.path), prefix, "100", str(go)],
            env=_child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("a", "b")
    ]
    go.touch()  # both start together
    for proc in procs:
        with proc:
            out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.split() == [str(i) for i in range(100)]
    ids = set(store.locations()["id"])
    assert ids == {f"{p}.{i}" for p in "ab" for i in range(100)}


def test_kill_9_mid_save_leaves_a_valid_store_with_every_earlier_save(store):
    saved = []
    journal = store.path.with_name(store.path.name + "-journal")
    with subprocess.Popen(
        [sys.executable, "-c", KILLED, str(store.path)],
        env=_child_env(),
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        for line in proc.stdout:
            if line.startswith("saved"):
                saved.append(f"early.{line.split()[1]}")
            if line.strip() == "inserting":
                time.sleep(0.2)  # well inside the batch: 50,000 rows take about a second
                break
        mid_transaction = journal.exists()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert mid_transaction, "the kill came outside the transaction"
    assert proc.returncode == -signal.SIGKILL
    assert len(saved) == 20
    frame = store.locations()  # rolls the hot journal back, then checks the file
    assert sorted(frame["id"]) == sorted(saved)
    assert not journal.exists()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _ogrinfo_count(store.path) == 20
    store.save(Location("after", Point(114.1, 22.55)))
    assert len(store.locations()) == 21


# -- the old overrides.geojson ----------------------------------------------------------------


def _legacy(path: Path, *features: dict) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))


def _feature(fid: str, lon: float = 114.12, note: str = "") -> dict:
    return {
        "type": "Feature",
        "properties": {"id": fid, "note": note, "source": "user", "drawn_at": "2026-05-01"},
        "geometry": {"type": "Point", "coordinates": [lon, 22.55]},
    }


def test_an_old_overrides_file_is_imported_once_and_left_as_it_was(store):
    legacy = store.path.with_name(LEGACY_NAME)
    _legacy(legacy, _feature("zone.maya_city", note="old"), _feature("road.x"))
    before = legacy.read_bytes()
    frame = store.locations()
    assert sorted(frame["id"]) == ["road.x", "zone.maya_city"]
    assert set(frame["saved_at"]) == {"2026-05-01"}
    store.save(Location("zone.maya_city", Point(114.13, 22.55), note="redrawn"))
    _legacy(legacy, _feature("zone.maya_city", note="edited after the import"))
    assert store.locations().set_index("id").at["zone.maya_city", "note"] == "redrawn"
    legacy.write_bytes(before)
    assert legacy.read_bytes() == before


def test_the_first_save_imports_the_old_file_before_it(store):
    _legacy(store.path.with_name(LEGACY_NAME), _feature("zone.maya_city", note="old"))
    store.save(Location("road.x", Point(114.1, 22.55)))
    assert sorted(store.locations()["id"]) == ["road.x", "zone.maya_city"]


def test_a_broken_old_file_is_one_line_naming_it_and_nothing_is_imported(store):
    legacy = store.path.with_name(LEGACY_NAME)
    bad = _feature("zone.a")
    bad["geometry"]["coordinates"] = [float("nan"), 22.5]
    _legacy(legacy, _feature("zone.b"), bad)
    with pytest.raises(DataError) as err:
        store.locations()
    msg = str(err.value)
    assert msg.startswith(f"{legacy}: features[1] (zone.a).geometry: coordinates are not finite")
    assert "np.float64" not in msg
    assert "\n" not in msg
    legacy.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature("zone.b")]}))
    assert list(store.locations()["id"]) == ["zone.b"]  # fixed: imported now


def test_import_geojson_returns_the_count(store, tmp_path):
    other = tmp_path / "elsewhere.geojson"
    _legacy(other, _feature("a"), _feature("b"), _feature("a", lon=114.13))
    assert store.import_geojson(other) == 3
    assert store.locations().set_index("id").geometry["a"].x == 114.13


# -- a broken store: one line, the file untouched -------------------------------------------


def _good_store(path: Path) -> None:
    UserStore(path).save_many(
        [Location(f"zone.{i}", Point(114.1 + i * 1e-3, 22.55)) for i in range(50)]
    )


def _set(path: Path, sql: str, *args) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(sql, args)


def _nan_blob() -> bytes:
    nan = float("nan")  # a point of two NaNs is POINT EMPTY in WKB: a line with one
    return b"GP\x00\x01" + struct.pack("<iBII4d", 4326, 1, 2, 2, 114.1, nan, 114.2, 22.5)


def _nested_blob(depth: int) -> bytes:
    wkb = struct.pack("<BIdd", 1, 1, 114.1, 22.5)
    for _ in range(depth):
        wkb = struct.pack("<BII", 1, 7, 1) + wkb
    return b"GP\x00\x01" + struct.pack("<i", 4326) + wkb


BROKEN = {
    "not SQLite": (lambda p: p.write_text("id,lon,lat\nzone.a,114.1,22.5\n"), "not a GeoPackage"),
    "truncated": (
        lambda p: (_good_store(p), p.write_bytes(p.read_bytes()[:5000])),
        "cannot read|damaged",
    ),
    "text geometry": (
        lambda p: (_good_store(p), _set(p, f"UPDATE {TABLE} SET geom = 'POINT (1 2)'")),
        r"fid 1 \(zone.0\)\.geom: not a geometry blob \(str\)",
    ),
    "bytes note": (
        lambda p: (_good_store(p), _set(p, f"UPDATE {TABLE} SET note = x'00ff' WHERE fid = 2")),
        r"fid 2\.note: expected text, got bytes",
    ),
    "NaN coordinates": (
        lambda p: (
            _good_store(p),
            _set(p, f"UPDATE {TABLE} SET geom = ? WHERE fid = 3", _nan_blob()),
        ),
        r"fid 3 \(zone.2\)\.geom: coordinates are not lon/lat",
    ),
    "deep nesting": (
        lambda p: (
            _good_store(p),
            _set(p, f"UPDATE {TABLE} SET geom = ? WHERE fid = 4", _nested_blob(100_000)),
        ),
        r"fid 4 \(zone.3\)\.geom: geometry nested more than 3 levels deep",
    ),
    "bad precision": (
        lambda p: (_good_store(p), _set(p, f"UPDATE {TABLE} SET precision = 'maybe'")),
        r"fid 1 \(zone.0\)\.precision: 'maybe' is not one of",
    ),
    "dropped column": (
        lambda p: (_good_store(p), _set(p, f"ALTER TABLE {TABLE} DROP COLUMN licence")),
        "column 'licence' is missing",
    ),
    "other SQLite": (
        lambda p: _set(p, "CREATE TABLE points (x, y)"),
        "no user_locations table",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_store_is_one_line_and_left_untouched(tmp_path, case):
    path = tmp_path / STORE_NAME
    damage, message = BROKEN[case]
    damage(path)
    before = path.read_bytes()
    store = UserStore(path)
    with pytest.raises(DataError) as err:
        store.locations()
    msg = str(err.value)
    assert msg.startswith(str(path)), msg
    assert "\n" not in msg, msg
    assert re.search(message, msg), msg
    with pytest.raises(DataError):  # saving into it is refused, not a repair
        store.save(Location("zone.new", Point(114.1, 22.55)))
    assert path.read_bytes() == before
