"""Map weight and draw time: ``layers.map.make_map`` against ``GeoDataFrame.explore()``.

The same drawable features at 1×, 10× and 100× the Luohu feature count (synthetic copies
spread over Shenzhen, :func:`_common.scale_layers`). For ``explore()`` the one-liner a user
would write: every layer in one frame, ``explore(tiles=None)``
(``column=`` would need matplotlib, which Planmap does not install).

Fairness:
- both pages link the same vendored Leaflet/jQuery/Bootstrap files (``layers.map.assets.localize``
  with a relative ``vendor/`` prefix), so bytes are the map's own HTML, assets excluded, and
  neither page waits for a CDN;
- both are fitted to the same view (the bounds of every feature; ``explore()`` does that by
  itself, ours is given an extra ``fit_bounds``: its default frames Luohu only, which would
  leave most copies outside the view and undrawn; the extra one replaces make_map's own);
- both are loaded from ``file://`` in a fresh browser context with non-local requests
  aborted, and timed the same way: ``performance.now()`` two animation frames after the
  ``load`` event (Leaflet's canvas renderer paints on the next frame, the SVG renderer has laid
  out its paths by then), with every ``L.GeoJSON`` layer's feature count checked;
- ours and explore() alternate, one load each, in the same run.

Run ``.venv/bin/python bench/bench_map.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

FACTORS = (1, 10, 100)
BASE = "vendor/"
PEER = "GeoDataFrame.explore()"
# Every Leaflet GeoJSON layer on the page, counted two frames after `load`.
_DRAWN_JS = """
window.addEventListener("load", function () {
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    var n = 0, layers = 0;
    if (window.L) {
      for (var k of Object.keys(window)) {
        var v;
        try { v = window[k]; } catch (e) { continue; }
        if (v instanceof L.GeoJSON) { n += v.getLayers().length; layers += 1; }
      }
    }
    window.__bench = {t: performance.now(), features: n, layers: layers};
  }); });
});
"""


def luohu_layers():
    """The shipped spec built as ``planmap build`` does (with the proposed landing points), no
    user overrides."""
    from layers.build import build_from_files

    return build_from_files(overrides_path="/nonexistent/planmap-user.gpkg")


def context_base():
    """The default district's context base (the ``context`` basemap's layers)."""
    from geo.district import get_district
    from geo.gazetteer import load_gazetteer
    from layers.base import context_base as make

    record = get_district()
    return make(load_gazetteer(record), record)


def _all_bounds(layers: dict) -> list[list[float]]:
    import pandas as pd

    geoms = pd.concat([g.geometry for g in layers.values() if len(g)])
    minx, miny, maxx, maxy = geoms[geoms.notna() & ~geoms.is_empty].total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def ours_html(layers: dict, *, base_url: str = BASE, same_view: bool = True, ground=None) -> str:
    """Our map's HTML (assets linked under ``base_url``), framed like explore() frames its
    map when ``same_view``; with ``ground`` (a context base) on the ``context`` basemap."""
    from folium.map import FitBounds

    from layers.map import make_map

    if ground is None:
        m = make_map(layers, asset_base=base_url)
    else:
        m = make_map(layers, asset_base=base_url, basemap="context", base=ground)
    if same_view:
        # replace make_map's framing where it stands (a second fitBounds, or one moved after
        # the layers, would cost Leaflet a re-projection of every vertex)
        same = FitBounds(_all_bounds(layers))
        same._parent = m
        m._children = type(m._children)(
            (key, same if isinstance(child, FitBounds) else child)
            for key, child in m._children.items()
        )
    return m.get_root().render()


def drawable_frame(layers: dict):
    """Every layer's drawable rows in one frame with a ``layer`` column (explore()'s input)."""
    import geopandas as gpd
    import pandas as pd

    from layers.map import drawable as _drawable

    parts = [g.loc[_drawable(g)] for g in layers.values() if len(g)]
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def explore_stubbed() -> bool:
    """Whether explore() needs stand-ins for matplotlib/mapclassify (see :func:`_explore_deps`)."""
    try:
        import mapclassify  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError:
        return True
    return False


@contextlib.contextmanager
def _explore_deps():
    """geopandas' explore() imports matplotlib and mapclassify up front but, with no
    ``column=``, uses neither. Planmap installs matplotlib (for the print sheets) but not
    mapclassify, so whichever of them is missing is satisfied by an empty stand-in module for
    the duration of the call (the HTML is the same); modules already loaded are left alone."""
    if not explore_stubbed():
        yield
        return
    stand_ins: dict[str, types.ModuleType] = {}
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        for n in ("matplotlib", "matplotlib.pyplot", "matplotlib.colors"):
            stand_ins[n] = types.ModuleType(n)
        stand_ins["matplotlib"].pyplot = stand_ins["matplotlib.pyplot"]  # type: ignore[attr-defined]
        stand_ins["matplotlib"].colors = stand_ins["matplotlib.colors"]  # type: ignore[attr-defined]
        stand_ins["matplotlib"].colormaps = None  # type: ignore[attr-defined]
    try:
        import mapclassify  # noqa: F401
    except ImportError:
        stand_ins["mapclassify"] = types.ModuleType("mapclassify")
        stand_ins["mapclassify"].classify = None  # type: ignore[attr-defined]
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for n in stand_ins:
            sys.modules.pop(n, None)


def explore_html(frame, *, base_url: str = BASE) -> str:
    """``frame.explore(tiles=None)``, its CDN links pointed at the same vendored files."""
    from layers.map import assets

    with _explore_deps():
        m = frame.explore(tiles=None)
    assets.localize(m, base_url=base_url)
    return m.get_root().render()


def load_time(browser: Any, url: str, *, timeout_ms: float = 180_000) -> dict[str, Any]:
    """Open ``url`` in a fresh offline context; seconds from navigation to two frames after
    ``load``, and the GeoJSON feature count then."""
    page, blocked = c.offline_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(_DRAWN_JS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    try:
        page.goto(url, wait_until="load", timeout=timeout_ms)
        page.wait_for_function("window.__bench !== undefined", timeout=timeout_ms)
        got = page.evaluate("window.__bench")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    finally:
        page.context.close()
    if errors:
        raise RuntimeError(f"{url}: page errors: {errors[:3]}")
    return {
        "s": got["t"] / 1000,
        # main-thread busy time: less sensitive than wall time to other processes' load
        "busy_s": metrics.get("TaskDuration", float("nan")),
        "features": got["features"],
        "blocked": blocked,
    }


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(
    *,
    quick: bool = False,
    factors=FACTORS,
    repeats: int | None = None,
    browser: bool = True,
    base: dict | None = None,
) -> list[dict]:
    """Figures per factor: bytes (ours vs explore), Python render time and, with ``browser``,
    draw time in Chromium; ``base`` (default: the Luohu build) is what is copied."""
    from layers.map.assets import VENDOR_DIR

    repeats = repeats or (3 if quick else 7)
    render_repeats = 1 if quick else 3
    base = luohu_layers() if base is None else base
    reason = c.chromium_missing() if browser else "not asked for (browser=False)"
    figures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="planmap-bench-") as tmp:
        folder = Path(tmp)
        (folder / "vendor").symlink_to(VENDOR_DIR, target_is_directory=True)
        pages: dict[int, tuple[Path, Path, int]] = {}
        for k in factors:
            layers = c.scale_layers(base, k)
            frame = drawable_frame(layers)
            out: dict[str, str] = {}

            def ours(layers=layers, out=out) -> float:
                dt, out["ours"] = c.time_once(lambda: ours_html(layers))
                return dt

            def peer(frame=frame, out=out) -> float:
                dt, out["peer"] = c.time_once(lambda: explore_html(frame))
                return dt

            t_ours, t_peer = c.interleaved(ours, peer, render_repeats)
            figures.append(
                c.comparison(
                    f"map_render_vs_explore_{k}x",
                    t_ours,
                    t_peer,
                    "s",
                    peer_name=PEER,
                    note=f"{len(frame)} features: Python build + render to HTML",
                )
            )
            b_ours = len(out["ours"].encode())
            b_peer = len(out["peer"].encode())
            figures.append(
                c.comparison(
                    f"map_bytes_vs_explore_{k}x",
                    [b_ours],
                    [b_peer],
                    "bytes",
                    peer_name=PEER,
                    note=f"{len(frame)} features; HTML without the (shared, linked) assets",
                )
            )
            pages[k] = (
                _write(folder, f"ours_{k}x.html", out["ours"]),
                _write(folder, f"explore_{k}x.html", out["peer"]),
                len(frame),
            )
            if k == 1:  # issue 11: the real map, with the context base under it
                context_page = _write(
                    folder, "ours_context_1x.html", ours_html(layers, ground=context_base())
                )
        if reason:
            figures += [c.missing(f"map_vs_explore_{k}x", "s", reason) for k in factors]
            return figures
        with c.chromium() as browser:
            for k in factors:
                p_ours, p_peer, n = pages[k]
                seen: dict[str, set] = {"ours": set(), "peer": set()}
                busy: dict[str, list] = {"ours": [], "peer": []}

                def ours_load(p=p_ours, seen=seen, busy=busy) -> float:
                    got = load_time(browser, p.as_uri())
                    seen["ours"].add(got["features"])
                    busy["ours"].append(got["busy_s"])
                    return got["s"]

                def peer_load(p=p_peer, seen=seen, busy=busy) -> float:
                    got = load_time(browser, p.as_uri())
                    seen["peer"].add(got["features"])
                    busy["peer"].append(got["busy_s"])
                    return got["s"]

                ours_load(), peer_load()  # warm the file cache of both pages
                busy["ours"].clear(), busy["peer"].clear()
                d_ours, d_peer = c.interleaved(ours_load, peer_load, repeats)
                figures.append(
                    c.comparison(
                        f"map_vs_explore_{k}x",
                        d_ours,
                        d_peer,
                        "s",
                        peer_name=PEER,
                        note=(
                            f"{n} features; draw time in headless Chromium; features drawn: "
                            f"ours {sorted(seen['ours'])}, explore {sorted(seen['peer'])}"
                        ),
                    )
                )
                if k == 1:

                    def context_load(seen=seen) -> float:
                        got = load_time(browser, context_page.as_uri())
                        seen.setdefault("context", set()).add(got["features"])
                        return got["s"]

                    context_load()
                    d_ctx, d_peer2 = c.interleaved(context_load, peer_load, repeats)
                    figures.append(
                        c.comparison(
                            "map_context_vs_explore_1x",
                            d_ctx,
                            d_peer2,
                            "s",
                            peer_name=PEER,
                            note=(
                                f"{n} planning features with the context base under them "
                                f"(features drawn {sorted(seen['context'])}) against explore() "
                                "of the planning features; draw time in headless Chromium"
                            ),
                        )
                    )
                figures.append(
                    c.comparison(
                        f"map_busy_vs_explore_{k}x",
                        busy["ours"],
                        busy["peer"],
                        "s",
                        peer_name=PEER,
                        note="the same loads: renderer main-thread busy time (CDP TaskDuration)",
                    )
                )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--factors", type=int, nargs="*", default=list(FACTORS))
    args = parser.parse_args(argv)
    figures = run(quick=args.quick, factors=tuple(args.factors))
    print(c.table(figures))
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
