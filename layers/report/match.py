"""The mention scanner: every name of the one name index in one regular expression.

:class:`PlaceMatcher` takes the labels of each place of a :class:`~geo.name_index.NameIndex`
(canonical name, English name, aliases) in the form they take in normalised text (Simplified,
widths unified, ASCII lower-cased) and compiles them into one pattern built as a trie, so the
*longest* name wins at each position (``莲塘口岸`` is not ``莲塘``).

Two questions, two owners:

- *Which place does this name mean?* is the name index's answer, as everywhere else: every
  surface kept is checked with ``NameIndex.resolve(surface, policy=Policy.RECORD)``, and one
  whose resolution fails or names another place is left out (listed in ``skipped`` with the
  reason).
- *Does this surface count as a mention in running text?* is this module's, by the
  ``[matcher]`` rules of ``data/report_rules.toml``. They are about running text, not about
  resolution: a name typed into a search box or written in a spec may be short or bare, but
  in a sentence one Han character is a word (``min_han_chars``), three Latin letters are an
  abbreviation at best (``min_latin_chars``), a bare station name such as ``莲塘`` is also a
  subdistrict and a port (``require_suffix``), and an alias several places share would be a
  guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geo.errors import DataError, GeocodeError
from geo.name_index import NameIndex, Policy
from geo.names import is_han, to_simplified, unify_width
from layers.report.rules import ReportRules, load_rules

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Match", "PlaceMatcher", "surface_form"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _is_alnum_ascii(char: str) -> bool:
    return char.isascii() and char.isalnum()


def surface_form(name: str) -> str:
    """The form of a name as it appears in normalised text, ASCII lower-cased.

    ``蓮塘口岸`` -> ``莲塘口岸``, ``Liantang Port`` -> ``liantang port``.
    """
    return to_simplified(unify_width(name)).translate(_ASCII_LOWER)


def _trie_pattern(keys: Iterable[str]) -> str:
    """One regular expression of every key: a trie, children before the end of a key, so the
    longest key wins; a key ending in an ASCII letter or digit must end on a word boundary."""
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict, last: str) -> str:
        alts = [re.escape(c) + emit(node[c], c) for c in sorted(k for k in node if k)]
        if "" in node:
            alts.append("(?![a-z0-9])" if _is_alnum_ascii(last) else "")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return emit(trie, "")


@dataclass(frozen=True)
class Match:
    """One mention: the place id, the span in the searched text and the text matched."""

    id: str
    start: int
    end: int
    surface: str


class PlaceMatcher:
    """Find the names of a name index in normalised text, longest match first.

    Parameters
    ----------
    index : NameIndex
        The one name index (:meth:`NameIndex.from_frame` of the gazetteer).
    rules : ReportRules, optional
        ``[matcher]`` rules (default: :func:`~layers.report.rules.load_rules`).

    Attributes
    ----------
    index : NameIndex
    keys : dict of str to str
        Surface -> place id (canonical names take precedence over aliases).
    skipped : dict of str to str
        Surfaces left out and why (too short, a bare station name, an alias of several
        places, or a name the index resolves otherwise).
    pattern : re.Pattern
        The trie of every key.

    Raises
    ------
    DataError
        No name is left to match.
    """

    def __init__(self, index: NameIndex, *, rules: ReportRules | None = None) -> None:
        rules = rules or load_rules()
        self.index = index
        self.keys: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        entries: list[tuple[int, str, str, str]] = []  # (priority, surface, id, kind)
        for row, (fid, kind) in enumerate(zip(index.ids, index.kinds, strict=True)):
            for label, tier in index.labels(row):
                entries.append((tier, surface_form(label), fid, kind))
                if "'" in label:  # typeset apostrophes: Robin’s Nest, Luohu Kou’an
                    entries.append((2, surface_form(label).replace("'", "’"), fid, kind))
        # who a surface belongs to: a canonical name to its place alone; an alias shared by
        # two places to neither (matching it would be a guess)
        canonical = {key for priority, key, _, _ in entries if priority == 0}
        owners: dict[str, set[str]] = {}
        for priority, key, fid, _ in entries:
            if priority == 0 or key not in canonical:
                owners.setdefault(key, set()).add(fid)
        for _, key, fid, kind in sorted(entries, key=lambda e: e[0]):
            if key in self.keys:
                continue
            reason = self._reject(key, kind, rules)
            if not reason and len(owners[key]) > 1:
                reason = "alias of several places: " + ", ".join(sorted(owners[key]))
            if not reason:
                reason = self._unresolved(key, fid)
            if reason:
                self.skipped.setdefault(key, reason)
            else:
                self.keys[key] = fid
        for key in self.keys:
            self.skipped.pop(key, None)
        if not self.keys:
            raise DataError("gazetteer: no name is usable for matching")
        self.pattern = re.compile(_trie_pattern(self.keys))

    @classmethod
    def from_frame(
        cls, gazetteer: pd.DataFrame, *, rules: ReportRules | None = None
    ) -> PlaceMatcher:
        """A matcher over :meth:`NameIndex.from_frame` of a gazetteer (or a frame with its
        ``id, name, name_en, aliases, kind`` columns)."""
        return cls(NameIndex.from_frame(gazetteer), rules=rules)

    @staticmethod
    def _reject(key: str, kind: str, rules: ReportRules) -> str | None:
        """Why a surface does not count as a mention in running text, or None."""
        matcher = rules.matcher
        han = sum(1 for c in key if is_han(c))
        if han == 0:
            if sum(c.isalnum() for c in key) < matcher.min_latin_chars:
                return "too short"
        elif han < matcher.min_han_chars and len(key) < matcher.min_han_chars + 1:
            return "one Han character"
        suffixes = matcher.require_suffix.get(kind)
        if suffixes and not key.endswith(tuple(s.lower() for s in suffixes)):
            return f"bare {kind} name (ambiguous)"
        return None

    def _unresolved(self, key: str, fid: str) -> str | None:
        """Why the name index does not give ``key`` to ``fid``, or None when it does."""
        try:
            found = self.index.resolve(key, policy=Policy.RECORD)
        except GeocodeError as exc:
            return f"the name index does not resolve it ({exc})"
        if found.id != fid:
            return f"the name index resolves it to {found.id}, not {fid}"
        return None

    def finditer(self, text: str) -> Iterator[Match]:
        """Every non-overlapping mention in ``text``, left to right, longest first.

        Parameters
        ----------
        text : str
            Normalised text (:func:`geo.names.normalize_text`).

        Yields
        ------
        Match
        """
        lowered = text.translate(_ASCII_LOWER)
        pos = 0
        search = self.pattern.search
        while (m := search(lowered, pos)) is not None:
            start = m.start()
            # a key starting with a letter or digit must start on a word boundary (5号线 is
            # not inside 15号线); every key starting here shares that first character
            if start and _is_alnum_ascii(lowered[start]) and _is_alnum_ascii(lowered[start - 1]):
                pos = start + 1
                continue
            yield Match(self.keys[m.group(0)], start, m.end(), text[start : m.end()])
            pos = m.end()

    def find(self, text: str) -> list[Match]:
        """:meth:`finditer` as a list."""
        return list(self.finditer(text))
