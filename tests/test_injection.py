"""Issue 9 (critical): no user string becomes template source, in any map Planmap writes.

The page is rendered by branca, which used to compile each element's rendered script as a new
Jinja template: a layer named after a file ``{{ 7*7 }}.geojson`` showed as ``49``. These tests
feed the hostile corpus (tests/hostile.py) through file names, layer titles, names, notes, ids
and the highlight option, and check that the page holds each string as inert text and that the
file-creating payload created nothing.
"""

from __future__ import annotations

import json
import os
import re

import geopandas as gpd
import hostile
import pytest
from branca.element import MacroElement
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from layers.map import make_map
from layers.map.page import SafeTemplate, js_json
from planmap.cli import main

_DELIMS = ("{{", "{%", "{#")


def _layer(names: list[str], *, layer: str = "ports") -> gpd.GeoDataFrame:
    rows = [
        {
            "id": f"port.p{i}",
            "name": name,
            "name_en": name,
            "layer": layer,
            "kind": "port",
            "status": "existing",
            "precision": "located",
            "source": name,
            "note": name,
            "report_excerpt": name,
            "mentions": 1,
        }
        for i, name in enumerate(names)
    ]
    points = [Point(114.12 + 0.001 * i, 22.54) for i in range(len(names))]
    return gpd.GeoDataFrame(rows, geometry=points, crs="EPSG:4326")


_DATA_URI = re.compile(r"data:[^\"]*")


def _script_delims(html: str) -> list[str]:
    """Jinja delimiters left in the page outside the vendored assets' ``data:`` URIs (whose
    percent-encoded JavaScript holds ``{%22``): a sign a string could be template source."""
    text = _DATA_URI.sub("", html)
    return [d for d in _DELIMS if d in text]


@given(st.recursive(st.text(), lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids)))
def test_js_json_is_inert_and_lossless(value):
    text = js_json(value)
    assert json.loads(text) == value
    assert not any(d in text for d in _DELIMS)
    assert "</" not in text
    assert "<" not in text


def test_rendered_output_is_never_rendered_again(tmp_path, monkeypatch):
    """Even a string that reached a script unescaped stays literal: the page keeps each
    element's rendered text verbatim (layers.map.page.adopt)."""

    class Raw(MacroElement):
        _template = SafeTemplate(
            "{% macro script(this, kwargs) %}var planted = '{{ this.text }}';{% endmacro %}"
        )

        def __init__(self, text):
            super().__init__()
            self.text = text

    monkeypatch.chdir(tmp_path)
    m = make_map({"ports": _layer(["a"])})
    Raw(hostile.CANARY).add_to(m)
    Raw(hostile.PAYLOAD).add_to(m)
    html = m.get_root().render()
    assert f"var planted = '{hostile.CANARY}';" in html
    assert "var planted = '49';" not in html
    assert not (tmp_path / hostile.PAYLOAD_DIR).exists()


def test_hostile_names_titles_and_notes_stay_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    layers = {"ports": _layer(hostile.ALL)}
    html = make_map(layers, embed=True, highlight_id="port.p0").get_root().render()
    assert not (tmp_path / hostile.PAYLOAD_DIR).exists()
    assert "LOOPLOOPLOOP" not in html
    assert "window.__pwned = 1</script>" not in html
    assert "<img src=x" not in html
    assert _script_delims(html) == []
    # the canary is there as entities (HTML text, written into a script), not as its value
    assert "\\u0026#123;\\u0026#123; 7*7 \\u0026#125;\\u0026#125;" in html


@pytest.mark.parametrize("stem", hostile.FILE_NAMES)
def test_map_from_hostile_file_names(tmp_path, monkeypatch, capsys, stem):
    """The reproduction of issue 9: ``planmap map --layers-dir`` names layers by file stem."""
    folder = tmp_path / "layers"
    folder.mkdir()
    frame = _layer(["罗湖口岸"], layer=stem)
    (folder / f"{stem}.geojson").write_text(frame.to_json(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "map.html"
    assert main(["map", "--layers-dir", str(folder), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert not (tmp_path / hostile.PAYLOAD_DIR).exists()
    assert sorted(os.listdir(tmp_path)) == ["layers", "map.html"]
    assert _script_delims(html) == []
    assert "LOOPLOOPLOOP" not in html
    if stem == hostile.CANARY:
        assert "(49)" not in html
        assert "· 49" not in html
        assert '"49"' not in html
        assert "&#123;&#123; 7*7 &#125;&#125;" in html


def test_spec_titles_cannot_inject(tmp_path, monkeypatch):
    """A spec's layer titles and notes reach the layer switcher and popups."""
    from geo.gazetteer import load_gazetteer
    from layers.build import build_layers
    from layers.spec import parse_spec

    title = json.dumps(hostile.PAYLOAD + hostile.SCRIPT + hostile.LOOP)
    note = json.dumps(hostile.CANARY + hostile.IMG)
    spec = parse_spec(
        f'title = {title}\ndistrict = "罗湖区"\n'
        f'[[layers]]\nname = "ports"\ntitle = {title}\ngroup = "Ports"\n'
        f'features = [{{ place = "罗湖口岸", note = {note} }}]\n',
        path="hostile.toml",
    )
    monkeypatch.chdir(tmp_path)
    layers = build_layers(spec, load_gazetteer())
    html = make_map(layers, embed=True).get_root().render()
    assert not (tmp_path / hostile.PAYLOAD_DIR).exists()
    assert _script_delims(html) == []
    assert "LOOPLOOPLOOP" not in html
    assert "<img src=x" not in html


def test_corpus_is_hostile(tmp_path, monkeypatch):
    """The corpus does harm when rendered as a template: the guards above are what stop it."""
    from jinja2 import Template

    monkeypatch.chdir(tmp_path)
    assert Template(hostile.CANARY).render() == "49"
    assert Template(hostile.LOOP).render() == "LOOPLOOPLOOP"
    Template(hostile.PAYLOAD).render(cycler=__import__("jinja2.utils").utils.Cycler)
    assert (tmp_path / hostile.PAYLOAD_DIR).is_dir()
