"""What the Streamlit app needs from ``layers``/``geo``, as plain functions (no Streamlit here).

The app (``streamlit_app.py``) wraps these in ``st.cache_data``/``st.cache_resource`` and lays
out widgets; everything that can be wrong is decided here, so it is unit-tested without a
browser. Nothing here touches the network or writes a file, except :func:`save_drawing`
(through :func:`layers.overrides.save_override`) and the temporary files of
:func:`gpkg_bytes`.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
import shapely.errors
from folium.plugins import Draw
from pypinyin import lazy_pinyin
from shapely.geometry import shape

from geo.errors import DataError, PlanmapError, SpecError
from layers import assets
from layers.build import SCHEMA, BuiltLayers, build_layers, empty_layer
from layers.export import csv_frame, geojson_text, write_gpkg
from layers.render import LAYERS, Basemap, layer_title, make_map
from layers.styles import KINDS, Precision, Status

__all__ = [
    "BASEMAPS",
    "STATUSES",
    "Hit",
    "build_view",
    "drawing_geometry",
    "feature_table",
    "filter_layers",
    "planning_map",
    "read_geojson_layer",
    "search_places",
]

#: basemap value -> label; "none" is the offline default (vector context only)
BASEMAPS: dict[str, str] = {
    Basemap.NONE.value: "无底图 None (offline)",
    Basemap.OSM.value: "OpenStreetMap (online)",
    Basemap.CARTODB_POSITRON.value: "CartoDB Positron (online)",
    Basemap.AMAP.value: "高德 AMap (online, GCJ-02)",
    Basemap.SATELLITE.value: "卫星 Satellite (online)",
}
STATUSES: list[str] = [s.value for s in Status]
STATUS_LABELS = {
    "existing": "现状 existing",
    "under_construction": "在建 under construction",
    "planned": "规划 planned",
    "proposed": "建议 proposed",
}
UPLOAD_LAYER = "uploaded"
#: properties an uploaded GeoJSON may use for the Chinese name, in order of preference
_NAME_KEYS = ("name", "name_zh", "名称", "NAME", "Name", "title")
_NAME_EN_KEYS = ("name_en", "NAME_EN", "english", "name:en")
_DEFAULT_KIND = {"Point": "landmark", "LineString": "road", "Polygon": "zone"}
_MAX_UPLOAD_FEATURES = 5000


# -- building -------------------------------------------------------------------------------


def build_view(
    *,
    spec_text: str | None = None,
    spec_name: str = "upload.toml",
    overrides_path: str | Path | None = None,
    upload: tuple[str, bytes] | None = None,
) -> BuiltLayers:
    """Build the layers the app shows.

    Parameters
    ----------
    spec_text : str, optional
        An uploaded spec (TOML text); default: the shipped spec.
    spec_name : str
        The uploaded spec's file name (named in error messages).
    overrides_path : path, optional
        User overrides (default: :func:`layers.overrides.default_overrides_path`).
    upload : (file name, bytes), optional
        An uploaded GeoJSON layer, added as the layer ``uploaded``.

    Returns
    -------
    BuiltLayers

    Raises
    ------
    PlanmapError
        A bad spec, gazetteer, overrides file or upload, in one line.
    """
    from geo.gazetteer import load_gazetteer
    from geo.paths import default_spec
    from layers.overrides import default_overrides_path, load_overrides
    from layers.spec import load_spec, parse_spec

    spec = load_spec(default_spec()) if spec_text is None else parse_spec(spec_text, path=spec_name)
    path = Path(overrides_path) if overrides_path else default_overrides_path()
    overrides = load_overrides(path) if path.exists() else None
    built = build_layers(spec, load_gazetteer(), overrides=overrides)
    if upload is None:
        return built
    name, data = upload
    frame = read_geojson_layer(data, name=name)
    out = BuiltLayers(
        {**built, UPLOAD_LAYER: frame},
        warnings=built.warnings,
        titles={**built.titles, UPLOAD_LAYER: f"上传 Uploaded · {Path(name).name}"},
        groups={**built.groups, UPLOAD_LAYER: "Uploaded"},
    )
    return out


def read_spec_text(data: bytes, *, name: str) -> str:
    """Decode an uploaded spec; :class:`SpecError` if it is not UTF-8 text."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"{name}: not UTF-8 text (a spec is a TOML file)") from None


