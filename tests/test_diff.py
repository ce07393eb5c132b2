"""layers.report.diff and ``planmap diff``: two authored reports, and two hand-written build folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.errors import DataError
from layers.report import diff_paths, states_from_build
from planmap.cli import main

REPORTS = Path(__file__).parent / "fixtures" / "reports"


def _changes(frame) -> dict[str, tuple]:
    return {r.id: (r.change, r.old_status, r.new_status) for r in frame.itertuples(index=False)}


def test_two_reports():
    # diff_old.txt / diff_new.txt, read by hand: 17号线 推动 -> 推进, 新秀立交 规划 -> 开工建设,
    # 春风隧道 建成 both times, 玛雅城 only in the old one, 宝岗立交 only in the new one.
    frame = diff_paths(REPORTS / "diff_old.txt", REPORTS / "diff_new.txt")
    assert _changes(frame) == {
        "road.baogang_interchange": ("new", None, "under_construction"),
        "zone.maya_city": ("dropped", "under_construction", None),
        "metro.line17": ("status_changed", "planned", "under_construction"),
        "road.xinxiu_interchange": ("status_changed", "planned", "under_construction"),
    }
    assert list(frame["change"]) == ["new", "dropped", "status_changed", "status_changed"]
    assert frame.crs.to_epsg() == 4326


def test_same_report_has_no_changes():
    frame = diff_paths(REPORTS / "simplified.txt", REPORTS / "simplified.txt")
    assert len(frame) == 0
    assert "change" in frame.columns


def _write_build(folder: Path, features: list[dict]) -> Path:
    folder.mkdir()
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [114.1 + i / 100, 22.55]},
            }
            for i, props in enumerate(features)
        ],
    }
    (folder / "roads.geojson").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def _props(fid: str, status: str, mentions: int = 0) -> dict:
    return {"id": fid, "name": fid, "layer": "roads", "status": status, "mentions": mentions}


def test_two_build_folders(tmp_path):
    old = _write_build(
        tmp_path / "old",
        [_props("a", "existing"), _props("b", "planned"), _props("c", "planned")],
    )
    new = _write_build(
        tmp_path / "new",
        [_props("b", "under_construction"), _props("c", "planned"), _props("d", "proposed")],
    )
    frame = diff_paths(old, new)
    assert _changes(frame) == {
        "a": ("dropped", "existing", None),
        "b": ("status_changed", "planned", "under_construction"),
        "d": ("new", None, "proposed"),
    }
    # a dropped place keeps the old side's geometry (a is the first feature of old)
    dropped = frame[frame["id"] == "a"].geometry.iloc[0]
    assert (round(dropped.x, 6), round(dropped.y, 6)) == (114.1, 22.55)


def test_build_folders_made_with_reports_compare_mentions(tmp_path):
    old = _write_build(tmp_path / "old", [_props("a", "planned", 2), _props("b", "planned", 0)])
    new = _write_build(tmp_path / "new", [_props("a", "planned", 0), _props("b", "planned", 1)])
    assert _changes(diff_paths(old, new)) == {
        "a": ("dropped", "planned", None),
        "b": ("new", None, "planned"),
    }


def test_bad_sides(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(DataError, match=r"no .geojson files"):
        states_from_build(folder)
    with pytest.raises(DataError, match="not one of each"):
        diff_paths(folder, REPORTS / "simplified.txt")
    with pytest.raises(DataError, match=r"missing\.txt: no such file"):
        diff_paths(tmp_path / "missing.txt", REPORTS / "simplified.txt")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"x\.geojson: not a GeoJSON"):
        states_from_build(broken)


def test_cli_diff_writes_a_change_layer(tmp_path, capsys):
    out = tmp_path / "diff.geojson"
    code = main(
        ["diff", str(REPORTS / "diff_old.txt"), str(REPORTS / "diff_new.txt"), "--out", str(out)]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "1 new, 1 dropped, 2 changed in status" in text
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(f["properties"]["change"] for f in doc["features"]) == [
        "dropped",
        "new",
        "status_changed",
        "status_changed",
    ]
    assert "crs" not in doc


def test_cli_diff_takes_a_district_and_shows_names_safely(tmp_path, capsys):
    old, new = str(REPORTS / "diff_old.txt"), str(REPORTS / "diff_new.txt")
    assert main(["diff", old, new, "--json", "--district", "luohu"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["diff", old, new, "--district", "atlantis"]) == 2
    assert "district 'atlantis' is not one of: futian, luohu" in capsys.readouterr().err
    # names of a build folder are shown with bidi controls escaped
    a = _write_build(tmp_path / "a", [_props("x", "planned")])
    b = _write_build(tmp_path / "b", [{**_props("x", "existing"), "name": "甲\u202e乙"}])
    assert main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "甲<U+202E>乙" in out
    assert "\u202e" not in out
