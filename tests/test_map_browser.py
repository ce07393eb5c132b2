"""A standalone map opened in Debian's Chromium with every non-local request blocked."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from shapely.geometry import LineString, Point
from test_render import EXPECTED_COUNTS, XSS, layer_set, luohu_layers

from layers.map import DrawTools, make_map
from planmap._chromium import CHROMIUM, CHROMIUM_ARGS, block_offsite, missing, must_run

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


class _BrowserThread:
    """Playwright's sync API in a thread of its own.

    A session-scoped ``sync_playwright`` elsewhere in the suite keeps an event loop running in
    the main thread, and the sync API refuses to start a second one there.
    """

    def __init__(self):
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planmap-browser")
        self.playwright, self.browser = self.pool.submit(self._start).result()

    @staticmethod
    def _start():
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        return pw, pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def run(self, fn, /, **kwargs):
        return self.pool.submit(fn, **kwargs).result()

    def close(self) -> None:
        def stop():
            self.browser.close()
            self.playwright.stop()

        self.pool.submit(stop).result()
        self.pool.shutdown()


@pytest.fixture(scope="module")
def browser():
    reason = missing()
    if reason:
        (pytest.fail if must_run() else pytest.skip)(reason)
    pytest.importorskip("playwright.sync_api")
    handle = _BrowserThread()
    yield handle
    handle.close()


def in_browser_thread(test):
    """Run a test body in the browser's thread, with the Playwright ``Browser`` as ``browser``."""

    @functools.wraps(test)
    def wrapper(browser, **kwargs):
        return browser.run(test, browser=browser.browser, **kwargs)

    return wrapper


