"""A build is published as a whole (issue 9 item 3): fault injection at every step of a publish,
stale layers and staging folders removed, one build at a time per folder, kill -9 mid-publish.

Every check reads the folder back the way ``planmap map --layers-dir`` does (``read_build``)
and compares it with the layer sets written, feature by feature."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from geo.errors import DataError
from geo.model import FEATURE_COLUMNS
from layers.export import publish, read_build, write_build
from layers.layerset import LayerSet

ROOT = Path(__file__).resolve().parents[1]


def _frame(layer: str, n: int, tag: str) -> gpd.GeoDataFrame:
    rows = [
        {
            **{c: "" for c in FEATURE_COLUMNS},
            "id": f"{layer}.{i}",
            "name": f"{tag}{i}",
            "layer": layer,
            "kind": "zone",
            "status": "planned",
            "precision": "approximate",
            "mentions": 0,
            "geometry": Point(114.1 + i / 1000, 22.55),
        }
        for i in range(n)
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def layers_a() -> LayerSet:
    return LayerSet.from_frames(
        {name: _frame(name, 3, "old") for name in ("roads", "zones", "ports")}
    )


def layers_b() -> LayerSet:
    return LayerSet.from_frames({name: _frame(name, 5, "new") for name in ("roads", "zones")})


def _seen(folder: Path) -> dict[str, list[str]]:
    """The layer set a reader gets: layer -> feature names."""
    return {name: list(gdf["name"]) for name, gdf in read_build(folder).items()}


def _expect(layer_set: LayerSet) -> dict[str, list[str]]:
    return {name: list(gdf["name"]) for name, gdf in layer_set.items()}


A, B = _expect(layers_a()), _expect(layers_b())


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith((publish.STAGING_PREFIX, publish.TMP_PREFIX))
    )


class Fault(OSError):
    pass


class Injector:
    """Counts the publish's writes and renames; raises ENOSPC at call number ``fail_at``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int | None) -> None:
        self.calls = 0
        self.fail_at = fail_at
        targets = [
            (os, "replace"),
            (os, "rename"),
            (shutil, "copyfile"),
            (publish, "write_geojson"),
            (publish, "write_gpkg"),
            (Path, "write_text"),
        ]
        for owner, name in targets:
            monkeypatch.setattr(owner, name, self._wrap(getattr(owner, name)))

    def _wrap(self, real):
        def step(*args, **kwargs):
            self.calls += 1
            if self.calls == self.fail_at:
                raise Fault(errno.ENOSPC, "No space left on device")
            return real(*args, **kwargs)

        return step


def test_a_publish_failing_at_any_step_leaves_the_previous_build_whole(tmp_path, monkeypatch):
    out = tmp_path / "layers"
    write_build(layers_a(), out)
    with monkeypatch.context() as m:
        counter = Injector(m, None)
        write_build(layers_b(), out)
        steps = counter.calls
    assert steps >= 10  # 3 GeoJSON, the GeoPackage, the manifest, renames and copies
    outcomes = []
    for k in range(1, steps + 1):
        shutil.rmtree(out)
        write_build(layers_a(), out)
        with monkeypatch.context() as m:
            injector = Injector(m, k)
            with pytest.raises(Fault):
                write_build(layers_b(), out)
            assert injector.calls == k  # it stopped at step k
        seen = _seen(out)  # never raises: the manifest names a whole build
        assert seen in (A, B), k
        outcomes.append("A" if seen == A else "B")
        # the fixed paths a planner opens in QGIS: the GeoPackage is always a valid one
        assert pyogrio.list_layers(out / "planmap.gpkg") is not None
        # the next run publishes and clears what the failed one left
        write_build(layers_b(), out)
        assert _seen(out) == B
        assert _leftovers(out) == []
        assert sorted(p.name for p in out.glob("*.geojson")) == ["roads.geojson", "zones.geojson"]
    # until the manifest switch the previous build is what a reader gets, after it the new one
    assert outcomes[0] == "A"
    assert "A" in outcomes
    assert outcomes == sorted(outcomes)  # A...A then (if any) B...B: no third state


