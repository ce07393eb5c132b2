"""The bits of the GeoPackage format (OGC 12-128, version 1.3) the user store needs, written
with the standard library's ``sqlite3``: the required metadata tables, one feature table and
the geometry blob (``GP`` header + envelope + WKB).

GDAL, QGIS and ArcGIS read a file made this way as is. No spatial index is created: its
triggers call ``ST_*`` functions plain SQLite lacks (:func:`register_functions` supplies them,
so a store that QGIS gave an index stays writable here).
"""

from __future__ import annotations

import sqlite3
import struct

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "APPLICATION_ID",
    "USER_VERSION",
    "create_schema",
    "decode",
    "encode",
    "has_schema",
    "register_functions",
]

#: ``PRAGMA application_id`` of a GeoPackage: the bytes "GPKG"
APPLICATION_ID = 0x47504B47
#: ``PRAGMA user_version`` of GeoPackage 1.3 (GDAL 3.6 warns on 1.4 files)
USER_VERSION = 10300

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
#: geometry collections may nest this deep in a stored blob (a collection of multi-parts)
MAX_DEPTH = 3
# envelope sizes in bytes by the header's envelope-contents indicator (flags bits 1-3)
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _schema_sql(table: str, columns: dict[str, str], description: str) -> list[str]:
    cols = ", ".join(f'"{name}" {sqltype}' for name, sqltype in columns.items())
    return [
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,"
        " organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,"
        " definition TEXT NOT NULL, description TEXT)",
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,"
        " data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',"
        " last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
        " min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,"
        " CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))",
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,"
        " geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,"
        " m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),"
        " CONSTRAINT uk_gc_table_name UNIQUE (table_name),"
        " CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),"
        " CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
        "INSERT INTO gpkg_spatial_ref_sys VALUES"
        " ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian'),"
        " ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic'),"
        f" ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{_WGS84_WKT}', 'longitude/latitude')",
        f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,'
        f" geom GEOMETRY, {cols})",
        f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)"
        f" VALUES ('{table}', 'features', '{table}', '{description}', 4326)",
        f"INSERT INTO gpkg_geometry_columns VALUES ('{table}', 'geom', 'GEOMETRY', 4326, 0, 0)",
        f"PRAGMA application_id = {APPLICATION_ID}",
        f"PRAGMA user_version = {USER_VERSION}",
    ]


def has_schema(conn: sqlite3.Connection, table: str) -> bool:
    """Whether the GeoPackage metadata and ``table`` exist."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('gpkg_contents', ?)",
        (table,),
    ).fetchall()
    return len(rows) == 2


def create_schema(
    conn: sqlite3.Connection, table: str, columns: dict[str, str], *, description: str = ""
) -> None:
    """Create an empty GeoPackage with one feature table (inside the caller's transaction)."""
    for sql in _schema_sql(table, columns, description.replace("'", "''")):
        conn.execute(sql)


def encode(geom: BaseGeometry, srs_id: int = 4326) -> bytes:
    """A 2D geometry as a GeoPackage blob: little-endian header with an xy envelope, then WKB."""
    if geom.is_empty:
        return b"GP\x00" + bytes([0b10001]) + struct.pack("<i", srs_id) + shapely.to_wkb(geom)
    minx, miny, maxx, maxy = geom.bounds
    header = b"GP\x00" + bytes([0b11]) + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geom, byte_order=1, output_dimension=2)


def _check_wkb(data: bytes, *, max_depth: int = MAX_DEPTH) -> None:
    """Walk a WKB's structure without recursion and refuse deep nesting or a truncated body.

    GEOS's WKB reader recurses once per nesting level: about 100,000 nested collections (a
    900 kB blob) crash the whole process with a segfault, so nesting is checked here first.
    """
    pos, pending = 0, [1]  # geometries still to read at each open nesting level
    size = len(data)

    def take(fmt: str) -> tuple:
        nonlocal pos
        if pos + struct.calcsize(fmt) > size:
            raise ValueError("truncated WKB")
        out = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return out

    while pending:
        (order,) = take("B")
        if order not in (0, 1):
            raise ValueError("bad WKB byte order")
        end = "<" if order else ">"
        (code,) = take(end + "I")
        if code & 0x20000000:  # EWKB with an SRID
            take(end + "I")
        dims = 2 + bool(code & 0x80000000) + bool(code & 0x40000000)
        code &= 0x0FFFFFFF
        base, iso = code % 1000, code // 1000
        if base not in range(1, 8) or iso > 3:
            raise ValueError(f"unknown WKB geometry type {code}")
        dims += {0: 0, 1: 1, 2: 1, 3: 2}[iso]
        point = 8 * dims
        pending[-1] -= 1
        if base == 1:
            take(f"{point}x")
        elif base == 2:
            (n,) = take(end + "I")
            take(f"{n * point}x")
        elif base == 3:
            (rings,) = take(end + "I")
            if rings * 4 > size - pos:
                raise ValueError("truncated WKB")
            for _ in range(rings):
                (n,) = take(end + "I")
                take(f"{n * point}x")
        else:
            (n,) = take(end + "I")
            if n * 9 > size - pos:
                raise ValueError("truncated WKB")
            pending.append(n)
            if len(pending) > max_depth + 1:
                raise ValueError(f"geometry nested more than {max_depth} levels deep")
        while pending and pending[-1] == 0:
            pending.pop()
    if pos != size:
        raise ValueError("trailing bytes after the WKB geometry")


def decode(blob: object) -> BaseGeometry:
    """The geometry of a GeoPackage blob (any byte order, envelope or extension flag).

    Raises
    ------
    ValueError
        Not a GeoPackage geometry blob, or its WKB is broken.
    """
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise ValueError(f"not a geometry blob ({type(blob).__name__})")
    blob = bytes(blob)
    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    envelope = _ENVELOPE_BYTES.get((flags >> 1) & 0b111)
    if envelope is None:
        raise ValueError("bad envelope flag in the geometry header")
    wkb = blob[8 + envelope :]
    _check_wkb(wkb)
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates are refused by the caller
            geom = shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        raise ValueError(f"broken WKB ({str(exc).strip()})") from None
    if geom is None:
        raise ValueError("no geometry in the blob")
    return geom


def _envelope(blob: object, which: int) -> float | None:
    try:
        geom = decode(blob)
    except ValueError:
        return None
    if geom.is_empty:
        return None
    return float(np.asarray(geom.bounds)[which])


def _is_empty(blob: object) -> int:
    try:
        return int(blob is None or decode(blob).is_empty)
    except ValueError:
        return 1


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions GDAL's R-tree triggers call, so inserts work on an indexed store."""
    conn.create_function("ST_IsEmpty", 1, _is_empty)
    for name, which in (("ST_MinX", 0), ("ST_MinY", 1), ("ST_MaxX", 2), ("ST_MaxY", 3)):
        conn.create_function(name, 1, lambda b, w=which: _envelope(b, w))