def _open(browser, path: Path, *, shot: str):
    """Open a map offline; return (page, blocked requests, dialogs, page errors)."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    blocked, dialogs, errors = [], [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    block_offsite(page, blocked)
    page.goto(path.as_uri())
    page.wait_for_function("window.__planmap !== undefined", timeout=15000)
    page.wait_for_timeout(300)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot))
    return page, blocked, dialogs, errors


@in_browser_thread
def test_standalone_map_draws_offline(browser, tmp_path):
    out = tmp_path / "map.html"
    make_map(layer_set(luohu_layers()), embed=True).save(str(out))
    page, blocked, _dialogs, errors = _open(browser, out, shot="map_none.png")

    assert page.evaluate("typeof window.L") == "object"
    assert page.evaluate("window.__planmap.layerCounts") == EXPECTED_COUNTS
    assert blocked == []
    assert errors == []
    legend = page.locator(".planmap-legend")
    assert legend.is_visible()
    assert "Metro project (planned), schematic" in legend.inner_text()
    # dashed swatches are drawn for planned/schematic entries
    assert page.locator(".planmap-legend line[stroke-dasharray]").count() >= 2
    # all eight overlays are listed in the layer switcher, Structure first, Context last
    names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert len(names) == 9
    assert names[0].strip().startswith("Structure")
    assert names[-2].strip().startswith("Context")
    assert names[-1].strip().startswith("Labels")
    # names are written on the map, not only on hover
    assert "罗湖口岸" in page.locator(".planmap-label").all_inner_texts()
    page.close()


@in_browser_thread
def test_hostile_name_is_text(browser, tmp_path):
    out = tmp_path / "map.html"
    make_map(layer_set(luohu_layers()), embed=True, highlight_id="port.wenjindu").save(str(out))
    page, blocked, dialogs, errors = _open(browser, out, shot="map_highlight_xss.png")
    # hover then click the hostile port where Leaflet draws it (the canvas has no DOM paths)
    x, y = page.evaluate(
        """() => {
        const m = window.__planmap.map;
        let pt = null;
        m.eachLayer(l => { if (l.feature && l.feature.properties.id === 'port.wenjindu') {
            pt = m.latLngToContainerPoint(l.getLatLng()); } });
        const box = m.getContainer().getBoundingClientRect();
        return [box.left + pt.x, box.top + pt.y];
    }"""
    )
    page.mouse.move(x, y)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=5000)
    assert XSS in tooltip.first.inner_text()
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.first.wait_for(timeout=5000)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "map_popup_xss.png"))
    assert XSS in popup.first.inner_text()
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert dialogs == []
    assert errors == []
    assert blocked == []
    assert page.evaluate("window.__planmap.highlight") == "port.wenjindu"
    page.close()


@in_browser_thread
def test_online_basemap_fails_soft_offline(browser, tmp_path):
    out = tmp_path / "map.html"
    make_map(layer_set(luohu_layers()), embed=True, basemap="amap").save(str(out))
    page, blocked, _dialogs, errors = _open(browser, out, shot="map_amap_offline.png")
    assert page.evaluate("window.__planmap.layerCounts") == EXPECTED_COUNTS
    assert blocked
    assert all("autonavi.com" in u for u in blocked)
    assert errors == []
    page.close()


def _draw_a_marker(page) -> None:
    page.locator(".leaflet-draw-draw-marker").click()
    page.mouse.click(400, 400)
    page.wait_for_timeout(300)


def _icon_loaded(page) -> bool:
    return page.evaluate(
        """() => [...document.querySelectorAll('img.leaflet-marker-icon')]
                 .some(img => img.complete && img.naturalWidth > 0)"""
    )


@in_browser_thread
def test_draw_tools_work_in_a_standalone_map(browser, tmp_path):
    out = tmp_path / "map.html"
    make_map(layer_set(luohu_layers()), embed=True, draw=DrawTools()).save(str(out))
    page, blocked, _dialogs, errors = _open(browser, out, shot="map_draw.png")
    assert page.locator(".leaflet-draw-draw-polyline").is_visible()
    assert page.locator(".leaflet-draw-draw-polygon").is_visible()
    assert page.locator(".leaflet-draw-draw-circle").count() == 0
    _draw_a_marker(page)
    assert _icon_loaded(page)  # the default marker image is found though it is inlined
    assert blocked == []
    assert errors == []
    page.close()


@pytest.fixture
def served(tmp_path):
    """A localhost server with the vendored assets at /vendor/, as Streamlit serves them."""
    import functools
    import http.server
    import threading

    from layers.map.assets import VENDOR_DIR

    (tmp_path / "vendor").symlink_to(VENDOR_DIR, target_is_directory=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@in_browser_thread
def test_served_assets_resolve(browser, served):
    folder, url = served
    make_map(layer_set(luohu_layers()), asset_base="/vendor/", draw=DrawTools()).save(
        str(folder / "map.html")
    )
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    bad = []
    page.on("response", lambda r: bad.append(r.url) if r.status >= 400 else None)
    page.on("requestfailed", lambda r: bad.append(r.url))
    block_offsite(page)
    page.goto(f"{url}/map.html")
    page.wait_for_function("window.__planmap !== undefined", timeout=15000)
    assert page.evaluate("window.__planmap.layerCounts") == EXPECTED_COUNTS
    _draw_a_marker(page)
    assert _icon_loaded(page)
    assert bad == []  # every css image, font and script was found under /vendor/
    page.close()


@in_browser_thread
def test_template_syntax_in_file_names_shows_literally(browser, tmp_path):
    """Issue 9: a layer named by a file ``{{ 7*7 }}.geojson`` shows its name, not 49, and
    hostile names run nothing in the page."""
    import hostile
    from test_injection import _layer

    from layers.export import read_build as read_layers_dir

    folder = tmp_path / "layers"
    folder.mkdir()
    for stem in (hostile.CANARY, hostile.LOOP):
        frame = _layer([hostile.IMG, hostile.SCRIPT], layer=stem)
        (folder / f"{stem}.geojson").write_text(frame.to_json(), encoding="utf-8")
    out = tmp_path / "map.html"
    make_map(read_layers_dir(folder), embed=True).save(str(out))
    page, blocked, dialogs, errors = _open(browser, out, shot="map_injection.png")
    names = " | ".join(page.locator(".leaflet-control-layers-overlays label").all_inner_texts())
    assert hostile.CANARY in names
    assert hostile.LOOP in names
    assert "49" not in names
    assert "LOOPLOOPLOOP" not in names
    # the layer keys reach the page's script as data, exactly as named
    counts = page.evaluate("window.__planmap.layerCounts")
    assert counts == {hostile.CANARY: 2, hostile.LOOP: 2}
    assert page.evaluate("window.__pwned") is None
    assert blocked == []
    assert errors == []
    assert dialogs == []
    page.close()


@in_browser_thread
def test_multipoints_and_collections_draw_with_tooltips(browser, tmp_path):
    """Leaflet 1.9.3 (what folium links) crashed any map whose tooltip-bound layer held a
    MultiPoint or a GeometryCollection (``t.getElement is not a function``, Leaflet #8890);
    the vendored 1.9.4 draws them."""
    from shapely.geometry import GeometryCollection, MultiPoint
    from test_render import _frame

    frames = luohu_layers()
    frames["low_altitude"] = _frame(
        "low_altitude",
        [
            ("lp.all", "起降点", "all", "landing_point", "proposed", "schematic",
             MultiPoint([(114.12, 22.55), (114.13, 22.56)])),
            ("lp.1", "起降点 1", "one", "landing_point", "proposed", "schematic",
             Point(114.125, 22.555)),
        ],
    )  # fmt: skip
    frames["zones"] = _frame(
        "zones",
        [
            ("zone.gc", "混合", "Mixed", "zone", "planned", "approximate",
             GeometryCollection([Point(114.12, 22.55), LineString([(114.12, 22.55), (114.13, 22.56)])])),
        ],
    )  # fmt: skip
    out = tmp_path / "map.html"
    with pytest.warns(UserWarning, match="GeometryCollection"):  # folium's, on tooltips
        make_map(layer_set(frames), embed=True).save(str(out))
    page, blocked, _dialogs, errors = _open(browser, out, shot="map_multipoint.png")
    assert errors == []
    assert blocked == []
    counts = page.evaluate("window.__planmap.layerCounts")
    assert counts["low_altitude"] == 2
    assert counts["zones"] == 1
    page.close()


@in_browser_thread
def test_the_context_base_draws_under_the_plan_offline(browser, tmp_path):
    """Issue 11: the shipped ground (街道, parks, communities, border, metro) under the real
    Luohu plan, with the OSM attribution, and labels that do not overlap."""
    from geo.district import get_district
    from geo.gazetteer import load_gazetteer
    from layers.base import context_base
    from layers.build import build_from_files

    record = get_district("luohu")
    plan = build_from_files(overrides_path=tmp_path / "none.gpkg")
    base = context_base(load_gazetteer(record), record)
    out = tmp_path / "context.html"
    make_map(plan, embed=True, basemap="context", base=base).save(str(out))
    page, blocked, _dialogs, errors = _open(browser, out, shot="map_context_base.png")
    assert blocked == []
    assert errors == []
    counts = page.evaluate("window.__planmap.layerCounts")
    assert counts["base_communities"] == 39  # not in the plan: the base draws them
    assert "base_subdistricts" not in counts  # the plan's context layer draws the 街道
    assert counts["context"] >= 40
    assert counts["low_altitude"] == 102
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert "© OpenStreetMap contributors" in attribution
    # communities appear from zoom 14 on, not at district zoom
    zoom = page.evaluate("window.__planmap.map.getZoom()")
    assert zoom < 14
    assert not page.evaluate(
        "(() => { let on = false; window.__planmap.map.eachLayer(l => { if (l.feature && "
        "l.feature.properties.kind && l.feature.properties.kind.startsWith('社区')) on = true; });"
        " return on; })()"
    )
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.planmap-label div')]
            .filter(d => getComputedStyle(d).visibility !== 'hidden')
            .map(d => { const r = d.getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom]; })"""
    )
    assert len(boxes) >= 10
    overlaps = [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]
    assert overlaps == []
    page.evaluate("window.__planmap.map.setZoom(14) && null")
    page.wait_for_timeout(600)
    assert page.evaluate(
        "(() => { let on = false; window.__planmap.map.eachLayer(l => { if (l.feature && "
        "l.feature.properties.kind && l.feature.properties.kind.startsWith('社区')) on = true; });"
        " return on; })()"
    )
    page.close()
