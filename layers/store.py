"""The user store: places a planner located (drawn in the app, or taken from a file), kept in
one GeoPackage (``planmap_user.gpkg`` in :func:`geo.paths.user_dir`) that QGIS opens as is.

Why it is safe
--------------
- **One transaction per save.** Every write is ``BEGIN IMMEDIATE`` … ``COMMIT`` on its own
  connection. ``IMMEDIATE`` takes SQLite's write lock *before* anything is read, so two
  writers can never both read, then both write (the lost update of the old GeoJSON file);
  with a deferred ``BEGIN`` the second writer would fail with "database is locked" at its
  first write instead of waiting. The busy timeout (:data:`BUSY_TIMEOUT_S`) makes a writer wait
  for the lock, across threads and processes alike (SQLite locks the file through the OS).
- **kill -9 safe.** SQLite's rollback journal (the default ``DELETE`` mode, ``synchronous =
  FULL``): a write killed half-way leaves a hot journal that the next connection rolls back, so
  the store holds every committed save and nothing of the interrupted one. The rollback journal
  rather than WAL keeps the store one file, which a planner can copy or open read-only in QGIS
  without ``-wal``/``-shm`` companions (and WAL's shared memory fails on network drives).
- **A broken store is refused, never rewritten.** Reading checks the file (a GeoPackage, the
  table and its columns, ``PRAGMA quick_check``, every row) and raises one
  :class:`~geo.errors.DataError` naming the file and the row; saving to such a file is refused
  the same way. Callers show the line and go on without the user's locations.

A legacy ``overrides.geojson`` beside the store (the previous format) is imported once, when the
store is created; the old file is left as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import DataError, PlanmapError
from geo.model import LONLAT_CRS, Precision, check_lonlat
from geo.paths import user_dir
from layers import _gpkg

__all__ = [
    "BUSY_TIMEOUT_S",
    "COLUMNS",
    "LEGACY_NAME",
    "STORE_NAME",
    "TABLE",
    "Location",
    "UserStore",
    "default_store_path",
]

STORE_NAME = "planmap_user.gpkg"
#: the previous store, imported once when the store is created
LEGACY_NAME = "overrides.geojson"
TABLE = "user_locations"
#: the columns of :meth:`UserStore.locations` (then ``geometry``)
COLUMNS = ["id", "note", "source", "precision", "licence", "saved_at"]
#: how long a save waits for another writer before giving up (seconds)
BUSY_TIMEOUT_S = 30.0
MAX_ID = 200
MAX_TEXT = 10_000
_SQL_COLUMNS = {
    "id": "TEXT NOT NULL UNIQUE",
    "note": "TEXT",
    "source": "TEXT",
    "precision": "TEXT",
    "licence": "TEXT",
    "saved_at": "TEXT",
}


def default_store_path() -> Path:
    """``geo.paths.user_dir() / "planmap_user.gpkg"``."""
    return user_dir() / STORE_NAME


@dataclass(frozen=True)
class Location:
    """One located place.

    Attributes
    ----------
    id : str
        The gazetteer id.
    geometry : shapely geometry
        WGS-84 lon/lat, never GCJ-02.
    note : str
        Why here.
    source : str
        ``"user"`` for a drawing; for a file: file name + layer + feature id/name (+ licence).
    precision : str
        A :class:`geo.model.Precision` value other than ``unlocated``.
    licence : str
        The licence of the source data, if any.
    """

    id: str
    geometry: BaseGeometry
    note: str = ""
    source: str = "user"
    precision: str = "approximate"
    licence: str = ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _clean_text(value: object, field: str, *, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(f"{field}: expected text, got {type(value).__name__}")
    text = value.replace("\x00", "")  # GDAL and QGIS cut text at a NUL
    if len(text) > limit:
        raise DataError(f"{field}: longer than {limit} characters")
    return text


def _valid_geometry(geom: object, field: str) -> BaseGeometry:
    if not isinstance(geom, BaseGeometry):
        raise DataError(f"{field}: not a geometry ({type(geom).__name__})")
    if geom.is_empty:
        raise DataError(f"{field}: empty geometry")
    geom = shapely.force_2d(geom)
    try:
        check_lonlat(geom, name=field)
    except PlanmapError as exc:
        raise DataError(str(exc)) from None
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":  # a repair may add slivers of lower dimension
        parts = list(shapely.get_parts(geom))
        top = max(shapely.get_dimensions(parts))
        geom = shapely.union_all([p for p in parts if shapely.get_dimensions(p) == top])
    if geom.is_empty or geom.geom_type == "GeometryCollection":
        raise DataError(f"{field}: not a point, line or polygon geometry")
    return geom


def _row(loc: Location, stamp: str) -> tuple:
    """A validated location as the row written to the table."""
    fid = _clean_text(getattr(loc, "id", None), "location id", limit=MAX_ID).strip()
    if not fid or any(ord(c) < 32 for c in fid):
        raise DataError(f"location id {fid!r}: empty or holds control characters")
    try:
        precision = Precision.get(loc.precision, name="precision")
    except PlanmapError as exc:
        raise DataError(f"{fid}: {exc}") from None
    if precision is Precision.UNLOCATED:
        raise DataError(f"{fid}: precision: a saved location cannot be 'unlocated'")
    source = _clean_text(loc.source, f"{fid}.source").strip() or "user"
    geom = _valid_geometry(loc.geometry, f"{fid}.geometry")
    note = _clean_text(loc.note, f"{fid}.note")
    licence = _clean_text(loc.licence, f"{fid}.licence")
    return (_gpkg.encode(geom), fid, note, source, precision.value, licence, stamp)


def _legacy_rows(path: Path) -> list[tuple]:
    from layers.overrides import read_overrides_geojson

    rows = []
    for loc, drawn_at in read_overrides_geojson(path):
        try:
            rows.append(_row(loc, drawn_at or _now()))
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from None
    return rows


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in COLUMNS}, geometry=[], crs=LONLAT_CRS
    )


def _stored_text(value: object, where: str) -> str:
    """A text cell of a hand-edited store (SQLite keeps any type in any column)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    raise DataError(f"{where}: expected text, got {type(value).__name__}")


