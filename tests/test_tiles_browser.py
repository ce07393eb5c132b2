"""A planner's MBTiles basemap in Debian's Chromium, every request outside localhost aborted:
the tiles load under the features in a standalone map (file://) and in the app (streamlit run).

The browser runs in a thread of its own (see test_map_browser): the app tests keep a
session-scoped Playwright in the main thread.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from test_map_browser import _BrowserThread, in_browser_thread
from test_render import EXPECTED_COUNTS, layer_set, luohu_layers
from tilesets import make_mbtiles

from planmap._chromium import (
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
#: the app's tile folder is in the repository's (git-ignored) static/: a name no one else uses
NAME = f"t{os.getpid()}_browser"
LABEL = "罗湖测试瓦片 Test tiles (MBTiles)"
ATTRIBUTION = "测试瓦片 <b>Test</b> & {{ 7*7 }}"

#: images the browser drew in the tile pane, and where they came from
LOADED = """() => [...document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile')]
    .filter(i => i.complete && i.naturalWidth > 0).map(i => i.src)"""
#: the tile pane lies under the pane Leaflet draws the features in
PANES = """() => {
    const z = c => Number(getComputedStyle(document.querySelector(c)).zIndex);
    return [z('.leaflet-tile-pane'), z('.leaflet-overlay-pane')]; }"""


@pytest.fixture(scope="module")
def browser():
    reason = missing()
    if reason:
        (pytest.fail if must_run() else pytest.skip)(reason)
    pytest.importorskip("playwright.sync_api")
    handle = _BrowserThread()
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    """A user folder whose settings hold one MBTiles basemap, prepared for the app."""
    from layers.map.tiles import remove_from_app
    from planmap.cli import main

    user = tmp_path_factory.mktemp("user")
    tiles = make_mbtiles(tmp_path_factory.mktemp("tiles") / "luohu.mbtiles", zooms=(11, 12, 13))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANMAP_USER_DIR", str(user))
        mp.delenv("PLANMAP_BASEMAPS", raising=False)
        args = ["basemap", "add", NAME, str(tiles), "--label", LABEL, "--attribution", ATTRIBUTION]
        assert main(args) == 0
        yield user, mp
    remove_from_app(NAME)


def _wait_for_tiles(target, least: int = 4) -> list[str]:
    target.wait_for_function(f"({LOADED})().length >= {least}", timeout=20000)
    return target.evaluate(LOADED)


@pytest.fixture(scope="module")
def standalone(configured, tmp_path_factory):
    """``planmap map --basemap NAME`` of the test layers: the page and its tile folder."""
    from layers.export import write_build
    from planmap.cli import main

    folder = tmp_path_factory.mktemp("page")
    write_build(layer_set(luohu_layers()), folder / "layers")
    out = folder / "map.html"
    cmd = ["map", "--out", str(out), "--layers-dir", str(folder / "layers"), "--basemap", NAME]
    assert main(cmd) == 0
    return out


@in_browser_thread
def test_standalone_map_draws_its_mbtiles_under_the_features(browser, standalone):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    blocked = block_offsite(page)
    page.goto(standalone.as_uri())
    page.wait_for_function("window.__planmap !== undefined", timeout=15000)
    loaded = _wait_for_tiles(page)
    page.wait_for_timeout(300)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tiles_standalone.png"))
    folder = standalone.with_name("map_files") / "tiles" / NAME
    assert all(src.startswith(folder.as_uri() + "/") and src.endswith(".png") for src in loaded)
    assert page.evaluate("window.__planmap.layerCounts") == EXPECTED_COUNTS
    tiles_z, overlay_z = page.evaluate(PANES)
    assert tiles_z < overlay_z
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "测试瓦片 <b>Test</b> & {{ 7*7 }}" in credit  # text, escaped once, not run
    assert blocked == []
    assert errors == []
    page.close()


@pytest.fixture(scope="module")
def app_url(configured, tmp_path_factory):
    """``streamlit run`` with the configured user folder; always stopped."""
    user, _ = configured
    port = free_port()
    log = (tmp_path_factory.mktemp("log") / "streamlit.log").open("w+")
    proc = subprocess.Popen(
        streamlit_command(port),
        cwd=ROOT,
        env={**os.environ, "PLANMAP_USER_DIR": str(user)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_for_health(url, proc, deadline=time.monotonic() + 60, pause=0.3):
            log.seek(0)
            pytest.fail(f"streamlit did not start:\n{log.read()[-3000:]}")
        yield url
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def app_counts(configured):
    from layers import app

    user, _ = configured
    built = app.build_view(overrides_path=user / "overrides.geojson")
    return {name: int(app.drawn_mask(gdf).sum()) for name, gdf in built.items()}


@in_browser_thread
def test_app_serves_the_mbtiles_basemap_from_localhost(browser, app_url, app_counts):
    from test_app_browser import Session

    session = Session(browser, app_url)
    try:
        page = session.page
        picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Basemap")
        picker.scroll_into_view_if_needed()
        picker.click()
        page.get_by_role("option", name=LABEL).click()
        frame = session.map_frame(
            "Object.values(window.__planmap.map._layers)"
            ".some(l => (l._url || '').includes('/app/static/tiles/'))"
        )
        loaded = _wait_for_tiles(frame)
        session.settle(frame)
        session.shot("tiles_app.png")
        assert all(f"/app/static/tiles/{NAME}-" in src for src in loaded)
        assert all(src.startswith(app_url) for src in loaded)  # the app's own origin
        assert frame.evaluate("window.__planmap.layerCounts") == app_counts
        tiles_z, overlay_z = frame.evaluate(PANES)
        assert tiles_z < overlay_z
        assert "测试瓦片 <b>Test</b>" in frame.locator(".leaflet-control-attribution").inner_text()
        assert session.blocked == [], session.blocked
        assert session.errors == []
        assert session.dialogs == []
    finally:
        session.close()
