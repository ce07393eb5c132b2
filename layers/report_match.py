"""The place matcher: every gazetteer name and alias in one regular expression, longest first.

:class:`PlaceMatcher` compiles the keys (names as they appear in normalised text, ASCII
lower-cased) into one pattern built as a trie, so the *longest* name wins at each position
(``莲塘口岸`` is not ``莲塘``). Keys that are too short, bare station names and aliases shared by
several places are left out, by the ``[matcher]`` rules of ``data/report_rules.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd

from geo.errors import DataError
from geo.names import to_simplified, unify_width
from layers.report_rules import ReportRules, is_han, load_rules

__all__ = ["Match", "PlaceMatcher"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _is_alnum_ascii(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _key(name: str) -> str:
    """The form of a name as it appears in normalised text, ASCII lower-cased."""
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
    """Find gazetteer names and aliases in normalised text, longest match first.

    Parameters
    ----------
    gazetteer : GeoDataFrame
        From :func:`geo.gazetteer.load_gazetteer` (``id, name, aliases, kind`` are used).
    rules : ReportRules, optional
        ``[matcher]`` rules (default: :func:`load_rules`).

    Attributes
    ----------
    keys : dict of str to str
        Matching key -> place id (canonical names take precedence over aliases).
    skipped : dict of str to str
        Keys left out and why (too short, or a bare station name).
    """

    def __init__(self, gazetteer: gpd.GeoDataFrame, *, rules: ReportRules | None = None):
        rules = rules or load_rules()
        self.keys: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        entries: list[tuple[int, str, str, str]] = []  # (priority, key, id, kind)
        for fid, name, aliases, kind in zip(
            gazetteer["id"], gazetteer["name"], gazetteer["aliases"], gazetteer["kind"], strict=True
        ):
            entries.append((0, _key(name), fid, kind))
            entries.extend((1, _key(a), fid, kind) for a in aliases)
            # typeset apostrophes: Robin’s Nest, Luohu Kou’an
            entries.extend((2, _key(a).replace("'", "’"), fid, kind) for a in aliases if "'" in a)
        # who a key belongs to: a canonical name to its place alone; an alias shared by two
        # places to neither (matching it would be a guess)
        canonical = {key for priority, key, _, _ in entries if priority == 0}
        owners: dict[str, set[str]] = {}
        for priority, key, fid, _ in entries:
            if priority == 0 or key not in canonical:
                owners.setdefault(key, set()).add(fid)
        for _, key, fid, kind in sorted(entries, key=lambda e: e[0]):
            reason = self._reject(key, kind, rules)
            if not reason and len(owners[key]) > 1:
                reason = "alias of several places: " + ", ".join(sorted(owners[key]))
            if reason:
                self.skipped.setdefault(key, reason)
            else:
                self.keys.setdefault(key, fid)
        for key in self.keys:
            self.skipped.pop(key, None)
        if not self.keys:
            raise DataError("gazetteer: no name is usable for matching")
        self.pattern = re.compile(_trie_pattern(self.keys))

    @staticmethod
    def _reject(key: str, kind: str, rules: ReportRules) -> str | None:
        han = sum(1 for c in key if is_han(c))
        if han == 0:
            if sum(c.isalnum() for c in key) < rules.min_latin_chars:
                return "too short"
        elif han < rules.min_han_chars and len(key) < rules.min_han_chars + 1:
            return "one Han character"
        suffixes = rules.require_suffix.get(kind)
        if suffixes and not key.endswith(tuple(s.lower() for s in suffixes)):
            return f"bare {kind} name (ambiguous)"
        return None

    def find(self, text: str) -> list[Match]:
        """Every non-overlapping mention in ``text``, left to right, longest first.

        Parameters
        ----------
        text : str
            Normalised text (:func:`geo.names.normalize_text`).

        Returns
        -------
        list of Match
        """
        lowered = text.translate(_ASCII_LOWER)
        out: list[Match] = []
        pos = 0
        search = self.pattern.search
        while (m := search(lowered, pos)) is not None:
            start = m.start()
            # a key starting with a letter or digit must start on a word boundary (5号线 is
            # not inside 15号线); every key starting here shares that first character
            if start and _is_alnum_ascii(lowered[start]) and _is_alnum_ascii(lowered[start - 1]):
                pos = start + 1
                continue
            out.append(Match(self.keys[m.group(0)], start, m.end(), text[start : m.end()]))
            pos = m.end()
        return out
