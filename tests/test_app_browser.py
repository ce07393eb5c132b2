"""The real Streamlit app in Debian's Chromium, with every request outside localhost blocked.

One app server per module, one browser per session. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from layers import app
from layers.store import UserStore
from planmap._chromium import (
    CHROMIUM,
    CHROMIUM_ARGS,
    block_offsite,
    free_port,
    missing,
    must_run,
    stop,
    streamlit_command,
    wait_for_health,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
HOSTILE = Path(__file__).parent / "fixtures" / "app" / "hostile.geojson"


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("user")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, user_dir):
    """Start ``streamlit run`` on a free port; always stop it."""
    port = free_port()
    env = {**os.environ, "PLANMAP_USER_DIR": str(user_dir)}
    log = (tmp_path_factory.mktemp("log") / "streamlit.log").open("w+")
    proc = subprocess.Popen(
        streamlit_command(port),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    (SHOTS / "app_timing.jsonl").unlink(missing_ok=True)  # this run's timings only
    try:
        if not wait_for_health(url, proc, deadline=time.monotonic() + 60, pause=0.3):
            log.seek(0)
            pytest.fail(f"streamlit did not start:\n{log.read()[-3000:]}")
        yield url
    finally:
        stop(proc)
        log.close()
    written = sorted(p.name for p in user_dir.iterdir())
    assert written in ([], ["planmap_user.gpkg"]), f"the app wrote {written}"


@pytest.fixture(scope="session")
def chromium():
    reason = missing()
    if reason:
        (pytest.fail if must_run() else pytest.skip)(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """A page on the app with requests outside localhost aborted, dialogs and errors recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        # frames (the map's iframe) raise dialogs through the page too

        block_offsite(self.context, self.blocked)
        # every message the page sends to the Streamlit server (a rerun is one of them)
        self.sent: list[int] = []
        self.page.on(
            "websocket",
            lambda ws: ws.on("framesent", lambda payload: self.sent.append(len(payload))),
        )
        start = time.perf_counter()
        self.page.goto(url)
        self.frame = self.map_frame()
        self.seconds_to_map = time.perf_counter() - start

    def map_frame(self, condition: str = "true", timeout: float = 30):
        """The component iframe whose Leaflet map is drawn and meets a JS condition."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.page.frames:
                if "st_folium" not in frame.url:
                    continue
                try:
                    ready = frame.evaluate(
                        f"() => typeof window.L === 'object' && !!window.__planmap && ({condition})"
                    )
                except Exception:  # the frame navigated or detached under us
                    continue
                if ready:
                    return frame
            self.page.wait_for_timeout(150)
        raise AssertionError(f"no drawn map in the component iframe ({condition})")

    def settle(self, frame, timeout: float = 5) -> None:
        """Wait until the map stops moving (fitBounds may still be running when it is ready).

        Leaflet shows a canvas feature's tooltip on mousemove: a mouse that arrives while
        the map is still moving is never under the feature when the map stops.
        """
        view = (
            "(() => { const m = window.__planmap.map, c = m.getCenter(); "
            "return [c.lat, c.lng, m.getZoom()]; })()"
        )
        last, deadline = None, time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = frame.evaluate(view)
            if now == last:
                return
            last = now
            self.page.wait_for_timeout(250)

    def log_timing(self, test: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        with (SHOTS / "app_timing.jsonl").open("a", encoding="utf-8") as f:
            f.write(
                json.dumps({"test": test, "goto_to_map_drawn_s": round(self.seconds_to_map, 2)})
            )
            f.write("\n")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(400)
        self.page.screenshot(path=str(SHOTS / name), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def expected_counts(user_dir):
    built = app.build_view(store_path=user_dir / "planmap_user.gpkg")
    return {name: int(app.drawn_mask(gdf).sum()) for name, gdf in built.items()}


@pytest.fixture
def session(chromium, app_url, request):
    s = Session(chromium, app_url)
    s.log_timing(request.node.name)
    yield s
    s.close()


def test_map_draws_offline_with_legend(session, expected_counts):
    frame = session.frame
    session.settle(frame)
    assert frame.evaluate("typeof window.L") == "object"
    counts = frame.evaluate("window.__planmap.layerCounts")
    # the context base (the default basemap) draws the communities the plan does not
    assert counts.pop("base_communities") == 39
    assert counts == expected_counts
    legend = frame.locator(".planmap-legend")
    assert legend.is_visible()
    assert "Legend" in legend.inner_text()
    # every overlay is in the layer switcher, and the Leaflet canvas really drew paths
    labels = {
        t.strip() for t in frame.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    }
    built = app.build_view()
    for name, count in expected_counts.items():
        assert f"{app.layer_label(name, built)} ({count})" in labels
    assert frame.locator(".leaflet-draw-toolbar").count() >= 1  # places to locate: Draw is on
    assert session.page.get_by_text("Unlocated places").is_visible()
    session.shot("app_offline.png")
    assert session.seconds_to_map < 20
    assert session.blocked == [], session.blocked
    assert session.errors == []
    assert session.dialogs == []


def test_search_moves_the_map(session):
    session.settle(session.frame)
    before = session.frame.evaluate(
        "(() => { const c = window.__planmap.map.getCenter(); return [c.lat, c.lng]; })()"
    )
    box = session.page.get_by_placeholder("莲塘口岸", exact=False)
    box.fill("lian tang kou an")
    box.press("Enter")
    frame = session.map_frame("window.__planmap.highlight === 'port.liantang'")
    session.settle(frame)
    after = frame.evaluate(
        "(() => { const c = window.__planmap.map.getCenter(); return [c.lat, c.lng]; })()"
    )
    zoom = frame.evaluate("window.__planmap.map.getZoom()")
    assert abs(after[0] - before[0]) + abs(after[1] - before[1]) > 0.005
    assert zoom >= 14
    # the port is in view, near the centre
    assert abs(after[0] - 22.55) < 0.05
    assert abs(after[1] - 114.17) < 0.05
    session.shot("app_search_liantang.png")
    assert session.blocked == []
    assert session.errors == []


def test_pan_and_zoom_do_not_rerun(session):
    frame, page = session.frame, session.page
    page.wait_for_timeout(1000)  # let the first render's messages go out
    before = len(session.sent)
    box = frame.frame_element().bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=8)
    page.mouse.up()
    page.mouse.wheel(0, -300)
    frame.evaluate("() => { window.__planmap.map.setZoom(window.__planmap.map.getZoom() + 1); }")
    page.wait_for_timeout(1500)
    assert len(session.sent) == before, "panning or zooming sent a message (a rerun)"
    # and the check can see a message: drawing a point does send one (the map returns it)
    frame.locator("a.leaflet-draw-draw-marker").click()
    page.mouse.click(x, y)
    page.wait_for_timeout(1500)
    assert len(session.sent) > before
    assert session.blocked == []
    assert session.errors == []


def test_download_is_geojson(session):
    with session.page.expect_download(timeout=30000) as info:
        session.page.get_by_role("button", name="GeoJSON (all)").click()
    path = info.value.path()
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    ids = {f["properties"]["id"] for f in doc["features"]}
    assert "port.liantang" in ids
    assert len(ids) == len(doc["features"]) > 50
    lons = [
        f["geometry"]["coordinates"][0]
        for f in doc["features"]
        if f["geometry"] and f["geometry"]["type"] == "Point"
    ]
    assert lons
    assert all(113.5 < x < 114.7 for x in lons)
    assert session.blocked == []


def test_downloaded_html_map_works_offline(session, chromium, expected_counts, tmp_path):
    with session.page.expect_download(timeout=60000) as info:
        session.page.get_by_role("button", name="HTML map (offline)").click()
    html = tmp_path / "map.html"
    info.value.save_as(html)
    page = chromium.new_page(viewport={"width": 1200, "height": 800})
    blocked = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    try:
        page.goto(html.as_uri())
        page.wait_for_function("window.__planmap !== undefined", timeout=30000)
        counts = page.evaluate("window.__planmap.layerCounts")
        assert counts.pop("base_communities") == 39
        assert counts == expected_counts
        assert page.locator(".planmap-legend").is_visible()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "app_download_html_offline.png"))
        assert blocked == []
    finally:
        page.close()


def test_hostile_name_shows_as_text(session, tmp_path):
    session.page.locator("input[type=file]").set_input_files(str(HOSTILE))
    frame = session.map_frame("window.__planmap.layerCounts.uploaded === 1")
    session.settle(frame)
    x, y = frame.evaluate(
        """() => {
        const m = window.__planmap.map;
        let pt = null;
        m.eachLayer(l => { if (l.feature && l.feature.properties.id === 'test.xss') {
            pt = m.latLngToContainerPoint(l.getLatLng()); } });
        return [pt.x, pt.y];
    }"""
    )
    # relative to the map's container, resolved at the moment of the action: the page's
    # layout still moves after the upload (a message appears above the map)
    container = frame.locator("#map_div")
    container.hover(position={"x": x, "y": y})
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=5000)
    assert XSS in tooltip.first.inner_text()
    container.click(position={"x": x, "y": y})
    popup = frame.locator(".leaflet-popup-content")
    popup.first.wait_for(timeout=5000)
    assert XSS in popup.first.inner_text()
    assert frame.locator(".leaflet-popup-content img, .leaflet-tooltip img").count() == 0
    assert session.page.locator("img[src='x']").count() == 0
    session.shot("app_upload_xss.png")
    # searched by its name, the hostile feature is selected and named as text in the sidebar
    box = session.page.get_by_placeholder("莲塘口岸", exact=False)
    box.fill(XSS)
    box.press("Enter")
    session.map_frame("window.__planmap.highlight === 'test.xss'")
    caption = session.page.get_by_text("Selected:", exact=False)
    assert f"Selected: {XSS}" in caption.inner_text()
    assert session.page.locator("img[src='x']").count() == 0
    session.page.wait_for_timeout(500)
    assert session.dialogs == []
    assert session.errors == []
    assert session.blocked == []


def test_amap_basemap_shifts_features_and_fails_soft_offline(session, expected_counts):
    from geo.crs import wgs84_to_gcj02
    from geo.gazetteer import load_gazetteer

    picker = session.page.locator("[data-testid='stSelectbox']").filter(has_text="Basemap")
    picker.scroll_into_view_if_needed()
    picker.click()
    session.page.get_by_role("option", name=app.BASEMAPS["amap"]).click()
    frame = session.map_frame(
        "Object.values(window.__planmap.map._layers).some(l => (l._url || '').includes('autonavi'))"
    )
    assert frame.evaluate("window.__planmap.layerCounts") == expected_counts
    drawn = frame.evaluate(
        """() => { let p = null; window.__planmap.map.eachLayer(l => {
            if (l.feature && l.feature.properties.id === 'port.liantang' && l.getLatLng) {
                p = l.getLatLng(); } }); return [p.lng, p.lat]; }"""
    )
    gaz = load_gazetteer().set_index("id")
    port = gaz.at["port.liantang", "geometry"]
    assert drawn == pytest.approx(list(wgs84_to_gcj02(port.x, port.y)), abs=1e-6)
    assert abs(drawn[0] - port.x) > 0.003  # really shifted (about 600 m)
    session.page.wait_for_timeout(500)
    session.shot("app_amap_offline.png")
    assert session.blocked
    assert all("autonavi.com" in u for u in session.blocked)
    assert session.errors == []


def test_english_labels_and_table(session):
    session.page.get_by_text("English", exact=True).click()
    frame = session.map_frame(
        "document.querySelector('.leaflet-map-pane').innerText.includes('Luohu District')"
    )
    names = frame.locator(".leaflet-map-pane").inner_text()
    assert "Liantang Port" in names
    assert "莲塘口岸" not in names
    session.shot("app_english.png")
    button = session.page.get_by_role("button", name="GeoJSON (all)")
    button.scroll_into_view_if_needed()
    session.page.wait_for_timeout(400)
    session.page.screenshot(path=str(SHOTS / "app_table_downloads.png"))
    assert session.page.get_by_text(re.compile(r"Features shown \(\d+\)")).is_visible()
    assert session.blocked == []
    assert session.errors == []


def test_planner_locates_a_place_by_drawing_it(session, user_dir, expected_counts):
    """Runs last: it saves an override, which changes the map for later sessions."""
    page, frame = session.page, session.frame
    place = "玛雅城"  # zone.maya_city: named by the report, no source locates it
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Place 地名")
    picker.scroll_into_view_if_needed()
    picker.locator("input").click()
    picker.locator("input").fill(place)
    page.get_by_role("option").filter(has_text=place).first.click()
    page.get_by_label("Note 说明 (why here?)").fill(
        "north of Qingshuihe depot, per the 2025 report"
    )
    page.get_by_label("Note 说明 (why here?)").press("Enter")
    page.wait_for_timeout(800)
    frame = session.map_frame()
    frame.locator("a.leaflet-draw-draw-marker").click()
    box = frame.frame_element().bounding_box()
    size = frame.evaluate(
        "(() => { const s = window.__planmap.map.getSize(); return [s.x, s.y]; })()"
    )
    page.mouse.click(box["x"] + size[0] * 0.35, box["y"] + size[1] * 0.4)
    save = page.get_by_role("button", name="保存 Save location")
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => "
        "b.innerText.includes('Save location') && !b.disabled)",
        timeout=15000,
    )
    session.shot("app_drawn_point.png")
    save.click()
    frame = session.map_frame(
        f"window.__planmap.layerCounts.zones === {expected_counts['zones'] + 1}"
    )
    (feat,) = UserStore(user_dir / "planmap_user.gpkg").locations().itertuples()
    assert feat.id == "zone.maya_city"
    assert feat.source == "user"
    assert "Qingshuihe depot" in feat.note
    lon, lat = feat.geometry.x, feat.geometry.y
    assert 113.9 < lon < 114.4
    assert 22.4 < lat < 22.8
    assert page.get_by_text("Saved the location of").is_visible()
    session.shot("app_saved_override.png")
    assert session.blocked == []
    assert session.errors == []
    assert session.dialogs == []
