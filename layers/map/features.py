"""Features as drawn: escaped popup/tooltip text, display geometry, GeoJSON of a layer.

Every text shown in a tooltip, popup, label or layer switcher is escaped by
:func:`layers.map.page.html_text`, because folium's GeoJsonTooltip/GeoJsonPopup and Leaflet's
layer control insert values as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import OptionError
from geo.geojson import DECIMALS
from geo.model import Kind, Precision, Status, drawn_mask
from layers.map.page import html_text
from layers.styles import kind_label, style_for

#: popup rows: property -> label (values are escaped per feature; labels are fixed text)
POPUP_FIELDS: dict[str, str] = {
    "name": "名称 Name",
    "name_en": "英文名 English",
    "kind": "类型 Kind",
    "status": "状态 Status",
    "precision": "精度 Precision",
    "source": "来源 Source",
    "note": "说明 Note",
    "report_excerpt": "报告原文 Report",
    "mentions": "提及次数 Mentions",
}


def _label(enum: Any, value: Any, labels: Mapping[str, str] | None = None) -> str:
    try:
        return str(kind_label(value, labels) if enum is Kind else enum.get(value).label)
    except OptionError:
        return str(value)


def properties(row: dict[str, Any], *, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """Escaped, human-readable popup values of one row (empty string when missing);
    ``labels`` are the district's legend labels by kind."""
    out = {key: html_text(row.get(key)) for key in POPUP_FIELDS}
    out["kind"] = html_text(_label(Kind, row.get("kind", ""), labels))
    out["status"] = html_text(_label(Status, row.get("status")))
    out["precision"] = html_text(_label(Precision, row.get("precision")))
    if out["mentions"].endswith(".0"):  # read back from GeoJSON as float
        out["mentions"] = out["mentions"][:-2]
    return out


#: Douglas-Peucker tolerance (metres) of drawn lines and outlines, by precision, below the
#: uncertainty of each class: the located outlines (districts) lie a median 17 m from the
#: official border line, approximate means tens of metres off or more. 5 m is under a pixel
#: up to zoom 14 (the map opens at 13); Leaflet simplifies further per zoom as it draws.
SIMPLIFY_M: dict[str, float] = {
    "surveyed": 1.0,
    "located": 5.0,
    "approximate": 10.0,
    "schematic": 10.0,
}
#: Leaflet's on-screen simplification of lines and outlines (pixels) at each zoom
SMOOTH_FACTOR = 0.5
#: lines and outlines with fewer vertices are drawn as they are
_SIMPLIFY_MIN_VERTICES = 20


def _round_coords(geoms: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def display_geoms(geoms: np.ndarray, precision: pd.Series) -> np.ndarray:
    """Geometries as drawn: long lines and outlines simplified in metres (EPSG:32650, by
    :data:`SIMPLIFY_M`, topology kept), every coordinate rounded to :data:`DECIMALS`.

    Vertices are most of a large map's bytes and of the browser's work (parsing, projecting
    each one as a layer is added): 100 copies of the shipped layers carry ~650k, ~400k after.
    """
    from geo.errors import GeometryError
    from geo.geometry import to_lonlat, to_metric

    geoms = np.asarray(geoms, dtype=object).copy()
    tol = precision.astype(str).str.lower().map(SIMPLIFY_M).to_numpy(dtype=float, na_value=0.0)
    big = (
        ~shapely.is_missing(geoms)
        & (tol > 0)
        & np.isin(shapely.get_type_id(geoms), (1, 3, 5, 6))  # (Multi)LineString, (Multi)Polygon
        & (shapely.get_num_coordinates(geoms) >= _SIMPLIFY_MIN_VERTICES)
    )
    if big.any():
        try:
            metric = to_metric(geoms[big])
        except GeometryError:  # not lon/lat degrees: drawn as given, like before
            return _round_coords(geoms)
        geoms[big] = to_lonlat(shapely.simplify(metric, tol[big], preserve_topology=True))
    return _round_coords(geoms)


def feature_collection(
    gdf: gpd.GeoDataFrame, layer: str, *, labels: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], list[dict], list]:
    """GeoJSON of the drawable rows (escaped properties), the style and the (display)
    geometry of each feature."""
    geoms = display_geoms(gdf.geometry.array.to_numpy(), gdf["precision"])
    rows = cast(
        list[dict[str, Any]], pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).to_dict("records")
    )
    features, styles, shapes, cache = [], [], [], {}
    for i, (geom, row) in enumerate(zip(geoms, rows, strict=True)):
        if geom is None or shapely.is_empty(geom):
            continue
        key = (row["kind"], row["status"], row["precision"])
        if key not in cache:
            try:
                cache[key] = style_for(*key)
            except OptionError as exc:
                raise OptionError(f"layer {layer!r}, feature {row.get('id')!r}: {exc}") from None
        style = cache[key]
        if style is None:
            continue
        props = {
            "id": html_text(row.get("id")),
            "layer": html_text(layer),
            **properties(row, labels=labels),
        }
        features.append(
            {
                "type": "Feature",
                "id": i,
                "geometry": shapely.geometry.mapping(geom),
                "properties": props,
            }
        )
        styles.append(style)
        shapes.append(geom)
    return {"type": "FeatureCollection", "features": features}, styles, shapes


def tooltip(label_lang: str) -> folium.GeoJsonTooltip:
    fields = ["name", "name_en"] if label_lang == "zh" else ["name_en", "name"]
    return folium.GeoJsonTooltip(fields=fields, labels=False, sticky=True)


def popup() -> folium.GeoJsonPopup:
    return folium.GeoJsonPopup(
        fields=list(POPUP_FIELDS), aliases=list(POPUP_FIELDS.values()), max_width=360
    )


def drawable(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Rows a map draws (:func:`geo.model.drawn_mask`)."""
    return drawn_mask(gdf)
