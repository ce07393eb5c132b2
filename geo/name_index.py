"""The one name index: which place does a name mean? Used by every entry point.

The geocoder (:mod:`geo.geocoder`), spec resolution (:mod:`layers.build`), report reading
(:mod:`layers.report`) and the app's search all ask this index, so the same name gets the same
answer everywhere.

Keys come from :func:`geo.names.name_variants` of each place's canonical ``name``,
``name_en`` and ``aliases`` (normalisation: Traditional to Simplified, widths, case, spaces and
punctuation; generic suffixes such as 站/片区/街道 swapped or removed). Scores, 0-100:

- ``exact`` (100): the key of the canonical name or English name;
- ``alias`` (95): the key of an alias;
- ``alias`` (79-92): a suffix variant (``罗湖地铁站`` -> ``罗湖站`` 92, ``莲塘`` -> ``莲塘街道``
  90; one point less for a variant of an alias); a suffix the query adds that the place lacks
  (``莲塘社区`` vs ``莲塘``) scores 80, a suggestion only. Different suffix groups never match
  (``莲塘站`` is not ``莲塘街道``) and ``口岸`` is never stripped;
- ``fuzzy`` (at most 89): rapidfuzz ``fuzz.ratio`` of normalised keys (not ``WRatio``, whose
  partial matching gives any two-character prefix 90 against a longer name).

Ties go to the shorter canonical name, then to the order of the places.

One threshold, :data:`MIN_SCORE` (85), and one policy for fuzzy matches
(:class:`Policy`): when a *person types* a name (``planmap geocode``, the app's search) a fuzzy
match at or above the threshold is an answer, shown with its score; when a *file names* a place
(a spec, a report, a planner's data) only exact, alias and suffix matches are answers and a
fuzzy match is a suggestion, because a typo in a file must be fixed, not silently read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from rapidfuzz import fuzz, process

from geo.errors import GeocodeError
from geo.model import Kind
from geo.names import name_variants, normalize_name

__all__ = ["MIN_SCORE", "Candidate", "Method", "NameIndex", "Policy"]

Method = Literal["exact", "alias", "fuzzy"]

#: the one threshold: below it a candidate is only a suggestion
MIN_SCORE = 85.0
_EXACT_SCORE = 100.0
_ALIAS_SCORE = 95.0
_FUZZY_CAP = 89.0
# (query penalty, candidate penalty) -> score; see geo.names.name_variants. A suffix the query
# gives but the candidate lacks (莲塘社区 vs the bare alias 莲塘 of 莲塘站) says the query means
# something more specific, so it scores below MIN_SCORE and only suggests.
_VARIANT_SCORES = {(0, 1): 92.0, (1, 0): 92.0, (1, 1): 90.0, (0, 2): 90.0, (2, 0): 80.0}
_N_SUGGESTIONS = 5


class Policy(StrEnum):
    #: a person typed the name: a fuzzy match at or above the threshold answers
    TYPED = "typed"
    #: a file names the place: fuzzy matches only suggest
    RECORD = "record"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place a name may mean: its row in the index, id, canonical name, kind and score."""

    row: int
    id: str
    name: str
    kind: str
    score: float
    method: Method


def _as_aliases(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(item) for item in value if isinstance(item, str) and item.strip()]  # type: ignore[attr-defined]


