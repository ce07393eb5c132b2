"""``planmap sheet`` end to end: a real file on success; on bad input one line naming the
option, exit 2, and an earlier output file left as it was."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from planmap.cli import main

OLD = b"an earlier sheet"


@pytest.fixture
def earlier(tmp_path):
    """An existing output file a failed run must not touch."""

    def make(name: str = "sheet.pdf"):
        path = tmp_path / name
        path.write_bytes(OLD)
        return path

    return make


def _fails(capsys, *args: str) -> str:
    rc = main(["sheet", *args])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("planmap sheet:")]
    assert rc == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--paper", "B5"], "--paper 'B5' is not one of: A4, A3, A2, A1, A0"),
        (["--orientation", "sideways"], "--orientation 'sideways' is not one of"),
        (["--scale", "1:lots"], "--scale '1:lots' is not a ratio"),
        (["--lang", "fr"], "--lang 'fr' is not one of: zh, en, both"),
        (["--status", "built"], "--status 'built' is not one of"),
        (["--layers", ","], "--layers: no layer named"),
        (["--dpi", "5"], "--dpi 5 is outside"),
    ],
)
def test_bad_option_is_one_line_before_the_build(capsys, earlier, args, option):
    out = earlier()
    line = _fails(capsys, "--out", str(out), *args)
    assert option in line
    assert out.read_bytes() == OLD


def test_output_in_a_missing_folder(capsys, tmp_path):
    line = _fails(capsys, "--out", str(tmp_path / "nope" / "sheet.pdf"))
    assert "--out" in line
    assert "does not exist" in line


def test_unknown_extension(capsys, earlier):
    out = earlier("sheet.docx")
    line = _fails(capsys, "--out", str(out))
    assert "--out" in line
    assert "'.docx' is not one of: .pdf, .png, .svg" in line
    assert out.read_bytes() == OLD


def test_no_cjk_font(capsys, earlier, monkeypatch, tmp_path):
    monkeypatch.setenv("PLANMAP_CJK_FONT", str(tmp_path / "missing.ttc"))
    out = earlier()
    line = _fails(capsys, "--out", str(out))
    assert "no CJK font" in line
    assert "PLANMAP_CJK_FONT" in line
    assert out.read_bytes() == OLD


def test_scale_that_cannot_fit_says_which_would(capsys, earlier):
    out = earlier()
    line = _fails(capsys, "--out", str(out), "--scale", "1:10000", "--layers", "ports", "context")
    # Luohu is 15.8 km wide: 1:10,000 needs 1.6 m of paper; A3 landscape fits it at 1:50,000
    assert re.search(r"--scale 1:10,000 cannot fit .*; 1:50,000 would fit", line), line
    assert out.read_bytes() == OLD


def test_unknown_layer_and_empty_selection(capsys, earlier):
    out = earlier()
    line = _fails(capsys, "--out", str(out), "--layers", "nope")
    assert "--layers 'nope' is not one of:" in line
    assert "ports" in line
    # roads are all unlocated: nothing of them can be drawn
    line = _fails(capsys, "--out", str(out), "--layers", "roads")
    assert "--layers/--status: nothing to draw" in line
    assert out.read_bytes() == OLD


def test_png_sheet_of_chosen_layers(capsys, earlier):
    out = earlier("ports.png")
    rc = main(
        ["sheet", "--out", str(out), "--layers", "ports", "metro_stations", "context",
         "--extent", "ports", "--dpi", "60", "--lang", "zh", "--title", "口岸示意图"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert re.search(r"wrote .*ports\.png \(A3 landscape, 1:\d[\d,]*,", captured.out)
    img = np.asarray(Image.open(out).convert("L"))
    h, w = img.shape
    assert abs(h - 297 / 25.4 * 60) <= 1
    assert abs(w - 420 / 25.4 * 60) <= 1
    assert (img < 240).mean() > 0.05
    # the three ports span ~6 km: a scale larger than the district's 1:50,000 is chosen
    n = int(re.search(r"1:([\d,]+)", captured.out).group(1).replace(",", ""))
    assert n < 50_000
