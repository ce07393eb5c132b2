"""Load: N sessions of the app at once, their time to the first map, and the server's memory.

``streamlit run streamlit_app.py`` on a free localhost port, then headless Chromium opens
:data:`SESSIONS` sessions in parallel (one browser context each, empty cache, every request off
localhost aborted). Figures:

- ``app_load_warmup_map``: the first session alone (imports, the build, the caches filled).
- ``app_load_first_map``/``_max``: then N sessions at once, seconds from a session's ``goto``
  until its map iframe has Leaflet and ``window.__planmap`` (every layer added), median and
  slowest of the N.
- ``app_load_upload_map``: :data:`UPLOADS` of the sessions then each upload a different GeoJSON
  of 1,000 lines, 40,000 vertices (~1.1 MB; the app takes up to 200,000), seconds from
  ``set_input_files`` until the map shows the uploaded layer.
- ``app_load_rss_*``: the server's resident memory (``VmRSS``) idle after start, with the N
  sessions open, after the uploads, and after every session closed and the caches expired
  (the server runs with ``disconnectedSessionTTL`` 2 s and ``PLANMAP_APP_CACHE_TTL_S``
  :data:`TTL_S`; one fresh session then touches the caches, which drops expired entries), and
  after that session uploads :data:`REUSE` more distinct files (whether the freed memory is
  reused: Python and glibc keep freed memory for the process rather than giving it back).

Bounded: the whole section gives up after :data:`BUDGET_S` seconds. Offline: Streamlit's
static files and the map's vendored assets come from localhost.

Run ``.venv/bin/python bench/bench_app_load.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

from planmap._chromium import free_port, is_local, stop, streamlit_command, wait_for_health

SESSIONS = 8
UPLOADS = 4
TTL_S = 6
#: distinct uploads a fresh session makes after the expiry: is the freed memory reused?
REUSE = 2
BUDGET_S = 115.0
_DRAWN = (
    "(needle) => new Promise(function (done) {"
    " if (typeof window.L !== 'object' || !window.__planmap) { done(false); return; }"
    " if (needle && document.body.innerHTML.indexOf(needle) < 0) { done(false); return; }"
    " requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); });"
    " }); })"
)


def rss(pid: int) -> int:
    """Resident memory of a process, bytes (``VmRSS`` of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def upload_file(folder: Path, seed: int, *, features: int = 1000, vertices: int = 40) -> Path:
    """A GeoJSON of ``features`` random lines in the district, ``vertices`` each (seeded)."""
    rng = np.random.default_rng(c.SEED + seed)
    feats = []
    for i in range(features):
        x0, y0 = rng.uniform(114.05, 114.2), rng.uniform(22.52, 22.62)
        steps = rng.normal(0, 2e-4, (vertices, 2)).cumsum(axis=0) + (x0, y0)  # noqa: RUF005 - numpy broadcasting, not a tuple
        feats.append(
            {
                "type": "Feature",
                "properties": {"name": f"线{seed}-{i}", "status": "planned"},
                "geometry": {"type": "LineString", "coordinates": steps.round(6).tolist()},
            }
        )
    path = folder / f"load{seed}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


async def _new_page(browser):
    ctx = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page = await ctx.new_page()

    async def route(r):
        if is_local(r.request.url):
            await r.continue_()
        else:
            await r.abort()

    await page.route("**/*", route)
    return page


async def _drawn(page, deadline: float, needle: str = "") -> None:
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "st_folium" not in frame.url:
                continue
            try:
                if await frame.evaluate(_DRAWN, needle):
                    return
            except Exception:  # the frame navigated or detached under us
                continue
        await page.wait_for_timeout(100)
    raise TimeoutError(f"no drawn map{' with ' + needle if needle else ''} in time")


async def _first_map(page, url: str, deadline: float) -> float:
    t0 = time.perf_counter()
    await page.goto(url)
    t1 = time.perf_counter()
    await _drawn(page, deadline)
    print(f"[app_load] page {t1 - t0:.1f} s, map {time.perf_counter() - t1:.1f} s", file=sys.stderr)
    return time.perf_counter() - t0


async def _upload(page, path: Path, deadline: float) -> float:
    t0 = time.perf_counter()
    await page.locator("[data-testid='stSidebar'] input[type=file]").set_input_files(str(path))
    await _drawn(page, deadline, needle=path.name)
    return time.perf_counter() - t0


async def _load(url: str, pid: int, files: list[Path], reuse: list[Path], deadline: float) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {"rss_idle": rss(pid)}
    t0 = time.monotonic()

    def log(what: str) -> None:
        print(f"[app_load] {time.monotonic() - t0:5.1f} s {what}", file=sys.stderr, flush=True)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=c.CHROMIUM, args=c.CHROMIUM_ARGS)
        try:
            warm = await _new_page(browser)
            out["warmup"] = await _first_map(warm, url, deadline)  # imports, builds, caches
            await warm.context.close()
            out["rss_warm"] = rss(pid)
            log("warm-up map drawn")
            pages = [await _new_page(browser) for _ in range(SESSIONS)]
            out["first"] = await asyncio.gather(*(_first_map(pg, url, deadline) for pg in pages))
            out["rss_sessions"] = rss(pid)
            log(f"{SESSIONS} maps drawn")
            done = await asyncio.gather(
                *(_upload(pg, f, deadline) for pg, f in zip(pages, files, strict=False)),
                return_exceptions=True,
            )
            if all(isinstance(d, float) for d in done):
                out["upload"] = done
                out["rss_uploads"] = rss(pid)
                log(f"{UPLOADS} uploads drawn")
            else:
                out["missing"] = f"the uploads were not drawn within the {BUDGET_S:.0f} s budget"
            for pg in pages:
                await pg.context.close()
            closed = time.monotonic()
            await asyncio.sleep(3)  # disconnectedSessionTTL: the sessions' uploads are dropped
            out["rss_closed"] = rss(pid)
            await asyncio.sleep(max(0.0, TTL_S + 1 - (time.monotonic() - closed)))
            fresh = await _new_page(browser)
            try:  # a fresh session touches every cache: expired entries are dropped
                out["fresh"] = await _first_map(fresh, url, deadline + 30)
                await asyncio.sleep(1)
                out["rss_expired"] = rss(pid)
                log("caches expired")
                for f in reuse:  # new, distinct uploads: does memory grow again?
                    await _upload(fresh, f, deadline + 30)
                out["rss_reuse"] = rss(pid)
                log(f"{len(reuse)} more uploads drawn")
            except TimeoutError:
                out.setdefault("missing", "the fresh session's maps were not drawn in time")
            await fresh.context.close()
        finally:
            await browser.close()
    return out


