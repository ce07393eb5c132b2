"""The hostile corpus (tests/hostile.py) through every output but the map page, which
tests/test_injection.py covers: CSV, KML and GeoPackage exports (read back by Python's csv
module, GDAL and SQLite) and the app (AppTest with an uploaded GeoJSON whose file name, names
and notes are the corpus).

Each string comes out as the literal text it is: nothing evaluated (the canary stays
``{{ 7*7 }}``, the loop does not loop, the payload creates no folder), escaped once where the
output is markup (KML's description, the app's map), neutralised where a spreadsheet would run
it (CSV cells starting ``=``, ``+``, ``-``, ``@``, tab or CR get a leading ``'``). Characters a
format cannot hold are dropped, never allowed to break the file: a NUL in GDAL text and KML,
and the C0 controls XML forbids.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import hostile
import pyogrio
import pytest
import streamlit as st
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from layers import app
from layers.export import export
from layers.map.page import html_text

ROOT = Path(__file__).resolve().parents[1]
NUL = "a\x00b"
CONTROL = "bell\x07vt\x0bend"
CORPUS = [*hostile.ALL, NUL, CONTROL, "-1+2", "@SUM(A1)", "\tx", "line1\nline2"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _expected(text: str, *, drops: str = "") -> str:
    return "".join(c for c in text if c not in drops)


@pytest.fixture
def layers():
    rows = [
        {
            "id": f"port.p{i}",
            "name": text,
            "name_en": text,
            "layer": "ports",
            "kind": "port",
            "status": "existing",
            "precision": "located",
            "source": text,
            "note": text,
            "report_excerpt": text,
            "mentions": 1,
            "licence": "",
            "within": "",
        }
        for i, text in enumerate(CORPUS)
    ]
    points = [Point(114.12 + 0.001 * i, 22.54) for i in range(len(CORPUS))]
    return {"ports": gpd.GeoDataFrame(rows, geometry=points, crs="EPSG:4326")}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """The payload would create its folder in the working directory."""
    monkeypatch.chdir(tmp_path)
    yield
    assert not (tmp_path / hostile.PAYLOAD_DIR).exists()


def test_csv_keeps_the_text_and_neutralises_formulas(tmp_path, layers):
    out = export(layers, fmt="csv", out=tmp_path / "x.csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert len(rows) == len(CORPUS)
    for text, row in zip(CORPUS, rows, strict=True):
        for field in ("name", "note", "source", "report_excerpt"):
            want = "'" + text if text.startswith(FORMULA_START) else text
            assert row[field] == want, (field, text)
    cells = [v for row in rows for v in row.values()]
    assert not [v for v in cells if v.startswith(FORMULA_START)]
    assert app.csv_bytes(layers).decode("utf-8-sig") == out.read_text(encoding="utf-8-sig")


def test_kml_is_well_formed_and_keeps_the_text(tmp_path, layers):
    out = export(layers, fmt="kml", out=tmp_path / "x.kml")
    root = ET.parse(out).getroot()  # a NUL or a C0 control would make this fail
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = root.findall(".//k:Placemark", ns)
    assert len(marks) == len(CORPUS)
    drops = "\x00\x07\x0b"
    for text, mark in zip(CORPUS, marks, strict=True):
        assert mark.findtext("k:name", namespaces=ns) == _expected(text, drops=drops)
        source = mark.find("k:ExtendedData/k:Data[@name='source']/k:value", ns)
        assert source is not None
        assert source.text == _expected(text, drops=drops)
        # the description is HTML for the reader: the text in it escaped exactly once
        description = mark.findtext("k:description", namespaces=ns)
        once = _expected(html_text(text), drops=drops)
        assert once in description, text
        if "<" in text:
            assert text not in description  # never raw markup
            assert html_text(once) not in description  # never escaped twice
    # GDAL (what QGIS and 奥维 use) reads it, and reads the names as text
    back = pyogrio.read_dataframe(out)
    assert list(back["Name"]) == [_expected(t, drops=drops) for t in CORPUS]


def test_geopackage_keeps_the_text(tmp_path, layers):
    out = export(layers, fmt="gpkg", out=tmp_path / "x.gpkg")
    back = pyogrio.read_dataframe(out, layer="ports")
    want = [_expected(t, drops="\x00") for t in CORPUS]
    assert list(back["name"]) == want
    assert list(back["note"]) == want
    with sqlite3.connect(out) as db:  # stored as text, literally, nothing NUL-cut
        stored = [r[0] for r in db.execute('SELECT note FROM "ports" ORDER BY fid')]
    assert stored == want
    assert app.gpkg_bytes(layers)[:16] == b"SQLite format 3\x00"


# -- the app ---------------------------------------------------------------------------------


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def _upload(names: list[str]) -> bytes:
    feats = [
        {
            "type": "Feature",
            "properties": {"name": text, "note": text, "source": text, "id": text},
            "geometry": {"type": "Point", "coordinates": [114.12 + 0.001 * i, 22.55]},
        }
        for i, text in enumerate(names)
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


@pytest.mark.parametrize("stem", hostile.FILE_NAMES)
def test_the_app_shows_an_uploaded_corpus_literally(tmp_path, monkeypatch, stem):
    monkeypatch.setenv("PLANMAP_USER_DIR", str(tmp_path / "user"))
    st.cache_data.clear()
    st.cache_resource.clear()
    name = f"{stem}.geojson"
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    at.file_uploader(key="upload").upload(name, _upload(CORPUS)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    # the file name: in the success line (Markdown-escaped once), in the layer's title
    assert [_plain(s.value) for s in at.success] == [f"Showing {name}"]
    layer_labels = at.multiselect(key="layers").options
    assert f"上传 Uploaded · {name}" in layer_labels
    # names: the table holds them as typed (NUL included: a dataframe is text), but for the
    # surrounding white space the upload strips from a name
    table = at.dataframe[-1].value
    shown = table[table["layer"] == "uploaded"]
    assert list(shown["name"]) == [t.strip() for t in CORPUS]
    # ids that are not plain slugs were replaced: markup never reaches the map's script
    assert all(re.fullmatch(r"[A-Za-z0-9._:-]+", i) for i in shown["id"])
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    assert "LOOPLOOPLOOP" not in script
    assert "window.__pwned = 1</script>" not in script
    assert "<img src=x" not in script
    assert "{{" not in script
    assert "{%" not in script
    # escaped once (&lt; as \u0026lt;), never twice (&amp;lt;)
    assert "\\u0026amp;lt;" not in script
    assert "\\u0026amp;#123;" not in script
    assert "\\u0026lt;img src=x onerror=" in script
    assert "\\u0026#123;\\u0026#123; 7*7 \\u0026#125;\\u0026#125;" in script  # the canary
