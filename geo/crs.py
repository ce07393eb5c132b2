"""WGS-84, GCJ-02 and BD-09 coordinates: conversions on scalars, numpy arrays and geometries.

Every function takes and returns **(lon, lat)** in degrees, in that order, never (lat, lon).
Scalars give Python floats back; arrays (any shape, broadcast together) give float64 arrays of
the same shape. NaN passes through as NaN.

GCJ-02 ("Mars coordinates") is the obfuscated datum of AMap/Tencent tiles; BD-09 is Baidu's
further offset of GCJ-02. Neither has an EPSG code, so geometries keep CRS EPSG:4326 and the
datum is recorded in ``GeoDataFrame.attrs["datum"]``.

The forward WGS-84 -> GCJ-02 formula is the widely published one (Krasovsky 1940 semi-axis
6378245 m, e² = 0.00669342162296594323); it reproduces the eviltransform test vectors to 1e-12°.
The inverses are iterative: the common one-step inverse is off by up to about 2 m; these reach
a forward residual below 1e-9° (about 0.1 mm).

Points outside China are not shifted. "China" is the usual rectangle lon 72.004–137.8347,
lat 0.8293–55.8271, like most implementations. Hong Kong (and Macau, Taiwan, parts of
south-east Asia) lie inside that rectangle and are therefore shifted. We assume AMap tiles are
GCJ-02 over Hong Kong too; that is an assumption, not a verified fact.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS

from geo.errors import PlanmapError

__all__ = [
    "CHINA_LAT",
    "CHINA_LON",
    "Datum",
    "DatumError",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_crs_frame",
    "transform_geometry",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, metres
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # Baidu's constant
_BD_DLON = 0.0065
_BD_DLAT = 0.006

CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

_TOL_DEG = 1e-9
_MAX_ITER = 30

Coords = tuple[Any, Any]


class DatumError(PlanmapError, ValueError):
    """An unknown datum name was given (the message lists the valid ones)."""


class Datum(StrEnum):
    """The geodetic datums Planmap converts between."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    @classmethod
    def get(cls, value: Datum | str) -> Datum:
        """Validate ``value`` (case-insensitive, ``-``/``_`` ignored) into a `Datum`.

        Raises
        ------
        DatumError
            If ``value`` names no datum; the message lists the valid choices.
        """
        if isinstance(value, cls):
            return value
        key = str(value).strip().lower().replace("-", "").replace("_", "")
        for member in cls:
            if member.value == key:
                return member
        valid = ", ".join(repr(m.value) for m in cls)
        raise DatumError(f"unknown datum {value!r}; valid choices are {valid}")


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray, bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return x, y, scalar


def _out(x: NDArray, y: NDArray, scalar: bool) -> Coords:
    if scalar:
        return float(x), float(y)
    return np.array(x, dtype=float), np.array(y, dtype=float)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray | bool:
    """Whether points lie outside the "China" rectangle (NaN counts as outside).

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees.

    Returns
    -------
    bool or ndarray of bool
    """
    x, y, scalar = _as_float_arrays(lon, lat)
    with np.errstate(invalid="ignore"):
        inside = (
            (x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1])
        )
    return bool(~inside) if scalar else ~inside


