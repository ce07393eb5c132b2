"""Print sheets (``layers.sheet``), checked in the files they write: the page size and fonts
with poppler (pdfinfo, pdffonts, pdftotext), the scale bar and feature positions in the SVG,
the map frame's pixels in the PNG. Each sheet is composed once per module."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pyproj import Transformer

from geo.crs import wgs84_to_gcj02
from geo.errors import OptionError
from geo.gazetteer import load_gazetteer
from geo.model import drawn_mask
from geo.paths import data_dir
from layers.base import context_base
from layers.build import build_from_files
from layers.sheet import (
    FontMissing,
    SheetOptions,
    choose_scale,
    cjk_font,
    compose,
    layout,
    paper,
    parse_scale,
    ratio_text,
    save,
)
from layers.sheet.furniture import bar_length, distance_text
from layers.styles import legend_entries

POPPLER = all(shutil.which(t) for t in ("pdfinfo", "pdffonts", "pdftotext"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")
MM_PER_PT = 25.4 / 72
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def luohu():
    built = build_from_files(None)
    shown = built.select(names=[layer.name for layer in built.layers if layer.visible])
    return shown, context_base(load_gazetteer(shown.district), shown.district)


@pytest.fixture(scope="module")
def a3(luohu, tmp_path_factory):
    """The default sheet (A3 landscape) as PDF, SVG and PNG."""
    layers, base = luohu
    sheet = compose(layers, SheetOptions(producer="罗湖区规划研究室"), base=base)
    folder = tmp_path_factory.mktemp("sheet")
    files = {fmt: save(sheet, folder / f"luohu.{fmt}", dpi=100) for fmt in ("pdf", "svg", "png")}
    return sheet, files


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def _page_mm(pdf: Path) -> tuple[float, float]:
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", _run("pdfinfo", str(pdf)))
    assert m
    return float(m.group(1)) * MM_PER_PT, float(m.group(2)) * MM_PER_PT


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- the PDF --------------------------------------------------------------------------------


@needs_poppler
def test_a3_landscape_page_size(a3):
    w, h = _page_mm(a3[1]["pdf"])
    assert abs(w - 420) <= 0.5
    assert abs(h - 297) <= 0.5


@needs_poppler
def test_a4_portrait_page_size_and_scale(luohu, tmp_path):
    layers, base = luohu
    sheet = compose(layers, SheetOptions(paper="A4", orientation="portrait"), base=base)
    out = save(sheet, tmp_path / "a4.pdf")
    w, h = _page_mm(out)
    assert abs(w - 210) <= 0.5
    assert abs(h - 297) <= 0.5
    # Luohu is 15.8 km wide; an A4 portrait frame is under 200 mm: 1:50,000 (317 mm) cannot
    # fit, 1:100,000 (158 mm) does
    assert sheet.scale == 100_000
    assert "1:100,000" in _run("pdftotext", str(out), "-")


@needs_poppler
def test_every_font_is_embedded(a3):
    rows = _run("pdffonts", str(a3[1]["pdf"])).splitlines()[2:]
    assert rows, "no fonts listed"
    for row in rows:
        # name type... encoding emb sub uni object ID: emb is the 5th field from the end
        assert row.split()[-5] == "yes", row


@needs_poppler
def test_text_layer_holds_title_legend_ratio_and_attribution(a3, luohu):
    _sheet, files = a3
    layers, _ = luohu
    text = _squash(_run("pdftotext", str(files["pdf"]), "-"))
    assert _squash("罗湖区规划示意图") in text
    assert _squash("罗湖区2025年政府工作报告") in text  # the plan's name in the subtitle
    assert "1:50,000" in text
    assert _squash("© OpenStreetMap contributors") in text
    assert "ODbL" in text
    assert _squash("未作 GCJ-02 偏移") in text
    assert "CGCS2000" in text
    assert "罗湖区规划研究室" in text
    assert "编制单位" in text
    assert "制图时间" in text
    assert "北" in text
    assert "图例" in text
    assert _squash("虚线为示意") in text
    # every style drawn has its label (the web map's legend entries of these features)
    drawn = pd.concat([g.loc[drawn_mask(g)] for g in layers.values() if len(g)])
    expected = legend_entries(drawn, labels=layers.district.legend)
    assert len(expected) > 10
    for entry in expected:
        assert _squash(entry["label_zh"]) in text, entry["label_zh"]
    # and only those: the service areas are in a layer the sheet does not draw
    assert "服务范围" not in text
    unlocated = layers.unlocated().drop_duplicates("id")
    assert f"未定位{len(unlocated)}处" in text


@needs_poppler
def test_map_labels_do_not_overlap(a3):
    """Word boxes from the PDF's text layer, inside the map frame: no two overlap."""
    sheet, files = a3
    html = _run("pdftotext", "-bbox", str(files["pdf"]), "-")
    frame = sheet.layout.map
    H = sheet.layout.paper.height_mm
    boxes = []
    for m in re.finditer(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', html
    ):
        x0, y0, x1, y1 = (float(v) * MM_PER_PT for v in m.groups()[:4])
        if frame.x < x0 and x1 < frame.x1 and frame.y < H - y1 and H - y0 < frame.y1:
            boxes.append((x0, y0, x1, y1, m.group(5)))
    assert len(boxes) >= 10
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if dx > 0 and dy > 0 and a[1] != b[1]:  # words of one line share their top
                smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                assert dx * dy < 0.15 * smaller, (a, b)


