"""GeoPackage writer: every layer, its spatial index and its QGIS style in one SQLite transaction.

Writing layer by layer through GDAL reopened the growing file for each layer, and each open
reads every table already there: 50/200 layers took 1.1/17 s, 2,000 did not finish. Here the
file is written once with :mod:`sqlite3`, in the layout GDAL 3.6 writes (GeoPackage 1.2, OGC
12-128r15): ``gpkg_spatial_ref_sys``, ``gpkg_contents``, ``gpkg_geometry_columns``,
``gpkg_extensions``, one feature table per layer (``fid``, ``geom``, the attributes) whose
geometries are GeoPackage binary blobs (header ``GP``, version 0, flags, ``srs_id``, envelope,
then ISO WKB; spec §2.1.3), and for large tables an R*Tree index with the spec's triggers
(Annex F.3; the triggers call GDAL's ``ST_*`` functions, so the index is filled here and the
triggers only act when a GIS later edits the table; see :data:`RTREE_MIN_FEATURES`).

QGIS styles go into ``layer_styles``, the table QGIS itself creates (columns as QGIS 3.22's
``saveStyleToDatabase`` writes them: ``f_table_catalog, f_table_schema, f_table_name,
f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui,
update_time``; FINDINGS), registered in ``gpkg_contents`` as an attributes table as QGIS
does, so GDAL lists it after the layers (:data:`STYLES_TABLE`).
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.errors import DataError
from layers.export.atomic import atomic_path

__all__ = ["GEOMETRY_COLUMN", "STYLES_TABLE", "check_table_name", "gpkg_frame", "write_gpkg_file"]

GEOMETRY_COLUMN = "geom"
#: QGIS's style table; GDAL lists it among the layers, after them
STYLES_TABLE = "layer_styles"
_APPLICATION_ID = 0x47504B47  # "GPKG"
_USER_VERSION = 10200  # GeoPackage 1.2, as GDAL 3.6 writes
#: tables with fewer located features get no R*Tree: a reader scans a few hundred rows faster
#: than it opens an index, and SQLite re-reads its schema for every virtual table and trigger
#: created, which made writing thousands of small layers quadratic again (1,000 layers: 26 s
#: with indexes, under 1 s without). GDAL adds one later: SELECT CreateSpatialIndex(t, 'geom').
RTREE_MIN_FEATURES = 500
_RTREE_EXTENSION = "http://www.geopackage.org/spec120/#extension_rtree"
_UNDEFINED_SRS = [
    ("Undefined Cartesian SRS", -1, "NONE", -1, "undefined", "undefined Cartesian CRS"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic CRS"),
]
_TYPE_NAMES = {
    "Point": "POINT",
    "LineString": "LINESTRING",
    "Polygon": "POLYGON",
    "MultiPoint": "MULTIPOINT",
    "MultiLineString": "MULTILINESTRING",
    "MultiPolygon": "MULTIPOLYGON",
    "GeometryCollection": "GEOMETRYCOLLECTION",
}

_SCHEMA = """
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
  m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE layer_styles ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT,
  "useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers');
