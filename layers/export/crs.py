"""Coordinate systems of exports: WGS-84, GCJ-02 (opt-in), CGCS2000 and its Gauss–Krüger zones.

``--crs`` takes ``wgs84`` (default), ``gcj02`` (shifted lon/lat for Chinese web platforms,
still labelled EPSG:4326), ``cgcs2000`` (EPSG:4490, the datum of official Chinese work) or
``epsg:NNNN`` for any CRS PROJ knows, typically a CGCS2000 3° Gauss–Krüger zone:
EPSG:4534–4554 are "CGCS2000 / 3-degree Gauss-Kruger CM 75E … 135E" (false easting
500 000 m, no zone prefix), so Shenzhen (114°E) is EPSG:4547 (EPSG registry; FINDINGS).
:func:`gauss_kruger_epsg` computes the zone from a longitude, so a district's suggestion comes
from its data, not from code naming it.

CGCS2000 and WGS-84 differ by well under a metre at Shenzhen; PROJ treats the transformation
between them as a null shift (both are realised close to ITRF), which is what we want.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.errors import OptionError

__all__ = [
    "CGCS2000",
    "ExportCrs",
    "gauss_kruger_epsg",
    "parse_crs",
    "reproject",
]

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
#: EPSG codes of "CGCS2000 / 3-degree Gauss-Kruger CM 75E" … "CM 135E"
_GK_FIRST, _GK_CM0, _GK_LAST_CM = 4534, 75, 135
_EPSG = re.compile(r"^epsg:(\d{4,6})$")


@dataclass(frozen=True)
class ExportCrs:
    """A validated output CRS.

    Attributes
    ----------
    name : str
        As the user gave it, normalised (``wgs84``, ``gcj02``, ``cgcs2000``, ``epsg:4547``).
    crs : pyproj.CRS
        The CRS written into files (EPSG:4326 for ``gcj02``: GCJ-02 has no EPSG code).
    gcj02 : bool
        Coordinates are shifted to GCJ-02 before writing.
    """

    name: str
    crs: CRS
    gcj02: bool = False

    @property
    def epsg(self) -> int | None:
        return self.crs.to_epsg()

    @property
    def label(self) -> str:
        """``EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)``."""
        code = f"EPSG:{self.epsg}" if self.epsg else self.name
        return f"{code} ({self.crs.name})" + (", GCJ-02 shifted" if self.gcj02 else "")

    @property
    def is_wgs84(self) -> bool:
        """Plain WGS-84 lon/lat (what RFC 7946 and KML require; GCJ-02 is opt-in on top)."""
        return self.epsg == 4326

    @property
    def in_metres(self) -> bool:
        """A projected CRS whose both axes are in metres."""
        return self.crs.is_projected and all(
            (a.unit_name or "").lower() in ("metre", "meter") for a in self.crs.axis_info
        )


def gauss_kruger_epsg(lon: float) -> int:
    """The EPSG code of the CGCS2000 3° Gauss–Krüger zone (central-meridian form) for ``lon``.

    Raises
    ------
    OptionError
        Outside China's zones (central meridians 75°E–135°E).
    """
    cm = round(lon / 3.0) * 3
    if not _GK_CM0 <= cm <= _GK_LAST_CM:
        raise OptionError(f"longitude {lon:.3f} has no CGCS2000 3° Gauss–Krüger zone (75°E–135°E)")
    return _GK_FIRST + (cm - _GK_CM0) // 3


def parse_crs(value: str | ExportCrs | None) -> ExportCrs:
    """Validate ``--crs`` into an :class:`ExportCrs`.

    Raises
    ------
    OptionError
        A value that is none of the forms, or an EPSG code PROJ does not know.
    """
    if isinstance(value, ExportCrs):
        return value
    key = str(value or "wgs84").strip().lower().replace(" ", "")
    if key in ("wgs84", "epsg:4326"):
        return ExportCrs("wgs84", CRS.from_user_input(WGS84))
    if key == "gcj02":
        return ExportCrs("gcj02", CRS.from_user_input(WGS84), gcj02=True)
    if key in ("cgcs2000", "epsg:4490"):
        return ExportCrs("cgcs2000", CRS.from_user_input(CGCS2000))
    match = _EPSG.match(key)
    if not match:
        raise OptionError(
            f"crs {value!r} is not one of: wgs84, gcj02, cgcs2000, epsg:NNNN "
            "(e.g. epsg:4547, CGCS2000 3° Gauss–Krüger CM 114°E)"
        )
    try:
        crs = CRS.from_epsg(int(match.group(1)))
    except CRSError:
        raise OptionError(f"crs {value!r}: PROJ does not know EPSG:{match.group(1)}") from None
    return ExportCrs(key, crs)


def reproject(gdf: gpd.GeoDataFrame, out: ExportCrs) -> gpd.GeoDataFrame:
    """The frame in ``out`` (GCJ-02: shifted and marked ``datum=gcj02`` in every row)."""
    if out.gcj02:
        from geo.crs import to_crs_frame

        shifted = to_crs_frame(gdf, dst="gcj02")
        shifted["datum"] = "gcj02"  # says so in every feature: readers assume WGS-84
        return shifted
    if gdf.crs is not None and CRS.from_user_input(gdf.crs) == out.crs:
        return gdf
    return gdf.to_crs(out.crs)
