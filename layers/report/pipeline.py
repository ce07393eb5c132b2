"""Reading a report: the places it names, with typed evidence, and the phrases nobody knows.

:func:`extract` streams over the text (whole or in pieces), normalises each piece, splits it
into sentences and, per sentence, finds the mentions (:class:`~layers.report.match.PlaceMatcher`),
the status cue before each first mention, and the unresolved phrases
(:class:`~layers.report.phrases.PhraseFinder`). Every step is linear in the sentence: status
cues are found once per sentence and walked with a pointer alongside the mentions, so a long
sentence without punctuation costs no more per character than a short one.

Offsets (``FoundPlace.spans``, ``Evidence.spans``) count characters of the *normalised* text:
:func:`geo.names.normalize_text` of the text when it is given whole, or the normalised pieces
joined by newlines when it streams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geo.errors import DataError
from geo.model import Status, drawn_mask
from geo.names import normalize_text
from layers.evidence import Evidence
from layers.report.io import read_report
from layers.report.match import PlaceMatcher
from layers.report.phrases import PhraseFinder, mask
from layers.report.rules import ReportRules, load_rules

__all__ = [
    "FoundPlace",
    "ReportResult",
    "Unresolved",
    "extract",
    "extract_file",
    "iter_sentences",
    "layer_index",
    "located_ids",
    "read_evidence",
]

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    """``(start, sentence)`` of each non-blank sentence of ``text``, stripped."""
    for match in _SENTENCE.finditer(text):
        raw = match.group(0)
        sentence = raw.strip()
        if sentence:
            yield match.start() + len(raw) - len(raw.lstrip()), sentence


def iter_sentences(text: str) -> Iterator[str]:
    """Split normalised text into sentences on ``。！？!?；;`` and newlines (terminators kept).

    Parameters
    ----------
    text : str
        Normalised text.

    Yields
    ------
    str
        Each non-blank sentence, stripped.
    """
    for _, sentence in _sentences(text):
        yield sentence


# --- results -------------------------------------------------------------------------------


@dataclass
class FoundPlace:
    """A gazetteer place the report names.

    ``sentences`` are the first sentences naming it (cut around the mention when long);
    ``spans`` their ``[start, end)`` offsets in the normalised text, without the ellipses.
    """

    id: str
    name: str
    name_en: str
    kind: str
    layer: str | None
    mentions: int = 0
    status: Status | None = None
    sentences: list[str] = field(default_factory=list)
    surface: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def excerpt(self, *, sentences: int = 3, chars: int = 300) -> str:
        """The first few sentences joined, truncated to ``chars`` with an ellipsis."""
        text = " … ".join(self.sentences[:sentences])
        return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "kind": self.kind,
            "layer": self.layer,
            "mentions": self.mentions,
            "status": self.status.value if self.status else None,
            "surface_forms": list(self.surface),
            "sentences": list(self.sentences),
            "spans": [list(span) for span in self.spans],
        }


@dataclass
class Unresolved:
    """A place-like phrase the gazetteer does not know, with its first sentence."""

    phrase: str
    sentence: str
    count: int = 1

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"phrase": self.phrase, "sentence": self.sentence, "count": self.count}


@dataclass
class ReportResult:
    """What a report names: found places (in order of first mention) and unresolved phrases."""

    found: list[FoundPlace]
    unresolved: list[Unresolved]
    sentences: int = 0
    characters: int = 0
    encoding: str = "utf-8"
    truncated_unresolved: bool = False
    rules: ReportRules | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The JSON of ``planmap extract --json``."""
        return {
            "found": [p.to_dict() for p in self.found],
            "unresolved": [u.to_dict() for u in self.unresolved],
            "stats": {
                "sentences": self.sentences,
                "characters": self.characters,
                "encoding": self.encoding,
                "found": len(self.found),
                "unresolved": len(self.unresolved),
                "unresolved_truncated": self.truncated_unresolved,
            },
        }

    def evidence(self, *, rules: ReportRules | None = None) -> dict[str, Evidence]:
        """What the report says about each found place, for
        :func:`layers.build.build_layers` (``evidence=``).

        Parameters
        ----------
        rules : ReportRules, optional
            For the excerpt's length (default: the rules the report was read with).

        Returns
        -------
        dict of str to Evidence
            By place id, in order of first mention.
        """
        limits = (rules or self.rules or load_rules()).input
        return {
            p.id: Evidence(
                id=p.id,
                mentions=int(p.mentions),
                excerpt=p.excerpt(sentences=limits.excerpt_sentences, chars=limits.excerpt_chars),
                spans=tuple(p.spans),
                status=p.status,
            )
            for p in self.found
        }


