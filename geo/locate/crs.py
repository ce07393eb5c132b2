"""A planner's file's coordinate system: which one it is, and its coordinates in WGS-84 lon/lat.

Honoured first: ``--crs`` (the planner's word), then the file's own (``.prj``, embedded). A
file with neither is read as lon/lat only when its coordinates plainly are lon/lat near the
district; otherwise one line asks for ``--crs`` and names the systems its numbers look like
(3° Gauss–Krüger on the district's central meridian, with or without the zone prefix, in
CGCS2000, Xi'an 80 or Beijing 54; Web Mercator).

``--crs`` takes whatever PROJ reads (``EPSG:4547``, ``4547``, WKT, a PROJ string) and short
names: ``wgs84``, ``cgcs2000``, ``webmercator``, and ``cgcs2000-gk``, ``xian80-gk``,
``beijing54-gk`` (3° Gauss–Krüger on the district's central meridian; ``…-gk-zone`` with the
zone number prefixed to eastings).

Datums: WGS-84 and CGCS2000 agree to well under a metre (EPSG:4490 and its 3° zones
EPSG:4513–4554), so their conversion is exact for mapping. PROJ converts Xi'an 80 and
Beijing 54 to WGS-84 only by a ballpark or a coarse published transformation; features read
from them are located ``approximate`` and say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from pyproj.enums import PJType
from pyproj.exceptions import CRSError

from geo.errors import DataError, OptionError
from geo.locate.text import shown

__all__ = ["CrsChoice", "choose_crs", "gk_crs", "parse_crs", "to_lonlat", "transform_bounds"]

WGS84 = CRS.from_epsg(4326)
_ALIASES = {"wgs84": 4326, "epsg4326": 4326, "cgcs2000": 4490, "webmercator": 3857, "3857": 3857}
_GK = {"cgcs2000": "CGCS2000", "xian80": "Xian 1980", "beijing54": "Beijing 1954"}
_EXACT_DATUMS = ("World Geodetic System 1984", "China 2000", "China Geodetic Coordinate System")
#: a file's coordinates are "plainly lon/lat near the district" within this many degrees
_NEAR_DEG = 0.5


def _key(text: str) -> str:
    return "".join(c for c in text.strip().lower() if c.isalnum())


def central_meridian(lon: float) -> int:
    """The central meridian of the 3° Gauss–Krüger zone containing ``lon`` (114 for Shenzhen)."""
    return int(3 * round(lon / 3))


@cache
def gk_crs(datum: str, cm: int, *, zone_prefix: bool = False) -> CRS:
    """The EPSG 3° Gauss–Krüger CRS of a datum (``CGCS2000``, ``Xian 1980``, ``Beijing 1954``)
    on central meridian ``cm``; ``zone_prefix``: the variant whose eastings start with the zone
    number (zone 38: 38,500,000).

    Raises
    ------
    OptionError
        PROJ's database has no such CRS.
    """
    name = f"{datum} / 3-degree Gauss-Kruger " + (f"zone {cm // 3}" if zone_prefix else f"CM {cm}E")
    found = [
        i
        for i in query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS])
        if i.name == name
    ]
    if not found:
        raise OptionError(f"PROJ has no CRS named {name!r}")
    return CRS.from_epsg(int(found[0].code))


def parse_crs(text: str, *, lon: float) -> CRS:
    """The CRS ``--crs`` names (see the module docstring); ``lon``: the district's longitude,
    for the ``…-gk`` names.

    Raises
    ------
    OptionError
        One line: PROJ does not know it, with examples.
    """
    key = _key(text)
    if key in _ALIASES:
        return CRS.from_epsg(_ALIASES[key])
    for short, datum in _GK.items():
        if key in (f"{short}gk", f"{short}gkzone"):
            return gk_crs(datum, central_meridian(lon), zone_prefix=key.endswith("zone"))
    try:
        return CRS.from_user_input(int(text) if text.strip().isdigit() else text)
    except CRSError as exc:
        first = str(exc).split(":", 1)[-1].strip().splitlines()[0][:80] if str(exc) else ""
        raise OptionError(
            f"--crs {shown(text, limit=60)!r}: PROJ does not know it ({first}); e.g. EPSG:4547, "
            "EPSG:4326, cgcs2000-gk, xian80-gk, webmercator"
        ) from None


@dataclass(frozen=True)
class CrsChoice:
    """The CRS a file is read in: where it came from and how exactly it converts to WGS-84."""

    crs: CRS
    #: ``option`` (--crs), ``file`` (.prj / embedded) or ``assumed`` (plainly lon/lat)
    origin: str
    #: converts to WGS-84 within about a metre (WGS-84 or CGCS2000 based)
    exact: bool
    note: str = ""

    @property
    def name(self) -> str:
        code = self.crs.to_epsg()
        return f"EPSG:{code} {self.crs.name}" if code else self.crs.name


def _exactness(crs: CRS) -> tuple[bool, str]:
    geodetic = crs.geodetic_crs
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum else ""
    if any(d in datum for d in _EXACT_DATUMS):
        return True, ""
    accuracy = Transformer.from_crs(crs, WGS84, always_xy=True).accuracy
    if 0 <= accuracy <= 2:
        return True, ""
    how = "by a ballpark offset" if accuracy < 0 else f"to about {accuracy:g} m"
    return False, (
        f"PROJ converts {datum or crs.name} to WGS-84 only {how} (the datums differ by up to "
        "tens of metres), so its features are located approximate"
    )


def transform_bounds(
    bounds: tuple[float, float, float, float], src: CRS, dst: CRS
) -> tuple[float, float, float, float]:
    """Bounds in another CRS (edges densified, so a projected box is covered)."""
    t = Transformer.from_crs(src, dst, always_xy=True)
    x0, y0, x1, y1 = (float(v) for v in t.transform_bounds(*bounds, densify_pts=21))
    return x0, y0, x1, y1


def _looks_like(bounds, district_lonlat: tuple[float, float]) -> list[str]:
    """The projected CRSs in which the district's centre lies within 50 km of the file's."""
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    lon, lat = district_lonlat
    cm = central_meridian(lon)
    out = []
    candidates = [(gk_crs(d, cm, zone_prefix=z), d) for z in (False, True) for d in _GK.values()]
    candidates.append((CRS.from_epsg(3857), "Web Mercator"))
    for crs, _ in candidates:
        x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lon, lat)
        if np.hypot(cx - x, cy - y) < 50_000:
            out.append(f"EPSG:{crs.to_epsg()} {crs.name}")
    return out


def _plainly_lonlat(bounds, district_lonlat: tuple[float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return False
    lon, lat = district_lonlat
    return (
        minx >= lon - 3 * _NEAR_DEG
        and maxx <= lon + 3 * _NEAR_DEG
        and miny >= lat - 3 * _NEAR_DEG
        and maxy <= lat + 3 * _NEAR_DEG
        and abs((minx + maxx) / 2 - lon) <= _NEAR_DEG
        and abs((miny + maxy) / 2 - lat) <= _NEAR_DEG
    )


def choose_crs(
    file_crs: CRS | None,
    option: str | None,
    *,
    bounds: tuple[float, float, float, float] | None,
    district_lonlat: tuple[float, float],
    label: str,
    district_name: str = "the district",
) -> CrsChoice:
    """The CRS to read a file in (``--crs``, else the file's, else plainly lon/lat).

    Raises
    ------
    OptionError
        ``--crs`` is not a CRS PROJ knows.
    DataError
        The file has no CRS and its coordinates are not plainly lon/lat near the district: one
        line asking for ``--crs``, naming the systems its numbers look like.
    """
    if option:
        crs = parse_crs(option, lon=district_lonlat[0])
        exact, note = _exactness(crs)
        if file_crs is not None and not file_crs.equals(crs):
            note = f"--crs replaces the file's own CRS ({file_crs.name}). {note}".strip()
        return CrsChoice(crs, "option", exact, note)
    if file_crs is not None:
        exact, note = _exactness(file_crs)
        return CrsChoice(file_crs, "file", exact, note)
    if bounds is not None and _plainly_lonlat(bounds, district_lonlat):
        return CrsChoice(
            WGS84, "assumed", True, "no CRS in the file; its coordinates are plainly lon/lat"
        )
    where = "" if bounds is None else f" (bounds {tuple(round(v, 3) for v in bounds)})"
    looks = _looks_like(bounds, district_lonlat) if bounds is not None else []
    hint = f"; they look like {' or '.join(looks)}" if looks else ""
    raise DataError(
        f"{label}: no CRS (.prj or embedded) and its coordinates{where} are not lon/lat near "
        f"{district_name}{hint}; give the CRS with --crs (e.g. --crs EPSG:4547)"
    )


def to_lonlat(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Geometries (an array) from ``crs`` to lon/lat in the same datum family (EPSG:4326)."""
    if crs.equals(WGS84) or (crs.is_geographic and crs.to_epsg() in (4326, 4490)):
        return geoms
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)

    def func(x, y):
        return transformer.transform(x, y)

    # types-shapely types only the interleaved callback ((n, 2) array in, array out)
    return shapely.transform(geoms, func, interleaved=False)  # type: ignore[arg-type]
