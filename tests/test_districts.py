"""Issue 10: a district is data. Futian builds from shipped data with no code written for it,
and no code names a district."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import shapely

from geo.district import default_district, district_ids, get_district
from geo.errors import DataError, OptionError
from geo.geometry import repair, to_metric
from layers.build import build_from_files
from planmap.cli import main

ROOT = Path(__file__).resolve().parents[1]
CODE = [ROOT / "geo", ROOT / "layers", ROOT / "planmap", ROOT / "streamlit_app.py", ROOT / "pages"]
_NAMES = re.compile(r"罗湖|羅湖|luohu", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (module, class, function)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def _python_files():
    for root in CODE:
        yield from ([root] if root.is_file() else sorted(root.rglob("*.py")))


def test_no_code_names_a_district():
    """String literals in code never name 罗湖/Luohu (docstrings, examples in them, excepted)."""
    found = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and _NAMES.search(node.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    assert found == []


def test_the_check_finds_a_literal(tmp_path):
    """The scan above can fail: a literal is found, a docstring is not."""
    code = 'def f():\n    """Luohu in a docstring."""\n    return "罗湖区"\n'
    tree = ast.parse(code)
    docs = _docstrings(tree)
    hits = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]
    assert hits == ["罗湖区"]


def test_districts_are_listed_and_the_default_is_data():
    assert district_ids() == ["futian", "luohu"]
    assert default_district() == "luohu"
    assert get_district().id == "luohu"
    with pytest.raises(OptionError, match="district 'nanshan' is not one of: futian, luohu"):
        get_district("nanshan")


def test_a_broken_district_record_names_file_and_field(tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("user"))
    record = data / "districts" / "futian" / "district.toml"
    record.write_text(record.read_text(encoding="utf-8").replace("zoom", "zooom"), "utf-8")
    record.write_text(
        record.read_text(encoding="utf-8").replace('metric_crs = "EPSG:32650"', "metric_crs = 5"),
        "utf-8",
    )
    with pytest.raises(DataError, match=r"district.toml: metric_crs: "):
        get_district("futian", data=data)


@pytest.fixture(scope="module")
def futian():
    return build_from_files(district="futian", overrides_path="/nonexistent.geojson")


def test_futian_builds_from_shipped_data(futian):
    assert list(futian) == ["metro_lines", "metro_stations", "context"]
    assert futian.district.id == "futian"
    assert futian.warnings == []
    stations = futian["metro_stations"]
    # the station facts cover only stations within 3 km of Luohu: Futian's eastern ones
    assert 20 <= len(stations) <= 30
    assert {"科学馆站", "华强路站", "岗厦北站"} & set(stations["name"])
    assert stations["note"].str.contains("Futian").all()
    lines = futian["metro_lines"]
    assert lines["note"].str.contains("Clipped to the district").any()
    context = futian["context"].set_index("id")
    assert context.loc["district.futian", "kind"] == "district"
    assert set(context.index) == {"district.futian", "district.luohu", "district.longhua"}


def test_every_futian_feature_lies_in_or_on_its_boundary(futian):
    boundary = futian["context"].set_index("id").geometry["district.futian"]
    area = repair(to_metric(boundary)).buffer(60)  # stations on 红岭路, the shared boundary
    for name in ("metro_lines", "metro_stations"):
        drawn = futian[name][futian[name].geometry.notna()]
        assert len(drawn)
        assert shapely.covered_by(to_metric(drawn.geometry.array), area).all(), name


def test_futian_map_and_build_commands(tmp_path, capsys):
    assert main(["build", "--district", "futian", "--out", str(tmp_path / "b")]) == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir() if p.name != ".builds") == [
        "context.geojson",
        "manifest.json",
        "metro_lines.geojson",
        "metro_stations.geojson",
        "planmap.gpkg",
    ]
    out = tmp_path / "futian.html"
    assert main(["map", "--district", "futian", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "福田区界" in html
    assert "罗湖区界" not in html
    assert main(["districts"]) == 0
    listed = capsys.readouterr().out
    assert "futian" in listed
    assert "luohu (default)" in listed


def test_a_bad_district_option_is_one_line(capsys):
    assert main(["build", "--district", "atlantis", "--out", "/tmp/never"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "planmap build: district 'atlantis' is not one of: futian, luohu"