"""

#: GeoPackage 1.2 Annex F.3, with {t} the table, {c} the geometry column and {i} the key
_RTREE_TRIGGERS = (
    'CREATE TRIGGER "rtree_{t}_{c}_insert" AFTER INSERT ON "{t}" WHEN (new."{c}" NOT NULL AND '
    'NOT ST_IsEmpty(NEW."{c}")) BEGIN INSERT OR REPLACE INTO "rtree_{t}_{c}" VALUES (NEW."{i}",'
    'ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"),ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END',
    'CREATE TRIGGER "rtree_{t}_{c}_update1" AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."{i}" = '
    'NEW."{i}" AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}")) BEGIN INSERT OR REPLACE '
    'INTO "rtree_{t}_{c}" VALUES (NEW."{i}",ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"),'
    'ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END',
    'CREATE TRIGGER "rtree_{t}_{c}_update2" AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."{i}" = '
    'NEW."{i}" AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM '
    '"rtree_{t}_{c}" WHERE id = OLD."{i}"; END',
    'CREATE TRIGGER "rtree_{t}_{c}_update3" AFTER UPDATE ON "{t}" WHEN OLD."{i}" != NEW."{i}" '
    'AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "rtree_{t}_{c}" '
    'WHERE id = OLD."{i}"; INSERT OR REPLACE INTO "rtree_{t}_{c}" VALUES (NEW."{i}",'
    'ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"),ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END',
    'CREATE TRIGGER "rtree_{t}_{c}_update4" AFTER UPDATE ON "{t}" WHEN OLD."{i}" != NEW."{i}" '
    'AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "rtree_{t}_{c}" WHERE '
    'id IN (OLD."{i}", NEW."{i}"); END',
    'CREATE TRIGGER "rtree_{t}_{c}_delete" AFTER DELETE ON "{t}" WHEN old."{c}" NOT NULL BEGIN '
    'DELETE FROM "rtree_{t}_{c}" WHERE id = OLD."{i}"; END',
)


def check_table_name(name: str) -> None:
    """Raise :class:`~geo.errors.DataError` for a layer name GeoPackage cannot hold as a table.

    ``gpkg_*`` names belong to the GeoPackage itself (spec requirement 13), ``rtree_*`` to
    spatial indexes, ``sqlite_*`` to SQLite, ``layer_styles`` to QGIS.
    """
    low = name.lower()
    if not name.strip():
        raise DataError("layer '': a GeoPackage table needs a name")
    for prefix, owner in (
        ("gpkg_", "GeoPackage"),
        ("rtree_", "spatial indexes"),
        ("sqlite_", "SQLite"),
    ):
        if low.startswith(prefix):
            raise DataError(
                f"layer {name!r}: table names starting with {prefix} are reserved for {owner} "
                "in a GeoPackage; rename the layer in the spec"
            )
    if low == "layer_styles":
        raise DataError(f"layer {name!r}: the name is QGIS's style table in a GeoPackage")


def gpkg_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The attributes as stored: text columns with ``""`` for missing, ``mentions`` an integer."""
    out = gdf.copy()
    if "mentions" in out:
        out["mentions"] = out["mentions"].fillna(0).astype("int64")
    geom = out.geometry.name
    for col in out.columns:
        if col not in (geom, "mentions"):
            out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str)
    return out


def _srs_id(crs: CRS) -> tuple[int, tuple]:
    code = crs.to_epsg()
    if code is None:
        raise DataError(f"{crs.name}: a GeoPackage layer needs a CRS with an EPSG code")
    definition = crs.to_wkt("WKT1_GDAL")
    return code, (crs.name, code, "EPSG", code, definition, crs.name)


def _blobs(geoms: np.ndarray, srs_id: int) -> list[bytes | None]:
    """GeoPackage binary geometries (little-endian; an XY envelope except for points)."""
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso", output_dimension=2)
    bounds = shapely.bounds(geoms)
    points = shapely.get_type_id(geoms) == 0
    out: list[bytes | None] = []
    for i in range(len(geoms)):
        if missing[i]:
            out.append(None)
        elif points[i]:
            out.append(b"GP\x00\x01" + struct.pack("<i", srs_id) + wkb[i])
        else:
            minx, miny, maxx, maxy = bounds[i]
            header = b"GP\x00\x03" + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
            out.append(header + wkb[i])
    return out


