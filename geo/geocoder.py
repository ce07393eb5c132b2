"""Offline geocoding of place names against the gazetteer.

Matching tiers, best first (scores are 0-100):

- ``exact`` (100): the normalised query equals the normalised canonical ``name`` or
  ``name_en`` (so Traditional, full-width and case variants are exact: ``蓮塘口岸``).
- ``alias`` (95): it equals a normalised entry of ``aliases``.
- ``alias`` (79-92): a generic-suffix variant (:func:`geo.names.name_variants`): ``罗湖地铁站``
  finds ``罗湖站`` (92), ``莲塘`` finds ``莲塘街道`` (90), ``轨道5号线`` finds ``5号线`` (92)
  and ``地铁5号线`` finds ``轨道5号线`` (90); a query with a suffix the name lacks
  (``莲塘社区`` vs a place called ``莲塘``) scores 80, a suggestion only. One point less when
  the variant is of an alias. Suffixes of different groups never match each other (``莲塘站``
  is not ``莲塘街道``) and ``口岸`` is never stripped, so ``莲塘`` does not find ``莲塘口岸``.
- ``fuzzy`` (at most 89): rapidfuzz ``fuzz.ratio`` on normalised keys. ``ratio`` rather than
  ``WRatio``: WRatio's partial matching gives any two-character Chinese prefix 90 against a
  longer name (``莲塘`` vs ``莲塘口岸``), which would beat the suffix tier.

Ties go to the shorter canonical name, then to gazetteer order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from geopandas import GeoDataFrame
from rapidfuzz import fuzz, process

from geo.errors import DataError, GeocodeError
from geo.names import name_variants, normalize_name

__all__ = ["Geocoder", "Match", "representative_points"]

Method = Literal["exact", "alias", "fuzzy"]

REQUIRED_COLUMNS = ("id", "name", "name_en", "aliases", "kind", "precision", "geometry")
_EXACT_SCORE = 100.0
_ALIAS_SCORE = 95.0
_FUZZY_CAP = 89.0
# (query penalty, candidate penalty) -> score; see geo.names.name_variants. A suffix the query
# gives but the candidate lacks (莲塘社区 vs the bare alias 莲塘 of 莲塘站) says the query means
# something more specific, so it scores below the default min_score and only suggests.
_VARIANT_SCORES = {(0, 1): 92.0, (1, 0): 92.0, (1, 1): 90.0, (0, 2): 90.0, (2, 0): 80.0}
_N_SUGGESTIONS = 5
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


def _as_aliases(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(item) for item in value if isinstance(item, str) and item.strip()]


def _optional_str(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


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

    def __init__(self, gazetteer: GeoDataFrame, *, min_score: float = 85) -> None:
        missing = [col for col in REQUIRED_COLUMNS if col not in gazetteer.columns]
        if missing:
            raise DataError(f"gazetteer: missing column(s) {', '.join(missing)}")
        if not 0 <= min_score <= 100:
            raise ValueError(f"min_score must be between 0 and 100, got {min_score}")
        self.min_score = float(min_score)
        if gazetteer.crs is not None and gazetteer.crs.to_epsg() != 4326:
            gazetteer = gazetteer.to_crs(4326)
        lon, lat = representative_points(np.asarray(gazetteer.geometry.array))

        self._ids = [str(v) for v in gazetteer["id"]]
        self._names = [str(v) for v in gazetteer["name"]]
        self._names_en = [_optional_str(v) for v in gazetteer["name_en"]]
        self._kinds = [str(v) for v in gazetteer["kind"]]
        self._precisions = [str(v) for v in gazetteer["precision"]]
        self._lons = [None if math.isnan(v) else float(v) for v in lon]
        self._lats = [None if math.isnan(v) else float(v) for v in lat]

        # key -> [(row, penalty, tier)]; tier 0 = canonical name/name_en, 1 = alias.
        self._index: dict[str, list[tuple[int, int, int]]] = {}
        # exact keys for fuzzy matching, each with the rows it belongs to.
        fuzzy_rows: dict[str, set[int]] = {}
        for row, aliases in enumerate(gazetteer["aliases"]):
            labelled = [(self._names[row], 0)]
            if self._names_en[row]:
                labelled.append((self._names_en[row], 0))
            labelled += [(alias, 1) for alias in _as_aliases(aliases)]
            for label, tier in labelled:
                for key, penalty in name_variants(label).items():
                    self._index.setdefault(key, []).append((row, penalty, tier))
                    if penalty == 0:
                        fuzzy_rows.setdefault(key, set()).add(row)
        self._fuzzy_keys = list(fuzzy_rows)
        self._fuzzy_rows = [sorted(fuzzy_rows[key]) for key in self._fuzzy_keys]
        self._all_kinds = frozenset(self._kinds)

    def __len__(self) -> int:
        return len(self._ids)

    # -- public ----------------------------------------------------------------------------

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
        ValueError
            If ``kinds`` names a kind the gazetteer does not have.
        """
        allowed = self._check_kinds(kinds)
        key = normalize_name(query)
        if not key:
            raise GeocodeError(f"empty place name {query!r}", query=query)
        scored = self._tiered(key, query, allowed)
        if not scored or max(s for s, _ in scored.values()) < self.min_score:
            self._merge(scored, self._fuzzy(key, allowed))
        ranked = self._ranked(scored)
        if ranked and ranked[0][1] >= self.min_score:
            row, score, method = ranked[0]
            return self._match(row, score, method)
        suggestions = list(dict.fromkeys(self._names[row] for row, _, _ in ranked))
        suggestions = suggestions[:_N_SUGGESTIONS]
        if suggestions:
            listed = ", ".join(f"'{name}'" for name in suggestions)
            message = f"unknown place {query!r}; did you mean {listed}?"
        else:
            message = f"unknown place {query!r}; no gazetteer name is close"
        raise GeocodeError(message, query=query, suggestions=suggestions)

    def search(
        self, query: str, *, limit: int = 10, kinds: Iterable[str] | None = None
    ) -> list[Match]:
        """Return the closest features to a place name, best first.

        Parameters
        ----------
        query : str
            A place name in any script, width or case.
        limit : int, default 10
            At most this many matches.
        kinds : iterable of str, optional
            Only consider features of these kinds.

        Returns
        -------
        list of Match
            Matches with a score above 0, regardless of ``min_score``; one per feature.
        """
        allowed = self._check_kinds(kinds)
        key = normalize_name(query)
        if not key or limit <= 0:
            return []
        scored = self._tiered(key, query, allowed)
        self._merge(scored, self._fuzzy(key, allowed))
        return [self._match(*item) for item in self._ranked(scored)[:limit]]

    def match_all(
        self, names: Iterable[str], *, kinds: Iterable[str] | None = None
    ) -> list[Match | None]:
        """Geocode many names; None where a name is refused.

        Parameters
        ----------
        names : iterable of str
            Place names; repeated names (after normalisation) are matched once.
        kinds : iterable of str, optional
            Only consider features of these kinds.

        Returns
        -------
        list of Match or None
            One entry per name, in order.
        """
        kinds = None if kinds is None else tuple(kinds)
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

    # -- internals -------------------------------------------------------------------------

    def _check_kinds(self, kinds: Iterable[str] | None) -> frozenset[str] | None:
        if kinds is None:
            return None
        if isinstance(kinds, str):
            kinds = (kinds,)
        allowed = frozenset(kinds)
        unknown = sorted(allowed - self._all_kinds)
        if unknown:
            raise ValueError(
                f"unknown kind(s) {', '.join(unknown)}; "
                f"valid kinds: {', '.join(sorted(self._all_kinds))}"
            )
        return allowed

    def _tiered(
        self, key: str, query: str, allowed: frozenset[str] | None
    ) -> dict[int, tuple[float, Method]]:
        """Score exact, alias and suffix-variant matches: row -> (score, method)."""
        variants = name_variants(query) if key else {}
        scored: dict[int, tuple[float, Method]] = {}
        for qkey, qpen in variants.items():
            for row, cpen, tier in self._index.get(qkey, ()):
                if allowed is not None and self._kinds[row] not in allowed:
                    continue
                if qpen == cpen == 0:
                    score, method = (
                        (_EXACT_SCORE, "exact") if tier == 0 else (_ALIAS_SCORE, "alias")
                    )
                elif (qpen, cpen) in _VARIANT_SCORES:
                    score, method = _VARIANT_SCORES[qpen, cpen] - tier, "alias"
                else:
                    continue  # both stems: different suffix groups (莲塘站 vs 莲塘街道)
                self._merge(scored, {row: (score, method)})
        return scored

    def _fuzzy(self, key: str, allowed: frozenset[str] | None) -> dict[int, tuple[float, Method]]:
        """Score every feature by ``fuzz.ratio`` of its best key, capped below the tiers."""
        scored: dict[int, tuple[float, Method]] = {}
        hits = process.extract(
            key, self._fuzzy_keys, scorer=fuzz.ratio, processor=None, limit=None, score_cutoff=1
        )
        for _, raw, index in hits:
            for row in self._fuzzy_rows[index]:
                if allowed is None or self._kinds[row] in allowed:
                    self._merge(scored, {row: (min(float(raw), _FUZZY_CAP), "fuzzy")})
        return scored

    @staticmethod
    def _merge(
        into: dict[int, tuple[float, Method]], other: dict[int, tuple[float, Method]]
    ) -> None:
        for row, item in other.items():
            if row not in into or item[0] > into[row][0]:
                into[row] = item

    def _ranked(self, scored: dict[int, tuple[float, Method]]) -> list[tuple[int, float, Method]]:
        order = sorted(scored, key=lambda row: (-scored[row][0], len(self._names[row]), row))
        return [(row, *scored[row]) for row in order]

    def _match(self, row: int, score: float, method: Method) -> Match:
        return Match(
            id=self._ids[row],
            name=self._names[row],
            name_en=self._names_en[row],
            kind=self._kinds[row],
            precision=self._precisions[row],
            lon=self._lons[row],
            lat=self._lats[row],
            score=round(score, 1),
            method=method,
        )
