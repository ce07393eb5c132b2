"""Siting inputs: the district area and its border, anchors, constraint zones, candidates, demand.

The district comes from its record (:func:`geo.district.get_district`) and the shared facts
manifest (``data/facts/facts.toml``); no district is named here. Everything is measured in
EPSG:32650 metres and returned in EPSG:4326; constraint frames are in the feature schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.district import BorderMethod, District, get_district
from geo.errors import DataError, GeometryError, OptionError
from geo.gazetteer.facts import Facts, boundaries, load_facts, lonlat_point
from geo.geometry import METRIC_CRS, repair, to_metric, unshared_edges
from geo.model import Kind
from geo.paths import facts_dir
from geo.siting.features import LONLAT
from geo.siting.rules import LIMITS, MAX_GRID_POINTS, AnchorKind, SitingConfig

__all__ = [
    "SitingArea",
    "anchors_from_frame",
    "candidate_sites",
    "default_anchors",
    "demand_points",
    "find_point",
    "input_files",
    "load_area",
    "metric_xy",
    "read_points",
]

#: the stations file's column listing each station's lines, ``;``-separated
LINES_COLUMN = "lines_in_compilations"


@dataclass(frozen=True)
class SitingArea:
    """Where sites go: the district polygon, its neighbours and its outer border (lon/lat).

    Attributes
    ----------
    record : District
        The district the rules and facts belong to.
    facts : Facts
        The shared facts manifest.
    polygon : shapely geometry
        The district (the record's boundary feature, or an explicit ``boundary``).
    neighbours : tuple of shapely geometry
        Same-country neighbours; with none there is no border.
    border : shapely geometry or None
        The boundary shared with no neighbour (the record's border method), or None.
    inside_column : str
        The stations file's column saying which stations are inside this polygon, or ""
        (then it is measured).
    """

    record: District
    facts: Facts
    polygon: BaseGeometry
    neighbours: tuple[BaseGeometry, ...] = ()
    border: BaseGeometry | None = None
    inside_column: str = ""

    @property
    def border_source(self) -> str:
        """How the border was found, for the ``source`` of features drawn from it."""
        r = self.record
        return (
            f"boundary of {r.boundary.feature} ({r.boundary.file}) not shared with "
            f"{', '.join(r.neighbours) or 'its neighbours'} (tol {r.border.tol_m:.0f} m); "
            f"{r.boundary.source}"
        )


def load_area(
    district: str | District | None = None,
    *,
    boundary: BaseGeometry | None = None,
    neighbours: list[BaseGeometry] | None = None,
) -> SitingArea:
    """The district's polygon, neighbours and border, from its record and the facts manifest.

    Parameters
    ----------
    district : str or District, optional
        Default :func:`geo.district.default_district`.
    boundary : shapely geometry, optional
        Another polygon (lon/lat) to site in; its neighbours are then ``neighbours`` or none.
    neighbours : list of shapely geometry, optional
        Override the record's neighbours (``[]``: none, so no border).

    Raises
    ------
    DataError
        The record names a boundary feature the boundaries file does not have.
    """
    record = get_district(district)
    facts = load_facts(facts_dir())
    inside = ""
    if boundary is None:
        bounds = boundaries(facts)
        where = f"{record.path / 'district.toml'}"
        missing = [n for n in (record.boundary.feature, *record.neighbours) if n not in bounds]
        if missing:
            raise DataError(f"{where}: {missing[0]!r} is not in {facts.boundaries.file}")
        boundary = bounds[record.boundary.feature]
        if neighbours is None:
            neighbours = [bounds[n] for n in record.neighbours]
        if record.name == facts.stations.reference_district:
            inside = facts.stations.inside_column
    polygon = repair(boundary)
    others = tuple(neighbours or ())
    border = None
    if others and record.border.method is BorderMethod.UNSHARED_EDGES:
        border = unshared_edges(polygon, others, tol_m=record.border.tol_m)
    return SitingArea(record, facts, polygon, others, border, inside)


def metric_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Point coordinates of ``frame`` (any CRS) in EPSG:32650 metres, shape ``(n, 2)``."""
    if len(frame) == 0:
        return np.zeros((0, 2))
    return shapely.get_coordinates(frame.geometry.to_crs(METRIC_CRS).values)


def _point_files(config: SitingConfig, facts: Facts) -> list[str]:
    listed = config.anchors.point_files or facts.points.files
    for name in listed:
        if name not in facts.points.files:
            raise DataError(
                f"{config.path.name}: anchors.point_files: {name!r} is not a points file of "
                f"the facts manifest ({', '.join(facts.points.files)})"
            )
    return list(listed)


def input_files(config: SitingConfig, facts: Facts) -> list[Path]:
    """Every file a siting with these rules reads (for a cache key)."""
    files = [config.path, facts.path("facts.toml"), facts.path(facts.boundaries.file)]
    files += [facts.path(facts.stations.file)]
    files += [facts.path(name) for name in _point_files(config, facts)]
    return files + ([config.parks_path] if config.parks_path else [])


def read_points(config: SitingConfig, facts: Facts) -> pd.DataFrame:
    """The rows (``name_zh, name_en, lon, lat``) of the point-facts files the rules use."""
    frames = []
    for name in _point_files(config, facts):
        path = facts.path(name)
        try:
            frame = pd.read_csv(path, dtype={"name_zh": str, "name_en": str})
            frames.append(frame[["name_zh", "name_en", "lon", "lat"]])
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(f"{path}: not a point-facts file ({exc})") from None
    return pd.concat(frames, ignore_index=True)


def find_point(points: pd.DataFrame, prefix: str) -> Point:
    """The first point fact whose ``name_zh`` starts with ``prefix`` (the rules name them so)."""
    rows = points[points["name_zh"].str.startswith(prefix)]
    if rows.empty:
        raise DataError(f"point facts: no row whose name_zh starts with {prefix!r}")
    return lonlat_point(rows.iloc[0]["lon"], rows.iloc[0]["lat"])


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
    landmark = Kind.LANDMARK.value
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "name": list(frame["name"]),
            "name_en": list(frame["name_en"]) if "name_en" in frame else [""] * n,
            "kind": [k if isinstance(k, str) and k else landmark for k in kinds],
        },
        geometry=list(points),
        crs=LONLAT,
    )


