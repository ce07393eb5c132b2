"""The load benchmark's helpers work (bench/bench_app_load.py; the run itself is `make bench`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_app_load
import run as bench_run

from layers import app


def test_the_section_is_registered():
    assert "app_load" in bench_run.SECTIONS


def test_rss_reads_this_process():
    assert 10e6 < bench_app_load.rss(os.getpid()) < 64e9


def test_the_upload_files_are_distinct_and_within_the_app_limits(tmp_path):
    a = bench_app_load.upload_file(tmp_path, 1, features=50)
    b = bench_app_load.upload_file(tmp_path, 2, features=50)
    assert a.read_bytes() != b.read_bytes()
    frame = app.read_geojson_layer(a.read_bytes(), name=a.name)
    assert len(frame) == 50
    assert frame.geometry.notna().all()
    assert set(frame.geometry.geom_type) == {"LineString"}
