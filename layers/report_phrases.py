"""Unresolved phrases: place-like phrases of a report that the gazetteer does not know.

A sentence's found places are masked, then :class:`PhraseFinder` looks for runs ending in a
place suffix (``XX片区``, ``XX立交``) or English place words, trimmed and filtered by the
``[unresolved]`` rules of ``data/report_rules.toml`` (counted things, organisations, generic
words and common nouns are not places).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from layers.report_match import Match
from layers.report_rules import HAN, ReportRules

__all__ = ["PhraseFinder", "mask"]

_MASK = "\x01"  # stands in for a found place while looking for unresolved phrases


def mask(sentence: str, matches: Sequence[Match]) -> str:
    """``sentence`` with each found place replaced by as many mask characters."""
    parts, pos = [], 0
    for m in matches:
        parts += [sentence[pos : m.start], _MASK * (m.end - m.start)]
        pos = m.end
    return "".join(parts) + sentence[pos:]


@dataclass
class PhraseFinder:
    """Looks for place-like phrases in a sentence whose found places are masked."""

    rules: ReportRules

    def __post_init__(self) -> None:
        r = self.rules
        self.suffix_re = re.compile("|".join(map(re.escape, r.suffixes)))
        self.run_re = re.compile(rf"[{HAN}0-9A-Za-z][{HAN}0-9A-Za-z·\-]*")
        numerals = r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十两百千万几数多]+)"
        self.count_re = re.compile(numerals + "(?:" + "|".join(map(re.escape, r.classifiers)) + ")")
        self.numeral_stem = re.compile(numerals)
        english = "|".join(map(re.escape, r.english_suffixes))
        self.english_hint = re.compile(rf"(?:{english}|Line)\b")
        self.english_re = re.compile(
            rf"\b(?:[A-Z][A-Za-z'’\-]*\s+){{1,4}}(?:{english})\b|\bLine\s+\d+[A-Z]?\b"
        )

    def find(self, masked: str, sentence: str) -> Iterator[str]:
        """Place-like phrases of ``sentence``, whose found places are masked in ``masked``."""
        if not self.suffix_re.search(masked) and not self.english_hint.search(masked):
            return  # most sentences: nothing to look at
        for clause in re.finditer(r"[^,，:：]+", masked):
            yield from self._clause(clause.group(0), sentence[clause.start() : clause.end()])
        for m in self.english_re.finditer(masked):
            phrase = re.sub(r"^(?:The|A|An|In|At|On|And|To|Of)\s+", "", m.group(0))
            if phrase.split()[0] != phrase.split()[-1]:
                yield phrase

    def _clause(self, clause: str, original: str) -> Iterator[str]:
        r = self.rules
        # the first count in the clause (10所, 三个): phrases after it count generic things
        first_count = self.count_re.search(clause)
        count_end = first_count.end() if first_count else len(clause) + 1
        for run in self.run_re.finditer(clause):
            text = run.group(0)
            glued = clause[max(0, run.start() - 128) : run.start()]  # bounded look-back
            before = glued.rstrip(" “”‘’\"'《》")
            quoted = before.endswith(_MASK) and before != glued
            found_start = len(glued) - len(glued.rstrip(_MASK))  # a found place glued on
            org_before = before.rstrip(_MASK).endswith(r.organisation_verbs)
            seg_start = 0
            for suf in self.suffix_re.finditer(text):
                end = suf.end()
                follow = text[end:]
                if follow.startswith(r.not_followed_by.get(suf.group(0), ())):
                    continue
                phrase = text[seg_start:end]
                first = seg_start == 0
                # counted things (10所学校, 建成5个区级质控中心) are not names
                if count_end <= run.start() + suf.start():
                    continue
                if first and quoted:
                    continue  # “深南东1号”人工智能产学研中心: a descriptor of a found place
                if text[:seg_start].endswith(r.organisation_verbs) or (first and org_before):
                    continue  # 设立罗湖区人工智能创新中心: an organisation
                # 罗湖区第二实验学校: a phrase glued to a found place keeps it
                glue = original[run.start() - found_start : run.start()] if first else ""
                trimmed = self._trim(phrase, suf.group(0), glue=glue)
                if trimmed is None:
                    continue  # a rejected phrase stays part of the next: 规划中口岸商贸及产业区
                seg_start = end
                yield trimmed

    def _trim(self, phrase: str, suffix: str, *, glue: str = "") -> str | None:
        r = self.rules
        untrimmed = phrase
        if phrase.startswith(r.organisation_verbs):
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
        if glue and phrase == untrimmed:
            # a proper name in front makes a common noun specific: 罗湖 + 火车站
            phrase = glue + phrase
        elif phrase in r.generic_words:
            return None
        if any(phrase.startswith(o) or phrase.endswith(o) for o in r.not_places):
            return None
        return phrase
