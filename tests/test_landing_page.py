"""The landing-points page, headless: sliders drive the siting, errors are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "2_Landing_points.py")


@pytest.fixture(scope="module")
def page():
    return AppTest.from_file(PAGE, default_timeout=180).run()


def test_default_page_proposes_100_sites_with_coverage(page):
    assert not page.exception
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Sites"] == "100"
    for label in ("Area covered", "Demand covered"):
        share = float(metrics[label].rstrip("%"))
        assert 0 < share <= 100
    assert metrics["Solver"].startswith("greedy")


def test_the_map_uses_local_assets_only(page):
    blob = "".join(str(e.proto) for e in page.main if type(e).__name__ == "UnknownElement")
    assert "/app/static/vendor/" in blob
    for cdn in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "unpkg.com"):
        assert cdn not in blob


def test_n_slider_changes_the_proposal(page):
    page.sidebar.slider[0].set_value(20).run()
    assert not page.exception
    assert {m.label: m.value for m in page.metric}["Sites"] == "20"


def test_impossible_settings_show_a_one_line_error_not_a_traceback():
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.sidebar.slider[2].set_value(1000)  # coarse candidate grid
    at.sidebar.slider[0].set_value(200).run()  # more sites than candidates
    assert not at.exception
    assert len(at.error) == 1
    assert "\n" not in at.error[0].value
