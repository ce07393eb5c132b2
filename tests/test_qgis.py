"""The QGIS export opened in real QGIS (Debian's 3.22, headless): styles, order, view, render.

One QGIS process for every check (``tests/qgis_check.py`` under ``/usr/bin/python3``, where
the QGIS bindings live); it reports what QGIS loaded and renders the project's default view.
The assertions compare that report with the style table. Without QGIS the tests skip locally
and fail in CI (``make test`` installs ``qgis python3-qgis``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from PIL import Image
from pyproj import Transformer

from geo.model import drawn_mask
from layers import export as ex
from layers.build import build_from_files
from layers.export.qgis import OSM_ATTRIBUTION, project_layers
from layers.export.qml import LABEL_FONTS, dash_mm, layer_rules, shape_of
from planmap._chromium import must_run

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
PYTHON = "/usr/bin/python3"
SIZE = (1400, 1000)


def _qgis_missing() -> str | None:
    if not Path(PYTHON).exists():
        return f"{PYTHON} is missing"
    probe = subprocess.run(
        [PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, timeout=120
    )
    if probe.returncode:
        return "python3-qgis is not installed (make test-setup installs qgis python3-qgis)"
    return None


@pytest.fixture(scope="module")
def qgis_run(tmp_path_factory):
    why = _qgis_missing()
    if why:
        if must_run():
            pytest.fail(f"QGIS is required in CI: {why}")
        pytest.skip(why)
    layer_set = build_from_files(None)
    out = tmp_path_factory.mktemp("qgis") / "export"
    project = ex.export(layer_set, fmt="qgis", out=out)
    request = {
        "project": str(project),
        "gpkg": str(out / "planmap.gpkg"),
        "png": str(out.parent / "render.png"),
        "size": list(SIZE),
        "tables": list(layer_set),
    }
    req = out.parent / "request.json"
    req.write_text(json.dumps(request), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [PYTHON, str(ROOT / "tests" / "qgis_check.py"), str(req)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(request["png"], SHOTS / "qgis_project_luohu.png")
    report["request"] = request
    return layer_set, report, Image.open(request["png"]).convert("RGB")


def _rgba(hex_colour: str, opacity: float) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)] + [round(opacity * 255)]


def test_the_project_opens_with_every_layer_valid(qgis_run):
    layer_set, report, _ = qgis_run
    assert report["read"]
    assert report["layers"]
    assert all(layer["valid"] for layer in report["layers"])
    assert report["title"] == layer_set.title
    assert report["crs"] == "EPSG:3857"  # WGS-84 data shown like the web map
    assert OSM_ATTRIBUTION in report["metadata"]["abstract"]
    assert all(OSM_ATTRIBUTION in layer["rights"] for layer in report["layers"])
    # the GeoPackage is referenced relatively and QGIS resolved it next to the project
    gpkg = report["request"]["gpkg"]
    assert all(layer["source"].startswith(f"{gpkg}|layername=") for layer in report["layers"])
    with zipfile.ZipFile(report["request"]["project"]) as zf:
        qgs = zf.read("planmap.qgs").decode("utf-8")
    assert "<datasource>./planmap.gpkg|layername=ports</datasource>" in qgs
    assert gpkg not in qgs


def test_groups_order_and_drawing_order_are_the_web_maps(qgis_run):
    layer_set, report, _ = qgis_run
    expected_groups = []
    for layer in layer_set.layers:
        name = f"{layer.group.label.zh} {layer.group.value}"
        if name not in expected_groups:
            expected_groups.append(name)
    assert [g["group"] for g in report["tree"]] == expected_groups
    by_id = {q.id: q for q in project_layers(layer_set)}
    in_tree = [c["layer"] for g in report["tree"] for c in g["children"]]
    assert in_tree == list(by_id)  # the switcher's order, shapes top to bottom
    drawn_top_first = []
    for layer_id in report["layer_order"]:
        q = by_id[layer_id]
        if q.shape is not None and (not drawn_top_first or drawn_top_first[-1] != q.layer):
            drawn_top_first.append(q.layer)
    assert report["custom_order_enabled"]
    with_shapes = {q.layer for q in by_id.values() if q.shape is not None}
    assert drawn_top_first == [n for n in reversed(layer_set.draw_order()) if n in with_shapes]
    # context at the bottom, stations on top, as in the web map
    assert drawn_top_first[0] == "metro_stations"
    assert drawn_top_first[-1] == "context"


def _check_symbol(rule: dict, expected) -> None:
    s, layers = expected.style, rule["layers"]
    classes = [sl["class"] for sl in layers]
    if expected.shape.value == "point":
        (marker,) = layers
        assert marker["class"] == "SimpleMarker"
        assert marker["stroke"] == _rgba(s["color"], s["opacity"])
        assert marker["color"] == _rgba(s["fillColor"], s["fillOpacity"] if s["fill"] else 0)
        return
    line = layers[-1]
    assert line["class"] == "SimpleLine", classes
    assert line["color"] == _rgba(s["color"], s["opacity"]), rule["label"]
    assert line["custom_dash"] == bool(s["dashArray"]), rule["label"]
    if s["dashArray"]:
        assert np.allclose(line["dash"], dash_mm(s["dashArray"]), atol=1e-3), rule["label"]
    if expected.shape.value == "area":
        if s["hatch"]:
            assert "LinePatternFill" in classes
            assert "SimpleFill" not in classes
        elif s["fill"] and s["fillOpacity"] > 0:
            fill = layers[0]
            assert fill["class"] == "SimpleFill"
            assert fill["color"] == _rgba(s["fillColor"], s["fillOpacity"])


def test_every_layer_is_styled_as_the_style_table_says(qgis_run):
    layer_set, report, _ = qgis_run
    by_id = {layer["id"]: layer for layer in report["layers"]}
    checked_dashes = 0
    for q in project_layers(layer_set):
        got = by_id[q.id]
        if q.shape is None:
            frame = layer_set[q.layer]
            assert got["features"] == int((frame.geometry.isna() | frame.geometry.is_empty).sum())
            continue
        expected = [
            r
            for r in layer_rules(layer_set[q.layer], labels=layer_set.district.legend)
            if r.shape is q.shape
        ]
        assert got["renderer"]["type"] == "RuleRenderer", q.name
        assert [r["label"] for r in got["renderer"]["rules"]] == [r.label for r in expected]
        for rule, exp in zip(got["renderer"]["rules"], expected, strict=True):
            _check_symbol(rule, exp)
            checked_dashes += bool(exp.style["dashArray"])
    assert checked_dashes >= 5  # planned/schematic shapes are among them


def test_each_table_loads_its_default_style_from_layer_styles(qgis_run):
    layer_set, report, _ = qgis_run
    for name in layer_set:
        got = report["default_styles"][name]
        assert got["valid"], name
        rules = layer_rules(layer_set[name], labels=layer_set.district.legend)
        if not rules:
            continue
        # QGIS's own default would be a single symbol: a rule renderer came from layer_styles
        assert got["renderer"]["type"] == "RuleRenderer", name
        labels = [r["label"] for r in got["renderer"]["rules"]]
        assert all(any(label.startswith(r.label) for label in labels) for r in rules), name


def test_labels_use_a_cjk_font(qgis_run):
    _layer_set, report, _ = qgis_run
    labelled = [layer for layer in report["layers"] if layer.get("labels", {}).get("enabled")]
    assert {layer["id"].split("_")[0] for layer in labelled} >= {"ports", "context", "structure"}
    for layer in labelled:
        (rule,) = layer["labels"]["rules"]
        assert rule["field"] == "name"
        assert rule["families"] == list(LABEL_FONTS)


def _pixel(point, report) -> tuple[int, int]:
    xmin, ymin, xmax, ymax = report["render"]["extent"]
    w, h = report["render"]["size"]
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(point.x, point.y)
    return round((x - xmin) / (xmax - xmin) * w), round((ymax - y) / (ymax - ymin) * h)


def _closest(image: Image.Image, xy: tuple[int, int], want: np.ndarray, r: int = 2) -> float:
    px = np.asarray(image, dtype=float)
    x, y = xy
    block = px[y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3)
    return float(np.abs(block - want).max(axis=1).min())


def _over_white(hex_colour: str, opacity: float) -> np.ndarray:
    rgb = np.array([int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)], float)
    return opacity * rgb + (1 - opacity) * 255


def test_the_render_shows_the_plan_over_the_context_in_its_colours(qgis_run):
    layer_set, report, image = qgis_run
    assert report["render"]["saved"]
    assert not report["render"]["errors"]
    assert image.size == SIZE
    from layers.styles import style_for

    # ports (top group, inside the district polygon of the context): their orange fill
    ports = layer_set["ports"].loc[drawn_mask(layer_set["ports"])]
    for row in ports.itertuples():
        s = style_for(row.kind, row.status, row.precision)
        assert (
            _closest(
                image, _pixel(row.geometry, report), _over_white(s["fillColor"], s["fillOpacity"])
            )
            < 30
        ), row.id
    # metro stations: white centres with a dark outline
    stations = layer_set["metro_stations"].loc[drawn_mask(layer_set["metro_stations"])]
    hits = [
        _closest(image, _pixel(g, report), np.array([255.0, 255, 255]), r=1) < 12
        for g in stations.geometry
    ]
    assert np.mean(hits) > 0.8
    # a metro line, half-way along its longest segment: its blue
    lines = layer_set["metro_lines"].loc[drawn_mask(layer_set["metro_lines"])]
    row = next(lines.itertuples())
    coords = np.asarray(row.geometry.coords)
    seg = np.argmax(np.hypot(*np.diff(coords, axis=0).T))
    mid = shapely.Point((coords[seg] + coords[seg + 1]) / 2)
    s = style_for(row.kind, row.status, row.precision)
    assert _closest(image, _pixel(mid, report), _over_white(s["color"], s["opacity"]), r=3) < 40
    # and the picture is not blank: the context's grey and the plan's colours are both there
    colours = np.asarray(image).reshape(-1, 3)
    assert (np.abs(colours.astype(int) - 255).max(axis=1) > 40).mean() > 0.05
    assert shape_of("MultiPolygon").value == "area"