def _optional_str(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


Scored = dict[int, tuple[float, Method]]


class NameIndex:
    """Names of places -> candidates, offline.

    Parameters
    ----------
    ids, names, names_en, aliases, kinds : sequences of equal length
        One entry per place (``aliases`` holds a list of names, or None).

    Use :meth:`from_frame` for a gazetteer-like frame.
    """

    def __init__(
        self,
        ids: Sequence[object],
        names: Sequence[object],
        names_en: Sequence[object],
        aliases: Sequence[object],
        kinds: Sequence[object],
    ) -> None:
        self.ids = [str(v) for v in ids]
        self.names = [str(v) for v in names]
        self.names_en = [_optional_str(v) for v in names_en]
        self.kinds = [str(v) for v in kinds]
        self.aliases = [_as_aliases(v) for v in aliases]
        # key -> [(row, penalty, tier)]; tier 0 = canonical name/name_en, 1 = alias.
        self._index: dict[str, list[tuple[int, int, int]]] = {}
        fuzzy_rows: dict[str, set[int]] = {}
        for row in range(len(self.ids)):
            for label, tier in self.labels(row):
                for key, penalty in name_variants(label).items():
                    self._index.setdefault(key, []).append((row, penalty, tier))
                    if penalty == 0:
                        fuzzy_rows.setdefault(key, set()).add(row)
        self._fuzzy_keys = list(fuzzy_rows)
        self._fuzzy_rows = [sorted(fuzzy_rows[key]) for key in self._fuzzy_keys]

    @classmethod
    def from_frame(cls, frame) -> NameIndex:  # noqa: ANN001 - any frame with the columns
        """An index over a frame with ``id, name, name_en, aliases, kind`` columns (``name_en``
        and ``aliases`` may be missing)."""
        n = len(frame)
        return cls(
            frame["id"],
            frame["name"],
            frame["name_en"] if "name_en" in frame else [None] * n,
            frame["aliases"] if "aliases" in frame else [None] * n,
            frame["kind"] if "kind" in frame else [""] * n,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def labels(self, row: int) -> list[tuple[str, int]]:
        """The names of one place with their tier (0 canonical, 1 alias)."""
        out = [(self.names[row], 0)]
        name_en = self.names_en[row]
        if name_en:
            out.append((name_en, 0))
        out += [(alias, 1) for alias in self.aliases[row]]
        return out

    # -- answers ---------------------------------------------------------------------------

    def search(
        self, query: str, *, limit: int = 10, kinds: Iterable[str] | None = None
    ) -> list[Candidate]:
        """The closest places to a name, best first, one per place (any score above 0)."""
        allowed = self._check_kinds(kinds)
        key = normalize_name(query)
        if not key or limit <= 0:
            return []
        scored = self._tiered(query, allowed)
        self._merge(scored, self._fuzzy(key, allowed))
        return self._ranked(scored)[:limit]

    def resolve(
        self,
        query: str,
        *,
        kinds: Iterable[str] | None = None,
        policy: Policy = Policy.TYPED,
        min_score: float = MIN_SCORE,
    ) -> Candidate:
        """The place a name means.

        Parameters
        ----------
        query : str
            A name in any script, width or case.
        kinds : iterable of str, optional
            Only places of these kinds.
        policy : Policy
            Whether a fuzzy match may answer (see the module docstring).
        min_score : float
            The threshold (default :data:`MIN_SCORE`).

        Raises
        ------
        GeocodeError
            Nothing reaches the threshold: ``unknown place '玉龙片'; did you mean '玉龙片区'?``
            (``.suggestions`` holds the closest names, best first).
        """
        allowed = self._check_kinds(kinds)
        key = normalize_name(query)
        if not key:
            raise GeocodeError(f"empty place name {query!r}", query=query)
        scored = self._tiered(query, allowed)
        if not scored or max(s for s, _ in scored.values()) < min_score:
            self._merge(scored, self._fuzzy(key, allowed))
        ranked = self._ranked(scored)
        answers = [c for c in ranked if c.score >= min_score]
        if policy is Policy.RECORD:
            answers = [c for c in answers if c.method != "fuzzy"]
        if answers:
            return answers[0]
        suggestions = list(dict.fromkeys(c.name for c in ranked))[:_N_SUGGESTIONS]
        if suggestions:
            listed = "', '".join(suggestions)
            message = f"unknown place {query!r}; did you mean '{listed}'?"
        else:
            message = f"unknown place {query!r}; no gazetteer name is close"
        raise GeocodeError(message, query=query, suggestions=suggestions)

    def lookup(
        self, query: str, *, kinds: Iterable[str] | None = None, min_score: float = MIN_SCORE
    ) -> list[Candidate]:
        """What :meth:`resolve` answers under ``Policy.RECORD``, for names read in bulk.

        Only exact, alias and suffix-variant matches at or above ``min_score``, best first
        (the first is ``resolve``'s answer); no fuzzy scan and no suggestions, so it costs one
        dictionary look-up per key of the name (a file of 100,000 names is read in seconds).

        Parameters
        ----------
        query : str
            A name read from a file.
        kinds : iterable of str, optional
            Only places of these kinds.
        min_score : float
            The threshold (default :data:`MIN_SCORE`).

        Returns
        -------
        list of Candidate
            Empty when the file's name is not a place's name.
        """
        allowed = self._check_kinds(kinds)
        scored = self._tiered(query, allowed)
        return [c for c in self._ranked(scored) if c.score >= min_score]

    def find(self, query: str, *, policy: Policy = Policy.RECORD) -> Candidate | None:
        """:meth:`resolve`, or None when the name is refused."""
        try:
            return self.resolve(query, policy=policy)
        except GeocodeError:
            return None

    # -- internals -------------------------------------------------------------------------

    def _check_kinds(self, kinds: Iterable[str] | None) -> frozenset[str] | None:
        if kinds is None:
            return None
        if isinstance(kinds, str):
            kinds = (kinds,)
        return frozenset(Kind.get(k).value for k in kinds)

    def _tiered(self, query: str, allowed: frozenset[str] | None) -> Scored:
        """Score exact, alias and suffix-variant matches: row -> (score, method)."""
        scored: Scored = {}
        for qkey, qpen in name_variants(query).items():
            for row, cpen, tier in self._index.get(qkey, ()):
                if allowed is not None and self.kinds[row] not in allowed:
                    continue
                if qpen == cpen == 0:
                    item: tuple[float, Method] = (
                        (_EXACT_SCORE, "exact") if tier == 0 else (_ALIAS_SCORE, "alias")
                    )
                elif (qpen, cpen) in _VARIANT_SCORES:
                    item = (_VARIANT_SCORES[qpen, cpen] - tier, "alias")
                else:
                    continue  # both stems: different suffix groups (莲塘站 vs 莲塘街道)
                self._merge(scored, {row: item})
        return scored

    def _fuzzy(self, key: str, allowed: frozenset[str] | None) -> Scored:
        """Score every place by ``fuzz.ratio`` of its best key, capped below the tiers."""
        scored: Scored = {}
        hits = process.extract(
            key, self._fuzzy_keys, scorer=fuzz.ratio, processor=None, limit=None, score_cutoff=1
        )
        for _, raw, index in hits:
            for row in self._fuzzy_rows[index]:
                if allowed is None or self.kinds[row] in allowed:
                    self._merge(scored, {row: (min(float(raw), _FUZZY_CAP), "fuzzy")})
        return scored

    @staticmethod
    def _merge(into: Scored, other: Scored) -> None:
        for row, item in other.items():
            if row not in into or item[0] > into[row][0]:
                into[row] = item

    def _ranked(self, scored: Scored) -> list[Candidate]:
        order = sorted(scored, key=lambda row: (-scored[row][0], len(self.names[row]), row))
        return [
            Candidate(
                row,
                self.ids[row],
                self.names[row],
                self.kinds[row],
                round(scored[row][0], 1),
                scored[row][1],
            )
            for row in order
        ]
