"""Shared helpers of the benchmarks: timing, figures, synthetic data, headless Chromium.

A *figure* is a plain dict, the unit of ``bench/results.json``::

    {"name": ..., "median": float | None, "unit": "s" | "bytes" | ..., "n": repeats,
     # comparisons only (ratio = ours / peer, both measured in the same run, interleaved):
     "peer": "...", "peer_median": float, "ratio": float,
     # optional
     "note": "...", "missing": "why the figure could not be measured"}
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planmap._chromium import (  # noqa: E402  (after the path fix)
    CHROMIUM,
    CHROMIUM_ARGS,
    block_offsite,
)

#: Shenzhen's bounding box (lon/lat) over which synthetic copies are spread
SHENZHEN_BBOX = (113.75, 22.45, 114.62, 22.85)
SEED = 20261127


# -- figures ---------------------------------------------------------------------------------


def figure(name: str, values: list[float], unit: str, **extra: Any) -> dict[str, Any]:
    """A figure from repeated measurements: their median, the unit and the repeat count."""
    out = {"name": name, "median": statistics.median(values), "unit": unit, "n": len(values)}
    return out | extra


def comparison(
    name: str, ours: list[float], peer: list[float], unit: str, *, peer_name: str, **extra: Any
) -> dict[str, Any]:
    """A figure compared with a peer measured in the same run: ``ratio = ours / peer``."""
    out = figure(name, ours, unit, **extra)
    out["peer"] = peer_name
    out["peer_median"] = statistics.median(peer)
    out["ratio"] = out["median"] / out["peer_median"] if out["peer_median"] else None
    return out


def missing(name: str, unit: str, reason: str) -> dict[str, Any]:
    """A figure that could not be measured, with the reason."""
    return {"name": name, "median": None, "unit": unit, "n": 0, "missing": reason}


def time_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call of ``fn`` takes, and what it returned."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def interleaved(
    ours: Callable[[], float], peer: Callable[[], float], repeats: int
) -> tuple[list[float], list[float]]:
    """Alternate ``ours``/``peer`` (each returns one measurement), starting with each in turn,
    so both see the same machine noise."""
    a, b = [], []
    for i in range(repeats):
        if i % 2:
            b.append(peer())
            a.append(ours())
        else:
            a.append(ours())
            b.append(peer())
    return a, b


def fmt_value(value: float | None, unit: str) -> str:
    """A value in a readable unit (ms below a second, MB for bytes)."""
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "bytes":
        return f"{value / 1e6:.2f} MB" if value >= 1e5 else f"{value / 1e3:.1f} kB"
    if unit == "us/feature":
        return f"{value:.0f} µs/feature"
    if unit == "names/s":
        return f"{value:,.0f} names/s"
    if unit == "exponent":
        return f"{value:.2f}"
    return f"{value:.3g} {unit}"


def table(figures: list[dict[str, Any]]) -> str:
    """A Markdown table of figures."""
    lines = [
        "| figure | ours (median) | n | peer | peer (median) | ours/peer |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        if f.get("missing"):
            lines.append(f"| {f['name']} | missing: {f['missing']} | 0 | | | |")
            continue
        peer = f.get("peer", "")
        pm = fmt_value(f.get("peer_median"), f["unit"]) if peer else ""
        ratio = f"{f['ratio']:.2f}" if f.get("ratio") is not None else ""
        lines.append(
            f"| {f['name']} | {fmt_value(f['median'], f['unit'])} | {f['n']} | {peer} | {pm} "
            f"| {ratio} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """Where the figures came from: cores, CPU, RAM, Python, Chromium."""
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kb / 1024**2:.1f} GiB"
    chromium = "not installed"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, timeout=30
        ).stdout
        chromium = out.strip().splitlines()[-1] if out.strip() else "?"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "chromium": chromium,
        "platform": platform.platform(),
    }


# -- synthetic data ----------------------------------------------------------------------------


def _anchors(geoms: np.ndarray) -> np.ndarray:
    """Centre of each geometry's bounds (x, y); NaN for missing/empty."""
    import shapely

    b = shapely.bounds(geoms)
    return np.column_stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2])


