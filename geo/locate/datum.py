"""The datum trap: a file that says (or is taken to be) WGS-84 but is really GCJ-02 or BD-09.

Chinese web maps publish GCJ-02 (AMap, Tencent) or BD-09 (Baidu) coordinates, and files made
from them are routinely labelled WGS-84. In Shenzhen GCJ-02 moves a point about 600 m, BD-09
about 1.2 km: every feature of such a file is drawn in the wrong street.

The test
--------
The file is compared with the district's located gazetteer features (:data:`REFERENCE_KINDS
<geo.locate.context.REFERENCE_KINDS>`: boundaries, subdistricts, stations, ports …) under each
hypothesis *h* ∈ {WGS-84, GCJ-02, BD-09} of what its coordinates really are. Under *h* a
reference at WGS-84 position *p* appears in the file at ``h(p)`` (the exact forward
conversion), so its **residual** ``r(h)`` is:

- for a reference the file *names* (a feature whose name the name index resolves to it): the
  median distance from points of the reference (the point; 16 points along a boundary) to that
  feature;
- for a point reference the file does not name, inside the file's extent: the distance to the
  nearest feature of the file (stations and ports sit on or beside roads).

Distances are to lines and to the outlines of areas (a point inside a parcel is not on it).

References more than :data:`REACH_M` from the file under every hypothesis say nothing and are
dropped. Each remaining reference is one paired observation: it is closer under *h* or under
the claimed datum *c* (differences within :data:`TIE_M` are ties and dropped). If *c* is right
and *h* fits no better, each reference is as likely to favour either, so the count *k* of the
*n* untied references that favour *h* is Binomial(*n*, ½); the one-sided **sign test**'s
p-value is P(X ≥ k). The file is a trap for *h* when p ≤ :data:`ALPHA` (at least 7 of 7
references agreeing), the median residual under *h* is at most half that under *c*, and at
least :data:`MIN_GAIN_M` smaller. The sign test assumes nothing about the distribution of
distances (a dense road network makes nearest distances small under every hypothesis; it does
not make them smaller under the wrong one), and a few mis-drawn references cannot fake it.
With fewer than :data:`MIN_REFERENCES` usable references the file is ``unchecked``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.crs import Datum, convert
from geo.locate.context import Context

__all__ = ["ALPHA", "MIN_REFERENCES", "REACH_M", "DatumCheck", "check_datum", "sign_test_p"]

REACH_M = 250.0
TIE_M = 10.0
ALPHA = 0.01
MIN_REFERENCES = 7
MIN_GAIN_M = 100.0
_RING_POINTS = 16
_EXTENT_MARGIN_DEG = 0.01
_NAMES = {Datum.WGS84: "WGS-84", Datum.GCJ02: "GCJ-02", Datum.BD09: "BD-09"}


def sign_test_p(k: int, n: int) -> float:
    """One-sided sign test: P(X ≥ k) for X ~ Binomial(n, ½) (1.0 when n = 0)."""
    if n <= 0:
        return 1.0
    return sum(math.comb(n, j) for j in range(k, n + 1)) / 2.0**n


@dataclass(frozen=True)
class DatumCheck:
    """What the test found (see the module docstring)."""

    claimed: Datum
    best: Datum
    verdict: str  # "consistent", "trap" or "unchecked"
    references: int = 0
    median_m: dict[Datum, float] = field(default_factory=dict)
    favour: int = 0  # references closer under `best` than under `claimed`
    untied: int = 0
    p: float = 1.0
    shift_m: float = 0.0  # how far `best` moves the file's centre, for the message

    @property
    def trap(self) -> bool:
        return self.verdict == "trap"

    def summary(self) -> str:
        """One sentence of the measured numbers."""
        if self.verdict == "unchecked":
            return (
                f"datum not checked: only {self.references} located reference feature(s) "
                f"within {REACH_M:.0f} m of the file (at least {MIN_REFERENCES} needed)"
            )
        parts = ", ".join(f"{_NAMES[d]} {m:,.0f} m" for d, m in self.median_m.items())
        head = (
            f"median distance of {self.references} located reference features to the file, "
            f"read as {parts}"
        )
        if self.best is self.claimed:
            return f"{head}: consistent with {_NAMES[self.claimed]}"
        return (
            f"{head}: {self.favour} of {self.untied} closer as {_NAMES[self.best]} "
            f"(sign test p = {self.p:.1g})"
        )

    def message(self, label: str) -> str:
        """The one line shown when the file is a trap: the offset measured and the fix."""
        claimed, best = _NAMES[self.claimed], _NAMES[self.best]
        return (
            f"{label}: read as {claimed} its features sit a median "
            f"{self.median_m[self.claimed]:,.0f} m from {self.references} located reference "
            f"features, as {best} {self.median_m[self.best]:,.0f} m ({self.favour} of "
            f"{self.untied} closer, sign test p = {self.p:.1g}; {best} moves this area "
            f"{self.shift_m:,.0f} m): it looks {best} labelled {claimed}. Nothing was written: "
            f"re-run with --datum {self.best.value} to convert it (or --datum "
            f"{self.claimed.value} to keep it as it is)"
        )


class _Local:
    """An equirectangular metre grid around the district (within 0.3 % over 50 km)."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_320.0 * math.cos(math.radians(lat0))
        self.ky = 110_574.0

    def geoms(self, geoms):
        return shapely.transform(
            geoms,
            # types-shapely types only the interleaved callback ((n, 2) array in, array out)
            lambda x, y: ((x - self.lon0) * self.kx, (y - self.lat0) * self.ky),  # type: ignore[arg-type,misc]
            interleaved=False,
        )

    def xy(self, lon, lat) -> np.ndarray:
        return np.column_stack([(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky])


def _probe_points(geom: BaseGeometry) -> np.ndarray:
    """Points of a reference: the point, or points spread along its boundary."""
    if isinstance(geom, Point):
        return np.array([[geom.x, geom.y]])
    line = geom.boundary if geom.geom_type.endswith("Polygon") else geom
    steps = np.linspace(0, 1, _RING_POINTS, endpoint=False)
    # types-shapely has no overload for one line and an array of distances
    points = shapely.line_interpolate_point(line, steps, normalized=True)  # type: ignore[arg-type]
    return shapely.get_coordinates(points)


def check_datum(
    geoms: np.ndarray,
    *,
    claimed: Datum | str,
    context: Context,
    named: dict[int, list[int]] | None = None,
) -> DatumCheck:
    """Test whether a file's lon/lat coordinates are in another datum than ``claimed``.

    Parameters
    ----------
    geoms : array of shapely geometries
        The file's features in lon/lat, as read (in the claimed datum).
    claimed : Datum or str
        What the file says it is (or is taken to be).
    context : Context
        The district; its :attr:`~geo.locate.context.Context.references` are the references.
    named : dict of int to list of int, optional
        Row of :attr:`Context.references` -> indices of ``geoms`` whose name is that place's.

    Returns
    -------
    DatumCheck
    """
    claimed = Datum.get(claimed)
    refs = context.references
    local = _Local(*context.lonlat)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    file_local = local.geoms(np.asarray(geoms)[valid])
    areas = shapely.get_dimensions(file_local) == 2
    # distances are to outlines: a point inside an area is not "on" it
    file_local[areas] = shapely.boundary(file_local[areas])
    index_of = np.flatnonzero(valid)
    if not len(file_local):
        return DatumCheck(claimed, claimed, "unchecked")
    tree = shapely.STRtree(file_local)
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geoms)[valid])
    named = named or {}
    position = {int(i): n for n, i in enumerate(index_of)}

    residuals: list[dict[Datum, float]] = []
    for row, geom in enumerate(refs.geometry):
        xy = _probe_points(geom)
        features = [position[i] for i in named.get(row, []) if i in position]
        if not features:
            if geom.geom_type != "Point":
                continue
            x, y = xy[0]
            m = _EXTENT_MARGIN_DEG
            if not (minx - m <= x <= maxx + m and miny - m <= y <= maxy + m):
                continue
        target = shapely.union_all(file_local[features]) if features else None
        item = {}
        for datum in _NAMES:
            lon, lat = convert(xy[:, 0], xy[:, 1], src=Datum.WGS84, dst=datum)
            points = shapely.points(local.xy(lon, lat))
            if target is not None:
                item[datum] = float(np.median(shapely.distance(points, target)))
            else:
                _, dist = tree.query_nearest(points, return_distance=True, all_matches=False)
                item[datum] = float(dist[0])
        if min(item.values()) <= REACH_M:
            residuals.append(item)

    if len(residuals) < MIN_REFERENCES:
        return DatumCheck(claimed, claimed, "unchecked", references=len(residuals))
    table = {d: np.array([r[d] for r in residuals]) for d in _NAMES}
    medians = {d: float(np.median(v)) for d, v in table.items()}
    best, verdict, favour, untied, p = claimed, "consistent", 0, 0, 1.0
    for datum in sorted(_NAMES, key=lambda d: medians[d]):
        if datum is claimed:
            break
        diff = table[claimed] - table[datum]
        k, n = int((diff > TIE_M).sum()), int((np.abs(diff) > TIE_M).sum())
        p_value = sign_test_p(k, n)
        gain = medians[claimed] - medians[datum]
        if p_value <= ALPHA and medians[datum] <= 0.5 * medians[claimed] and gain >= MIN_GAIN_M:
            best, verdict, favour, untied, p = datum, "trap", k, n, p_value
            break
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    sx, sy = convert(cx, cy, src=Datum.WGS84, dst=best)
    shift = float(np.hypot(*(local.xy(sx, sy) - local.xy(cx, cy))[0]))
    return DatumCheck(
        claimed,
        best,
        verdict,
        references=len(residuals),
        median_m=medians,
        favour=favour,
        untied=untied,
        p=p,
        shift_m=shift,
    )
