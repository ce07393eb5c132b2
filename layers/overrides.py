"""User overrides: locations a planner drew for places no source locates.

Stored as a GeoJSON FeatureCollection (``data/user/overrides.geojson`` unless
``PLANMAP_USER_DIR`` says otherwise) with properties ``id, note, source="user", drawn_at``.
``planmap build`` merges them by id; the export carries ``source=user``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape

from geo.errors import DataError
from geo.paths import user_dir
from layers.export import atomic_write_text, feature_collection

COLUMNS = ["id", "note", "source", "drawn_at"]


def default_overrides_path() -> Path:
    return user_dir() / "overrides.geojson"


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in COLUMNS}, geometry=[], crs="EPSG:4326")


def load_overrides(path: str | Path) -> gpd.GeoDataFrame:
    """Read the overrides file; a broken one raises :class:`DataError` naming the file."""
    path = Path(path)
    if not path.exists():
        return _empty()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid GeoJSON ({exc})") from exc
    rows, geoms = [], []
    for i, feat in enumerate(doc.get("features", []) if isinstance(doc, dict) else []):
        props = feat.get("properties") or {}
        if not props.get("id"):
            raise DataError(f"{path}: features[{i}].properties.id: missing")
        try:
            geom = shape(feat["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, GEOSException) as exc:
            raise DataError(f"{path}: features[{i}].geometry: {str(exc).strip()}") from exc
        if not shapely.is_valid(geom):
            geom = shapely.make_valid(geom)
        rows.append({c: props.get(c, "") for c in COLUMNS})
        geoms.append(geom)
    if not rows:
        return _empty()
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    # a file edited by hand may name a place twice: the later drawing wins, as in save_override
    return frame.drop_duplicates("id", keep="last").reset_index(drop=True)


def save_override(
    feature_id: str, geometry, *, note: str, path: str | Path | None = None
) -> gpd.GeoDataFrame:
    """Add or replace the user location of one feature (atomic write) and return all overrides.

    Parameters
    ----------
    feature_id : str
        The gazetteer id of the place.
    geometry : shapely geometry or GeoJSON geometry mapping
        In WGS-84 lon/lat, as drawn on the map (never GCJ-02).
    note : str
        The planner's note: why this location.
    """
    path = Path(path) if path else default_overrides_path()
    geom = shape(geometry) if isinstance(geometry, dict) else geometry
    if geom is None or geom.is_empty:
        raise DataError(f"{path}: override for {feature_id}: empty geometry")
    current = load_overrides(path)
    current = current[current["id"] != feature_id]
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    new = gpd.GeoDataFrame(
        [{"id": feature_id, "note": note, "source": "user", "drawn_at": stamp}],
        geometry=[geom],
        crs="EPSG:4326",
    )
    merged = gpd.GeoDataFrame(
        [*current.to_dict("records"), *new.to_dict("records")], geometry="geometry", crs="EPSG:4326"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        path, json.dumps(feature_collection(merged, columns=COLUMNS), ensure_ascii=False)
    )
    return merged
