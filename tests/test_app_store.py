"""A broken user store never stops the shipped map (issue 9, item 7).

The store (``planmap_user.gpkg``) or the old ``overrides.geojson`` it imports is damaged by
hand in every way a planner's editing, a crash or a copy can damage it; each page is then run
headless (AppTest). The map is drawn (the st_folium element holds the map's script), exactly
one warning names the file and the problem, nothing raised, and the user folder is left
byte-for-byte as it was (no repair, no new empty store).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from layers.store import LEGACY_NAME, STORE_NAME
from tests.test_store import BROKEN

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
POINT = {"type": "Point", "coordinates": [114.12, 22.55]}


def _legacy(doc: object):
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return lambda folder: (folder / LEGACY_NAME).write_text(text, encoding="utf-8")


def _store(case: str):
    return lambda folder: BROKEN[case][0](folder / STORE_NAME)


def _garbage(folder: Path) -> None:
    (folder / STORE_NAME).write_bytes(bytes(range(256)) * 40)


#: case -> (damage the user folder, the file the warning names, what it says)
CASES = {
    "truncated store": (_store("truncated"), STORE_NAME, "cannot read|damaged"),
    "garbage bytes": (_garbage, STORE_NAME, "not a GeoPackage"),
    "SQLite of another schema": (_store("other SQLite"), STORE_NAME, "no user_locations table"),
    "NaN coordinates": (_store("NaN coordinates"), STORE_NAME, "coordinates are not lon/lat"),
    "deeply nested geometry": (_store("deep nesting"), STORE_NAME, "nested more than"),
    "overrides: features an object": (
        _legacy({"type": "FeatureCollection", "features": {"a": 1}}),
        LEGACY_NAME,
        "features",
    ),
    "overrides: properties a list": (
        _legacy(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": [1], "geometry": POINT}],
            }
        ),
        LEGACY_NAME,
        r"features\[0\]\.properties",
    ),
    "overrides: truncated": (
        _legacy('{"type": "FeatureCollection", "features": [{"type": "Fea'),
        LEGACY_NAME,
        "not valid JSON",
    ),
    "overrides: deep nesting": (
        _legacy('{"type": "FeatureCollection", "features": ' + "[" * 50_000 + "]" * 50_000 + "}"),
        LEGACY_NAME,
        "nested too deeply",
    ),
}


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    folder = tmp_path / "user"
    folder.mkdir()
    monkeypatch.setenv("PLANMAP_USER_DIR", str(folder))
    st.cache_data.clear()
    st.cache_resource.clear()
    return folder


def _run(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    if page:
        at.switch_page(page).run()
    return at


def _assert_map_with_one_warning(at: AppTest, folder: Path, file: str, message: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    (element,) = at.get("component_instance")  # the st_folium map
    assert "L.map(" in json.loads(element.proto.json_args)["script"]
    warnings = [_plain(w.value) for w in at.warning]
    assert len(warnings) == 1, warnings
    assert str(folder / file) in warnings[0] or f" {file}:" in warnings[0], warnings[0]
    assert re.search(message, warnings[0]), warnings[0]
    assert "\n" not in warnings[0]
    assert "Traceback" not in warnings[0]


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_store_is_one_warning_and_the_shipped_map(user_dir, case):
    damage, file, message = CASES[case]
    damage(user_dir)
    before = _snapshot(user_dir)
    at = _run()
    _assert_map_with_one_warning(at, user_dir, file, message)
    # the shipped map: every layer of the spec is there, only the user's additions are not
    assert len(at.dataframe[-1].value) > 50
    assert _snapshot(user_dir) == before  # untouched: no repair, no new empty store


def test_the_report_page_warns_too_and_still_maps(user_dir):
    CASES["garbage bytes"][0](user_dir)
    before = _snapshot(user_dir)
    at = _run("pages/1_Report.py")
    at.text_area(key="report_text").input("莲塘口岸正在建设。").run()
    _assert_map_with_one_warning(at, user_dir, STORE_NAME, "not a GeoPackage")
    assert _snapshot(user_dir) == before


def test_a_fixed_store_is_seen_on_the_next_run(user_dir):
    _garbage(user_dir)
    at = _run()
    assert len(at.warning) == 1
    os.remove(user_dir / STORE_NAME)
    at.run()
    assert not at.warning
    assert not at.exception


def test_a_good_store_gives_no_warning(user_dir):
    from shapely.geometry import Point

    from layers.store import Location, UserStore

    UserStore(user_dir / STORE_NAME).save(Location("zone.test", Point(114.12, 22.55)))
    at = _run()
    assert not at.warning
    assert not at.exception
    assert not at.error