def _type_name(geoms: np.ndarray) -> str:
    present = {g.geom_type for g in geoms if g is not None and not g.is_empty}
    return _TYPE_NAMES[present.pop()] if len(present) == 1 else "GEOMETRY"


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _values(column: str, values: pd.Series) -> list:
    """A column as stored, like :func:`gpkg_frame` (plain Python values: a layer of a few rows
    costs microseconds, not a pandas round trip per column)."""
    if column == "mentions":
        return [0 if _missing(v) else int(v) for v in values.tolist()]
    # GDAL and QGIS cut text at a NUL (the user store drops it the same way)
    return ["" if _missing(v) else str(v).replace("\x00", "") for v in values.tolist()]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _write_table(
    db: sqlite3.Connection, name: str, gdf: gpd.GeoDataFrame, description: str
) -> None:
    crs = CRS.from_user_input(gdf.crs or "EPSG:4326")
    srs_id, srs_row = _srs_id(crs)
    db.execute("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", srs_row)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    columns = [_values(c, gdf[c]) for c in attrs]
    fields = "".join(f", {_quote(c)} {'INTEGER' if c == 'mentions' else 'TEXT'}" for c in attrs)
    t, c = _quote(name), GEOMETRY_COLUMN
    db.execute(
        f'CREATE TABLE {t} ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        f'"{c}" {_type_name(geoms)}{fields})'
    )
    blobs = _blobs(geoms, srs_id)
    marks = ", ".join("?" * (len(attrs) + 2))
    rows = zip(range(1, len(gdf) + 1), blobs, *columns, strict=True)
    db.executemany(f"INSERT INTO {t} VALUES ({marks})", rows)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    box = shapely.total_bounds(geoms[located]) if located.any() else [None] * 4
    db.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, "
        "min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?)",
        (name, name, description, *[None if v is None else float(v) for v in box], srs_id),
    )
    db.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
        (name, c, _type_name(geoms), srs_id),
    )
    if located.sum() >= RTREE_MIN_FEATURES:
        _spatial_index(db, name, geoms, located)


def _spatial_index(db: sqlite3.Connection, name: str, geoms: np.ndarray, located) -> None:
    c = GEOMETRY_COLUMN
    rtree = _quote(f"rtree_{name}_{c}")
    db.execute(f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy)")
    bounds = shapely.bounds(geoms[located])
    fids = np.flatnonzero(located) + 1
    db.executemany(
        f"INSERT INTO {rtree} VALUES (?, ?, ?, ?, ?)",
        ((int(f), b[0], b[2], b[1], b[3]) for f, b in zip(fids, bounds, strict=True)),
    )
    db.execute(
        "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', ?, 'write-only')",
        (name, c, _RTREE_EXTENSION),
    )
    raw = name.replace('"', '""')
    for trigger in _RTREE_TRIGGERS:
        db.execute(trigger.format(t=raw, c=c, i="fid"))


def write_gpkg_file(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | Path,
    *,
    styles: Callable[[str, gpd.GeoDataFrame], str | None] | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> Path:
    """Write ``layers`` as one GeoPackage, atomically, in one transaction.

    Parameters
    ----------
    layers : mapping of name -> GeoDataFrame
        One table each, in this order; each frame's CRS (EPSG-coded) is its table's SRS.
    styles : callable, optional
        ``styles(name, frame)`` -> QML text stored as the table's default QGIS style, or None.
    descriptions : mapping, optional
        ``gpkg_contents.description`` per table (a layer's title).

    Raises
    ------
    DataError
        A reserved table name, or a CRS without an EPSG code.
    """
    for name in layers:
        check_table_name(name)
    descriptions = descriptions or {}
    with atomic_path(path) as tmp:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {_USER_VERSION}")
            db.execute("BEGIN")
            for statement in _SCHEMA.split(";"):  # not executescript: it would COMMIT
                if statement.strip():
                    db.execute(statement)
            db.executemany(
                "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", _UNDEFINED_SRS
            )
            for name, gdf in layers.items():
                _write_table(db, name, gdf, descriptions.get(name, ""))
                qml = styles(name, gdf) if styles else None
                if qml:
                    db.execute(
                        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                        "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                        "useAsDefault, description, owner, ui) "
                        "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)",
                        (name, GEOMETRY_COLUMN, name, qml, "Planmap style (layers/styles.py)"),
                    )
            db.execute("COMMIT")
        finally:
            db.close()
    return Path(path)
