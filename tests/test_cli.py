"""The planmap console script: build, export, layers; offline; errors in one line."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from geo.paths import default_spec
from layers.spec import load_spec
from planmap.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_build_offline_writes_every_layer_and_a_summary(tmp_path, capsys, no_network):
    assert main(["build", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    names = [n for n, _ in pyogrio.list_layers(tmp_path / "planmap.gpkg")]
    assert names.pop() == "layer_styles"  # QGIS's styles table, listed last by GDAL
    # the spec's layer list itself is checked literally in test_spec
    assert names == [layer.name for layer in load_spec(default_spec()).layers]
    for name in names:
        assert (tmp_path / f"{name}.geojson").exists()
    lines = {
        ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln and ln.split()[0] in names
    }
    assert lines["structure"] == ["6", "6", "0"]  # features, schematic, unlocated
    assert lines["ports"] == ["3", "0", "0"]
    assert lines["roads"][0] == lines["roads"][2]  # no road is located by any source


def test_layers_lists_counts(capsys):
    assert main(["layers"]) == 0
    out = capsys.readouterr().out
    assert "structure" in out
    assert "Structure" in out
    assert "一轴两带三组团" in out


def test_export_gcj02_is_on_request_only(tmp_path, capsys, no_network):
    assert (
        main(
            [
                "export",
                "--format",
                "geojson",
                "--out",
                str(tmp_path / "p.geojson"),
                "--layer",
                "ports",
            ]
        )
        == 0
    )
    doc = json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))
    assert "datum" not in doc["features"][0]["properties"]
    assert (
        main(
            [
                "export",
                "--format",
                "gpkg",
                "--out",
                str(tmp_path / "g.gpkg"),
                "--layer",
                "ports",
                "--crs",
                "gcj02",
            ]
        )
        == 0
    )
    assert "GCJ-02" in capsys.readouterr().err


def test_a_bad_spec_gives_one_line_and_exit_2(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    text = default_spec().read_text(encoding="utf-8")
    spec.write_text(text.replace('{ place = "莲塘口岸"', '{ place = "莲塘口案"'), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", "--spec", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(
        "planmap build: bad.toml: layers[1].features[2].place: unknown place '莲塘口案'"
    )
    assert "莲塘口岸" in err
    assert not out.exists()  # nothing written


def test_console_script_is_installed_and_runs_in_a_fresh_process(tmp_path):
    exe = shutil.which("planmap", path=str(Path(sys.executable).parent))
    assert exe, "make setup installs the planmap console script"
    env = {
        **os.environ,
        "no_proxy": "*",
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    res = subprocess.run(
        [exe, "build", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, env=env
    )
    assert res.returncode == 0, res.stderr
    assert "wrote 9 GeoJSON files" in res.stdout
