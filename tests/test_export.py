"""GIS export: RFC 7946 GeoJSON, a GeoPackage GDAL opens, KML, CSV; atomic writes."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from geo.errors import PlanmapError
from geo.gazetteer import load_gazetteer
from geo.geometry import to_metric
from geo.paths import default_spec
from layers import export as ex
from layers.build import SCHEMA, build_layers
from layers.spec import load_spec


@pytest.fixture(scope="module")
def built():
    return build_layers(load_spec(default_spec()), load_gazetteer())


@pytest.fixture(scope="module")
def out_dir(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    ex.write_build(built, out)
    return out


def _rings(geom: dict):
    if geom["type"] == "Polygon":
        yield geom["coordinates"]
    elif geom["type"] == "MultiPolygon":
        yield from geom["coordinates"]


def _signed_area(ring):
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def test_geojson_follows_rfc7946(built, out_dir):
    for name, gdf in built.items():
        doc = json.loads((out_dir / f"{name}.geojson").read_text(encoding="utf-8"))
        assert doc["type"] == "FeatureCollection"
        assert "crs" not in doc
        assert len(doc["features"]) == len(gdf)
        for feat in doc["features"]:
            assert list(feat["properties"]) == SCHEMA
            geom = feat["geometry"]
            if geom is None:
                assert feat["properties"]["precision"] == "unlocated"
                continue
            for poly in _rings(geom):
                assert _signed_area(poly[0]) > 0  # exterior counter-clockwise
                assert all(_signed_area(hole) < 0 for hole in poly[1:])
            coords = shapely.get_coordinates(shape(geom))
            assert ((coords[:, 0] > -180) & (coords[:, 0] < 180)).all()
            text = json.dumps(geom)
            assert not any(
                len(t.split(".")[-1]) > 6 for t in text.replace("]", ",").split(",") if "." in t
            )


def test_geojson_round_trip_through_gdal_keeps_geometry_within_a_decimetre(built, out_dir):
    back = pyogrio.read_dataframe(out_dir / "structure.geojson")
    assert len(back) == len(built["structure"])
    for a, b in zip(built["structure"].geometry, back.geometry, strict=True):
        assert shapely.hausdorff_distance(to_metric(a), to_metric(b)) < 0.2


def test_geopackage_has_one_table_per_layer_with_all_features(built, out_dir):
    gpkg = out_dir / "planmap.gpkg"
    listed = [name for name, _ in pyogrio.list_layers(gpkg)]
    assert listed == [*built, "layer_styles"]  # QGIS's styles table last
    for name, gdf in built.items():
        back = pyogrio.read_dataframe(gpkg, layer=name)
        assert len(back) == len(gdf), name
        assert back.geometry.isna().sum() == gdf.geometry.isna().sum(), name
        assert back.crs.to_epsg() == 4326
        assert set(SCHEMA) <= set(back.columns)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is installed by make test")
def test_ogrinfo_opens_the_geopackage(built, out_dir):
    res = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(out_dir / "planmap.gpkg")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for name in built:
        assert f": {name}" in res.stdout


def test_kml_and_csv(built, tmp_path):
    kml = ex.export(built, fmt="kml", out=tmp_path / "p.kml", names=["ports", "structure"])
    layers = [n for n, _ in pyogrio.list_layers(kml)]
    titles = built.titles
    assert layers == [titles["structure"], titles["ports"]]  # a folder per layer, spec order
    ports = pyogrio.read_dataframe(kml, layer=titles["ports"])
    assert sorted(ports["Name"]) == sorted(built["ports"]["name"])
    csv = ex.export(built, fmt="csv", out=tmp_path / "p.csv")
    import pandas as pd

    table = pd.read_csv(csv, encoding="utf-8-sig")
    assert len(table) == sum(len(g) for g in built.values())
    row = table.set_index("id").loc["port.luohu"]
    assert (row["lon"], row["lat"]) == (114.113365, 22.531083)  # point_facts.csv, to 6 dp
    assert table.loc[table["precision"] == "unlocated", "wkt"].isna().all()


def test_gcj02_export_is_shifted_and_labelled(built, tmp_path):
    out = ex.export(built, fmt="geojson", out=tmp_path / "g.geojson", names=["ports"], crs="gcj02")
    doc = json.loads(out.read_text(encoding="utf-8"))
    moved = {f["properties"]["id"]: shape(f["geometry"]) for f in doc["features"]}
    orig = built["ports"].set_index("id").geometry
    for fid, geom in moved.items():
        d = to_metric(geom).distance(to_metric(orig[fid]))
        assert 550 < d < 650, fid  # GCJ-02 shifts Luohu by ~600 m (FINDINGS)
        assert all(f["properties"]["datum"] == "gcj02" for f in doc["features"])
    # and storage stays WGS-84
    assert built["ports"].set_index("id").geometry["port.luohu"].x == 114.113365


def test_bad_options_list_the_valid_choices(built, tmp_path):
    choices = "geojson, gpkg, kml, csv, shp, dxf, qgis"
    with pytest.raises(PlanmapError, match=f"format 'dwg' is not one of: {choices}"):
        ex.export(built, fmt="dwg", out=tmp_path / "x")
    with pytest.raises(PlanmapError, match="crs 'bd09' is not one of: wgs84, gcj02, cgcs2000"):
        ex.export(built, fmt="csv", out=tmp_path / "x", crs="bd09")
    with pytest.raises(PlanmapError, match="layer 'nope' is not one of: structure"):
        ex.export(built, fmt="csv", out=tmp_path / "x", names=["nope"])


def test_an_interrupted_write_leaves_the_previous_output_intact(built, tmp_path, monkeypatch):
    ex.write_build(built, tmp_path)
    before = {
        str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()
    }
    from layers.export import gpkg as gpkg_module

    real = gpkg_module._write_table
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the user pressed Ctrl-C mid GeoPackage
        return real(*args, **kwargs)

    monkeypatch.setattr(gpkg_module, "_write_table", failing)
    changed = dict(built)
    changed["ports"] = built["ports"].iloc[:1]
    with pytest.raises(KeyboardInterrupt):
        ex.write_build(changed, tmp_path)
    after = {
        str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()
    }
    assert set(after) == set(before)  # no temporary files left behind
    assert after == before  # GeoJSON files too: nothing is renamed until all are written
    assert len(pyogrio.read_dataframe(tmp_path / "planmap.gpkg", layer="ports")) == 3


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "a.txt"
    ex.atomic_write_text(target, "one")
    # the failure must happen inside the atomic block, after the temporary file is written
    with pytest.raises(RuntimeError), ex.atomic_path(target) as tmp:  # noqa: PT012
        Path(tmp).write_text("two", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_csv_treats_an_empty_geometry_as_no_geometry(built, tmp_path):
    from shapely.geometry import Point

    ports = built["ports"].copy()
    ports.loc[ports.index[0], "geometry"] = Point()  # empty
    table = ex.csv_frame({"ports": ports})
    assert table["lon"].isna().sum() == 1
    assert table["wkt"].isna().sum() == 1


def test_gcj02_gis_layers_say_so_in_their_names_and_a_folder_is_no_file(built, tmp_path):
    gpkg = ex.export(built, fmt="gpkg", out=tmp_path / "g.gpkg", names=["ports"], crs="gcj02")
    assert [n for n, _ in pyogrio.list_layers(gpkg)] == ["ports_gcj02", "layer_styles"]
    with pytest.raises(PlanmapError, match="is a folder; --out takes a file name"):
        ex.export(built, fmt="csv", out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.gpkg"]  # no temp file left


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(built, tmp_path):
    import pandas as pd

    ports = built["ports"].copy()
    hostile = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    ports["note"] = (hostile * 2)[: len(ports)]
    ports.loc[ports.index[0], "name_en"] = "safe - text"
    table = ex.csv_frame({"ports": ports})
    assert list(table["note"]) == ["'" + h for h in hostile[: len(ports)]]
    assert table.loc[0, "name_en"] == "safe - text"  # only a leading character counts
    assert table["lon"].dtype.kind == "f"  # numbers stay numbers (negative ones too)
    back = pd.read_csv(ex.write_csv({"ports": ports}, tmp_path / "c.csv"), encoding="utf-8-sig")
    assert all(str(v).startswith("'") for v in back["note"])
