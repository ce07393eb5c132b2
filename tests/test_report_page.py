"""The Report page, headless: pasted text is read, highlighted safely and mapped."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "1_Report.py")
FIXTURES = ROOT / "tests" / "fixtures"
REPORTS = FIXTURES / "reports"


def _paste(text: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.text_area(key="report_text").set_value(text).run()
    return at


@pytest.fixture(scope="module")
def seed_page():
    return _paste((ROOT / "tests/fixtures/seed_article.txt").read_text(encoding="utf-8"))


def test_the_seed_article_finds_its_51_places_and_maps_with_local_assets(seed_page):
    assert not seed_page.exception
    metrics = {m.label: m.value for m in seed_page.metric}
    assert metrics["Places found"] == "51"  # tests/fixtures/seed_labels.json, labelled by hand
    assert int(metrics["Unresolved phrases"]) <= 6
    blob = "".join(str(e.proto) for e in seed_page.main if type(e).__name__ == "UnknownElement")
    assert "/app/static/vendor/" in blob
    assert "cdn.jsdelivr.net" not in blob


def test_choosing_an_unlocated_place_warns_instead_of_failing(seed_page):
    box = seed_page.selectbox(key="report_place")
    box.set_value("zone.maya_city").run()
    assert not seed_page.exception
    assert any("no location yet" in w.value for w in seed_page.warning)


def test_hostile_text_stays_text():
    # one sentence, so it becomes 莲塘口岸's report excerpt and reaches the map's popups
    at = _paste("莲塘口岸 <script>alert(1)</script> {% x MARK{{7*7}}END {# c Luohu's $x$")
    assert not at.exception
    html = "".join(m.value for m in at.markdown if "planmap-report" in m.value)
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "{{" not in html
    assert "{%" not in html
    blob = "".join(str(e.proto) for e in at.main if type(e).__name__ == "UnknownElement")
    assert "MARK" in blob  # the excerpt is in the map ...
    assert "MARK49END" not in blob  # ... and the template syntax in it was never run
    after = blob.split("MARK", 1)[1][:60]
    assert "7*7" in after
    assert "#123;" in after


def test_an_empty_paste_asks_for_text():
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    assert any("Paste a report" in i.value for i in at.info)


@pytest.fixture(scope="module")
def seed_result():
    from geo.gazetteer import load_gazetteer
    from layers.build import build_from_files
    from layers.report import extract_file, layer_index

    return extract_file(
        FIXTURES / "seed_article.txt",
        gazetteer=load_gazetteer(),
        layer_of=layer_index(build_from_files()),
    )


@pytest.mark.slow
def test_report_page_escapes_and_maps(seed_result):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    hostile = (REPORTS / "hostile.html.txt").read_text(encoding="utf-8")
    at.text_area(key="report_text").input(hostile).run()
    assert not at.exception
    (marked,) = [m.value for m in at.markdown if "planmap-report" in m.value]
    assert "<script" not in marked
    assert "<iframe" not in marked
    assert "<img" not in marked
    assert marked.count("<mark") == 3
    box = at.selectbox(key="report_place")
    assert box.value == "port.liantang"
    box.select("port.wenjindu").run()
    assert not at.exception
    assert "文锦渡口岸" in [t.value for t in at.text]
    # the seed: every found place is offered; unlocated ones say so instead of failing
    at.text_area(key="report_text").input(
        (FIXTURES / "seed_article.txt").read_text(encoding="utf-8")
    ).run()
    assert not at.exception
    assert set(at.selectbox(key="report_place").options) == {
        f"{p.name} · {p.layer} · {p.mentions}×" for p in seed_result.found
    }
    at.selectbox(key="report_place").select("zone.maya_city").run()  # unlocated
    assert not at.exception
    assert any("no location" in w.value for w in at.warning)