def run(*, quick: bool = False) -> list[dict]:
    """Figures: time to the first map of N parallel sessions, upload to map, server memory."""
    reason = c.chromium_missing()
    if reason:
        return [c.missing("app_load_first_map", "s", reason)]
    t_start = time.monotonic()
    deadline = t_start + BUDGET_S
    with tempfile.TemporaryDirectory(prefix="planmap-bench-load-") as tmp:
        folder = Path(tmp)
        (folder / "user").mkdir()
        files = [upload_file(folder, i) for i in range(1, UPLOADS + 1)]
        reuse = [upload_file(folder, UPLOADS + i) for i in range(1, REUSE + 1)]
        mb = f"{files[0].stat().st_size / 1e6:.1f} MB" if files else ""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [*streamlit_command(port), "--server.disconnectedSessionTTL", "2"]
        env = {
            **os.environ,
            "PLANMAP_USER_DIR": str(folder / "user"),
            "PYTHONPATH": str(c.ROOT),
            "PLANMAP_APP_CACHE_TTL_S": str(TTL_S),
        }
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(cmd, cwd=c.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                if not wait_for_health(url, proc, deadline=deadline):
                    log.seek(0)
                    tail = log.read()[-800:].decode(errors="replace")
                    raise RuntimeError(f"streamlit did not start: {tail}")
                out = asyncio.run(_load(url, proc.pid, files, reuse, deadline))
            finally:
                stop(proc)
    load = "load average {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())
    note = f"{SESSIONS} parallel Chromium sessions on one `streamlit run`; {load}"
    gone = out.get("missing", "not measured")

    def one(name: str, key: str, unit: str, note: str) -> dict:
        value = out.get(key)
        if value is None:
            return c.missing(name, unit, gone)
        return c.figure(name, value if isinstance(value, list) else [value], unit, note=note)

    return [
        one("app_load_warmup_map", "warmup", "s", "one session, cold server"),
        one("app_load_first_map", "first", "s", note),
        c.figure("app_load_first_map_max", [max(out["first"])], "s", note="slowest session"),
        one(
            "app_load_upload_map",
            "upload",
            "s",
            f"{UPLOADS} sessions each upload a different {mb} GeoJSON (40,000 vertices)",
        ),
        one("app_load_fresh_map", "fresh", "s", "a new session, caches expired"),
        one("app_load_rss_idle", "rss_idle", "bytes", "server started, no session"),
        one("app_load_rss_warm", "rss_warm", "bytes", "after the warm-up"),
        one("app_load_rss_sessions", "rss_sessions", "bytes", f"{SESSIONS} maps"),
        one("app_load_rss_uploads", "rss_uploads", "bytes", "after the uploads"),
        one("app_load_rss_closed", "rss_closed", "bytes", "sessions closed, caches not expired"),
        one(
            "app_load_rss_expired",
            "rss_expired",
            "bytes",
            f"closed + cache TTL {TTL_S} s passed + one fresh session",
        ),
        one(
            "app_load_rss_reuse",
            "rss_reuse",
            "bytes",
            f"then {REUSE} new distinct uploads in that session (freed memory reused?)",
        ),
        c.figure(
            "app_load_section", [time.monotonic() - t_start], "s", note="whole section, bounded"
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the same (already bounded)")
    parser.add_argument("--sessions", type=int, default=0, help="parallel sessions (default 8)")
    args = parser.parse_args(argv)
    if args.sessions:
        globals()["SESSIONS"] = args.sessions
    figures = run(quick=args.quick)
    print(c.table(figures))
    print(json.dumps({f["name"]: f["median"] for f in figures}, indent=1))
    first = [f for f in figures if f["name"] == "app_load_first_map"]
    return 0 if first and first[0].get("median") is not None else 1


if __name__ == "__main__":
    raise SystemExit(main())
