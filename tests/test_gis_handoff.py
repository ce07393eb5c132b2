"""Issue 14: the GIS handoff read back by the real readers (GDAL's ogrinfo, ezdxf, a KML
parser): Chinese CRSs, DXF for CAD, styled KML, Shapefiles, the styled GeoPackage, one-line
errors for bad input and whole-folder publishing."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import ezdxf
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import CRS

from geo.errors import DataError, OptionError
from geo.model import drawn_mask
from layers import export as ex
from layers.build import build_from_files
from layers.export.crs import gauss_kruger_epsg, parse_crs
from layers.export.dxf import (
    PX_M,
    TEXT_STYLE,
    XDATA_APP,
    cad_layer_name,
    linetype_name,
    nearest_aci,
)
from layers.export.kml import KML_NS, kml_colour
from layers.export.qml import layer_rules
from layers.export.shapefile import field_names
from layers.layerset import LayerSet
from layers.styles import style_for
from planmap.cli import main

OGRINFO = shutil.which("ogrinfo")
needs_ogrinfo = pytest.mark.skipif(OGRINFO is None, reason="gdal-bin is installed by make test")


@pytest.fixture(scope="module")
def built() -> LayerSet:
    return build_from_files(None)


@pytest.fixture(scope="module")
def outputs(built, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("handoff")
    return {
        "gpkg": ex.export(built, fmt="gpkg", out=out / "p.gpkg"),
        "gpkg4547": ex.export(built, fmt="gpkg", out=out / "gk.gpkg", crs="epsg:4547"),
        "gpkg4490": ex.export(built, fmt="gpkg", out=out / "cgcs.gpkg", crs="cgcs2000"),
        "geojson": ex.export(built, fmt="geojson", out=out / "p.geojson"),
        "kml": ex.export(built, fmt="kml", out=out / "p.kml"),
        "csv": ex.export(built, fmt="csv", out=out / "p.csv", crs="epsg:4547"),
        "dxf": ex.export(built, fmt="dxf", out=out / "p.dxf"),
        "shp": ex.export(built, fmt="shp", out=out / "shp", crs="epsg:4547"),
        "qgis": ex.export(built, fmt="qgis", out=out / "qgis"),
    }


# -- CRS ---------------------------------------------------------------------------------------


def test_the_gauss_kruger_zone_comes_from_the_longitude():
    assert gauss_kruger_epsg(114.13) == 4547  # Shenzhen, CM 114°E
    assert gauss_kruger_epsg(75.4) == 4534
    assert gauss_kruger_epsg(134.9) == 4554
    assert CRS.from_epsg(gauss_kruger_epsg(116.4)).name.endswith("CM 117E")  # Beijing
    with pytest.raises(OptionError, match="no CGCS2000 3° Gauss–Krüger zone"):
        gauss_kruger_epsg(10.0)
    assert parse_crs("CGCS2000").epsg == 4490
    assert parse_crs("EPSG:4547").in_metres
    assert not parse_crs("cgcs2000").in_metres
    assert parse_crs("gcj02").gcj02


@needs_ogrinfo
@pytest.mark.parametrize(
    "key", ["gpkg", "gpkg4547", "gpkg4490", "geojson", "kml", "csv", "dxf", "shp"]
)
def test_ogrinfo_reads_every_output(outputs, key):
    target = outputs[key]
    paths = sorted(target.glob("*.shp")) if target.is_dir() else [target]
    assert paths
    for path in paths:
        res = subprocess.run(
            [OGRINFO, "-ro", "-al", "-so", str(path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert "Feature Count:" in res.stdout
        assert "ERROR" not in res.stderr, res.stderr
        assert "Warning" not in res.stderr, res.stderr


@needs_ogrinfo
def test_the_crs_is_written_into_the_files(outputs):
    def srs(path, layer):
        res = subprocess.run(
            [OGRINFO, "-ro", "-so", str(path), layer], capture_output=True, text=True, check=True
        )
        return res.stdout

    assert 'ID["EPSG",4547]' in srs(outputs["gpkg4547"], "ports")
    assert 'ID["EPSG",4490]' in srs(outputs["gpkg4490"], "ports")
    prj = (outputs["shp"] / "ports_points.prj").read_text()
    assert "Gauss_Kruger_CM_114E" in prj.replace("-", "_") or "114" in prj
    assert CRS.from_wkt(prj).to_epsg(min_confidence=70) == 4547


def test_gauss_kruger_export_is_in_metres_and_round_trips_within_a_centimetre(built, outputs):
    for name, frame in built.items():
        back = pyogrio.read_dataframe(outputs["gpkg4547"], layer=name)
        assert back.crs.to_epsg() == 4547
        assert len(back) == len(frame)
        located = back.geometry.notna()
        if not located.any():
            continue
        xy = shapely.get_coordinates(back.geometry[located].to_numpy())
        # CM 114°E, false easting 500 km: Luohu and its neighbours (Longgang reaches 114.6°E)
        # lie within 100 km of it, 22.4–22.9°N is 2.47–2.54 million metres north
        assert (np.abs(xy[:, 0] - 500_000) < 100_000).all(), name
        assert ((xy[:, 1] > 2_470_000) & (xy[:, 1] < 2_540_000)).all(), name
        mask = located.to_numpy()
        orig = frame.geometry.to_numpy()[mask]
        again = back.to_crs(4326).geometry.to_numpy()[mask]
        for o, gk, w in zip(orig, back.geometry.to_numpy()[mask], again, strict=True):
            assert shapely.hausdorff_distance(_gk(o), gk) < 0.01, name  # the build, projected
            assert shapely.hausdorff_distance(_gk(o), _gk(w)) < 0.01, name  # and back


_TO_GK = None


def _gk(geom):
    """A WGS-84 geometry in EPSG:4547 (one transformer for the module)."""
    global _TO_GK
    if _TO_GK is None:
        from pyproj import Transformer

        _TO_GK = Transformer.from_crs(4326, 4547, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(_TO_GK.transform(c[:, 0], c[:, 1])))


def test_csv_in_gauss_kruger_says_so(outputs):
    import pandas as pd

    table = pd.read_csv(outputs["csv"], encoding="utf-8-sig")
    assert {"x", "y", "crs"} <= set(table.columns)
    assert "lon" not in table
    assert set(table["crs"]) == {"EPSG:4547"}
    assert table["x"].dropna().between(440_000, 560_000).all()


# -- GeoPackage styles -------------------------------------------------------------------------


def test_the_geopackage_carries_one_default_qgis_style_per_styled_layer(built, outputs):
    with sqlite3.connect(outputs["gpkg"]) as db:
        rows = db.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, useAsDefault "
            "FROM layer_styles"
        ).fetchall()
        kinds = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
    assert kinds["layer_styles"] == "attributes"
    styled = {name for name, frame in built.items() if layer_rules(frame)}
    assert {r[0] for r in rows} == styled
    assert len(rows) == len(styled)
    for table, column, _, qml, default in rows:
        assert column == "geom"
        assert default == 1
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.find("renderer-v2").get("type") == "RuleRenderer"
        labels = [r.get("label") for r in root.iter("rule") if r.get("label")]
        expected = [r.label for r in layer_rules(built[table], labels=built.district.legend)]
        assert len(labels) == len(expected), table
        # a mixed table's rules also say their shape: "… (面 area)"
        assert all(got.startswith(want) for got, want in zip(labels, expected, strict=True))


def test_within_areas_are_hatched_never_filled_and_schematic_ones_dashed():
    import geopandas as gpd
    from shapely.geometry import box

    from layers.export.qml import qml_text

    frame = gpd.GeoDataFrame(
        {"kind": ["zone", "zone"], "status": ["existing", "planned"],
         "precision": ["within", "schematic"], "name": ["甲", "乙"]},
        geometry=[box(114.1, 22.5, 114.2, 22.6), box(114.0, 22.5, 114.05, 22.55)], crs=4326,
    )  # fmt: skip
    root = ET.fromstring(qml_text(frame).split("\n", 1)[1])
    symbols = {s.get("name"): s for s in root.find("renderer-v2/symbols")}
    rules = {r.get("label"): symbols[r.get("symbol")] for r in root.iter("rule") if r.get("symbol")}
    (within,) = [s for label, s in rules.items() if "位于其中" in label]
    (schematic,) = [s for label, s in rules.items() if "示意" in label]
    classes = [layer.get("class") for layer in within.findall("layer")]
    assert "LinePatternFill" in classes
    assert "SimpleFill" not in classes
    dash = {p.get("k"): p.get("v") for p in schematic.findall("layer")[-1].findall("prop")}
    assert dash["use_custom_dash"] == "1"
    assert dash["customdash"] == "2.6458;1.5875"


# -- DXF ---------------------------------------------------------------------------------------


def test_the_dxf_passes_ezdxf_audit_and_has_the_layers_colours_and_text(built, outputs):
    doc = ezdxf.readfile(outputs["dxf"])
    auditor = doc.audit()
    assert not auditor.has_errors, [str(e) for e in auditor.errors]
    assert doc.header["$INSUNITS"] == 6  # metres
    custom = dict(doc.header.custom_vars)
    assert custom["CRS"] == "EPSG:4547"
    msp = doc.modelspace()
    expected_layers = set()
    for name, frame in built.items():
        drawn = frame.loc[drawn_mask(frame)]
        for row in drawn.itertuples():
            expected_layers.add(cad_layer_name(name, row.status, row.precision))
    assert expected_layers <= {layer.dxf.name for layer in doc.layers}
    # every metro line is a polyline in its style's colour on its status layer, with its id
    by_id = {}
    for entity in msp.query("LWPOLYLINE"):
        if entity.has_xdata(XDATA_APP):
            by_id.setdefault(entity.get_xdata(XDATA_APP)[0].value, []).append(entity)
    lines = built["metro_lines"].loc[drawn_mask(built["metro_lines"])]
    for row in lines.itertuples():
        s = style_for(row.kind, row.status, row.precision)
        (entity,) = by_id[row.id]
        assert entity.dxf.layer == cad_layer_name("metro_lines", row.status, row.precision)
        assert entity.dxf.color == nearest_aci(s["color"]), row.id
        assert entity.dxf.true_color == ezdxf.colors.rgb2int(
            tuple(int(s["color"][i : i + 2], 16) for i in (1, 3, 5))
        )
        line_type = entity.dxf.get("linetype", doc.layers.get(entity.dxf.layer).dxf.linetype)
        assert line_type == linetype_name(s["dashArray"]), row.id
    # the planned / schematic layers carry dashed linetypes that exist in the drawing
    dashed = [layer for layer in doc.layers if layer.dxf.linetype.startswith("PLANMAP_")]
    assert any("planned" in layer.dxf.name for layer in dashed)
    assert all(layer.dxf.linetype in doc.linetypes for layer in dashed)
    # point symbols are block references; names are TEXT in the CJK style
    ports = msp.query('INSERT[layer=="ports"]')
    assert len(ports) == len(built["ports"].loc[drawn_mask(built["ports"])])
    texts = {t.dxf.text: t for t in msp.query("TEXT")}
    for name in built["ports"]["name"]:
        assert texts[name].dxf.style == TEXT_STYLE
    style = doc.styles.get(TEXT_STYLE)
    assert style.dxf.font.lower().endswith(".ttf")
    # coordinates in Gauss–Krüger metres
    xy = np.array([(e.dxf.insert.x, e.dxf.insert.y) for e in ports])
    assert (np.abs(xy[:, 0] - 500_000) < 60_000).all()
    assert (xy[:, 1] > 2_470_000).all()


def test_dxf_symbols_and_dashes_are_sized_for_the_plot_scale():
    assert linetype_name("10 6") == "PLANMAP_10_6"
    assert linetype_name(None) == "Continuous"
    assert pytest.approx(2.6458, rel=1e-3) == PX_M  # one pixel at 1:10 000, in metres
    assert nearest_aci("#ff0000") == 1
    assert nearest_aci("#0000ff") == 5


# -- KML ---------------------------------------------------------------------------------------


def test_the_kml_parses_with_a_folder_per_layer_and_styles_from_the_table(built, outputs):
    ns = {"k": KML_NS}
    root = ET.parse(outputs["kml"]).getroot()
    doc = root.find("k:Document", ns)
    styles = {s.get("id"): s for s in doc.findall("k:Style", ns)}
    folders = doc.findall("k:Folder", ns)
    drawn = [layer for layer in built.layers if drawn_mask(layer.frame).any()]
    assert [f.find("k:name", ns).text for f in folders] == [layer.title for layer in drawn]
    checked = 0
    for folder, layer in zip(folders, drawn, strict=True):
        marks = folder.findall("k:Placemark", ns)
        assert len(marks) == int(drawn_mask(layer.frame).sum())
        for mark in marks:
            data = {
                d.get("name"): d.find("k:value", ns).text for d in mark.iter(f"{{{KML_NS}}}Data")
            }
            s = style_for(data["kind"], data["status"], data["precision"])
            style = styles[mark.find("k:styleUrl", ns).text.lstrip("#")]
            assert style.find("k:LineStyle/k:color", ns).text == kml_colour(
                s["color"], s["opacity"]
            )
            fill = style.find("k:PolyStyle/k:fill", ns).text
            assert fill == ("0" if s["hatch"] or not s["fillOpacity"] else "1")
            checked += 1
    assert checked > 50


def test_kml_descriptions_escape_the_popup_once(built, tmp_path):
    hostile = "<img src=x onerror=alert(1)> {{ 7*7 }} & 报告"
    frame = built["ports"].copy()
    frame["note"] = hostile
    one = LayerSet([replace(built.layer("ports"), frame=frame)], district=built.district)
    path = ex.export(one, fmt="kml", out=tmp_path / "h.kml")
    descriptions = [e.text for e in ET.parse(path).getroot().iter(f"{{{KML_NS}}}description")]
    assert descriptions
    for html in descriptions:  # what a KML reader gets after XML decoding: HTML to show
        assert "<img" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "{{" not in html
        assert "&amp; 报告" in html
        assert "&amp;lt;" not in html  # escaped once, not twice


# -- Shapefile ---------------------------------------------------------------------------------


def test_shapefiles_are_utf8_one_geometry_type_each_with_predictable_fields(built, outputs):
    folder = outputs["shp"]
    assert field_names(["report_excerpt", "a_very_long_name", "a_very_long_other"]) == {
        "report_excerpt": "excerpt",
        "a_very_long_name": "a_very_lon",
        "a_very_long_other": "a_very_l_2",
    }
    mapping = (folder / "FIELDS.csv").read_text(encoding="utf-8").splitlines()
    assert "excerpt,report_excerpt" in mapping
    for shp in folder.glob("*.shp"):
        assert shp.with_suffix(".cpg").read_text().strip() == "UTF-8"
        back = pyogrio.read_dataframe(shp)
        families = {t.removeprefix("Multi") for t in back.geometry.geom_type}
        assert len(families) == 1, shp.name
    ports = pyogrio.read_dataframe(folder / "ports_points.shp")
    assert sorted(ports["name"]) == sorted(built["ports"]["name"])  # the Chinese survives
    assert "excerpt" in ports.columns
    unlocated = pyogrio.read_dataframe(folder / "roads_unlocated.dbf", read_geometry=False)
    assert len(unlocated) == len(built["roads"])


# -- bad input: one line, nothing destroyed ----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "dxf", "--crs", "cgcs2000"], "is not in metres; DXF needs a projected CRS"),
        (["--format", "dxf", "--crs", "epsg:4326"], "is not in metres"),
        (["--format", "gpkg", "--crs", "epsg:99999"], "PROJ does not know EPSG:99999"),
        (["--format", "gpkg", "--crs", "utm50"], "is not one of: wgs84, gcj02, cgcs2000"),
        (["--format", "geojson", "--crs", "epsg:4547"], "geojson is WGS-84 lon/lat by definition"),
        (["--format", "kml", "--crs", "cgcs2000"], "kml is WGS-84 lon/lat by definition"),
    ],
)
def test_bad_crs_options_give_one_line(tmp_path, capsys, argv, message):
    out = tmp_path / "out.file"
    assert main(["export", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 or all(line.startswith("building") for line in err[:-1])
    assert err[-1].startswith("planmap export: ")
    assert message in err[-1]
    assert "Traceback" not in err[-1]
    assert not out.exists()


def test_an_output_folder_with_other_files_needs_force_and_keeps_them(tmp_path, capsys):
    folder = tmp_path / "handoff"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["export", "--format", "qgis", "--out", str(folder)]) == 2
    assert (
        "holds other files (notes.txt); choose an empty folder or add --force"
        in capsys.readouterr().err
    )
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert main(["export", "--format", "qgis", "--out", str(folder), "--force"]) == 0
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert {"planmap.gpkg", "planmap.qgz", "notes.txt"} <= {p.name for p in folder.iterdir()}
    # a second export replaces its own files without asking, and keeps the user's
    assert main(["export", "--format", "qgis", "--out", str(folder), "--force"]) == 0
    assert (folder / "notes.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_reserved_and_illegal_layer_names_give_one_line(built, tmp_path):
    def renamed(name: str) -> LayerSet:
        return LayerSet([replace(built.layer("ports"), name=name)], district=built.district)

    with pytest.raises(DataError, match="starting with gpkg_ are reserved for GeoPackage"):
        ex.export(renamed("gpkg_ports"), fmt="gpkg", out=tmp_path / "a.gpkg")
    with pytest.raises(DataError, match="starting with gpkg_ are reserved"):
        ex.write_gpkg(renamed("gpkg_ports"), tmp_path / "b.gpkg")  # the app's download too
    with pytest.raises(DataError, match="not a valid DXF layer name"):
        ex.export(renamed("ports:2025"), fmt="dxf", out=tmp_path / "a.dxf")
    with pytest.raises(DataError, match="cannot be a Shapefile name"):
        ex.export(renamed("../ports"), fmt="shp", out=tmp_path / "s")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_interrupted_folder_export_leaves_the_previous_one_intact(built, tmp_path, monkeypatch):
    folder = tmp_path / "q"
    ex.export(built, fmt="qgis", out=folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    from layers.export import qgis

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C after the GeoPackage, before the project

    monkeypatch.setattr(qgis, "project_xml", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ex.export(built, fmt="qgis", out=folder, crs="epsg:4547")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["q"]  # the staging folder is gone
    manifest = json.loads((folder / ".planmap-export.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == ["planmap.gpkg", "planmap.qgz"]


def test_the_export_benchmark_runs_on_tiny_sizes():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import bench_export

    figures = {f["name"]: f for f in bench_export.run(quick=True, counts=(2, 4))}
    assert figures["gpkg_write_2_layers"]["peer"] == "pyogrio append per layer"
    assert figures["gpkg_growth_exponent"]["n"] == 2
    assert {"export_qgis", "export_dxf", "export_kml", "export_shp"} <= set(figures)
