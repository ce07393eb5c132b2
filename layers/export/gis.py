"""GIS formats of the layers: GeoJSON (RFC 7946), GeoPackage (:mod:`.gpkg`, styled by
:mod:`.qml`), KML (:mod:`.kml`) and CSV. Writes are atomic."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.geojson import DECIMALS, geojson_text
from geo.model import drawn_mask
from layers.export.atomic import atomic_path, atomic_write_text
from layers.export.gpkg import gpkg_frame, write_gpkg_file
from layers.export.kml import write_kml
from layers.export.qml import qml_text

__all__ = [
    "csv_frame",
    "legend_labels",
    "neutralise_formula",
    "write_csv",
    "write_geojson",
    "write_gpkg",
    "write_kml",
]


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """One layer as an RFC 7946 FeatureCollection (:mod:`geo.geojson`)."""
    atomic_write_text(path, geojson_text(gdf))
    return Path(path)


#: the columns a style is keyed by (:func:`layers.styles.style_for`)
STYLE_COLUMNS = frozenset({"kind", "status", "precision"})


def _gpkg_layer(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpkg_frame(gdf)


def legend_labels(layers: Mapping[str, gpd.GeoDataFrame]) -> Mapping[str, str] | None:
    """The district's legend labels by kind, when ``layers`` is a LayerSet with a district."""
    district = getattr(layers, "district", None)
    return district.legend if district is not None else None


def write_gpkg(
    layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *, styled: bool = True
) -> Path:
    """One GeoPackage, one table per layer (mixed geometry types are stored as GEOMETRY;
    unlocated rows keep a null geometry), written in one transaction (:mod:`.gpkg`).

    With ``styled`` each table gets its QGIS default style in ``layer_styles``, generated from
    the style table (:mod:`.qml`), so QGIS opens it looking like the web map.
    """
    labels = legend_labels(layers)
    titles = getattr(layers, "titles", {})

    def style(name: str, gdf: gpd.GeoDataFrame) -> str | None:
        if not len(gdf) or not set(gdf.columns) >= STYLE_COLUMNS or not drawn_mask(gdf).any():
            return None  # nothing drawn or nothing to style by: QGIS's default look
        return qml_text(gdf, labels=labels, tag=name)

    return write_gpkg_file(layers, path, styles=style if styled else None, descriptions=titles)


#: cells a spreadsheet would run as a formula (OWASP "CSV Injection"): = + - @, tab, CR
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """A text cell that a spreadsheet would evaluate, prefixed with ``'`` so it shows as text
    (OWASP CSV Injection: prepend a single quote to cells beginning with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return). Numbers and other values pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_frame(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """All layers in one table: feature columns, a representative lon/lat and the WKT.

    Text cells that a spreadsheet would run as formulas are neutralised
    (:func:`neutralise_formula`); this table is what the CLI and the app both write.
    """
    parts = []
    for gdf in layers.values():
        geoms = [None if g is None or g.is_empty else g for g in gdf.geometry.array]
        rep = [None if g is None else g.representative_point() for g in geoms]
        part = pd.DataFrame(gdf.drop(columns="geometry"))
        part["lon"] = [None if p is None else round(p.x, DECIMALS) for p in rep]
        part["lat"] = [None if p is None else round(p.y, DECIMALS) for p in rep]
        part["wkt"] = [
            None if g is None else shapely.to_wkt(g, rounding_precision=DECIMALS) for g in geoms
        ]
        parts.append(part)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for col in table.columns:
        if table[col].dtype == object or pd.api.types.is_string_dtype(table[col]):
            table[col] = table[col].map(neutralise_formula)
    return table


def write_csv(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """All layers in one CSV (UTF-8 with BOM, so spreadsheet programs show the Chinese)."""
    with atomic_path(path) as tmp:
        csv_frame(layers).to_csv(tmp, index=False, encoding="utf-8-sig")
    return Path(path)
