"""What the app offers for download: GeoJSON, GeoPackage, CSV, a standalone HTML map and a
print sheet (出图: PDF, :mod:`layers.sheet`)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.geojson import geojson_text
from layers.build import empty_layer
from layers.export import csv_frame, write_gpkg
from layers.layerset import LayerSet
from layers.map import assert_no_cdn, page_html

__all__ = [
    "SHEET_ORIENTATIONS",
    "SHEET_PAPERS",
    "csv_bytes",
    "geojson_bytes",
    "gpkg_bytes",
    "map_file",
    "map_html",
    "sheet_file",
    "sheet_pdf",
]

#: the paper sizes and orientations the app offers for a sheet (A3 landscape first)
SHEET_PAPERS = ["A3", "A4", "A2", "A1", "A0"]
SHEET_ORIENTATIONS = ["landscape", "portrait"]


def geojson_bytes(
    layers: Mapping[str, gpd.GeoDataFrame], names: Sequence[str] | None = None
) -> bytes:
    """One RFC 7946 FeatureCollection of the given layers (each feature carries ``layer``)."""
    chosen = [layers[n] for n in (names or list(layers)) if n in layers]
    parts = [g for g in chosen if len(g)]
    if parts:
        frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)
    else:
        frame = empty_layer()
    return geojson_text(frame).encode("utf-8")


def gpkg_bytes(layers: Mapping[str, gpd.GeoDataFrame]) -> bytes:
    """A GeoPackage with one table per layer, written in a temporary folder and read back."""
    with tempfile.TemporaryDirectory(prefix="planmap-") as tmp:
        path = write_gpkg(layers, Path(tmp) / "planmap.gpkg")
        return path.read_bytes()


def csv_bytes(layers: Mapping[str, gpd.GeoDataFrame]) -> bytes:
    """All layers in one CSV (UTF-8 with BOM, so spreadsheet programs show the Chinese)."""
    return csv_frame(layers).to_csv(index=False).encode("utf-8-sig")


def map_file(stem: str, basemap: str = "context") -> tuple[str, str]:
    """The file name and MIME type of the map download: an HTML file, or for an MBTiles
    basemap a zip of the page and its tile folder."""
    from layers.map import basemap_info

    if basemap_info(basemap).mbtiles:
        return f"{stem}_map.zip", "application/zip"
    return f"{stem}_map.html", "text/html"


def map_html(
    layers: LayerSet,
    *,
    basemap: str = "context",
    label_lang: str = "zh",
    base: LayerSet | None = None,
) -> bytes:
    """A standalone HTML map with every asset inlined (opens offline from ``file://``).

    With an MBTiles basemap: a zip of ``map.html`` and ``map_files/tiles/NAME/…`` beside it
    (what ``planmap map`` writes), to unpack and open offline.
    """
    from layers.app.maps import planning_map
    from layers.map import basemap_info
    from layers.map.tiles import for_page

    info = basemap_info(basemap)
    if not info.mbtiles:
        m = planning_map(layers, basemap=basemap, label_lang=label_lang, embed=True, base=base)
        html = page_html(m)
        assert_no_cdn(html, allow_tiles=info.online)
        return html.encode("utf-8")
    import io
    import zipfile

    with tempfile.TemporaryDirectory(prefix="planmap-") as tmp:
        page = Path(tmp) / "map.html"
        info = for_page(info, page)
        html = page_html(planning_map(layers, basemap=info, label_lang=label_lang, embed=True))
        assert_no_cdn(html)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("map.html", html, compress_type=zipfile.ZIP_DEFLATED)
            for file in sorted((Path(tmp) / "map_files").rglob("*")):
                if file.is_file():  # tiles are compressed images already: stored as they are
                    zf.write(file, file.relative_to(tmp).as_posix())
        return buf.getvalue()


def sheet_file(stem: str, paper: str = "A3", orientation: str = "landscape") -> tuple[str, str]:
    """The file name and MIME type of the sheet download (``luohu_2025_sheet_A3_landscape.pdf``)."""
    return f"{stem}_sheet_{paper}_{orientation}.pdf", "application/pdf"


def sheet_pdf(
    layers: LayerSet,
    *,
    paper: str = "A3",
    orientation: str = "landscape",
    base: LayerSet | None = None,
    highlight: str | None = None,
    lang: str = "both",
    title: str | None = None,
) -> bytes:
    """A print sheet (PDF) of the layers shown: the filters already applied, the searched
    feature (``highlight``) emphasised and labelled first, over the context ``base``."""
    from layers.sheet import SheetOptions, sheet_bytes

    options = SheetOptions(
        paper=paper, orientation=orientation, highlight=highlight, lang=lang, title=title
    )
    return sheet_bytes(layers, "pdf", options, base=base)