# -- the SVG: the scale bar and positions ---------------------------------------------------


def _svg(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def _group(root: ET.Element, gid: str) -> ET.Element:
    for g in root.iter(f"{SVG}g"):
        if g.get("id") == gid:
            return g
    raise AssertionError(f"no <g id={gid!r}>")


def _path_xs(group: ET.Element) -> list[float]:
    d = next(group.iter(f"{SVG}path")).get("d")
    nums = [float(v) for v in re.findall(r"-?[\d.]+", d)]
    return nums[0::2]


def _path_xy(group: ET.Element) -> tuple[list[float], list[float]]:
    d = next(group.iter(f"{SVG}path")).get("d")
    nums = [float(v) for v in re.findall(r"-?[\d.]+", d)]
    return nums[0::2], nums[1::2]


def _text(group: ET.Element) -> str:
    return "".join(next(group.iter(f"{SVG}text")).itertext())


def _metres(label: str) -> float:
    value, unit = label.split()
    return float(value) * (1000 if unit == "km" else 1)


def test_scale_bar_is_true_on_paper(a3):
    root = _svg(a3[1]["svg"])
    xs = [x for i in range(4) for x in _path_xs(_group(root, f"scalebar-seg-{i}"))]
    length_mm = (max(xs) - min(xs)) * MM_PER_PT
    ratio = _text(_group(root, "scalebar-ratio"))
    n = int(re.search(r"1:([\d,]+)", ratio).group(1).replace(",", ""))
    metres = _metres(_text(_group(root, "scalebar-label")))
    assert n == 50_000
    assert metres >= 1000
    assert length_mm == pytest.approx(metres * 1000 / n, abs=0.1)  # 1 km = 1,000,000/N mm


def _frame_mm(root: ET.Element, height_mm: float) -> tuple[float, float, float, float]:
    xs, ys = _path_xy(_group(root, "map-frame"))
    x0, x1 = min(xs) * MM_PER_PT, max(xs) * MM_PER_PT
    y0, y1 = height_mm - max(ys) * MM_PER_PT, height_mm - min(ys) * MM_PER_PT
    return x0, y0, x1, y1


def test_features_are_where_wgs84_puts_them_not_gcj02(a3, luohu):
    """The ports' markers in the SVG, turned back into UTM metres with the frame read from the
    same file (centred on the district's box, at the ratio printed), sit where pyproj puts
    their WGS-84 coordinates, and far from where GCJ-02 would."""
    layers, _ = luohu
    root = _svg(a3[1]["svg"])
    H = 297.0
    x0, y0, x1, y1 = _frame_mm(root, H)
    ratio = _text(_group(root, "scalebar-ratio"))
    n = int(re.search(r"1:([\d,]+)", ratio).group(1).replace(",", ""))
    boundary = gpd.read_file(data_dir() / layers.district.boundary.file)
    own = boundary[boundary["name"] == layers.district.boundary.feature].to_crs(32650)
    bx0, by0, bx1, by1 = own.total_bounds
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)

    def metres(x_pt: float, y_pt: float) -> tuple[float, float]:
        x_mm, y_mm = x_pt * MM_PER_PT, H - y_pt * MM_PER_PT
        return (
            cx + (x_mm - (x0 + x1) / 2) * n / 1000,
            cy + (y_mm - (y0 + y1) / 2) * n / 1000,
        )

    drawn = []
    for gid in ("layer.ports.port.existing.located.point",):
        for use in _group(root, gid).iter(f"{SVG}use"):
            drawn.append(metres(float(use.get("x")), float(use.get("y"))))
    ports = layers["ports"]
    located = ports[ports["precision"] == "located"]
    assert len(drawn) == len(located) >= 2
    for geom in located.geometry:
        ex, ey = to_utm.transform(geom.x, geom.y)
        best = min(np.hypot(ex - x, ey - y) for x, y in drawn)
        assert best < 3.0  # 3 m at 1:50,000 is 0.06 mm: the SVG's rounding
        glon, glat = wgs84_to_gcj02(geom.x, geom.y)
        gx, gy = to_utm.transform(glon, glat)
        assert min(np.hypot(gx - x, gy - y) for x, y in drawn) > 200