class UserStore:
    """The planner's located places, in one GeoPackage.

    Parameters
    ----------
    path : path, optional
        The store (default: :func:`default_store_path`). It is created on the first save.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()

    def __repr__(self) -> str:
        return f"UserStore({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute("PRAGMA synchronous = FULL")
        _gpkg.register_functions(conn)
        return conn

    def _fail(self, exc: BaseException, doing: str) -> DataError:
        text = str(exc).strip() or type(exc).__name__
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
            text = "not a GeoPackage (not an SQLite database)"
        elif isinstance(exc, OSError):
            text = exc.strerror or text
        return DataError(f"{self.path}: cannot {doing}: {text}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), with the schema made if the file is new."""
        if self.path.is_dir():
            raise DataError(f"{self.path}: is a folder, not a user store")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise self._fail(exc, "save") from None
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._ensure_schema(conn)
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._fail(exc, "save") from None
            raise
        finally:
            conn.close()

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        if _gpkg.has_schema(conn, TABLE):
            self._read(conn)  # a broken store is refused, never written over
            return
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise DataError(f"{self.path}: no {TABLE} table; not a Planmap user store")
        _gpkg.create_schema(
            conn, TABLE, _SQL_COLUMNS, description="Places located by a planner (Planmap)"
        )
        legacy = self.path.with_name(LEGACY_NAME)
        if legacy.is_file() and legacy != self.path:
            self._insert(conn, _legacy_rows(legacy))

    def _read(self, conn: sqlite3.Connection) -> tuple[list[dict], list[BaseGeometry]]:
        """Check the file and every row; the rows (in save order) and their geometries."""
        if not _gpkg.has_schema(conn, TABLE):
            raise DataError(f"{self.path}: no {TABLE} table; not a Planmap user store")
        if conn.execute("PRAGMA application_id").fetchone()[0] != _gpkg.APPLICATION_ID:
            raise DataError(f"{self.path}: not a GeoPackage (wrong application_id)")
        have = {row[1] for row in conn.execute(f'PRAGMA table_info("{TABLE}")')}
        missing = [c for c in ("geom", *COLUMNS) if c not in have]
        if missing:
            raise DataError(f"{self.path}: {TABLE}: column {missing[0]!r} is missing")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise DataError(f"{self.path}: damaged ({check})")
        cells = conn.execute(
            f'SELECT fid, geom, {", ".join(COLUMNS)} FROM "{TABLE}" ORDER BY fid'
        ).fetchall()
        return self._rows(cells)

    def _insert(self, conn: sqlite3.Connection, rows: Iterable[tuple]) -> int:
        count = 0
        for row in rows:
            conn.execute(f'DELETE FROM "{TABLE}" WHERE id = ?', (row[1],))
            conn.execute(
                f'INSERT INTO "{TABLE}" (geom, id, note, source, precision, licence, saved_at)'
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            count += 1
        conn.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            " WHERE table_name = ?",
            (TABLE,),
        )
        return count

    # -- public ------------------------------------------------------------------------------

    def save(self, location: Location) -> None:
        """Add or replace the location of one place, in one transaction.

        Raises
        ------
        DataError
            A bad location (names the id and field), or a store that cannot be written.
        """
        self.save_many([location])

    def save_many(self, locations: Iterable[Location]) -> int:
        """Add or replace several locations in one transaction: all are saved or none.

        Returns
        -------
        int
            How many were saved.
        """
        stamp = _now()
        rows = [_row(loc, stamp) for loc in locations]  # every one is checked before writing
        with self._transaction() as conn:
            return self._insert(conn, rows)

    def import_geojson(self, path: str | Path) -> int:
        """Import an old ``overrides.geojson`` (``id``, ``note``, ``drawn_at`` per feature),
        all or nothing. Returns how many locations were imported."""
        rows = _legacy_rows(Path(path))
        with self._transaction() as conn:
            return self._insert(conn, rows)

    def locations(self) -> gpd.GeoDataFrame:
        """Every stored location, one row per id (the latest save wins), in EPSG:4326.

        A missing store is empty (unless an old ``overrides.geojson`` beside it is imported
        now). Nothing is written otherwise.

        Raises
        ------
        DataError
            A broken store, in one line naming the file and what is wrong.
        """
        if self.path.is_dir():
            raise DataError(f"{self.path}: is a folder, not a user store")
        if not self.path.exists() or self.path.stat().st_size == 0:
            legacy = self.path.with_name(LEGACY_NAME)
            if not legacy.is_file():
                return _empty()
            _legacy_rows(legacy)  # a broken old file is refused before a store is created
            with self._transaction():
                pass  # creating the store imports the old file
        try:
            conn = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise self._fail(exc, "read") from None
        try:
            rows, geoms = self._read(conn)
        except sqlite3.Error as exc:
            raise self._fail(exc, "read") from None
        finally:
            conn.close()
        if not rows:
            return _empty()
        frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=LONLAT_CRS)
        return frame.drop_duplicates("id", keep="last").reset_index(drop=True)

    def _rows(self, cells: list[tuple]) -> tuple[list[dict], list[BaseGeometry]]:
        rows, geoms = [], []
        for fid, blob, *values in cells:
            where = f"{self.path}: {TABLE} fid {fid}"
            record = {
                c: _stored_text(v, f"{where}.{c}") for c, v in zip(COLUMNS, values, strict=True)
            }
            if not record["id"].strip():
                raise DataError(f"{where}.id: empty")
            where = f"{where} ({record['id']})"
            try:
                geom = _gpkg.decode(blob)
            except ValueError as exc:
                raise DataError(f"{where}.geom: {exc}") from None
            if geom.is_empty:
                raise DataError(f"{where}.geom: empty geometry")
            try:
                check_lonlat(geom, name=f"{where}.geom")
            except PlanmapError as exc:
                raise DataError(str(exc)) from None
            try:
                record["precision"] = Precision.get(record["precision"], name="").value
            except PlanmapError as exc:
                raise DataError(f"{where}.precision: {exc}") from None
            record["source"] = record["source"] or "user"
            rows.append(record)
            geoms.append(geom)
        return rows, geoms
