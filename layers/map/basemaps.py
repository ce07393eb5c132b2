"""Basemaps: what each one is, where its tiles come from, and its datum.

The set of basemaps is the built-ins (:class:`Basemap`) plus the ones configured in the
planner's settings file (:mod:`layers.map.basemap_settings`): raster MBTiles packages, intranet
XYZ/WMTS services and, with a key, 天地图. A basemap whose tiles are GCJ-02 (AMap, or a
configured GCJ-02 one) makes the map shift every overlay to GCJ-02 for display; storage stays
WGS-84.

An MBTiles basemap has no URL of its own: its tiles are written where the map is shown
(:mod:`layers.map.tiles`: the app's static folder, or a folder beside a standalone page),
which fills in ``tiles["tiles"]``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import folium

from geo.errors import DataError, OptionError
from geo.model import Choice
from layers.map.page import html_text

__all__ = [
    "Basemap",
    "BasemapInfo",
    "basemap_info",
    "basemap_notes",
    "basemaps",
    "tile_layers",
]


class Basemap(Choice):
    #: the shipped vector context (subdistricts, parks, river, metro) under the plan, offline
    CONTEXT = "context"
    NONE = "none"
    OSM = "osm"
    CARTODB_POSITRON = "cartodb_positron"
    AMAP = "amap"
    SATELLITE = "satellite"


@dataclass(frozen=True)
class BasemapInfo:
    """One basemap: its label, tile options for ``folium.TileLayer``, datum, and whether it
    needs the network.

    ``overlays`` are tile layers drawn over ``tiles`` (天地图's annotation), ``kind`` is
    ``builtin``, ``mbtiles``, ``xyz`` or ``tianditu``, and ``mbtiles`` the file of an MBTiles
    basemap.
    """

    label: str
    tiles: dict[str, Any] = field(default_factory=dict)
    datum: str = "wgs84"
    online: bool = True
    name: str = ""
    kind: str = "builtin"
    overlays: tuple[dict[str, Any], ...] = ()
    mbtiles: str | None = None


_INFO: dict[Basemap, BasemapInfo] = {
    Basemap.CONTEXT: BasemapInfo("底图 Context (offline: 街道, parks, river)", online=False),
    Basemap.NONE: BasemapInfo("无底图 None (offline)", online=False),
    Basemap.OSM: BasemapInfo(
        "OpenStreetMap (online)",
        {
            "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "attr": "© OpenStreetMap contributors",
            "max_native_zoom": 19,
        },
    ),
    Basemap.CARTODB_POSITRON: BasemapInfo(
        "CartoDB Positron (online)",
        {
            "tiles": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
            "attr": "© OpenStreetMap contributors © CARTO",
            "subdomains": "abcd",
            "max_native_zoom": 20,
        },
    ),
    Basemap.AMAP: BasemapInfo(
        "高德 AMap (online, GCJ-02)",
        {
            "tiles": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
            "&style=8&x={x}&y={y}&z={z}",
            "attr": "高德地图",
            "subdomains": "1234",
            "max_native_zoom": 18,
        },
        datum="gcj02",
    ),
    Basemap.SATELLITE: BasemapInfo(
        "卫星 Satellite (online)",
        {
            "tiles": "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/"
            "MapServer/tile/{z}/{y}/{x}",
            "attr": "Esri, Maxar, Earthstar Geographics",
            "max_native_zoom": 18,
        },
    ),
}
_INFO = {b: replace(info, name=b.value) for b, info in _INFO.items()}


@functools.lru_cache(maxsize=32)
def _mbtiles(path: str, _stamp: tuple[int, int]):
    from layers.map.mbtiles import read_mbtiles

    return read_mbtiles(path)


def _from_mbtiles(name: str, settings) -> BasemapInfo:
    entry = settings.mbtiles[name]
    path = settings.mbtiles_path(name)
    try:
        st = path.stat()
    except OSError:
        raise DataError(f"{path}: no such MBTiles file (basemap {name})") from None
    mb = _mbtiles(str(path), (st.st_mtime_ns, st.st_size))
    w, s, e, n = mb.bounds
    return BasemapInfo(
        entry.label or f"{name} (MBTiles, offline)",
        {
            "attr": entry.attribution or mb.attribution or f"{path.name} (MBTiles)",
            "min_native_zoom": mb.minzoom,
            "max_native_zoom": mb.maxzoom,
            "bounds": [[s, w], [n, e]],
            "suffix": mb.suffix,
        },
        datum=entry.datum.display,
        online=False,
        name=name,
        kind="mbtiles",
        mbtiles=str(path),
    )


def _from_xyz(name: str, settings) -> BasemapInfo:
    entry = settings.xyz[name]
    tiles: dict[str, Any] = {
        "tiles": entry.url,
        "attr": entry.attribution,
        "min_zoom": entry.min_zoom,
        "max_native_zoom": entry.max_zoom,
    }
    if entry.subdomains:
        tiles["subdomains"] = entry.subdomains
    if entry.bounds:
        w, s, e, n = entry.bounds
        tiles["bounds"] = [[s, w], [n, e]]
    if "{-y}" in entry.url:
        tiles["tiles"] = entry.url.replace("{-y}", "{y}")
        tiles["tms"] = True
    return BasemapInfo(
        entry.label or f"{name} (tile service)",
        tiles,
        datum=entry.datum.display,
        online=not entry.url.lower().startswith("file:"),
        name=name,
        kind="xyz",
    )


def _tianditu_key(settings) -> tuple[str, str]:
    """The 天地图 key and where it came from ('' when there is none)."""
    from layers.map.basemap_settings import TK_ENV

    env = os.environ.get(TK_ENV, "").strip()
    if env:
        return env, TK_ENV
    if settings.tianditu is not None and settings.tianditu.tk:
        return settings.tianditu.tk, f"{Path(settings.source).name}: tianditu.tk"
    return "", ""


def _from_tianditu(settings) -> dict[str, BasemapInfo]:
    import re

    from layers.map import tianditu

    tk, _ = _tianditu_key(settings)
    if not tk or not re.fullmatch(r"[0-9A-Za-z]{16,64}", tk):
        return {}
    wanted = settings.tianditu.layers if settings.tianditu is not None else ("vec", "img")
    out = {}
    for layer in wanted:
        note, label = tianditu.LAYERS[layer]
        common = {
            "attr": tianditu.ATTRIBUTION,
            "subdomains": tianditu.SUBDOMAINS,
            "max_native_zoom": tianditu.MAX_ZOOM,
        }
        out[f"tianditu_{layer}"] = BasemapInfo(
            label,
            {"tiles": tianditu.template(layer, tk), **common},
            name=f"tianditu_{layer}",
            kind="tianditu",
            overlays=({"tiles": tianditu.template(note, tk), **common},),
        )
    return out


def _settings(settings=None):
    from layers.map.basemap_settings import load_settings

    return settings if settings is not None else load_settings()


def basemaps(settings=None) -> dict[str, BasemapInfo]:
    """Every basemap by name: the built-ins, then the configured ones that can be drawn.

    A configured MBTiles file that is missing or broken is left out (:func:`basemap_notes`
    says why).

    Raises
    ------
    DataError
        The settings file is broken (one line naming the file and key).
    """
    settings = _settings(settings)
    out = {b.value: info for b, info in _INFO.items()}
    for name in settings.mbtiles:
        try:
            out[name] = _from_mbtiles(name, settings)
        except DataError:
            continue
    for name in settings.xyz:
        out[name] = _from_xyz(name, settings)
    out.update(_from_tianditu(settings))
    return out


def basemap_notes(settings=None) -> list[str]:
    """Why a configured basemap is not offered (one line each)."""
    from layers.map.basemap_settings import TK_ENV

    settings = _settings(settings)
    notes = []
    for name in settings.mbtiles:
        try:
            _from_mbtiles(name, settings)
        except DataError as exc:
            notes.append(f"basemap {name} not offered: {exc}")
    tk, where = _tianditu_key(settings)
    if not tk:
        notes.append(
            f"天地图 Tianditu not offered: no tk key (set {TK_ENV}, or tk in [tianditu] of "
            f"{settings.source or 'the basemap settings file'})"
        )
    elif not _from_tianditu(settings):
        notes.append(f"天地图 Tianditu not offered: the key in {where} is not letters and digits")
    return notes


def basemap_info(basemap: str | Basemap | BasemapInfo, *, settings=None) -> BasemapInfo:
    """The record of a basemap: a built-in, a configured one, or ``basemap`` itself.

    Raises
    ------
    OptionError
        Unknown name, listing every basemap there is.
    DataError
        A broken settings file, or a configured MBTiles file that is missing or broken.
    """
    if isinstance(basemap, BasemapInfo):
        return basemap
    try:
        return _INFO[Basemap.get(basemap, name="basemap")]
    except OptionError:
        pass
    settings = _settings(settings)
    name = str(basemap).strip()
    if name in settings.mbtiles:
        return _from_mbtiles(name, settings)
    known = basemaps(settings)
    if name in known:
        return known[name]
    notes = "; ".join(n for n in basemap_notes(settings) if name.startswith("tianditu"))
    raise OptionError(
        f"basemap {name!r} is not one of: {', '.join(known)}" + (f" ({notes})" if notes else "")
    )


def tile_layers(info: BasemapInfo) -> list[folium.TileLayer]:
    """The ``TileLayer`` s of a basemap (none for a basemap without tiles), attribution escaped
    once as HTML.

    Raises
    ------
    DataError
        An MBTiles basemap whose tiles have not been written for this map.
    """
    if not info.tiles:
        return []
    layers = []
    for i, options in enumerate((info.tiles, *info.overlays)):
        if "tiles" not in options:
            raise DataError(
                f"basemap {info.name}: its tiles have not been written for this map "
                "(layers.map.tiles.for_app / for_page)"
            )
        kw = {k: v for k, v in options.items() if k not in ("attr", "suffix")}
        layers.append(
            folium.TileLayer(
                name=f"{info.name or 'basemap'}{'_' + str(i) if i else ''}",
                control=False,
                attr=html_text(options.get("attr", "")) or html_text(info.label),
                **{"max_zoom": 19, **kw},
            )
        )
    return layers