def _first(props: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = props.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _choice(value: Any, valid: Iterable[str], default: str, where: str, what: str) -> str:
    if value is None or not str(value).strip():
        return default
    key = str(value).strip().lower()
    valid = list(valid)
    if key not in valid:
        raise DataError(f"{where}.{what}: '{value}' is not one of: {', '.join(valid)}")
    return key


def _valid_part(geom):
    """A repaired geometry keeps only its parts of the highest dimension (a polygon with a
    spike repairs to polygon + line: the polygon is what was meant)."""
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = list(geom.geoms)
    top = max(shapely.get_dimensions(parts))
    return shapely.union_all([p for p in parts if shapely.get_dimensions(p) == top])


_ID = re.compile(r"[A-Za-z0-9._:-]{1,120}")


def _safe_id(value: Any, default: str) -> str:
    """An uploaded id is used as given only when it is a plain slug: ids reach the map's
    script (highlighting), where markup or template syntax must never arrive."""
    text = "" if value is None else str(value)
    return text if _ID.fullmatch(text) else default


def _count(value: Any) -> int:
    try:
        return max(int(str(value)), 0)
    except (TypeError, ValueError):
        return 0


def read_geojson_layer(data: bytes, *, name: str) -> gpd.GeoDataFrame:
    """Read an uploaded GeoJSON (RFC 7946, lon/lat WGS-84) into a layer with the schema.

    Properties ``id, name, name_en, kind, status, precision, source, note`` are used when
    present (``kind`` defaults by geometry type, ``precision`` to approximate). Unknown
    values are refused, listing the valid ones.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        Its file name, named in error messages and in each feature's ``source``.

    Returns
    -------
    GeoDataFrame
        ``layer == "uploaded"``, EPSG:4326.

    Raises
    ------
    DataError
        In one line, naming the file and the feature.
    """
    fname = Path(name).name
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(f"{fname}: not UTF-8 text (expected GeoJSON)") from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{fname}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(f"{fname}: not a GeoJSON FeatureCollection or Feature")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise DataError(f"{fname}: the FeatureCollection has no features")
    if len(feats) > _MAX_UPLOAD_FEATURES:
        raise DataError(f"{fname}: {len(feats)} features; the app shows at most 5000")
    stem = re.sub(r"[^a-z0-9]+", "_", Path(fname).stem.lower()).strip("_") or "layer"
    rows, geoms = [], []
    for i, feat in enumerate(feats):
        where = f"{fname}: features[{i}]"
        if not isinstance(feat, dict):
            raise DataError(f"{where}: not a GeoJSON Feature")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise DataError(f"{where}.properties: not an object")
        try:
            geom = shape(feat["geometry"]) if feat.get("geometry") else None
            if geom is not None and not geom.is_empty:
                minx, miny, maxx, maxy = geom.bounds
                if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                    raise DataError(
                        f"{where}.geometry: coordinates are not lon/lat degrees (RFC 7946 "
                        "GeoJSON is WGS-84; reproject to EPSG:4326 first)"
                    )
                if not shapely.is_valid(geom):
                    geom = _valid_part(shapely.make_valid(geom))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise DataError(f"{where}.geometry: not a valid GeoJSON geometry ({exc})") from None
        except shapely.errors.GEOSException as exc:
            raise DataError(f"{where}.geometry: broken geometry ({str(exc).strip()})") from None
        if geom is not None and geom.is_empty:
            geom = None  # an empty geometry locates nothing: the feature is unlocated
        if geom is not None and geom.geom_type == "GeometryCollection":
            raise DataError(
                f"{where}.geometry: a GeometryCollection; give each part its own feature"
            )
        gtype = geom.geom_type.removeprefix("Multi") if geom is not None else ""
        kind = _choice(
            props.get("kind"), KINDS, _DEFAULT_KIND.get(gtype, "landmark"), where, "kind"
        )
        precision = _choice(
            props.get("precision"),
            [p.value for p in Precision],
            "approximate" if geom is not None else "unlocated",
            where,
            "precision",
        )
        if geom is None:
            precision = "unlocated"
        rows.append(
            {
                "id": _safe_id(props.get("id") or feat.get("id"), f"upload.{stem}.{i + 1}"),
                "name": _first(props, _NAME_KEYS) or f"{fname} #{i + 1}",
                "name_en": _first(props, _NAME_EN_KEYS),
                "layer": UPLOAD_LAYER,
                "kind": kind,
                "status": _choice(props.get("status"), STATUSES, "existing", where, "status"),
                "precision": precision,
                "source": str(props.get("source") or f"uploaded file {fname}"),
                "note": str(props.get("note") or ""),
                "report_excerpt": str(props.get("report_excerpt") or ""),
                "mentions": _count(props.get("mentions")),
            }
        )
        geoms.append(geom)
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    return frame[[*SCHEMA, "geometry"]]


# -- filtering and tables -------------------------------------------------------------------


def layer_label(name: str, layers: BuiltLayers | Mapping[str, Any]) -> str:
    """A layer's label for widgets: the spec's title when it has one."""
    return layer_title(name, titles=getattr(layers, "titles", None))


def layer_short_label(name: str, layers: BuiltLayers | Mapping[str, Any]) -> str:
    """A short label for the sidebar's filter chips: ``地铁站 Metro stations``."""
    if name in LAYERS:
        _, zh, en = LAYERS[name]
        return f"{zh} {en}"
    titles = getattr(layers, "titles", None) or {}
    return titles.get(name) or name


def filter_layers(
    layers: BuiltLayers,
    *,
    names: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
) -> BuiltLayers:
    """The chosen layers (in build order), each keeping only rows of the chosen statuses."""
    keep = set(layers) if names is None else set(names)
    wanted = set(STATUSES if statuses is None else statuses)
    out = BuiltLayers(warnings=layers.warnings, titles=layers.titles, groups=layers.groups)
    for name, gdf in layers.items():
        if name in keep:
            out[name] = gdf[gdf["status"].isin(wanted)]
    return out


def drawn_mask(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Rows the map draws (a geometry, and not ``unlocated``)."""
    ok = gdf.geometry.notna() & ~gdf.geometry.is_empty
    return ok & (gdf["precision"].astype(str) != "unlocated")


def feature_table(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """One row per feature of the given layers, without geometry, plus ``on_map``."""
    parts = []
    for gdf in layers.values():
        part = pd.DataFrame(gdf.drop(columns="geometry"))
        part["on_map"] = drawn_mask(gdf).to_numpy()
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*SCHEMA, "on_map"])
    table = pd.concat(parts, ignore_index=True)
    table["mentions"] = table["mentions"].fillna(0).astype(int)
    return table


def unlocated_table(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Features named by the report that the map cannot draw yet (no geometry)."""
    table = feature_table(layers)
    return table.loc[~table["on_map"], ["id", "name", "name_en", "layer", "kind", "note"]]


# -- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """A search result among the app's features."""

    id: str
    name: str
    name_en: str
    layer: str
    score: float
    on_map: bool


def _ascii_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _pinyin_key(name: str) -> str:
    return _ascii_key("".join(lazy_pinyin(name)))


def search_frame(
    layers: Mapping[str, gpd.GeoDataFrame], gazetteer: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The app's features as a gazetteer for :class:`geo.geocoder.Geocoder`.

    Aliases come from the gazetteer by id; uploaded features have none. The canonical
    name's toneless pinyin is added as an alias too (the gazetteer has pinyin for metro
    stations only), so ``lian tang kou an`` finds 莲塘口岸.
    """
    parts = [g for g in layers.values() if len(g)]
    if not parts:
        frame = empty_layer()
    else:
        frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)
    frame = frame.drop_duplicates("id").reset_index(drop=True)
    aliases = dict(zip(gazetteer["id"], gazetteer["aliases"], strict=True))
    frame["pinyin"] = [_pinyin_key(str(name)) for name in frame["name"]]
    frame["aliases"] = [
        [*list(aliases.get(fid, []) or []), py]
        for fid, py in zip(frame["id"], frame["pinyin"], strict=True)
    ]
    frame["name_en"] = frame["name_en"].fillna("")
    return frame


def search_places(geocoder, frame: gpd.GeoDataFrame, query: str, *, limit: int = 8) -> list[Hit]:
    """Search the app's features by a name in Simplified/Traditional Chinese, pinyin or English.

    Parameters
    ----------
    geocoder : geo.geocoder.Geocoder
        Built over :func:`search_frame` (``frame``).
    frame : GeoDataFrame
        The same frame, to tell the layer and whether a hit is drawn.
    query : str
    limit : int

    Returns
    -------
    list of Hit
        Best first. A query that spells a canonical name's pinyin exactly (spaces and case
        aside) counts as an exact match: ``lian tang kou an`` is the port 莲塘口岸 before the
        station 莲塘口岸站, whose alias ``Liantangkouan`` would otherwise tie.
    """
    query = (query or "").strip()
    if not query:
        return []
    info = frame.set_index("id")
    drawn = dict(zip(frame["id"], drawn_mask(frame), strict=True))
    scores: dict[str, float] = {}
    for m in geocoder.search(query, limit=limit * 2):
        scores[m.id] = max(scores.get(m.id, 0.0), float(m.score))
    key = _ascii_key(query)
    if key and key == query.lower().replace(" ", "").replace("-", "").replace("'", ""):
        for fid, py in zip(frame["id"], frame["pinyin"], strict=True):
            if py == key:
                scores[fid] = 100.0
    order = sorted(scores, key=lambda f: (-scores[f], len(str(info.at[f, "name"])), f))
    return [
        Hit(
            id=f,
            name=str(info.at[f, "name"]),
            name_en=str(info.at[f, "name_en"] or ""),
            layer=str(info.at[f, "layer"]),
            score=round(scores[f], 1),
            on_map=bool(drawn[f]),
        )
        for f in order[:limit]
    ]


# -- the map --------------------------------------------------------------------------------


def planning_map(
    layers: BuiltLayers,
    *,
    basemap: str = "none",
    label_lang: str = "zh",
    highlight_id: str | None = None,
    draw: bool = False,
    embed: bool = False,
) -> folium.Map:
    """:func:`layers.render.make_map` with local assets, plus the drawing toolbar if asked.

    Assets are served by Streamlit at ``/app/static/vendor/`` (or inlined with ``embed``).
    """
    base = None if embed else assets.STREAMLIT_BASE_URL
    m = make_map(
        layers,
        basemap=basemap,
        label_lang=label_lang,
        highlight_id=highlight_id,
        asset_base=base,
        embed=embed,
    )
    if not embed:
        _fit_app_layout(m, highlighted=highlight_id is not None)
    if draw:
        Draw(
            export=False,
            show_geometry_on_click=False,
            position="topleft",
            draw_options={
                "polyline": {"shapeOptions": {"color": "#e6007e", "weight": 4}},
                "polygon": {"shapeOptions": {"color": "#e6007e"}, "allowIntersection": False},
                "rectangle": False,
                "circle": False,
                "circlemarker": False,
                "marker": True,
            },
            edit_options={"edit": False},
        ).add_to(m)
        assets.localize(m, base_url=base, embed=embed)  # the Draw plugin came after make_map
    return m


#: room the legend (bottom right, about 380 x 270 px) takes from a highlighted feature
_LEGEND_PADDING = (400, 290)


def _fit_app_layout(m: folium.Map, *, highlighted: bool) -> None:
    """Adapt a map to the app's narrower frame.

    The layer switcher starts collapsed (the sidebar filters layers too; it opens on hover),
    and a searched feature is framed clear of the legend instead of under it.
    """
    for child in m._children.values():
        if isinstance(child, folium.LayerControl):
            child.options["collapsed"] = True
        elif isinstance(child, folium.FitBounds):
            if highlighted:
                child.options["paddingBottomRight"] = list(_LEGEND_PADDING)
                child.options["paddingTopLeft"] = [60, 20]
            else:
                # the district is wider than tall: fit it above the legend, not beside it
                child.options["paddingBottomRight"] = [20, _LEGEND_PADDING[1]]
                child.options["paddingTopLeft"] = [50, 20]


def map_html(layers: BuiltLayers, *, basemap: str = "none", label_lang: str = "zh") -> bytes:
    """A standalone HTML map with every asset inlined (opens offline from ``file://``)."""
    m = planning_map(layers, basemap=basemap, label_lang=label_lang, embed=True)
    html = m.get_root().render()
    assets.assert_no_cdn(html, allow_tiles=basemap != "none")
    return html.encode("utf-8")


def drawing_geometry(drawing: Mapping[str, Any] | None, *, basemap: str = "none"):
    """The WGS-84 geometry of a shape drawn on the map (a GeoJSON Feature or geometry).

    On the AMap basemap everything is displayed in GCJ-02, so what the planner drew is
    GCJ-02 and is shifted back; overrides are never stored in GCJ-02.

    Raises
    ------
    DataError
        If there is no usable geometry.
    """
    if not drawing:
        raise DataError("nothing drawn yet: draw a point, line or polygon on the map first")
    geom_doc = drawing.get("geometry", drawing) if drawing.get("type") == "Feature" else drawing
    try:
        geom = shape(geom_doc)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise DataError(f"the drawn shape is not a valid geometry ({exc})") from None
    if geom.is_empty:
        raise DataError("the drawn shape is empty")
    if Basemap(basemap) is Basemap.AMAP:
        from geo.crs import transform_geometry

        geom = transform_geometry(geom, src="gcj02", dst="wgs84")
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return geom


def save_drawing(
    feature_id: str, drawing: Mapping[str, Any] | None, *, note: str, basemap: str = "none"
) -> gpd.GeoDataFrame:
    """Save a planner's drawing as the user location of a feature (``source=user``)."""
    from layers.overrides import save_override

    if not feature_id:
        raise DataError("choose which place the drawing locates")
    geom = drawing_geometry(drawing, basemap=basemap)
    return save_override(feature_id, geom, note=note.strip() or "located on the map")


# -- downloads ------------------------------------------------------------------------------


def _nonempty(layers: Mapping[str, gpd.GeoDataFrame]) -> list[gpd.GeoDataFrame]:
    return [g for g in layers.values() if len(g)]


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
        path = write_gpkg(dict(layers), Path(tmp) / "planmap.gpkg")
        return path.read_bytes()


def csv_bytes(layers: Mapping[str, gpd.GeoDataFrame]) -> bytes:
    """All layers in one CSV (UTF-8 with BOM, so Excel shows the Chinese names)."""
    frame = csv_frame(layers)
    return frame.to_csv(index=False).encode("utf-8-sig")


_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """Text safe to pass to ``st.markdown``/``st.error``: every ASCII punctuation mark is
    backslash-escaped, so names and file names show as typed (no links, images, HTML, emoji
    codes or colour directives)."""
    return _MD_PUNCT.sub(r"\\\1", str(text))


def one_line(exc: BaseException) -> str:
    """An error as the one line the app shows (never a traceback)."""
    text = str(exc).strip().splitlines()
    msg = text[0] if text else exc.__class__.__name__
    if not isinstance(exc, PlanmapError):
        msg = f"{exc.__class__.__name__}: {msg}"
    return msg


def known_layers() -> list[str]:
    """The standard layer names (``layers.render.LAYERS``)."""
    return list(LAYERS)
