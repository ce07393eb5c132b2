"""The app's map: :func:`layers.map.make_map` with the app's layout and local assets, and the
basemaps the app can offer."""

from __future__ import annotations

import folium

from geo.errors import DataError
from layers.layerset import LayerSet
from layers.map import (
    STREAMLIT_BASE_URL,
    Basemap,
    BasemapInfo,
    DrawTools,
    MapLayout,
    basemap_info,
    make_map,
)

__all__ = ["BASEMAPS", "basemap_options", "basemaps_version", "planning_map"]

#: built-in basemap value -> label; "none" is the offline default
BASEMAPS: dict[str, str] = {b.value: basemap_info(b).label for b in Basemap}


def basemaps_version() -> tuple:
    """Changes whenever the basemap settings (or the 天地图 key) change: part of map cache keys."""
    import os

    from layers.map.basemap_settings import TK_ENV, settings_path

    path = settings_path()
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    return (str(path), stamp, bool(os.environ.get(TK_ENV)))


def basemap_options() -> tuple[dict[str, str], list[str]]:
    """The basemaps the app offers (name -> label: the built-ins, then the configured ones it
    can show) and a note for each configured one it cannot.

    A broken settings file is a note too: the built-ins are still offered.
    """
    from layers.map import basemap_notes, basemaps
    from layers.map.basemap_settings import load_settings
    from layers.map.tiles import for_app

    try:
        settings = load_settings()
        known = basemaps(settings)
        notes = basemap_notes(settings)
    except DataError as exc:
        return dict(BASEMAPS), [f"basemap settings not read: {exc}"]
    options: dict[str, str] = {}
    for name, info in known.items():
        if info.kind == "xyz" and not info.online:
            notes.append(f"basemap {name}: file:// tiles show in standalone maps only")
            continue
        try:
            for_app(info)
        except DataError as exc:
            notes.append(str(exc))
            continue
        options[name] = info.label
    return options, notes


def planning_map(
    layers: LayerSet,
    *,
    basemap: str | BasemapInfo = "context",
    label_lang: str = "zh",
    highlight_id: str | None = None,
    draw: bool = False,
    embed: bool = False,
    base: LayerSet | None = None,
) -> folium.Map:
    """The map as the app shows it (assets served by Streamlit at ``/app/static/vendor/``, an
    MBTiles basemap's tiles at ``/app/static/tiles/``) or, with ``embed``, as a standalone
    page (an MBTiles basemap then needs :func:`layers.map.tiles.for_page`: see
    :func:`layers.app.downloads.map_html`); with ``draw``, the tools to locate a place;
    ``base`` is the context base (:func:`layers.base.context_base`) the ``context`` basemap
    draws."""
    from layers.map.tiles import for_app

    info = basemap_info(basemap)
    return make_map(
        layers,
        basemap=info if embed else for_app(info),
        label_lang=label_lang,
        highlight_id=highlight_id,
        asset_base=None if embed else STREAMLIT_BASE_URL,
        embed=embed,
        layout=MapLayout() if embed else MapLayout.app(),
        draw=DrawTools() if draw else None,
        base=base,
    )
