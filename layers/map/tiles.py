"""Where an MBTiles basemap's tiles are written so a browser can load them with no network.

- The app: ``static/tiles/<name>-<stamp>/{z}/{x}/{y}.<fmt>`` (git-ignored), which Streamlit's
  static file serving sends at ``/app/static/tiles/…``, from the same origin as the app, so
  the tiles load wherever the app is opened from (a colleague's browser on the intranet
  too). ``planmap basemap add`` writes the folder; the app only reads it. ``<stamp>`` is a
  digest of the file's path, size and modification time: a changed file gets a new folder
  (and a new URL, so no browser shows stale cached tiles), and two settings files never
  share one by accident.
- A standalone page: ``<page>_files/tiles/<name>/…`` beside the HTML, linked relatively, so
  the page and its folder can be copied together and opened from ``file://``.

Folders are written whole into a temporary folder and renamed into place, so an interrupted
write never leaves half a tile set where a map looks for it.

Why a static folder, and not the alternatives: a tile server thread in the app would need a
second port, and its ``http://localhost:PORT`` URL means the *viewer's* machine, so an app
opened from another computer (or behind a proxy) would show no tiles; it would also live
across Streamlit reruns and restarts. ``data:`` URIs per tile put every tile in the map
the component re-sends on each rerun (about 30 kB a tile: a district at zoom 16 is
megabytes), so they suit only a handful of tiles. Streamlit resolves symlinks and refuses
files outside ``static/``, so the tiles are copied there (as much disk as the MBTiles file).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from geo.errors import DataError
from geo.paths import REPO_ROOT
from layers.map.basemaps import BasemapInfo
from layers.map.mbtiles import MBTiles, iter_tiles, read_mbtiles

__all__ = [
    "APP_TILES_DIR",
    "APP_TILES_URL",
    "app_folder",
    "for_app",
    "for_page",
    "page_folder",
    "prepare_for_app",
    "write_tiles",
]

#: Streamlit serves ``static/`` at ``/app/static/`` (``server.enableStaticServing``)
APP_TILES_DIR = REPO_ROOT / "static" / "tiles"
APP_TILES_URL = "/app/static/tiles/"
_MANIFEST = "tiles.json"


def _stamp(path: Path) -> str:
    st = path.stat()
    key = f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}"
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def write_tiles(mb: MBTiles, folder: Path, *, progress: Callable[[int], None] | None = None) -> int:
    """Write every tile of ``mb`` as ``folder/{z}/{x}/{y}.<fmt>`` (replacing ``folder`` whole).

    Returns
    -------
    int
        The number of tiles written.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        count = 0
        made: set[tuple[int, int]] = set()
        for z, x, y, data in iter_tiles(mb):
            if (z, x) not in made:
                (tmp / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
                made.add((z, x))
            (tmp / str(z) / str(x) / f"{y}.{mb.suffix}").write_bytes(data)
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
        manifest = {
            "source": str(mb.path),
            "format": mb.format,
            "minzoom": mb.minzoom,
            "maxzoom": mb.maxzoom,
            "bounds": mb.bounds,
            "tiles": count,
        }
        (tmp / _MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the folder is served
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return count


def app_folder(name: str, mbtiles: str | Path) -> Path:
    """The app's folder for a basemap's tiles (it exists once prepared)."""
    return APP_TILES_DIR / f"{name}-{_stamp(Path(mbtiles))}"


def prepare_for_app(
    name: str, mbtiles: str | Path, *, progress: Callable[[int], None] | None = None
) -> tuple[Path, int]:
    """Write a basemap's tiles where the app serves them; drop its older folders.

    Returns
    -------
    (Path, int)
        The folder and the number of tiles.
    """
    mb = read_mbtiles(mbtiles)
    folder = app_folder(name, mbtiles)
    count = write_tiles(mb, folder, progress=progress)
    remove_from_app(name, keep=folder)
    return folder, count


def remove_from_app(name: str, *, keep: Path | None = None) -> None:
    """Delete the app's tile folders of a basemap (but ``keep``)."""
    if not APP_TILES_DIR.is_dir():
        return
    for old in APP_TILES_DIR.glob(f"{name}-*"):
        if old.is_dir() and old != keep and old.name[len(name) + 1 :].isalnum():
            shutil.rmtree(old, ignore_errors=True)


def _with_url(info: BasemapInfo, base: str) -> BasemapInfo:
    suffix = info.tiles.get("suffix", "png")
    tiles = {**info.tiles, "tiles": f"{base}{{z}}/{{x}}/{{y}}.{suffix}"}
    return replace(info, tiles=tiles)


def for_app(info: BasemapInfo) -> BasemapInfo:
    """An MBTiles basemap as the app shows it (tiles at ``/app/static/tiles/…``); any other
    basemap unchanged.

    Raises
    ------
    DataError
        The tiles have not been written for the app (``planmap basemap add`` does it).
    """
    if info.mbtiles is None:
        return info
    folder = app_folder(info.name, info.mbtiles)
    if not (folder / _MANIFEST).is_file():
        raise DataError(
            f"basemap {info.name}: its tiles are not prepared for the app; run "
            f"`planmap basemap add {info.name} {info.mbtiles}` again"
        )
    return _with_url(info, f"{APP_TILES_URL}{quote(folder.name)}/")


def page_folder(html: str | Path, name: str) -> Path:
    """The tile folder of basemap ``name`` beside a standalone page (``map_files/tiles/NAME``)."""
    html = Path(html)
    return html.with_name(f"{html.stem}_files") / "tiles" / name


def for_page(info: BasemapInfo, html: str | Path) -> BasemapInfo:
    """Write an MBTiles basemap's tiles beside a standalone page, linked relatively; any other
    basemap unchanged."""
    if info.mbtiles is None:
        return info
    folder = page_folder(html, info.name)
    write_tiles(read_mbtiles(info.mbtiles), folder)
    rel = f"{quote(folder.parent.parent.name)}/tiles/{quote(info.name)}/"
    return _with_url(info, rel)
