"""Issue 12 in the app: the Locate page - upload, proposed matches, accept/reject, save; the datum
trap is a warning and nothing is saved until the planner chooses. Logic in layers.app.locate,
the page through AppTest."""

from __future__ import annotations

import re
from pathlib import Path

import locate_files as lf
import pytest
from streamlit.testing.v1 import AppTest

from geo.errors import DataError
from layers.app import locate as al

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "pages" / "3_Locate.py"


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "user"
    monkeypatch.setenv("PLANMAP_USER_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def bureau_files(tmp_path_factory) -> list[tuple[str, bytes]]:
    shp = lf.write_bureau_shapefile(tmp_path_factory.mktemp("bureau"))
    return [(p.name, p.read_bytes()) for p in sorted(shp.parent.iterdir())]


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def _page(files=None, **state) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=90)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if files is not None:
        at.file_uploader(key="locate_files").set_value(
            [(n, d, "application/octet-stream") for n, d in files]
        ).run()
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


# --- layers.app.locate ------------------------------------------------------------------------


def test_stage_finds_the_dataset_among_its_parts(tmp_path, bureau_files):
    assert al.stage(bureau_files, tmp_path).name == "roads.shp"
    (tmp_path / "x").mkdir()
    with pytest.raises(DataError, match="no dataset among them"):
        al.stage([(n, d) for n, d in bureau_files if not n.endswith(".shp")], tmp_path / "x")
    with pytest.raises(DataError, match="several datasets"):
        al.stage([("a.gpkg", b"1"), ("b.kml", b"2")], tmp_path)
    with pytest.raises(DataError, match="no file uploaded"):
        al.stage([], tmp_path)


def test_stage_keeps_uploads_inside_its_folder(tmp_path):
    folder = tmp_path / "stage"
    folder.mkdir()
    path = al.stage([("../../etc/evil.geojson", b"{}")], folder)
    assert path.parent == folder
    assert path.name == "evil.geojson"
    other = tmp_path / "other"
    other.mkdir()
    assert al.stage([("..", b"{}")], other).name == "upload0"


def test_save_decisions_saves_what_was_accepted_and_picked(bureau_files, user_dir):
    result = al.locate_upload(bureau_files)
    confirm = [p.place_id for p in al.to_confirm(result)]
    assert confirm == [
        "road.luosha_upgrade",
        "road.qingshuihe_3rd_widening",
        "road.xinxiu_interchange",
    ]
    (choose,) = al.to_choose(result)
    middle = 1 + [o.name for o in choose.options].index("东门中路")
    saved, done = al.save_decisions(result, accepted=confirm[:2], picks={choose.place_id: middle})
    assert saved == 3
    stored = al.UserStore().locations().set_index("id")
    assert sorted(stored.index) == sorted([*confirm[:2], choose.place_id])
    assert "东门中路" in stored.loc[choose.place_id, "source"]
    assert [d.proposal.place_id for d in done.of(al.Action.REJECTED)] == [confirm[2]]


# --- the page -------------------------------------------------------------------------------


def test_the_page_runs_without_a_file(user_dir):
    at = _page()
    _ok(at)
    assert at.info
    assert "Upload a file" in at.info[0].value
    assert not user_dir.exists()


def test_upload_shows_proposals_and_saves_nothing_until_save(bureau_files, user_dir):
    at = _page(bureau_files)
    _ok(at)
    assert not at.error
    table = at.dataframe[0].value
    assert {"road.luosha_upgrade", "road.dongmen_road_upgrade"} <= set(table["id"])
    boxes = {c.key: c for c in at.checkbox if c.key.startswith("accept_")}
    assert set(boxes) == {
        "accept_road.luosha_upgrade",
        "accept_road.qingshuihe_3rd_widening",
        "accept_road.xinxiu_interchange",
    }
    assert at.selectbox(key="pick_road.dongmen_road_upgrade").value == 0  # never picked for you
    assert not user_dir.exists()  # nothing written yet
    boxes["accept_road.xinxiu_interchange"].uncheck()
    labels = at.selectbox(key="pick_road.dongmen_road_upgrade").options
    middle = next(i for i, label in enumerate(labels) if "东门中路" in label)
    at.selectbox(key="pick_road.dongmen_road_upgrade").set_value(middle)
    at.button[0].click().run()
    _ok(at)
    assert at.success
    assert "saved 3 location(s)" in _plain(at.success[0].value)
    stored = set(al.UserStore().locations()["id"])
    assert stored == {
        "road.luosha_upgrade",
        "road.qingshuihe_3rd_widening",
        "road.dongmen_road_upgrade",
    }


def test_the_datum_trap_warns_and_the_choice_locates(tmp_path, user_dir):
    path = lf.write_gcj_geojson(tmp_path)
    at = _page([(path.name, path.read_bytes())])
    _ok(at)
    warning = _plain(at.warning[0].value)
    assert warning.startswith("roads_gcj02.geojson: read as WGS-84")
    assert "--datum gcj02" in warning
    assert "gcj02 fits" in _plain(at.info[0].value)
    assert not at.checkbox
    assert not user_dir.exists()
    at.radio(key="locate_datum").set_value("gcj02").run()
    _ok(at)
    assert not at.warning
    assert "accept_road.luosha_upgrade" in {c.key for c in at.checkbox}


def test_bad_and_hostile_uploads_are_one_line(tmp_path, user_dir):
    at = _page([("roads.shp", b"not a shapefile")])
    _ok(at)
    (error,) = at.error
    assert _plain(error.value).startswith("roads.shp: no roads.shx or roads.dbf beside it")
    hostile = "<img src=x onerror=alert(1)>[a](javascript:x){{7*7}}.kml"
    path = lf.write_kml(tmp_path)
    at = _page([(hostile, path.read_bytes())])
    _ok(at)
    captions = " ".join(c.value for c in at.caption)
    assert "<img" not in captions.replace("\\<img", "")  # escaped for markdown
    assert "onerror" in _plain(captions)