def translate_each(geoms: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Translate geometry ``i`` by ``(dx[i], dy[i])`` (vectorised; None stays None)."""
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    ok = ~shapely.is_missing(geoms)
    if not ok.any():
        return out
    sub = geoms[ok]
    coords, index = shapely.get_coordinates(sub, return_index=True)
    coords = coords + np.column_stack([dx[ok][index], dy[ok][index]])
    out[ok] = shapely.set_coordinates(sub, coords)  # sub is a copy: the input is kept
    return out


def scale_layers(layers: dict, factor: int, *, seed: int = SEED) -> dict:
    """``factor`` copies of every layer's rows: the originals, then copies moved to random
    places in Shenzhen's bounding box (seeded), with unique ids and names.

    Keeps the metadata of a :class:`layers.layerset.LayerSet`.
    """
    from dataclasses import replace

    import geopandas as gpd
    import pandas as pd

    from layers.layerset import LayerSet

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = SHENZHEN_BBOX
    out = {}
    for name, gdf in layers.items():
        parts = [gdf]
        geoms = np.asarray(gdf.geometry.array, dtype=object)
        anchors = _anchors(geoms)
        for c in range(1, factor):
            tx = rng.uniform(x0, x1, len(gdf))
            ty = rng.uniform(y0, y1, len(gdf))
            copy = gdf.copy()
            copy["id"] = gdf["id"].astype(str) + f"~{c}"
            copy["name"] = gdf["name"].astype(str) + f" {c}"
            copy["name_en"] = gdf["name_en"].fillna("").astype(str) + f" {c}"
            moved = translate_each(geoms, tx - anchors[:, 0], ty - anchors[:, 1])
            copy = copy.set_geometry(gpd.GeoSeries(moved, index=gdf.index, crs=gdf.crs))
            parts.append(copy)
        frame = pd.concat(parts, ignore_index=True) if factor > 1 else gdf.copy()
        out[name] = gpd.GeoDataFrame(frame, geometry=gdf.geometry.name, crs=gdf.crs)
    if isinstance(layers, LayerSet):
        return LayerSet(
            [replace(layer, frame=out[layer.name]) for layer in layers.layers],
            district=layers.district,
            title=layers.title,
        )
    return out


def scale_gazetteer(gaz, factor: int, *, seed: int = SEED, jitter_deg: float = 0.002):
    """The gazetteer and ``factor - 1`` copies of its rows (the district itself excepted), each
    with a unique id, name and aliases, moved by a small random offset (seeded) so that the
    build's inside-the-district checks keep them. Returns ``(gazetteer, {name: copy names})``.
    """
    import geopandas as gpd
    import pandas as pd

    rng = np.random.default_rng(seed)
    base = gaz[gaz["kind"] != "district"]
    geoms = np.asarray(base.geometry.array, dtype=object)
    parts, copies = [gaz], {}
    for c in range(1, factor):
        copy = base.copy()
        copy["id"] = base["id"].astype(str) + f"~{c}"
        copy["name"] = base["name"].astype(str) + f" {c}"
        copy["name_en"] = base["name_en"].fillna("").astype(str) + f" {c}"
        copy["aliases"] = [[f"{a} {c}" for a in al] for al in base["aliases"]]
        d = rng.uniform(-jitter_deg, jitter_deg, (len(base), 2))
        copy = copy.set_geometry(
            gpd.GeoSeries(translate_each(geoms, d[:, 0], d[:, 1]), index=base.index, crs=gaz.crs)
        )
        parts.append(copy)
        for orig, new in zip(base["name"], copy["name"], strict=True):
            copies.setdefault(str(orig), []).append(str(new))
    frame = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=gaz.geometry.name, crs=gaz.crs), copies


def scale_spec(spec, gaz, copies: dict[str, list[str]]):
    """The spec with every named feature repeated for each copy of its place (kind selectors
    pick the copies up by themselves)."""
    from geo.name_index import NameIndex

    index = NameIndex.from_frame(gaz)
    layers = []
    for lay in spec.layers:
        feats = list(lay.features)
        for feat in lay.features:
            found = index.find(feat.place)
            canonical = found.name if found is not None else feat.place
            feats += [feat.model_copy(update={"place": n}) for n in copies.get(canonical, [])]
        layers.append(lay.model_copy(update={"features": tuple(feats)}))
    return spec.model_copy(update={"layers": tuple(layers)})


# -- processes and browser ---------------------------------------------------------------------


def chromium_missing() -> str | None:
    """Why headless Chromium cannot run here, or None if it can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (make test-setup)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def offline_page(browser: Any, *, viewport: tuple[int, int] = (1280, 860)) -> tuple[Any, list]:
    """A new page (own context, empty cache) where every non-local request is aborted."""
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    return page, block_offsite(page)
