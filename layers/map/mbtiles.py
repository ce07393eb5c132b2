"""Raster MBTiles files (MBTiles 1.3): what a file holds, checked once, and its tiles in XYZ order.

An MBTiles file is an SQLite database with a ``metadata`` table (``name``, ``value``) and a
``tiles`` table or view (``zoom_level``, ``tile_column``, ``tile_row``, ``tile_data``). Rows
follow the TMS scheme, counted from the south: the XYZ row Leaflet asks for is
``2**z - 1 - tile_row``. ``metadata.format`` says what a tile is (``png``, ``jpg``, ``webp``;
``pbf`` means vector tiles, which Planmap does not draw yet). Every problem is one line that
names the file: :class:`~geo.errors.DataError`.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.errors import DataError

__all__ = ["RASTER_FORMATS", "MBTiles", "district_coverage", "iter_tiles", "read_mbtiles"]

#: tile formats drawn as images, and the file suffix each is written with
RASTER_FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}
_VECTOR_FORMATS = {"pbf", "mvt"}
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: Web Mercator's latitude limit
_MAX_LAT = 85.0511287798


@dataclass(frozen=True)
class MBTiles:
    """What a raster MBTiles file holds.

    ``bounds`` (west, south, east, north, degrees in the tiles' own datum) is where the map
    asks for tiles: the metadata's ``bounds`` (the spec's "area covered by all zoom levels")
    clipped to the tiles there are, or without one the extent of every zoom's tiles;
    ``finest_bounds`` is the extent of the tiles at ``maxzoom``, what the district is checked
    against.
    """

    path: Path
    format: str
    minzoom: int
    maxzoom: int
    count: int
    bounds: tuple[float, float, float, float]
    finest_bounds: tuple[float, float, float, float]
    name: str = ""
    attribution: str = ""

    @property
    def suffix(self) -> str:
        """The file suffix of a tile (``png``, ``jpg`` or ``webp``)."""
        return RASTER_FORMATS[self.format]


def _connect(path: Path) -> sqlite3.Connection:
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        raise DataError(f"{path}: no such MBTiles file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not an MBTiles file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if head != _SQLITE_MAGIC:
        raise DataError(f"{path}: not an SQLite file, so not an MBTiles file")
    # read-only: a planner's tile package is never changed by looking at it
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _tile_lon(x: float, z: int) -> float:
    return x / 2**z * 360.0 - 180.0


def _tile_lat(y_xyz: float, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y_xyz / 2**z))))


Box = tuple[float, float, float, float]


def _extent(z: int, cols: tuple[int, int], rows: tuple[int, int]) -> Box:
    """West, south, east, north of the TMS tiles ``cols`` x ``rows`` at zoom ``z``."""
    top = 2**z - 1 - rows[1]  # the northernmost TMS row is the smallest XYZ row
    bottom = 2**z - 1 - rows[0]
    return (
        _tile_lon(cols[0], z),
        _tile_lat(bottom + 1, z),
        _tile_lon(cols[1] + 1, z),
        _tile_lat(top, z),
    )


def _rounded(bounds: Box) -> Box:
    west, south, east, north = (round(v, 7) for v in bounds)
    return west, south, east, north


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"\x1f\x8b") or data[:1] == b"\x1a":
        return "pbf"  # gzipped or plain Mapbox vector tiles
    return None


def _metadata_bounds(text: str) -> tuple[float, float, float, float] | None:
    """``"west,south,east,north"`` as floats, or None when absent or not a box in degrees."""
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        return None
    if -180 <= w < e <= 180 and -90 <= s < n <= 90:
        return w, s, e, n
    return None


def read_mbtiles(path: str | Path) -> MBTiles:
    """Check a raster MBTiles file and say what it holds.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    MBTiles

    Raises
    ------
    DataError
        One line naming the file: missing, not SQLite, no ``tiles`` table, no tiles, vector
        tiles (not supported yet), an unknown tile format or zoom levels out of range.
    """
    path = Path(path)
    con = _connect(path)
    try:
        try:
            kinds = dict(
                con.execute(
                    "SELECT name, type FROM sqlite_master WHERE name IN ('tiles', 'metadata')"
                )
            )
        except sqlite3.DatabaseError as exc:
            raise DataError(f"{path}: not a readable SQLite database ({exc})") from None
        if kinds.get("tiles") not in ("table", "view"):
            raise DataError(f"{path}: has no tiles table, so it is not an MBTiles file")
        meta: dict[str, str] = {}
        if kinds.get("metadata") in ("table", "view"):
            meta = {
                str(k).strip().lower(): str(v).strip()
                for k, v in con.execute("SELECT name, value FROM metadata")
                if k is not None and v is not None
            }
        try:
            zooms = con.execute(
                "SELECT zoom_level, min(tile_column), max(tile_column), min(tile_row),"
                " max(tile_row), count(*) FROM tiles GROUP BY zoom_level ORDER BY zoom_level"
            ).fetchall()
            first = con.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        except sqlite3.DatabaseError as exc:
            raise DataError(f"{path}: the tiles table is not MBTiles-shaped ({exc})") from None
    finally:
        con.close()
    if not zooms or first is None:
        raise DataError(f"{path}: holds no tiles")
    fmt = meta.get("format", "").lower() or (_sniff(bytes(first[0] or b"")) or "")
    if fmt in _VECTOR_FORMATS:
        raise DataError(
            f"{path}: holds vector tiles (format {fmt}); vector MBTiles are not supported yet, "
            "only raster png, jpg or webp tiles"
        )
    if fmt not in RASTER_FORMATS:
        raise DataError(f"{path}: tile format {fmt or '(none)'!r} is not one of: png, jpg, webp")
    for z, cmin, cmax, rmin, rmax, _ in zooms:
        if not (isinstance(z, int) and 0 <= z <= 24):
            raise DataError(f"{path}: zoom level {z!r} is out of range 0-24")
        if min(cmin, rmin) < 0 or max(cmax, rmax) >= 2**z:
            raise DataError(f"{path}: a tile at zoom {z} lies outside the zoom's grid")
    extents = [_extent(z, (cmin, cmax), (rmin, rmax)) for z, cmin, cmax, rmin, rmax, _ in zooms]
    union = (
        min(e[0] for e in extents),
        max(min(e[1] for e in extents), -_MAX_LAT),
        max(e[2] for e in extents),
        min(max(e[3] for e in extents), _MAX_LAT),
    )
    declared = _metadata_bounds(meta.get("bounds", ""))
    if declared is not None:
        clipped = (
            max(declared[0], union[0]),
            max(declared[1], union[1]),
            min(declared[2], union[2]),
            min(declared[3], union[3]),
        )
        if clipped[0] < clipped[2] and clipped[1] < clipped[3]:
            union = clipped
    return MBTiles(
        path=path,
        format=RASTER_FORMATS[fmt] if fmt != "jpeg" else "jpg",
        minzoom=zooms[0][0],
        maxzoom=zooms[-1][0],
        count=sum(row[5] for row in zooms),
        bounds=_rounded(union),
        finest_bounds=_rounded(extents[-1]),
        name=meta.get("name", ""),
        attribution=meta.get("attribution", ""),
    )


def iter_tiles(mb: MBTiles) -> Iterator[tuple[int, int, int, bytes]]:
    """Yield ``(z, x, y, data)`` for every tile, ``y`` in XYZ order (flipped from TMS)."""
    con = _connect(mb.path)
    try:
        rows = con.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        for z, x, row, data in rows:
            if data is None:
                continue
            yield int(z), int(x), 2 ** int(z) - 1 - int(row), bytes(data)
    finally:
        con.close()


def district_coverage(mb: MBTiles, district: BaseGeometry, *, datum: str = "wgs84") -> float:
    """The share (0-1) of a district's area that the finest zoom's tiles cover.

    Parameters
    ----------
    mb : MBTiles
    district : shapely geometry
        The district polygon, WGS-84 lon/lat.
    datum : {"wgs84", "gcj02"}
        The datum the tiles are drawn in (GCJ-02 tiles sit about 600 m off WGS-84).
    """
    west, south, east, north = mb.finest_bounds
    if datum == "gcj02":
        from geo.crs import gcj02_to_wgs84

        west, south = gcj02_to_wgs84(west, south)
        east, north = gcj02_to_wgs84(east, north)
    if district.is_empty or district.area == 0:
        return 0.0
    return float(box(west, south, east, north).intersection(district).area / district.area)