def test_a_folder_copied_without_builds_is_checked_file_by_file(tmp_path):
    out = tmp_path / "layers"
    write_build(layers_a(), out)
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in out.iterdir():
        if p.is_file():
            shutil.copy(p, copy / p.name)
    assert _seen(copy) == A  # the fixed paths match the manifest
    # a mix: one layer file from another build
    write_build(layers_b(), tmp_path / "other")
    shutil.copy(tmp_path / "other" / "roads.geojson", copy / "roads.geojson")
    with pytest.raises(DataError) as err:
        read_build(copy)
    message = str(err.value)
    assert "\n" not in message
    assert "roads.geojson: does not match the build manifest" in message
    # and `planmap map --layers-dir` says so in one line instead of drawing the mix
    from planmap.cli import main

    html = tmp_path / "m.html"
    assert main(["map", "--layers-dir", str(copy), "--out", str(html)]) == 2
    assert not html.exists()
    (copy / "zones.geojson").unlink()
    (copy / "roads.geojson").unlink()
    with pytest.raises(DataError, match=r"lists roads.geojson, which is missing"):
        read_build(copy)


def test_a_tampered_published_file_is_refused_not_drawn(tmp_path):
    out = tmp_path / "layers"
    write_build(layers_a(), out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    published = out / publish.BUILDS / manifest["build"] / "ports.geojson"
    published.write_text(published.read_text(encoding="utf-8").replace("old0", "odd0"))
    with pytest.raises(DataError, match=r"ports.geojson: does not match the build manifest"):
        read_build(out)


def test_stale_layers_are_removed_and_user_files_kept(tmp_path):
    out = tmp_path / "layers"
    write_build(layers_a(), out)
    (out / "my_notes.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    write_build(layers_b(), out)
    assert not (out / "ports.geojson").exists()  # the earlier spec's layer
    assert (out / "my_notes.geojson").exists()  # never listed by a manifest: not ours
    assert _seen(out) == B
    assert sorted(pyogrio.list_layers(out / "planmap.gpkg")[:, 0]) == [
        "layer_styles",
        "roads",
        "zones",
    ]


def test_stale_staging_folders_of_killed_runs_are_cleaned(tmp_path):
    out = tmp_path / "layers"
    write_build(layers_a(), out)
    (out / ".planmap-build-dead1").mkdir()
    (out / ".planmap-build-dead1" / "roads.geojson").write_text("{}")
    (out / ".planmap-tmp-dead2").write_text("half a file")
    (out / publish.BUILDS / "20200101T000000Z-deadbeef").mkdir()
    write_build(layers_b(), out)
    assert _leftovers(out) == []
    builds = sorted(p.name for p in (out / publish.BUILDS).iterdir())
    assert "20200101T000000Z-deadbeef" not in builds
    assert len(builds) <= 2
    write_build(layers_a(), out)
    write_build(layers_b(), out)
    assert len(list((out / publish.BUILDS).iterdir())) == 2  # the current and the one before


def test_two_builds_into_one_folder_take_turns(tmp_path):
    out = tmp_path / "layers"
    write_build(layers_a(), out)
    before = (out / "manifest.json").read_bytes()
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another build is publishing
    done = threading.Event()
    worker = threading.Thread(target=lambda: (write_build(layers_b(), out), done.set()))
    try:
        worker.start()
        assert not done.wait(1.0)  # it waits for the lock ...
        assert (out / "manifest.json").read_bytes() == before
        assert _leftovers(out) == []  # ... before writing anything
    finally:
        os.close(fd)
    worker.join(60)
    assert done.is_set()
    assert _seen(out) == B


_KILLED = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_publish import layers_a, layers_b
from layers.export import write_build
out = Path(sys.argv[1])
print("ready", flush=True)
while True:
    write_build(layers_b(), out)
    write_build(layers_a(), out)
"""


def test_kill_9_mid_publish_leaves_a_readable_build(tmp_path):
    out = tmp_path / "layers"
    write_build(layers_a(), out)
    script = tmp_path / "loop.py"
    script.write_text(_KILLED.format(tests=str(ROOT / "tests")), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seen = []
    mid_publish = 0
    for delay in (0.05, 0.2, 0.45, 0.7, 1.1):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(out)], env=env, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        state = _seen(out)
        assert state in (A, B), delay
        seen.append(state == A)
        current = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["build"]
        unpublished = [p for p in (out / publish.BUILDS).iterdir() if p.name != current]
        mid_publish += bool(_leftovers(out) or unpublished)
    assert mid_publish  # some kill hit a publish half done (a loose staging folder or build)
    write_build(layers_b(), out)  # the next run clears what the killed ones left
    assert _leftovers(out) == []
    assert _seen(out) == B