def layer_index(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    """``{feature id: layer name}`` of built layers (a :class:`~layers.layerset.LayerSet`; the
    first layer naming a feature wins)."""
    out: dict[str, str] = {}
    for name, gdf in layers.items():
        for fid in gdf["id"]:
            out.setdefault(fid, name)
    return out


def located_ids(layers: Mapping[str, gpd.GeoDataFrame]) -> set[str]:
    """Ids of the features a map draws (:func:`geo.model.drawn_mask`)."""
    out: set[str] = set()
    for gdf in layers.values():
        if len(gdf):
            out.update(gdf.loc[drawn_mask(gdf), "id"])
    return out


# --- extraction ----------------------------------------------------------------------------


def _window(length: int, start: int, end: int, limit: int) -> tuple[int, int]:
    """``[a, b)`` of at most ``limit`` characters of a sentence around ``[start, end)``."""
    if length <= limit:
        return 0, length
    a = max(0, start - max(limit - (end - start), 0) // 2)
    b = min(length, a + limit)
    return max(0, b - limit), b


def _cut(sentence: str, a: int, b: int) -> str:
    return ("…" if a else "") + sentence[a:b] + ("…" if b < len(sentence) else "")


class _Cues:
    """The ``[status]`` cue words as one pattern, found once per sentence."""

    def __init__(self, rules: ReportRules) -> None:
        self.status = rules.cues
        words = sorted(self.status, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, words))) if words else None

    def scan(self, sentence: str) -> list[tuple[int, Status]]:
        """``(end, status)`` of every cue of the sentence, left to right (one scan)."""
        if self.pattern is None:
            return []
        return [(m.end(), self.status[m.group(0)]) for m in self.pattern.finditer(sentence)]


class _Walk:
    """The nearest cue before each mention of one sentence: a pointer over its cues."""

    def __init__(self, cues: _Cues, sentence: str) -> None:
        self.cues, self.sentence = cues, sentence
        self.found: list[tuple[int, Status]] | None = None  # scanned when first needed
        self.next = 0
        self.status: Status | None = None

    def before(self, start: int) -> Status | None:
        """The status of the last cue ending at or before ``start`` (mentions come in order)."""
        if self.found is None:
            self.found = self.cues.scan(self.sentence)
        found = self.found
        while self.next < len(found) and found[self.next][0] <= start:
            self.status = found[self.next][1]
            self.next += 1
        return self.status


