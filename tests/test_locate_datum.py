"""Issue 12: the datum trap. A GCJ-02 (or BD-09) file labelled WGS-84 is caught, with the
measured offset and the fix, before anything is written; the planner's choice is honoured."""

from __future__ import annotations

from pathlib import Path

import locate_files as lf
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString

from geo.crs import Datum
from geo.errors import DatumTrapError
from geo.locate import State, locate
from geo.locate.context import Context
from geo.locate.datum import ALPHA, check_datum, sign_test_p


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context.load()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("datum")


def test_sign_test():
    assert sign_test_p(7, 7) == pytest.approx(1 / 128)
    assert sign_test_p(7, 7) <= ALPHA < sign_test_p(6, 6)  # 7 of 7 is the least that counts
    assert sign_test_p(0, 10) == 1.0
    assert sign_test_p(0, 0) == 1.0
    assert sign_test_p(9, 10) == pytest.approx(11 / 1024)


@pytest.mark.parametrize(("datum", "shift"), [("gcj02", (550, 650)), ("bd09", (1150, 1300))])
def test_a_shifted_file_labelled_wgs84_is_caught(folder, ctx, datum, shift):
    path = lf.write_gcj_geojson(folder, datum=datum)
    with pytest.raises(DatumTrapError) as info:
        locate(path, context=ctx)
    message, check = str(info.value), info.value.check
    assert "\n" not in message
    assert message.startswith(f"roads_{datum}.geojson: read as WGS-84")
    assert f"re-run with --datum {datum}" in message
    assert "Nothing was written" in message
    assert check.best is Datum.get(datum)
    assert check.claimed is Datum.WGS84
    assert check.references >= 10
    assert check.p <= ALPHA
    assert check.median_m[Datum.get(datum)] < 5 < 300 < check.median_m[Datum.WGS84]
    assert shift[0] < check.shift_m < shift[1]


def test_the_planners_choice_converts_exactly(folder, ctx):
    path = lf.write_gcj_geojson(folder, datum="gcj02")
    result = locate(path, datum="gcj02", context=ctx)
    assert result.check.verdict == "consistent"
    assert result.datum is Datum.GCJ02
    option = next(p for p in result.proposals if p.place_id == "road.luosha_upgrade").options[0]
    original = lf.line_in(lf.road_frame()[["DLMC", "geometry"]], "罗沙路")
    assert shapely.hausdorff_distance(option.geometry, original) < 1e-7  # iterative inverse
    assert "converted from gcj02 to WGS-84" in result.note(result.proposals[0], option)


def test_keeping_a_trap_file_as_it_is_is_a_choice_and_is_noted(folder, ctx):
    path = lf.write_gcj_geojson(folder, datum="gcj02")
    result = locate(path, datum="wgs84", context=ctx)
    assert any("disagrees with --datum wgs84" in n for n in result.notes)
    assert result.by_state(State.LOCATED)


def test_a_true_wgs84_file_passes(ctx):
    frame = lf.road_frame()
    check = check_datum(frame.geometry.array.to_numpy(), claimed="wgs84", context=ctx)
    assert check.verdict == "consistent"
    assert check.best is Datum.WGS84
    assert check.median_m[Datum.WGS84] < 1
    assert check.median_m[Datum.GCJ02] > 300


def test_a_claimed_gcj02_file_that_is_wgs84_is_caught(ctx):
    frame = lf.road_frame()
    check = check_datum(frame.geometry.array.to_numpy(), claimed="gcj02", context=ctx)
    assert check.trap
    assert check.best is Datum.WGS84


def test_too_few_references_is_unchecked_not_blocked(folder, ctx):
    path = folder / "one_road.geojson"
    shifted = lf.gcj_frame({"清水河三路": lf.ROADS["清水河三路"]})
    pyogrio.write_dataframe(shifted.rename(columns={"DLMC": "name"}), path)
    result = locate(path, context=ctx)
    assert result.check.verdict == "unchecked"
    assert any("datum not checked: only" in n for n in result.notes)


def test_a_named_reference_counts_with_its_own_feature(ctx):
    """The district boundary drawn in GCJ-02 and named so is a reference with its own feature."""
    boundary = ctx.boundary
    from geo.crs import transform_geometry

    frame = lf.road_frame()
    geoms = np.append(
        transform_geometry(frame.geometry.array.to_numpy(), src="wgs84", dst="gcj02"),
        transform_geometry(boundary, src="wgs84", dst="gcj02"),
    )
    row = int(np.flatnonzero(ctx.references["kind"] == "district")[0])
    check = check_datum(geoms, claimed="wgs84", context=ctx, named={row: [len(geoms) - 1]})
    assert check.trap
    assert check.best is Datum.GCJ02


def test_random_roads_do_not_raise_a_false_alarm(ctx):
    """A dense network unrelated to the references favours no datum (the test can pass)."""
    rng = np.random.default_rng(12)
    minx, miny, maxx, maxy = ctx.boundary.bounds
    lines = []
    for _ in range(400):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        dx, dy = rng.normal(0, 0.004, 2)
        lines.append(LineString([(x, y), (x + dx, y + dy)]))
    check = check_datum(np.array(lines, dtype=object), claimed="wgs84", context=ctx)
    assert not check.trap
