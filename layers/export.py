"""Write layers for GIS: GeoJSON (RFC 7946), GeoPackage, KML and CSV.

Every write is atomic: the file is written beside its target under a temporary name and then
renamed over it, so an interrupted build leaves the previous output intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping

from geo.errors import PlanmapError

DECIMALS = 6  # about 0.1 m


class Format(StrEnum):
    geojson = "geojson"
    gpkg = "gpkg"
    kml = "kml"
    csv = "csv"


class OutCrs(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"


def choice(enum: type[StrEnum], value: str, *, name: str) -> StrEnum:
    """Validate a string option into an Enum, listing the valid choices when it is not one."""
    try:
        return enum(value)
    except ValueError:
        valid = ", ".join(e.value for e in enum)
        raise PlanmapError(f"{name} '{value}' is not one of: {valid}") from None


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success only."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    os.unlink(tmp)  # drivers such as GPKG want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(target: str | Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def rfc7946_geometry(geom) -> dict | None:
    """GeoJSON geometry per RFC 7946: CCW exterior rings, coordinates rounded to 6 decimals."""
    if geom is None or shapely.is_empty(geom):
        return None
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    geom = shapely.set_precision(geom, 10**-DECIMALS, mode="pointwise")
    return mapping(geom)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA:
        return None
    return value


def feature_collection(gdf: gpd.GeoDataFrame, *, columns: Sequence[str] | None = None) -> dict:
    """A GeoJSON FeatureCollection dict (no ``crs`` member; lon/lat WGS-84 is implied)."""
    cols = list(columns) if columns is not None else [c for c in gdf.columns if c != "geometry"]
    feats = []
    for props, geom in zip(gdf[cols].to_dict("records"), gdf.geometry.array, strict=True):
        feats.append(
            {
                "type": "Feature",
                "properties": {k: _plain(v) for k, v in props.items()},
                "geometry": rfc7946_geometry(geom),
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def geojson_text(gdf: gpd.GeoDataFrame) -> str:
    return json.dumps(feature_collection(gdf), ensure_ascii=False, separators=(",", ":"))


def _display_crs(gdf: gpd.GeoDataFrame, crs: OutCrs) -> gpd.GeoDataFrame:
    if crs is OutCrs.wgs84:
        return gdf
    from geo.crs import to_crs_frame

    shifted = to_crs_frame(gdf, dst="gcj02")
    shifted["datum"] = "gcj02"  # says so in every feature: RFC 7946 readers assume WGS-84
    return shifted


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    atomic_write_text(path, geojson_text(gdf))
    return Path(path)


def _gpkg_layer(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    out["mentions"] = out["mentions"].fillna(0).astype("int64")
    for col in out.columns:
        if col not in ("geometry", "mentions"):
            out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str)
    return out


def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """One GeoPackage, one table per layer (mixed geometry types are stored as GEOMETRY)."""
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            pyogrio.write_dataframe(
                _gpkg_layer(gdf),
                tmp,
                layer=name,
                driver="GPKG",
                geometry_type="Unknown",
                promote_to_multi=False,
                append=tmp.exists(),
            )
    return Path(path)


def write_kml(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """One KML document with a folder per layer (features without geometry are left out)."""
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            located = gdf[gdf.geometry.notna()]
            if located.empty:
                continue
            frame = _gpkg_layer(located).rename(columns={"name": "Name", "note": "Description"})
            pyogrio.write_dataframe(
                frame, tmp, layer=name, driver="KML", geometry_type="Unknown", append=tmp.exists()
            )
        if not tmp.exists():
            raise PlanmapError(f"{path}: nothing to write (no located features)")
    return Path(path)


def csv_frame(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """All layers in one table: schema columns, a representative lon/lat and the WKT."""
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
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def write_csv(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        csv_frame(layers).to_csv(tmp, index=False, encoding="utf-8-sig")
    return Path(path)


def write_build(layers: Mapping[str, gpd.GeoDataFrame], out_dir: str | Path) -> list[Path]:
    """``out_dir/<layer>.geojson`` for each layer and ``out_dir/planmap.gpkg`` with all.

    Everything is written into a temporary folder inside ``out_dir`` first and only then
    renamed into place, so an interrupted build leaves the whole previous output intact.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".planmap-build-", dir=out_dir))
    try:
        staged = [write_geojson(gdf, staging / f"{name}.geojson") for name, gdf in layers.items()]
        staged.append(write_gpkg(layers, staging / "planmap.gpkg"))
        written = []
        for path in staged:
            os.replace(path, out_dir / path.name)
            written.append(out_dir / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    fmt: str,
    out: str | Path,
    names: Sequence[str] | None = None,
    crs: str = "wgs84",
) -> Path:
    """Export the chosen layers in one format.

    Parameters
    ----------
    fmt : {"geojson", "gpkg", "kml", "csv"}
    out : path
        The file to write (GeoJSON with several layers is one FeatureCollection with ``layer``).
    names : sequence of str, optional
        Layer names (default: all).
    crs : {"wgs84", "gcj02"}
        GCJ-02 only on request, for Chinese web platforms.
    """
    fmt_e = choice(Format, fmt, name="format")
    crs_e = choice(OutCrs, crs, name="crs")
    if names:
        unknown = [n for n in names if n not in layers]
        if unknown:
            raise PlanmapError(f"layer {unknown[0]!r} is not one of: {', '.join(layers)}")
    if Path(out).is_dir():
        raise PlanmapError(f"{out}: is a folder; --out takes a file name")
    # GIS formats declare EPSG:4326 for their layers: name GCJ-02 layers so nobody mistakes
    # them for WGS-84 (each feature also carries datum=gcj02)
    suffix = "_gcj02" if crs_e is OutCrs.gcj02 else ""
    chosen = {n + suffix: _display_crs(layers[n], crs_e) for n in (names or list(layers))}
    if fmt_e is Format.geojson:
        frames = [g for g in chosen.values() if not g.empty]
        merged = pd.concat(frames, ignore_index=True) if frames else next(iter(chosen.values()))
        return write_geojson(gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326"), out)
    if fmt_e is Format.gpkg:
        return write_gpkg(chosen, out)
    if fmt_e is Format.kml:
        return write_kml(chosen, out)
    return write_csv(chosen, out)
