"""Offline geocoding: a name -> the gazetteer place it means, with a representative point.

Matching is the one name index's (:mod:`geo.name_index`: exact, alias, suffix variants, fuzzy,
one threshold); this module adds where each place is. A person typing a name is the
``TYPED`` policy: a fuzzy match at or above the threshold is an answer, with its score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from geopandas import GeoDataFrame

from geo.errors import DataError, GeocodeError
from geo.name_index import MIN_SCORE, Candidate, Method, NameIndex
from geo.names import normalize_name

__all__ = ["Geocoder", "Match", "representative_points"]

REQUIRED_COLUMNS = ("id", "name", "name_en", "aliases", "kind", "precision", "geometry")
# GEOS type ids of linear geometries: LineString, LinearRing, MultiLineString.
_LINEAR_TYPES = (1, 2, 5)


@dataclass(frozen=True, slots=True)
class Match:
    """One gazetteer feature matched to a query.

    Attributes
    ----------
    id, name, name_en, kind, precision : str or None
        The feature's gazetteer fields (``name_en`` is None when missing).
    lon, lat : float or None
        WGS-84 representative point; None when the feature has no geometry.
    score : float
        Confidence 0-100; see the module docstring for the tiers.
    method : {"exact", "alias", "fuzzy"}
        How the query matched.
    """

    id: str
    name: str
    name_en: str | None
    kind: str
    precision: str
    lon: float | None
    lat: float | None
    score: float
    method: Method


def representative_points(geoms: Sequence | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return lon and lat of a representative point of each geometry.

    Polygons use ``point_on_surface``; lines use the point halfway along
    (``line_interpolate_point(..., 0.5, normalized=True)``); points are themselves.

    Parameters
    ----------
    geoms : array-like of shapely geometries or None
        Geometries in lon/lat.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` float arrays, NaN where the geometry is missing or empty.
    """
    geoms = np.asarray(geoms, dtype=object)
    points = shapely.point_on_surface(geoms)
    points[shapely.is_empty(points)] = None  # GEOS cannot read x of an empty point
    linear = np.isin(shapely.get_type_id(geoms), _LINEAR_TYPES)
    if linear.any():
        points[linear] = shapely.line_interpolate_point(geoms[linear], 0.5, normalized=True)
    return shapely.get_x(points), shapely.get_y(points)


class Geocoder:
    """Match place names to gazetteer features, offline.

    Parameters
    ----------
    gazetteer : GeoDataFrame
        Columns ``id, name, name_en, aliases, kind, precision, geometry`` at least
        (see ``docs/ARCHITECTURE.md``); geometry may be null. Reprojected to EPSG:4326 if it
        has another CRS.
    min_score : float, default 85
        :meth:`geocode` refuses matches scoring below this.

    Raises
    ------
    DataError
        If a required column is missing.
    ValueError
        If ``min_score`` is outside 0-100.
    """

    def __init__(self, gazetteer: GeoDataFrame, *, min_score: float = MIN_SCORE) -> None:
        missing = [col for col in REQUIRED_COLUMNS if col not in gazetteer.columns]
        if missing:
            raise DataError(f"gazetteer: missing column(s) {', '.join(missing)}")
        if not 0 <= min_score <= 100:
            raise ValueError(f"min_score must be between 0 and 100, got {min_score}")
        self.min_score = float(min_score)
        if gazetteer.crs is not None and gazetteer.crs.to_epsg() != 4326:
            gazetteer = gazetteer.to_crs(4326)
        lon, lat = representative_points(np.asarray(gazetteer.geometry.array))
        self.index = NameIndex.from_frame(gazetteer)
        self._names_en = self.index.names_en
        self._precisions = [str(v) for v in gazetteer["precision"]]
        self._lons = [None if math.isnan(v) else float(v) for v in lon]
        self._lats = [None if math.isnan(v) else float(v) for v in lat]

    def __len__(self) -> int:
        return len(self.index)

    def geocode(self, query: str, *, kinds: Iterable[str] | None = None) -> Match:
        """Return the best match for a place name.

        Parameters
        ----------
        query : str
            A place name in any script, width or case.
        kinds : iterable of str, optional
            Only consider features of these kinds.

        Returns
        -------
        Match
            The best match, scoring at least ``min_score``.

        Raises
        ------
        GeocodeError
            If nothing reaches ``min_score``; ``.suggestions`` holds the closest names.
        OptionError
            If ``kinds`` names no kind.
        """
        found = self.index.resolve(query, kinds=kinds, min_score=self.min_score)
        return self._match(found)

    def search(
        self, query: str, *, limit: int = 10, kinds: Iterable[str] | None = None
    ) -> list[Match]:
        """Return the closest features to a place name, best first (one per feature, any score
        above 0, regardless of ``min_score``)."""
        return [self._match(c) for c in self.index.search(query, limit=limit, kinds=kinds)]

    def match_all(
        self, names: Iterable[str], *, kinds: Iterable[str] | None = None
    ) -> list[Match | None]:
        """Geocode many names; None where a name is refused (repeats are matched once)."""
        kinds = None if kinds is None else tuple([kinds] if isinstance(kinds, str) else kinds)
        cache: dict[str, Match | None] = {}
        out: list[Match | None] = []
        for name in names:
            key = normalize_name(name)
            if key not in cache:
                try:
                    cache[key] = self.geocode(name, kinds=kinds)
                except GeocodeError:
                    cache[key] = None
            out.append(cache[key])
        return out

    def _match(self, c: Candidate) -> Match:
        return Match(
            id=c.id,
            name=c.name,
            name_en=self._names_en[c.row],
            kind=c.kind,
            precision=self._precisions[c.row],
            lon=self._lons[c.row],
            lat=self._lats[c.row],
            score=c.score,
            method=c.method,
        )
