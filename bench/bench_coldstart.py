"""Cold start: a new process to a Luohu map, and ``streamlit run`` to a map drawn in Chromium.

``coldstart_map_html``: ``python -c`` that imports Planmap, builds the shipped spec and writes
the standalone map (``make_map(..., embed=True).save``), timed from spawn to exit.
``coldstart_app_to_map``: ``python -m streamlit run streamlit_app.py`` on a free port, timed
from spawn until the map's iframe in headless Chromium has Leaflet and ``window.__planmap``
(the render hook, set once every layer is added) and two animation frames have passed. The
browser is already running (a user's browser is); requests outside localhost are aborted.
One unmeasured run first, so both measure a process with Python's bytecode cache in place.

Run ``.venv/bin/python bench/bench_coldstart.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

from planmap._chromium import free_port, stop, streamlit_command, wait_for_health

APP = c.ROOT / "streamlit_app.py"
_SCRIPT = (
    "import sys; from layers.build import build_from_files; "
    "from layers.map import make_map; "
    "make_map(build_from_files(), embed=True).save(sys.argv[1])"
)
_DRAWN = (
    "() => new Promise(function (done) {"
    " if (typeof window.L !== 'object' || !window.__planmap) { done(false); return; }"
    " requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); });"
    " }); })"
)


def _env(user_dir: str) -> dict[str, str]:
    return {**os.environ, "PLANMAP_USER_DIR": user_dir, "PYTHONPATH": str(c.ROOT)}


def map_html_once(out: Path, user_dir: str) -> float:
    """Seconds from spawning Python to the written map."""
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(out)],
        cwd=c.ROOT,
        env=_env(user_dir),
        check=True,
        capture_output=True,
        timeout=300,
    )
    dt = time.perf_counter() - t0
    if not out.exists() or out.stat().st_size < 1000:
        raise RuntimeError(f"no map written to {out}")
    out.unlink()
    return dt


def _map_frame_drawn(page, deadline: float):
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "st_folium" not in frame.url:
                continue
            try:
                if frame.evaluate(_DRAWN):
                    return frame
            except Exception:  # the frame navigated or detached under us
                continue
        page.wait_for_timeout(50)
    raise TimeoutError("no drawn map in the app's component iframe")


def app_once(browser, user_dir: str, *, timeout: float = 120) -> float:
    """Seconds from spawning ``streamlit run`` to the map drawn in the (running) browser."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = streamlit_command(port)
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=c.ROOT, env=_env(user_dir), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + timeout
            if not wait_for_health(url, proc, deadline=deadline):
                log.seek(0)
                tail = log.read()[-800:].decode(errors="replace")
                raise RuntimeError(f"streamlit did not start: {tail}")
            page, _ = c.offline_page(browser, viewport=(1440, 1000))
            try:
                page.goto(url)
                _map_frame_drawn(page, deadline)
                dt = time.perf_counter() - t0
            finally:
                page.context.close()
        finally:
            stop(proc)
    return dt


def run(*, quick: bool = False, repeats: int | None = None) -> list[dict]:
    """Figures: process cold start to map HTML; app launch to a drawn map."""
    repeats = repeats or (2 if quick else 5)
    figures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="planmap-bench-") as tmp:
        user_dir = str(Path(tmp) / "user")
        Path(user_dir).mkdir()
        out = Path(tmp) / "map.html"
        map_html_once(out, user_dir)  # bytecode cache
        times = [map_html_once(out, user_dir) for _ in range(repeats)]
        figures.append(
            c.figure(
                "coldstart_map_html",
                times,
                "s",
                note="new Python process: import, build the shipped spec, standalone HTML",
            )
        )
        name = "coldstart_app_to_map"
        reason = c.chromium_missing()
        if not APP.exists():
            reason = "streamlit_app.py does not exist yet"
        if reason:
            return [*figures, c.missing(name, "s", reason)]
        try:
            with c.chromium() as browser:
                app_once(browser, user_dir)
                times = [app_once(browser, user_dir) for _ in range(max(2, repeats - 2))]
        except Exception as exc:  # the app may be mid-change by another engineer
            return [*figures, c.missing(name, "s", f"{type(exc).__name__}: {exc}"[:300])]
        figures.append(
            c.figure(
                name,
                times,
                "s",
                note="spawn `streamlit run` → map iframe has Leaflet and the layers drawn",
            )
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    print(c.table(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