# -- the PNG --------------------------------------------------------------------------------


SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


def test_png_map_frame_is_not_blank(a3):
    sheet, files = a3
    SHOTS.mkdir(parents=True, exist_ok=True)  # to look at: would a planner use this sheet?
    shutil.copy(files["png"], SHOTS / "sheet_luohu_a3.png")
    shutil.copy(files["pdf"], SHOTS / "sheet_luohu_a3.pdf")
    img = np.asarray(Image.open(files["png"]).convert("RGB"))
    frame = sheet.layout.map
    W, H = sheet.layout.paper.width_mm, sheet.layout.paper.height_mm
    h_px, w_px = img.shape[:2]
    assert abs(w_px - W / 25.4 * 100) <= 1
    assert abs(h_px - H / 25.4 * 100) <= 1
    sx, sy = w_px / W, h_px / H
    crop = img[
        int((H - frame.y1) * sy) + 3 : int((H - frame.y) * sy) - 3,
        int(frame.x * sx) + 3 : int(frame.x1 * sx) - 3,
    ]
    not_white = (crop < 245).any(axis=2).mean()
    colours = len(np.unique(crop.reshape(-1, 3), axis=0))
    assert not_white > 0.3, not_white
    assert colours > 200, colours
    assert crop.std() > 10


# -- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n"), [("1:20000", 20000), ("1:20,000", 20000), ("20000", 20000), ("1：25 000", 25000)]
)
def test_parse_scale(text, n):
    assert parse_scale(text) == n


@pytest.mark.parametrize("text", ["1:abc", "2:1000", "1:10", ""])
def test_parse_scale_refuses(text):
    with pytest.raises(OptionError, match="--scale"):
        parse_scale(text)


def test_choose_scale_is_the_largest_standard_one_that_fits():
    # 15.8 x 9.8 km: 1:25,000 needs 632 x 392 mm, 1:50,000 needs 316 x 196 mm
    assert choose_scale((15_800, 9_800), (326, 261)) == 50_000
    assert choose_scale((15_800, 9_800), (315, 261)) == 100_000
    assert choose_scale((3_000, 2_000), (326, 261)) == 10_000
    assert ratio_text(50_000) == "1:50,000"


def test_bar_length_is_round_and_fits():
    assert bar_length(50_000, 45) == 2000
    assert distance_text(2000) == "2 km"
    assert bar_length(10_000, 45) == 250
    assert distance_text(250) == "250 m"
    assert bar_length(100_000, 45) == 2500


def test_paper_and_layout():
    p = paper("a3", "Landscape")
    assert (p.width_mm, p.height_mm) == (420, 297)
    with pytest.raises(OptionError, match=r"--paper 'B5' is not one of: A4, A3, A2, A1, A0"):
        paper("B5")
    for size in ("A4", "A3", "A0"):
        for orientation in ("landscape", "portrait"):
            lay = layout(paper(size, orientation))
            for box in (lay.map, lay.legend, lay.inset, lay.notes, lay.block, lay.furniture):
                assert lay.border.contains(box.inset(0.01)), (size, orientation, box)


def test_no_cjk_font_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANMAP_CJK_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(FontMissing) as info:
        cjk_font()
    assert "\n" not in str(info.value)
    assert "CJK" in str(info.value)
    monkeypatch.delenv("PLANMAP_CJK_FONT")
    assert cjk_font().is_file()
