"""Unresolved phrases: place-like phrases of a report that the gazetteer does not know.

A sentence's found places are masked (:func:`mask`), then :class:`PhraseFinder` looks for runs
ending in a place suffix (``XX片区``, ``XX立交``) or English place words, trimmed and filtered by
the ``[unresolved]`` rules of ``data/report_rules.toml`` (counted things, organisations,
generic words and common nouns are not places).

Every scan is linear in the sentence: the clause, its runs and its suffixes are each found
once, and a phrase is looked for in at most ``max_phrase_chars`` characters before its suffix
(a longer stretch of text is not a name), so a megabyte-long sentence without punctuation
costs no more per character than a short one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from geo.names import HAN
from layers.report.match import Match
from layers.report.rules import ReportRules

__all__ = ["MASK", "PhraseFinder", "mask"]

#: stands in for each character of a found place while looking for unresolved phrases
MASK = "\x01"
_LOOK_BACK = 128  # characters before a run looked at for a quote, a found place or a verb
_ARTICLE = re.compile(r"^(?:The|A|An|In|At|On|And|To|Of)\s+")


def mask(sentence: str, matches: Sequence[Match]) -> str:
    """``sentence`` with each found place replaced by as many :data:`MASK` characters."""
    parts, pos = [], 0
    for m in matches:
        parts += [sentence[pos : m.start], MASK * (m.end - m.start)]
        pos = m.end
    return "".join(parts) + sentence[pos:]


@dataclass
class PhraseFinder:
    """Looks for place-like phrases in a sentence whose found places are masked."""

    rules: ReportRules

    def __post_init__(self) -> None:
        r = self.rules.unresolved
        self.suffix_re = re.compile("|".join(map(re.escape, r.suffixes)))
        self.clause_re = re.compile(r"[^,，:：]+")
        self.run_re = re.compile(rf"[{HAN}0-9A-Za-z][{HAN}0-9A-Za-z·\-]*")
        han_numerals = "一二三四五六七八九十两百千万几数多"
        numerals = rf"(?:\d+(?:\.\d+)?|[{han_numerals}]+)"
        # a count starts where its numeral does, never inside it: without the look-behinds a
        # long run of digits would be rescanned from each of its characters
        counted = rf"(?:(?<!\d)\d+(?:\.\d+)?|(?<![{han_numerals}])[{han_numerals}]+)"
        self.count_re = re.compile(counted + "(?:" + "|".join(map(re.escape, r.classifiers)) + ")")
        self.numeral_stem = re.compile(numerals)
        english = "|".join(map(re.escape, r.english_suffixes))
        self.english_hint = re.compile(rf"(?:{english}|Line)\b")
        # words of at most 41 letters: an unbounded word would be re-read from each hyphen
        self.english_re = re.compile(
            rf"\b(?:[A-Z][A-Za-z'’\-]{{0,40}}\s+){{1,4}}(?:{english})\b|\bLine\s+\d+[A-Z]?\b"
        )

    def find(self, masked: str, sentence: str) -> Iterator[tuple[str, int]]:
        """Place-like phrases of ``sentence``, whose found places are masked in ``masked``.

        Yields
        ------
        tuple of (str, int)
            The phrase and where it starts in ``sentence``.
        """
        if not self.suffix_re.search(masked) and not self.english_hint.search(masked):
            return  # most sentences: nothing to look at
        for clause in self.clause_re.finditer(masked):
            start, end = clause.span()
            yield from self._clause(clause.group(0), sentence[start:end], start)
        for m in self.english_re.finditer(masked):
            phrase = _ARTICLE.sub("", m.group(0))
            if phrase.split()[0] != phrase.split()[-1]:
                yield phrase, m.end() - len(phrase)

    def _clause(self, clause: str, original: str, offset: int) -> Iterator[tuple[str, int]]:
        r = self.rules.unresolved
        # the first count in the clause (10所, 三个): phrases after it count generic things
        first_count = self.count_re.search(clause)
        count_end = first_count.end() if first_count else len(clause) + 1
        for run in self.run_re.finditer(clause):
            text, at = run.group(0), run.start()
            glued = clause[max(0, at - _LOOK_BACK) : at]
            before = glued.rstrip(" “”‘’\"'《》")
            quoted = before.endswith(MASK) and before != glued
            found_start = len(glued) - len(glued.rstrip(MASK))  # a found place glued on
            org_before = before.rstrip(MASK).endswith(r.organisation_verbs)
            seg_start = 0
            for suf in self.suffix_re.finditer(text):
                end = suf.end()
                if text.startswith(r.not_followed_by.get(suf.group(0), ()), end):
                    continue
                first = seg_start == 0
                # counted things (10所学校, 建成5个区级质控中心) are not names
                if count_end <= at + suf.start():
                    continue
                if first and quoted:
                    continue  # “深南东1号”人工智能产学研中心: a descriptor of a found place
                if text.endswith(r.organisation_verbs, 0, seg_start) or (first and org_before):
                    continue  # 设立罗湖区人工智能创新中心: an organisation
                # 罗湖区第二实验学校: a phrase glued to a found place keeps it
                glue = original[at - found_start : at] if first else ""
                lo = max(seg_start, end - r.max_phrase_chars)
                trimmed = self._trim(
                    text[lo:end],
                    suf.group(0),
                    truncated=lo > seg_start,
                    org_start=text.startswith(r.organisation_verbs, seg_start),
                    glue=glue,
                )
                if trimmed is None:
                    continue  # a rejected phrase stays part of the next: 规划中口岸商贸及产业区
                seg_start = end
                yield trimmed, offset + at + end - len(trimmed)

    def _trim(
        self, phrase: str, suffix: str, *, truncated: bool, org_start: bool, glue: str = ""
    ) -> str | None:
        """The name in ``phrase`` (the text before and including its suffix), or None.

        ``truncated``: the phrase really starts before ``phrase`` (more than
        ``max_phrase_chars`` before its suffix); unless a separator cuts it inside ``phrase``,
        it is too long to be a name. ``org_start``: the real phrase starts with an
        organisation verb.
        """
        r = self.rules.unresolved
        untrimmed = phrase
        if org_start:
            return None

        def stem_ok(p: str) -> bool:
            stem = p[: -len(suffix)]
            if suffix == "号线":
                return bool(stem)
            return len(stem) >= 2 and not self.numeral_stem.fullmatch(stem)

        for sep in (*r.separators, *r.coordinators):
            cut = phrase.rfind(sep, 0, len(phrase) - len(suffix))
            if cut < 0:
                continue
            rest = phrase[cut + len(sep) :]
            if rest == suffix:
                return None  # 连廊及片区: the suffix word alone, used as a common noun
            if sep in r.separators and stem_ok(rest):
                phrase = rest
        if truncated and phrase == untrimmed:
            return None  # no separator within max_phrase_chars: a run of text, not a name
        changed = True
        while changed:
            changed = False
            for prefix in r.stop_prefixes:
                if not phrase.startswith(prefix):
                    continue
                rest = phrase[len(prefix) :]
                if rest == suffix:
                    return None  # 规划中口岸: a verb and the common noun
                if stem_ok(rest):
                    phrase = rest
                    changed = True
                    break
        if not stem_ok(phrase) or self.count_re.match(phrase):
            return None
        if suffix != "号线" and not self.numeral_stem.sub("", self.suffix_re.sub("", phrase)):
            return None  # 一轴两带三组团: numbers and suffix words only
        if phrase.endswith(r.generic_endings):
            return None
        if glue and phrase == untrimmed and not truncated:
            # a proper name in front makes a common noun specific: 罗湖 + 火车站
            phrase = glue + phrase
        elif phrase in r.generic_words:
            return None
        if any(phrase.startswith(o) or phrase.endswith(o) for o in r.not_places):
            return None
        return phrase
