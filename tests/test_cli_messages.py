"""Messages a planner reads at the terminal (issue 9 item 11, the CLI side): files named, plain
numbers, a BOM accepted, bad UTF-8 on the command line named with its byte, report text shown
with its control characters escaped, a duplicate place warned about, binary report tails
refused."""

from __future__ import annotations

import json
import os

import pytest

from geo.errors import DataError
from geo.paths import default_spec
from planmap.cli import main


def test_an_overrides_file_error_names_the_file_and_prints_plain_numbers(tmp_path):
    from layers.store import UserStore

    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "zone.x", "note": "n"},
                "geometry": {"type": "Point", "coordinates": [1140.1, 22.5]},
            }
        ],
    }
    legacy = tmp_path / "overrides.geojson"
    legacy.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError) as err:
        UserStore(tmp_path / "store.gpkg").import_geojson(legacy)
    message = str(err.value)
    assert message.startswith(
        f"{legacy}: features[0] (zone.x).geometry: coordinates are not lon/lat"
    ), message
    assert message.count(str(legacy)) == 1, message
    assert "(bounds (1140.1, 22.5, 1140.1, 22.5);" in message
    assert "np." not in message
    assert "\n" not in message


def test_a_spec_saved_with_a_bom_is_read(tmp_path, capsys):
    spec = tmp_path / "bom.toml"
    spec.write_text(default_spec().read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert spec.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["layers", "--spec", str(spec)]) == 0
    assert "ports" in capsys.readouterr().out


def test_bad_utf8_on_the_command_line_is_named_with_its_byte(capsys):
    bad = os.fsdecode(b"ab\xffc")  # what Python makes of such bytes in sys.argv
    assert main(["geocode", "罗湖口岸", bad]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "planmap geocode: NAMES 2 'ab\\xffc': not UTF-8 text (byte 2); "
        "set the terminal or the calling script to UTF-8"
    ]
    assert main(["map", "--layers-dir", "x", "--highlight", bad, "--out", "m.html"]) == 2
    assert "--highlight 'ab\\xffc': not UTF-8 text (byte 2)" in capsys.readouterr().err


BIDI = "\u202e\u2066\u200f"


def test_extract_escapes_bidi_and_control_characters(tmp_path, capsys):
    report = tmp_path / "r.txt"
    filler = "推进片区慢行系统建设。" * 30  # two control characters are no "binary" share
    text = f"罗湖口岸\u202e升级\u2066改造\u200f，\x1b[31m启动罗湖口岸\x07。\n{filler}\n"
    report.write_text(text, encoding="utf-8")
    assert main(["extract", str(report), "--sentences", "2"]) == 0
    out = capsys.readouterr().out
    assert not set(BIDI + "\x1b\x07") & set(out)
    assert "<U+202E>" in out
    assert "<U+001B>" in out
    assert main(["extract", str(report), "--json"]) == 0
    out = capsys.readouterr().out
    assert not set(BIDI + "\x1b\x07") & set(out)
    assert "\\u202e" in out
    assert "罗湖口岸\u202e升级" in "".join(json.loads(out)["found"][0]["sentences"])


def test_a_duplicate_place_in_a_layer_warns_naming_both(tmp_path, capsys):
    text = default_spec().read_text(encoding="utf-8")
    old = '  { place = "罗湖口岸", note = "Report: 启动罗湖口岸升级改造." },\n'
    assert old in text
    spec = tmp_path / "dup.toml"
    spec.write_text(
        text.replace(old, old + '  { place = "罗湖口岸", note = "second" },\n'), encoding="utf-8"
    )
    assert main(["build", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 0
    warnings = [w for w in capsys.readouterr().err.splitlines() if w.startswith("warning:")]
    assert (
        "warning: dup.toml: layers[1].features[1]: '罗湖口岸' is the same place (port.luohu) as "
        "features[0] '罗湖口岸'; the later entry replaces the earlier one (its note "
        "'Report: 启动罗湖口岸升级改造.' is dropped)"
    ) in warnings


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (b"\x00\x00\x00\x00", "binary file (NUL bytes at byte 140000)"),
        (bytes(range(1, 9)) * 400, "binary file (control bytes at byte 140000)"),
        (b"\xff\xfe\xfa", "not valid utf-8 text at byte 140000"),
    ],
)
def test_binary_bytes_after_the_first_64_kib_are_refused(tmp_path, capsys, tail, expected):
    text = "罗湖口岸升级改造。\n" * 5000  # 140,000 bytes, well past the 64 KiB sample
    report = tmp_path / "r.txt"
    report.write_bytes(text.encode("utf-8") + tail + text.encode("utf-8"))
    assert main(["extract", str(report)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"planmap extract: {report}: {expected}"), err
