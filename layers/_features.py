"""Features as drawn: escaped popup/tooltip text, display geometry, GeoJSON of a layer.

Every text shown in a tooltip, popup, label or layer switcher is escaped by :func:`_text`
here, because folium's GeoJsonTooltip/GeoJsonPopup and Leaflet's layer control insert values
as HTML, and branca renders each element's script again as a Jinja template.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.styles import KINDS, Precision, style_for

_PRECISION_LABEL = {
    "surveyed": "测绘 surveyed",
    "located": "有据定位 located",
    "approximate": "近似 approximate",
    "schematic": "示意 schematic (not an extent)",
    "unlocated": "未定位 unlocated",
}
_STATUS_LABEL = {
    "existing": "现状 existing",
    "under_construction": "在建 under construction",
    "planned": "规划 planned",
    "proposed": "建议 proposed",
}


#: HTML escaping plus the braces: branca parses every element's rendered script again as a
#: Jinja template, so "{{ … }}", "{% … %}" or "{# …" in a name, note or excerpt would run on
#: the server (or break the map). As entities they still show as braces.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def _text(value: Any) -> str:
    """Escaped text of a cell (HTML and template syntax); empty for None/NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_BRACES)


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


def _properties(row: dict[str, Any]) -> dict[str, str]:
    """Escaped, human-readable popup values of one row (empty string when missing)."""
    kind = str(row.get("kind", ""))
    base = KINDS.get(kind)
    out = {key: _text(row.get(key)) for key in POPUP_FIELDS}
    out["kind"] = _text(f"{base.label_zh} {base.label_en}" if base else kind)
    out["status"] = _text(_STATUS_LABEL.get(str(row.get("status")), row.get("status")))
    out["precision"] = _text(_PRECISION_LABEL.get(str(row.get("precision")), row.get("precision")))
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
#: display coordinates: 6 decimals (0.1 m), as exported (docs/CONVENTIONS: RFC 7946 output)
_DECIMALS = 6


def _round_coords(geoms: np.ndarray, decimals: int = _DECIMALS) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def _display_geoms(geoms: np.ndarray, precision: pd.Series) -> np.ndarray:
    """Geometries as drawn: long lines and outlines simplified in metres (EPSG:32650, by
    :data:`SIMPLIFY_M`, topology kept), every coordinate rounded to :data:`_DECIMALS`.

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


def _feature_collection(
    gdf: gpd.GeoDataFrame, layer: str
) -> tuple[dict[str, Any], list[dict], list]:
    """GeoJSON of the drawable rows (escaped properties), the style and the (display)
    geometry of each feature."""
    geoms = _display_geoms(gdf.geometry.array.to_numpy(), gdf["precision"])
    rows = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).to_dict("records")
    features, styles, shapes, cache = [], [], [], {}
    for i, (geom, row) in enumerate(zip(geoms, rows, strict=True)):
        if geom is None or shapely.is_empty(geom):
            continue
        key = (row["kind"], row["status"], row["precision"])
        if key not in cache:
            try:
                cache[key] = style_for(*key)
            except ValueError as exc:
                raise ValueError(f"layer {layer!r}, feature {row.get('id')!r}: {exc}") from None
        if cache[key] is None:
            continue
        props = {"id": _text(row.get("id")), "layer": _text(layer), **_properties(row)}
        features.append(
            {
                "type": "Feature",
                "id": i,
                "geometry": shapely.geometry.mapping(geom),
                "properties": props,
            }
        )
        styles.append(cache[key])
        shapes.append(geom)
    return {"type": "FeatureCollection", "features": features}, styles, shapes


def _tooltip(label_lang: str) -> folium.GeoJsonTooltip:
    fields = ["name", "name_en"] if label_lang == "zh" else ["name_en", "name"]
    return folium.GeoJsonTooltip(fields=fields, labels=False, sticky=True)


def _popup() -> folium.GeoJsonPopup:
    return folium.GeoJsonPopup(
        fields=list(POPUP_FIELDS), aliases=list(POPUP_FIELDS.values()), max_width=360
    )


def _drawable(gdf: gpd.GeoDataFrame) -> pd.Series:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ok = pd.Series(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)), index=gdf.index)
    return ok & (gdf["precision"].astype(str).str.lower() != Precision.UNLOCATED.value)