def _gcj_delta(x: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    """GCJ-02 minus WGS-84, in degrees, at WGS-84 (x, y); zero outside China."""
    u = x - 105.0
    v = y - 35.0
    with np.errstate(invalid="ignore"):
        root = np.sqrt(np.abs(u))
    dlat = -100.0 + 2.0 * u + 3.0 * v + 0.2 * v * v + 0.1 * u * v + 0.2 * root
    dlat += (20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(v * np.pi) + 40.0 * np.sin(v / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(v / 12.0 * np.pi) + 320.0 * np.sin(v * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + u + 2.0 * v + 0.1 * u * u + 0.1 * u * v + 0.1 * root
    dlon += (20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(u * np.pi) + 40.0 * np.sin(u / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(u / 12.0 * np.pi) + 300.0 * np.sin(u / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(x, y)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _wgs_to_gcj(x: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    dx, dy = _gcj_delta(x, y)
    # NaN in, NaN out (out_of_china treats NaN as outside, so the delta is 0 there)
    return x + dx, y + dy


def _gcj_to_bd(x: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_one_step(x: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    u = x - _BD_DLON
    v = y - _BD_DLAT
    z = np.hypot(u, v) - 0.00002 * np.sin(v * _X_PI)
    theta = np.arctan2(v, u) - 0.000003 * np.cos(u * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(forward, x: NDArray, y: NDArray, x0: NDArray, y0: NDArray) -> tuple[NDArray, NDArray]:
    """Fixed-point inverse of ``forward`` at target (x, y), starting from (x0, y0).

    Each step moves the estimate by the forward residual. The offsets vary slowly (their
    derivatives are ~1e-4), so the error shrinks by about that factor per step.
    """
    ex, ey = x0.copy(), y0.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(ex, ey)
        rx, ry = fx - x, fy - y
        ex -= rx
        ey -= ry
        with np.errstate(invalid="ignore"):
            worst = np.nanmax(np.abs(np.concatenate([rx.ravel(), ry.ravel(), [0.0]])))
        if worst < _TOL_DEG:
            break
    return ex, ey


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Convert WGS-84 (lon, lat) to GCJ-02 (lon, lat); identity outside China.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : float or ndarray
        GCJ-02 longitude and latitude.
    """
    x, y, scalar = _as_float_arrays(lon, lat)
    return _out(*_wgs_to_gcj(x, y), scalar)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Convert GCJ-02 (lon, lat) to WGS-84 (lon, lat) by iteration; identity outside China.

    Iterates until the forward conversion of the estimate matches the input to within 1e-9°
    (at most 30 steps; three or four suffice near Shenzhen).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : float or ndarray
        WGS-84 longitude and latitude.
    """
    x, y, scalar = _as_float_arrays(lon, lat)
    dx, dy = _gcj_delta(x, y)
    return _out(*_invert(_wgs_to_gcj, x, y, x - dx, y - dy), scalar)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Convert GCJ-02 (lon, lat) to BD-09 (lon, lat).

    Baidu's offset is applied everywhere, as Baidu does; outside China the input is taken to be
    WGS-84 = GCJ-02.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : float or ndarray
        BD-09 longitude and latitude.
    """
    x, y, scalar = _as_float_arrays(lon, lat)
    return _out(*_gcj_to_bd(x, y), scalar)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Convert BD-09 (lon, lat) to GCJ-02 (lon, lat) by iteration.

    Starts from the usual closed-form inverse and refines until the forward conversion matches
    the input to within 1e-9°.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : float or ndarray
        GCJ-02 longitude and latitude.
    """
    x, y, scalar = _as_float_arrays(lon, lat)
    x0, y0 = _bd_to_gcj_one_step(x, y)
    return _out(*_invert(_gcj_to_bd, x, y, x0, y0), scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Convert WGS-84 (lon, lat) to BD-09 (lon, lat) through GCJ-02.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : float or ndarray
        BD-09 longitude and latitude.
    """
    x, y, scalar = _as_float_arrays(lon, lat)
    return _out(*_gcj_to_bd(*_wgs_to_gcj(x, y)), scalar)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Convert BD-09 (lon, lat) to WGS-84 (lon, lat) through GCJ-02, both steps iterative.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : float or ndarray
        WGS-84 longitude and latitude.
    """
    gx, gy = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(gx, gy)


_CONVERSIONS = {
    (Datum.WGS84, Datum.GCJ02): wgs84_to_gcj02,
    (Datum.GCJ02, Datum.WGS84): gcj02_to_wgs84,
    (Datum.GCJ02, Datum.BD09): gcj02_to_bd09,
    (Datum.BD09, Datum.GCJ02): bd09_to_gcj02,
    (Datum.WGS84, Datum.BD09): wgs84_to_bd09,
    (Datum.BD09, Datum.WGS84): bd09_to_wgs84,
}


def convert(lon: ArrayLike, lat: ArrayLike, *, src: Datum | str, dst: Datum | str) -> Coords:
    """Convert (lon, lat) from datum ``src`` to datum ``dst`` (identity if they are equal).

    Raises
    ------
    DatumError
        If ``src`` or ``dst`` names no datum.
    """
    source, target = Datum.get(src), Datum.get(dst)
    if source is target:
        x, y, scalar = _as_float_arrays(lon, lat)
        return _out(x, y, scalar)
    return _CONVERSIONS[(source, target)](lon, lat)


def transform_geometry(geom: Any, *, src: Datum | str, dst: Datum | str) -> Any:
    """Shift a shapely geometry (or array of them) in lon/lat from ``src`` to ``dst``.

    None and empty geometries pass through; Z values are kept unchanged.

    Parameters
    ----------
    geom : shapely.Geometry, array_like of geometries, or None
        Geometries with (lon, lat) coordinates.
    src, dst : Datum or str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.

    Returns
    -------
    Same type as ``geom``, with shifted coordinates.

    Raises
    ------
    DatumError
        If ``src`` or ``dst`` names no datum.
    """
    source, target = Datum.get(src), Datum.get(dst)
    if geom is None:
        return None
    if source is target:
        return geom
    func = _CONVERSIONS[(source, target)]

    def shift(x: NDArray, y: NDArray, z: NDArray | None = None) -> tuple[NDArray, ...]:
        sx, sy = func(x, y)
        return (sx, sy) if z is None else (sx, sy, z)

    # types-shapely types only the interleaved callback and a bool include_z (None: keep z)
    return shapely.transform(geom, shift, include_z=None, interleaved=False)  # type: ignore[call-overload]


def to_crs_frame(
    gdf: gpd.GeoDataFrame, *, dst: Datum | str, src: Datum | str | None = None
) -> gpd.GeoDataFrame:
    """Return a copy of an EPSG:4326 GeoDataFrame with coordinates shifted to datum ``dst``.

    The CRS stays EPSG:4326 (GCJ-02 and BD-09 have no EPSG code); the datum is recorded in
    ``attrs["datum"]``. Rows, columns, index and None geometries are kept.

    Parameters
    ----------
    gdf : GeoDataFrame
        Frame in EPSG:4326 (lon, lat).
    dst : Datum or str
        Target datum.
    src : Datum or str, optional
        Source datum; defaults to ``gdf.attrs["datum"]``, else WGS-84.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    DatumError
        If a datum name is unknown.
    ValueError
        If ``gdf`` has no CRS or a CRS other than EPSG:4326.
    """
    target = Datum.get(dst)
    source = Datum.get(src if src is not None else gdf.attrs.get("datum", Datum.WGS84))
    if gdf.crs is None or CRS.from_user_input(gdf.crs) != CRS.from_epsg(4326):
        raise ValueError(
            f"to_crs_frame needs a GeoDataFrame in EPSG:4326 (lon, lat), got CRS {gdf.crs}"
        )
    out = gdf.copy()
    values = out.geometry.array.to_numpy()
    shifted = transform_geometry(values, src=source, dst=target)
    out[out.geometry.name] = gpd.GeoSeries(shifted, index=out.index, crs=gdf.crs)
    out.attrs["datum"] = target.value
    return out