def extract(
    chunks: Iterable[str] | str,
    *,
    gazetteer: gpd.GeoDataFrame | None = None,
    matcher: PlaceMatcher | None = None,
    layer_of: Mapping[str, str] | None = None,
    rules: ReportRules | None = None,
    encoding: str = "utf-8",
) -> ReportResult:
    """Find the places a report names, streaming over its text.

    Parameters
    ----------
    chunks : str or iterable of str
        The raw report text, whole or in pieces ending on line boundaries
        (:func:`~layers.report.io.read_report`).
    gazetteer : GeoDataFrame, optional
        From :func:`geo.gazetteer.load_gazetteer`; a matcher is built over its name index
        unless ``matcher`` is given.
    matcher : PlaceMatcher, optional
        Reuse a matcher (it knows the places: id, name, English name and kind).
    layer_of : mapping, optional
        ``{id: layer}`` (:func:`layer_index` of a :class:`~layers.layerset.LayerSet`); places
        in no layer get ``layer=None``. Nothing is built here.
    rules : ReportRules, optional
        Default :func:`~layers.report.rules.load_rules`.
    encoding : str
        Recorded in the result.

    Returns
    -------
    ReportResult

    Raises
    ------
    TypeError
        Neither ``gazetteer`` nor ``matcher`` is given.
    """
    rules = rules or load_rules()
    if matcher is None:
        if gazetteer is None:
            raise TypeError("extract() needs a gazetteer or a matcher")
        matcher = PlaceMatcher.from_frame(gazetteer, rules=rules)
    index = matcher.index
    row_of: dict[str, int] = {}
    for row, fid in enumerate(index.ids):
        row_of.setdefault(fid, row)
    layer_of = layer_of or {}
    limits = rules.input
    phrases = PhraseFinder(rules)
    cues = _Cues(rules)
    last_sentence: dict[str, int] = {}  # id -> number of the sentence last kept for it
    found: dict[str, FoundPlace] = {}
    unresolved: dict[str, Unresolved] = {}
    result = ReportResult([], [], encoding=encoding, rules=rules)
    offset = 0  # where the piece starts in the normalised text
    for n, chunk in enumerate([chunks] if isinstance(chunks, str) else chunks):
        text = normalize_text(chunk)
        offset += 1 if n else 0  # the pieces are joined by newlines
        result.characters += len(text)
        for start, sentence in _sentences(text):
            result.sentences += 1
            matches = matcher.find(sentence)
            walk = _Walk(cues, sentence)
            for m in matches:
                place = found.get(m.id)
                if place is None:
                    row = row_of[m.id]
                    place = found[m.id] = FoundPlace(
                        m.id,
                        index.names[row],
                        index.names_en[row] or "",
                        index.kinds[row],
                        layer_of.get(m.id),
                    )
                place.mentions += 1
                if place.status is None:
                    place.status = walk.before(m.start)
                if m.surface not in place.surface and len(place.surface) < 20:
                    place.surface.append(m.surface)
                if (
                    len(place.sentences) < limits.max_sentences_per_place
                    and last_sentence.get(m.id) != result.sentences
                ):
                    a, b = _window(len(sentence), m.start, m.end, limits.max_sentence_chars)
                    place.sentences.append(_cut(sentence, a, b))
                    place.spans.append((offset + start + a, offset + start + b))
                    last_sentence[m.id] = result.sentences
            for phrase, at in phrases.find(mask(sentence, matches), sentence):
                if phrase in unresolved:
                    unresolved[phrase].count += 1
                elif len(unresolved) < limits.max_unresolved:
                    a, b = _window(len(sentence), at, at + len(phrase), limits.max_sentence_chars)
                    unresolved[phrase] = Unresolved(phrase, _cut(sentence, a, b))
                else:
                    result.truncated_unresolved = True
        offset += len(text)
    result.found = list(found.values())
    result.unresolved = list(unresolved.values())
    return result


def extract_file(
    path: str | Path,
    *,
    gazetteer: gpd.GeoDataFrame | None = None,
    matcher: PlaceMatcher | None = None,
    layer_of: Mapping[str, str] | None = None,
    rules: ReportRules | None = None,
) -> ReportResult:
    """:func:`extract` over a file, streamed (see :func:`~layers.report.io.read_report` for
    what is refused).

    Parameters
    ----------
    path : str or Path
        The report.
    gazetteer, matcher, layer_of, rules
        As for :func:`extract`.

    Returns
    -------
    ReportResult

    Raises
    ------
    DataError
        Empty, binary, too large or undecodable file, or a file with no text at all.
    """
    rules = rules or load_rules()
    encoding, chunks = read_report(path, rules=rules)
    result = extract(
        chunks,
        gazetteer=gazetteer,
        matcher=matcher,
        layer_of=layer_of,
        rules=rules,
        encoding=encoding,
    )
    if result.sentences == 0:
        raise DataError(f"{path}: no text (only whitespace or dropped characters)")
    return result


def read_evidence(
    path: str | Path, *, gazetteer: gpd.GeoDataFrame, rules: ReportRules | None = None
) -> dict[str, Evidence]:
    """What a report file says about each place it names (streamed), for
    :func:`layers.build.build_layers` and ``planmap build --report``.

    Parameters
    ----------
    path : str or Path
        The report.
    gazetteer : GeoDataFrame
        The district's gazetteer (:func:`geo.gazetteer.load_gazetteer`).
    rules : ReportRules, optional
        Default :func:`~layers.report.rules.load_rules`.

    Returns
    -------
    dict of str to Evidence

    Raises
    ------
    DataError
        See :func:`extract_file`.
    """
    return extract_file(path, gazetteer=gazetteer, rules=rules).evidence()
