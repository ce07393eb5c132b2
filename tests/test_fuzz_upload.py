"""Fuzzing the app's GeoJSON upload parser (issue 9): whatever a planner uploads, the answer is
a layer in the model's columns or one line :class:`~geo.errors.PlanmapError` naming the file,
never another exception, never a hang (each case within hypothesis' deadline).

The generator mixes near-valid GeoJSON (every geometry type, coordinates of every shape and
value, NaN and infinities, the known properties with good and bad values, ``crs`` members) with
arbitrary JSON and raw bytes, and damages some of the encoded documents (cut short, a BOM,
bytes flipped).
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import PlanmapError
from geo.model import FEATURE_COLUMNS
from layers.app import read_geojson_layer

NAME = "fuzz.geojson"

numbers = st.one_of(
    st.floats(min_value=113.5, max_value=114.6),  # near the district: often valid
    st.floats(min_value=22.3, max_value=22.9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -180, 180, 90, -90, 180.0000001, 1e308, -0.0]),
)
junk = st.one_of(st.none(), st.booleans(), st.text(max_size=8), st.just({}), st.just([]))
position = st.one_of(
    st.lists(numbers, min_size=2, max_size=3), st.lists(st.one_of(numbers, junk), max_size=4)
)


def nested(depth: int) -> st.SearchStrategy:
    inner = position
    for _ in range(depth - 1):
        inner = st.lists(inner, max_size=6)
    return st.one_of(inner, junk)


geometry = st.one_of(
    st.none(),
    junk,
    st.builds(
        lambda t, c: {"type": t, "coordinates": c},
        st.sampled_from(["Point", "MultiPoint", "LineString", "Polygon", "Nope"]),
        st.one_of(nested(1), nested(2), nested(3)),
    ),
    st.builds(
        lambda t, c: {"type": t, "coordinates": c},
        st.sampled_from(["MultiLineString", "MultiPolygon"]),
        st.one_of(nested(3), nested(4)),
    ),
    st.builds(
        lambda gs: {"type": "GeometryCollection", "geometries": gs},
        st.lists(st.just({"type": "Point", "coordinates": [114.1, 22.5]}), max_size=2),
    ),
    st.fixed_dictionaries({"type": st.sampled_from(["Point", "Polygon"])}),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
known = {
    "name": st.one_of(st.text(max_size=30), json_values),
    "名称": st.text(max_size=10),
    "id": st.one_of(st.text(max_size=12), st.integers(), st.just("{{ 7*7 }}"), json_values),
    "kind": st.one_of(st.sampled_from(["port", "Zone", " road ", "castle", ""]), json_values),
    "status": st.one_of(st.sampled_from(["planned", "EXISTING", "built"]), json_values),
    "precision": st.one_of(st.sampled_from(["approximate", "unlocated", "x"]), json_values),
    "mentions": st.one_of(st.integers(), st.text(max_size=4), json_values),
    "note": json_values,
    "source": json_values,
}
properties = st.one_of(
    st.fixed_dictionaries({}, optional=known),
    st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    junk,
)
lon = st.floats(min_value=113.9, max_value=114.3)
lat = st.floats(min_value=22.4, max_value=22.7)
good_geometry = st.one_of(
    st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]}, lon, lat),
    st.builds(
        lambda pts: {"type": "LineString", "coordinates": pts},
        st.lists(st.tuples(lon, lat).map(list), min_size=2, max_size=6),
    ),
    st.builds(  # rings, closed or not, often self-crossing: repaired or refused
        lambda pts: {"type": "Polygon", "coordinates": [[*pts, pts[0]]]},
        st.lists(st.tuples(lon, lat).map(list), min_size=3, max_size=6),
    ),
)
feature = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "properties": properties, "geometry": good_geometry}
    ),
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "properties": properties, "geometry": geometry},
        optional={"id": json_values},
    ),
    json_values,
)
crs = st.one_of(
    st.builds(
        lambda n: {"type": "name", "properties": {"name": n}},
        st.one_of(
            st.sampled_from(
                [
                    "EPSG:4326",
                    "EPSG:4547",
                    "urn:ogc:def:crs:EPSG::3857",
                    "urn:ogc:def:crs:OGC:1.3:CRS84",
                    "EPSG:999999",
                    "EPSG:4214",
                ]
            ),
            st.text(max_size=12),
        ),
    ),
    json_values,
)
collection = st.fixed_dictionaries(
    {"type": st.sampled_from(["FeatureCollection", "FeatureCollection", "Feature", "Topology"])},
    optional={"features": st.one_of(st.lists(feature, max_size=6), json_values), "crs": crs},
)


def _encode(doc: object) -> bytes:
    return json.dumps(doc, allow_nan=True, ensure_ascii=False).encode("utf-8")


def _damage(data: bytes, how: int, at: int) -> bytes:
    if how == 0 or not data:
        return data
    at %= len(data)
    if how == 1:
        return data[:at]
    if how == 2:
        return b"\xef\xbb\xbf" + data
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


uploads = st.one_of(
    st.builds(
        _damage,
        st.one_of(collection, feature, json_values).map(_encode),
        st.sampled_from([0, 0, 0, 1, 2, 3]),
        st.integers(min_value=0),
    ),
    st.binary(max_size=200),
    st.text(max_size=60).map(str.encode),
)


def _check_layer(frame: gpd.GeoDataFrame) -> None:
    assert isinstance(frame, gpd.GeoDataFrame)
    assert list(frame.columns) == [*FEATURE_COLUMNS, "geometry"]
    assert frame.crs.to_epsg() == 4326
    geoms = np.asarray(frame.geometry.array, dtype=object)
    drawn = geoms[~shapely.is_missing(geoms)]
    assert shapely.is_valid(drawn).all()
    xy = shapely.get_coordinates(drawn)
    assert np.isfinite(xy).all()
    assert (np.abs(xy[:, 0]) <= 180).all()
    assert (np.abs(xy[:, 1]) <= 90).all()
    assert set(shapely.get_type_id(drawn)) <= {0, 1, 3, 4, 5, 6}  # no collections
    for column in ("id", "name", "source", "note"):
        assert all(isinstance(v, str) for v in frame[column])
    assert all(isinstance(v, int) and v >= 0 for v in frame["mentions"])


@settings(
    max_examples=1000,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(uploads)
def test_an_upload_is_a_layer_or_one_line(data):
    try:
        frame = read_geojson_layer(data, name=NAME)
    except PlanmapError as exc:
        message = str(exc)
        assert message.startswith(f"{NAME}: "), message
        assert "\n" not in message, message
        assert "Traceback" not in message, message
        assert len(message) < 600, message
        assert "np.float64" not in message
    else:
        _check_layer(frame)


def test_the_generator_reaches_both_outcomes():
    """The fuzz is not vacuous: its first cases include layers and refusals of many kinds."""
    outcomes: dict[str, int] = {}

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(uploads)
    def sample(data):
        try:
            frame = read_geojson_layer(data, name=NAME)
        except PlanmapError as exc:
            key = str(exc).split(": ", 2)[-1][:20]
        else:
            key = "layer with geometry" if frame.geometry.notna().any() else "layer"
        outcomes[key] = outcomes.get(key, 0) + 1

    sample()
    assert outcomes.get("layer with geometry", 0) > 3, outcomes
    assert len(outcomes) > 10, outcomes
    assert not math.isnan(sum(outcomes.values()))