def default_anchors(config: SitingConfig, area: SitingArea) -> gpd.GeoDataFrame:
    """Shipped anchors: the rules' ports (even just across the line) and railway stations,
    metro stations inside the district (``metro_interchange`` with 2+ lines), other point
    facts inside it, and the rules' logistics proxies."""
    rules, polygon = config.anchors, area.polygon
    rows = []
    r: Any  # a row of itertuples(); pandas-stubs types its fields as any scalar at all
    for i, r in enumerate(read_points(config, area.facts).itertuples()):
        label = r.name_zh.split(" / ")[0]
        if any(r.name_zh.startswith(p) for p in rules.skip):
            continue
        if any(r.name_zh.startswith(p) for p in rules.ports):
            kind = Kind.PORT
        elif any(r.name_zh.startswith(p) for p in rules.railway_stations):
            kind = Kind.RAILWAY_STATION
        elif shapely.contains_xy(polygon, r.lon, r.lat):
            kind = Kind.LANDMARK
        else:
            continue
        rows.append((f"anchor.fact.{i:03d}", label, r.name_en, kind.value, r.lon, r.lat))
    stations = pd.read_csv(area.facts.path(area.facts.stations.file))
    if area.inside_column:
        inside = stations[area.inside_column].astype(str).str.lower().eq("true").to_numpy()
    else:
        inside = shapely.contains_xy(polygon, stations["lon"], stations["lat"])
    proxy = f"proxy for the {rules.logistics_area}" if rules.logistics_area else "logistics proxy"
    for r in stations.loc[inside].itertuples():
        several = len(str(getattr(r, LINES_COLUMN)).split(";")) > 1
        role = AnchorKind.METRO_INTERCHANGE.value if several else Kind.METRO_STATION.value
        rows.append((f"anchor.metro.{r.Index:03d}", f"{r.name}站", "", role, r.lon, r.lat))
        if r.name in rules.logistics_proxies:
            name = f"{r.name}站 ({proxy}, no sourced coordinate)"
            role = AnchorKind.LOGISTICS.value
            rows.append((f"anchor.logistics.{r.Index:03d}", name, "", role, r.lon, r.lat))
    frame = pd.DataFrame(rows, columns=["id", "name", "name_en", "kind", "lon", "lat"])
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=LONLAT,
    )


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
    OptionError
        ``spacing_m`` out of range, or so small the grid would exceed 200,000 points.
    GeometryError
        The constraints exclude every candidate.
    """
    spacing_m = LIMITS["spacing_m"].check(spacing_m, name="spacing_m")
    area = to_metric(district)
    x0, y0, x1, y1 = area.bounds
    xs = np.arange(x0 + spacing_m / 2, x1, spacing_m)
    ys = np.arange(y0 + spacing_m / 2, y1, spacing_m)
    if xs.size * ys.size > MAX_GRID_POINTS:
        raise OptionError(
            f"spacing_m={spacing_m:g} gives over {MAX_GRID_POINTS:,} grid points; use a wider one"
        )
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(area, gx, gy)
    gx, gy = gx[inside], gy[inside]
    n_grid = gx.size
    names, kinds = [""] * n_grid, ["grid"] * n_grid
    if anchors is not None and len(anchors):
        axy = metric_xy(anchors)
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
        crs=METRIC_CRS,
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

    Weights come from ``config.demand``: grid points weigh ``area_per_km2`` times their cell
    area; anchors weigh by kind (unknown kinds as ``landmark``); each zone ``zone_centroid``.

    Parameters
    ----------
    spacing_m : float, optional
        The area grid's spacing; None (not 0) means the rules' ``demand_spacing_m``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name, kind, weight``, geometry; EPSG:4326.
    """
    spacing = config.siting.demand_spacing_m if spacing_m is None else spacing_m
    spacing = LIMITS["demand_spacing_m"].check(spacing, name="spacing_m")
    grid = candidate_sites(district, spacing_m=spacing)
    w = config.demand
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
        named = anchors.loc[anchors["kind"] != AnchorKind.LOGISTICS.value]
        fallback = w.get(Kind.LANDMARK.value, 0.0)
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
