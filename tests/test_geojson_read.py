"""The one GeoJSON reader (geo/geojson_read.py): limits before work, the ``crs`` member
honoured through PROJ, far-away features told; used by the app's upload and the store's import.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pyproj import Transformer
from shapely.geometry import Point, mapping

from geo.errors import DataError
from geo.geojson_read import (
    MAX_GEOJSON_FEATURES,
    read_features,
)
from layers import app
from layers.overrides import read_overrides_geojson

LUOHU = (114.12, 22.55)


def _doc(*features, **extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": list(features)}


def _point(x: float, y: float, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": mapping(Point(x, y))}


def _bytes(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def _named(name: str) -> dict:
    return {"type": "name", "properties": {"name": name}}


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (4547, "EPSG:4547"),  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
        (3857, "urn:ogc:def:crs:EPSG::3857"),
        (32650, "urn:ogc:def:crs:EPSG:6.6:32650"),
    ],
)
def test_a_crs_member_is_honoured(code, name):
    x, y = Transformer.from_crs(4326, code, always_xy=True).transform(*LUOHU)
    assert abs(x - LUOHU[0]) > 1000  # projected metres, not degrees
    read = read_features(_bytes(_doc(_point(x, y), crs=_named(name))), name="old.geojson")
    geom = read.features[0].geometry
    assert (geom.x, geom.y) == pytest.approx(LUOHU, abs=1e-7)
    assert read.crs == f"EPSG:{code}"


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "CRS84"])
def test_a_lonlat_crs_member_is_read_as_is(name):
    read = read_features(_bytes(_doc(_point(*LUOHU), crs=_named(name))), name="a.geojson")
    assert (read.features[0].geometry.x, read.crs) == (LUOHU[0], None)


@pytest.mark.parametrize(
    ("crs", "message"),
    [
        (_named("EPSG:999999"), "a.geojson: crs: PROJ does not know EPSG:999999"),
        (_named("Xian 1980 somewhere"), "a.geojson: crs: 'Xian 1980 somewhere' is not a coord"),
        ({"type": "link", "properties": {"href": "x.prj"}}, "a.geojson: crs: {'type': 'link'"),
        ("EPSG:4547", "a.geojson: crs: 'EPSG:4547' is not a named coordinate system"),
    ],
)
def test_an_unknown_crs_is_one_line(crs, message):
    with pytest.raises(DataError) as err:
        read_features(_bytes(_doc(_point(*LUOHU), crs=crs)), name="a.geojson")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_projected_coordinates_without_a_crs_are_refused():
    with pytest.raises(DataError, match=r"features\[0\]\.geometry: coordinates are not lon/lat"):
        read_features(_bytes(_doc(_point(500_000, 2_495_000))), name="a.geojson")


@pytest.mark.parametrize(
    ("doc", "limit", "message"),
    [
        (b"{}" + b" " * 2_000, {"max_bytes": 1_000}, "over the 0 MB limit"),
        (
            _bytes(_doc(*[_point(*LUOHU)] * 11)),
            {"max_features": 10},
            "11 features; at most 10 are read",
        ),
        (
            _bytes(
                _doc(
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[114.1 + i * 1e-4, 22.5] for i in range(101)],
                        },
                    }
                )
            ),
            {"max_vertices": 100},
            "more than 100 vertices",
        ),
    ],
)
def test_limits_are_one_line(doc, limit, message):
    with pytest.raises(DataError) as err:
        read_features(doc, name="big.geojson", **limit)
    assert str(err.value).startswith("big.geojson: ")
    assert message in str(err.value)


def test_the_vertex_limit_counts_before_shapely(monkeypatch):
    import geo.geojson_read as reader

    made, real = [], reader.shape
    monkeypatch.setattr(reader, "shape", lambda doc: made.append(doc) or real(doc))
    line = {"type": "LineString", "coordinates": [[114.1, 22.5]] * 50}
    feats = [{"type": "Feature", "properties": {}, "geometry": line}] * 3
    with pytest.raises(DataError, match="more than 120 vertices"):
        read_features(_bytes(_doc(*feats)), name="a.geojson", max_vertices=120)
    assert len(made) == 2  # the third feature's coordinates were never handed to shapely


def test_the_app_states_and_keeps_the_feature_limit():
    assert f"{MAX_GEOJSON_FEATURES:,} features" in app.UPLOAD_LIMITS
    too_many = _bytes(_doc(*[_point(*LUOHU)] * (MAX_GEOJSON_FEATURES + 1)))
    with pytest.raises(DataError, match="5,001 features; at most 5,000"):
        app.read_geojson_layer(too_many, name="many.geojson")


def test_server_upload_limit_matches_the_stated_one():
    import tomllib

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit/config.toml").read_text())
    assert config["server"]["maxUploadSize"] == app.MAX_UPLOAD_MB


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"type": "FeatureCollection", "features": ' + b"[" * 70 + b"]" * 70 + b"}", "nested"),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
            b' "geometry": {"type": "Point", "coordinates": [NaN, 22.5]}}]}',
            "features[0].geometry: coordinates are not finite",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
            b' "geometry": {"type": "Point", "coordinates": [1e400, 22.5]}}]}',
            "not finite",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
            b' "geometry": {"type": "Point", "coordinates": [true, 22.5]}}]}',
            "a position is [lon, lat]",
        ),
        (_bytes(_doc(_point(*LUOHU) | {"properties": [1]})), "features[0].properties: not an"),
        (_bytes({"type": "FeatureCollection", "features": {"a": 1}}), "features: not an array"),
        (
            _bytes(
                _doc(
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[114.1, 22.5], [114, 22]]],
                        },
                    }
                )
            ),
            "broken geometry",
        ),
    ],
)
def test_bad_documents_are_one_line(raw, message):
    with pytest.raises(DataError) as err:
        read_features(raw, name="bad.geojson")
    assert str(err.value).startswith("bad.geojson: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_the_store_import_uses_the_same_reader(tmp_path):
    x, y = Transformer.from_crs(4326, 4547, always_xy=True).transform(*LUOHU)
    path = tmp_path / "overrides.geojson"
    doc = _doc(_point(x, y, id="zone.a", note="n"), crs=_named("EPSG:4547"))
    path.write_text(json.dumps(doc))
    ((location, _),) = read_overrides_geojson(path)
    assert (location.geometry.x, location.geometry.y) == pytest.approx(LUOHU, abs=1e-7)
    path.write_text(json.dumps(_doc(_point(*LUOHU, id="zone.a"), crs=_named("nope"))))
    with pytest.raises(DataError, match=re.escape(f"{path}: crs: 'nope'")):
        read_overrides_geojson(path)


def test_far_away_features_are_counted_in_one_warning():
    beijing, here = _point(116.4, 39.9, name="北京"), _point(*LUOHU, name="here")
    near = _point(LUOHU[0] + 0.3, LUOHU[1], name="30 km east")  # inside the 50 km margin
    view = app.build_view(
        upload=("far.geojson", _bytes(_doc(beijing, here, near, beijing))),
        store_path="/nonexistent/planmap_user.gpkg",
    )
    (note,) = app.upload_notes(view, "far.geojson")
    assert note.startswith("far.geojson: 2 of 4 features lie more than 50 km outside 罗湖区")
    assert note not in app.other_warnings(view, None, note)
    close = app.build_view(
        upload=("near.geojson", _bytes(_doc(here, near))),
        store_path="/nonexistent/planmap_user.gpkg",
    )
    assert app.upload_notes(close, "near.geojson") == []


# -- the Map page ------------------------------------------------------------------------------


def _page(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PLANMAP_USER_DIR", str(tmp_path / "user"))
    st.cache_data.clear()
    st.cache_resource.clear()
    root = Path(__file__).resolve().parents[1]
    return AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=120).run()


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_the_page_states_the_limits_and_warns_about_crs_and_distance(tmp_path, monkeypatch):
    at = _page(tmp_path, monkeypatch)
    assert app.UPLOAD_LIMITS in [_plain(c.value) for c in at.sidebar.caption]
    x, y = Transformer.from_crs(4326, 4547, always_xy=True).transform(*LUOHU)
    doc = _doc(_point(x, y, name="here"), _point(116.4e3, 39.9e3), crs=_named("EPSG:4547"))
    at.file_uploader(key="upload").upload("gk.geojson", _bytes(doc)).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    warnings = [_plain(w.value) for w in at.warning]
    assert warnings[0] == "gk.geojson: reprojected from EPSG:4547 to WGS-84 lon/lat"
    assert warnings[1].startswith("gk.geojson: 1 of 2 features lie more than 50 km outside")
    assert len(warnings) == 2
    assert not any(e.label.startswith("Build") for e in at.expander)


def test_an_upload_over_the_limit_is_one_error_before_parsing(tmp_path, monkeypatch):
    at = _page(tmp_path, monkeypatch)
    big = b'{"type": "FeatureCollection", "features": []' + b" " * (21 * 2**20) + b"}"
    at.file_uploader(key="upload").upload("big.geojson", big).run()
    (error,) = [_plain(e.value) for e in at.error]
    assert error == "big.geojson: 21.0 MB is over the 20 MB limit for a GeoJSON file"
    assert json.loads(at.get("component_instance")[0].proto.json_args)["script"]  # the map
