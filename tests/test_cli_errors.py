"""Every bad input or failing disk at the CLI gets one line and exit 2 (issue 9 item 8); any
other exception one line ``internal error`` and exit 1, with ``PLANMAP_DEBUG=1`` re-raising.

Tests run as root, for whom ``chmod`` does not make a folder read-only; a read-only or full disk
is simulated by making the rename that publishes a file fail with the errno the kernel gives
(EROFS, ENOSPC, EACCES), and an unwritable path by a path under a regular file or in /proc."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from geo.paths import default_spec
from planmap.cli import main

COARSE = ["--n", "12", "--spacing", "700", "--demand-spacing", "500"]


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "layers"
    assert main(["build", "--out", str(out)]) == 0
    return out


def _one_line(capsys, rc: int, argv: list[str]) -> str:
    assert main(argv) == rc
    err = [
        line
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("planmap ") and "%|" not in line  # not the progress bars
    ]
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.fixture
def files(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("hello")
    adir = tmp_path / "adir"
    adir.mkdir()
    return afile, adir


def test_out_that_is_a_file_or_under_a_file(capsys, files, build_dir):
    afile, adir = files
    cases = [
        (["build", "--out", str(afile)], f"planmap build: --out {afile}: is a file; this command writes a folder"),
        (["build", "--out", f"{afile}/sub"], f"planmap build: --out {afile}/sub: {afile} is a file, not a folder"),
        (["site", "--out", str(afile)], f"planmap site: --out {afile}: is a file; this command writes a folder"),
        (["site", "--out", f"{afile}/sub"], f"planmap site: --out {afile}/sub: {afile} is a file, not a folder"),
        (["export", "--format", "gpkg", "--out", f"{afile}/x.gpkg"], f"planmap export: --out {afile}/x.gpkg: {afile} is a file, not a folder"),
        (["export", "--format", "geojson", "--out", str(adir)], f"planmap export: {adir}: is a folder; --out takes a file name"),
        (["export", "--format", "shp", "--out", str(afile)], f"planmap export: --out {afile}: is a file; this format writes a folder"),
        (["diff", str(build_dir), str(build_dir), "--out", str(adir)], f"planmap diff: --out {adir}: is a folder; --out takes a file name"),
        (["diff", str(build_dir), str(build_dir), "--out", f"{afile}/d.geojson"], f"planmap diff: --out {afile}/d.geojson: {afile} is a file, not a folder"),
        (["map", "--layers-dir", str(build_dir), "--out", str(adir)], f"planmap map: --out {adir}: is a folder; --out takes a file name"),
        (["map", "--layers-dir", str(build_dir), "--out", f"{afile}/m.html"], f"planmap map: --out {afile}/m.html: {afile} is a file, not a folder"),
        (["map", "--layers-dir", str(build_dir), "--out", "/proc/m.html"], "planmap map: cannot write /proc/m.html: no such file or directory"),
    ]  # fmt: skip
    for argv, expected in cases:
        assert _one_line(capsys, 2, argv) == expected, argv
    assert afile.read_text() == "hello"
    assert list(adir.iterdir()) == []


def _failing(monkeypatch, code: int, *names: str) -> None:
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), os.fspath(args[0]), None, os.fspath(args[1]))

    for name in names:
        monkeypatch.setattr(os, name, fail)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.EROFS, "read-only file system"),
        (errno.ENOSPC, "no space left on device"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_a_read_only_or_full_disk_is_one_line(
    capsys, monkeypatch, tmp_path, build_dir, code, reason
):
    before = sorted(p.name for p in build_dir.iterdir())
    m, d, g = tmp_path / "m.html", tmp_path / "d.geojson", tmp_path / "x.gpkg"
    with monkeypatch.context() as patch:
        _failing(patch, code, "replace", "rename")
        line = _one_line(capsys, 2, ["map", "--layers-dir", str(build_dir), "--out", str(m)])
        assert line == f"planmap map: cannot write {m}: {reason}"
        line = _one_line(capsys, 2, ["diff", str(build_dir), str(build_dir), "--out", str(d)])
        assert line == f"planmap diff: cannot write {d}: {reason}"
        line = _one_line(capsys, 2, ["export", "--format", "gpkg", "--out", str(g)])
        assert line == f"planmap export: cannot write {g}: {reason}"
        if code == errno.EROFS:  # the slow ones once
            line = _one_line(capsys, 2, ["build", "--out", str(build_dir)])
            assert line == f"planmap build: cannot write {build_dir}: {reason}"
            site = tmp_path / "site"
            line = _one_line(capsys, 2, ["site", *COARSE, "--out", str(site)])
            assert line == f"planmap site: cannot write {site}: {reason}"
    assert sorted(p.name for p in build_dir.iterdir()) == before  # nothing left behind
    assert [p.name for p in tmp_path.iterdir() if p.name != "site"] == []


def test_inputs_naming_a_folder_or_an_endless_file(capsys, files):
    _, adir = files
    cases = [
        (["build", "--spec", str(adir)], f"planmap build: {adir}: is a folder, not a spec file"),
        (["build", "--spec", "/dev/zero"], "planmap build: /dev/zero: larger than 8 MiB; not a spec file"),
        (["site", "--no-fly", str(adir)], f"planmap site: {adir}: is a folder, not a no-fly file"),
        (["site", "--no-fly", "/dev/zero"], "planmap site: /dev/zero: larger than 64 MiB; not a no-fly file"),
        (["site", "--config", str(adir)], f"planmap site: {adir}: is a folder, not a siting rules file"),
        (["site", "--config", "/dev/zero"], "planmap site: /dev/zero: larger than 8 MiB; not a siting rules file"),
    ]  # fmt: skip
    for argv, expected in cases:
        assert _one_line(capsys, 2, argv) == expected, argv


def test_deep_nesting_in_specs_site_configs_and_no_fly_files(capsys, tmp_path):
    spec_text = default_spec().read_text(encoding="utf-8")
    deep_toml = "\nx = " + "[" * 50_000 + "]" * 50_000 + "\n"
    (tmp_path / "deep.toml").write_text(spec_text + deep_toml, encoding="utf-8")
    (tmp_path / "inline.toml").write_text("x = " + "{a=" * 3000 + "1" + "}" * 3000)
    (tmp_path / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    rules = default_spec().parent / "siting.toml"
    (tmp_path / "rules.toml").write_text(rules.read_text(encoding="utf-8") + deep_toml)
    nested = "planmap {}: {}: nested too deeply (more than 32 levels)"
    for argv, expected in [
        (["build", "--spec", str(tmp_path / "deep.toml")], nested.format("build", "deep.toml")),
        (["build", "--spec", str(tmp_path / "inline.toml")], nested.format("build", "inline.toml")),
        (["build", "--spec", str(tmp_path / "deep.json")], nested.format("build", "deep.json")),
        (["site", "--config", str(tmp_path / "rules.toml")], nested.format("site", "rules.toml")),
        (
            ["site", "--no-fly", str(tmp_path / "deep.json")],
            f"planmap site: {tmp_path / 'deep.json'}: nested too deeply; not a GeoJSON file",
        ),
    ]:
        assert _one_line(capsys, 2, argv) == expected, argv


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("gpkg_ports", "'gpkg_ports' starts with a prefix GeoPackage reserves (gpkg_, rtree_, sqlite_)"),
        ("rtree_ports", "'rtree_ports' starts with a prefix GeoPackage reserves"),
        ("layer_styles", "the name is QGIS's style table in a GeoPackage"),
        ("con", "'con' is a device name on Windows and cannot name a file there"),
        ("lpt1", "'lpt1' is a device name on Windows"),
        ("Ports", "String should match pattern"),
        ("ports.x", "String should match pattern"),
        ("p" * 49, "String should have at most 48 characters"),
    ],
)  # fmt: skip
def test_layer_names_invalid_in_some_output_are_refused_by_the_spec(
    capsys, tmp_path, name, message
):
    text = default_spec().read_text(encoding="utf-8")
    assert text.count('name = "ports"') == 1
    spec = tmp_path / "spec.toml"
    spec.write_text(text.replace('name = "ports"', f'name = "{name}"'), encoding="utf-8")
    line = _one_line(capsys, 2, ["build", "--spec", str(spec), "--out", str(tmp_path / "o")])
    assert line.startswith(f"planmap build: spec.toml: layers[1].name: {message}"), line
    assert not (tmp_path / "o").exists()


def _layer_folder(folder: Path, **props) -> Path:
    folder.mkdir()
    feature = {
        "type": "Feature",
        "properties": {
            "id": "road.x",
            "name": "甲",
            "layer": "roads",
            "kind": "road",
            "status": "planned",
            "precision": "approximate",
            **props,
        },
        "geometry": {"type": "Point", "coordinates": [114.12, 22.55]},
    }
    doc = {"type": "FeatureCollection", "features": [feature]}
    (folder / "roads.geojson").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def test_unknown_status_kind_or_precision_in_a_layers_dir(capsys, tmp_path):
    out = tmp_path / "m.html"
    for column in ("status", "kind", "precision"):
        folder = _layer_folder(tmp_path / column, **{column: "bogus"})
        line = _one_line(capsys, 2, ["map", "--layers-dir", str(folder), "--out", str(out)])
        assert line.startswith(
            f"planmap map: {folder / 'roads.geojson'}: features[0] (road.x).{column}: "
            f"{column} 'bogus' is not one of: "
        ), line
    assert not out.exists()


def test_highlight_with_an_unknown_id(capsys, tmp_path, build_dir):
    out = tmp_path / "m.html"
    argv = ["map", "--layers-dir", str(build_dir), "--highlight", "no.such", "--out", str(out)]
    assert _one_line(capsys, 2, argv) == "planmap map: highlight 'no.such' is not a drawn feature"


def test_control_characters_in_a_message_stay_on_one_line(capsys, tmp_path):
    folder = _layer_folder(tmp_path / "ids", id="a\nb\u202ec", status="bogus")
    line = _one_line(
        capsys, 2, ["map", "--layers-dir", str(folder), "--out", str(tmp_path / "m.html")]
    )
    assert "(a<U+000A>b<U+202E>c).status" in line


def test_an_unexpected_exception_is_one_line_internal_error(capsys, monkeypatch, build_dir):
    from planmap.commands import layers as layers_command

    def broken(args):
        raise RuntimeError("something broke\nsecond line")

    monkeypatch.setattr(layers_command, "run", broken)
    assert main(["layers"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "planmap layers: internal error: RuntimeError: something broke<U+000A>second line "
        "(PLANMAP_DEBUG=1 shows the traceback)"
    ]
    monkeypatch.setenv("PLANMAP_DEBUG", "1")
    with pytest.raises(RuntimeError, match="something broke"):
        main(["layers"])


def test_an_out_that_is_a_device_is_never_replaced(capsys, tmp_path, build_dir):
    """As root a rename over /dev/null would replace the device with a regular file."""
    import stat

    from geo.errors import DataError
    from layers.export import atomic_write_text

    line = _one_line(capsys, 2, ["map", "--layers-dir", str(build_dir), "--out", "/dev/null"])
    assert line == "planmap map: --out /dev/null: is not a regular file; --out takes a file name"
    with pytest.raises(DataError, match="/dev/null: is not a regular file; refusing"):
        atomic_write_text("/dev/null", "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not list(Path("/dev").glob(".null.*"))
