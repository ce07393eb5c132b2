"""Read a planning report: find every gazetteer place it names, with its sentences as evidence.

The pipeline, per paragraph so a large file streams with bounded memory:

1. :func:`read_report` decodes the bytes (BOM, strict UTF-8, then a GB18030/Big5 trial with
   charset_normalizer) or refuses binary, undecodable and oversized input with a
   :class:`~geo.errors.DataError` naming the file (:mod:`layers.report_io`);
2. :func:`geo.names.normalize_text` (Simplified, pinyin annotations removed, widths unified,
   mojibake dropped);
3. sentences (split on ``。！？!?；;`` and newlines);
4. :class:`PlaceMatcher`: one compiled regular expression built as a trie of every name and
   alias, so the *longest* name wins at each position (``莲塘口岸`` is not ``莲塘``)
   (:mod:`layers.report_match`);
5. place-like phrases the gazetteer does not know (``XX片区``, ``XX立交``) are listed as
   unresolved, by the rules in ``data/report_rules.toml`` (:mod:`layers.report_phrases`,
   :mod:`layers.report_rules`).

Only counts and at most ``max_sentences_per_place`` sentences per place are kept. This module
holds the result types, :func:`extract` and the excerpts and highlighting built from it, and
re-exports the public names of the modules above.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geo.errors import DataError
from geo.names import normalize_text
from layers.report_io import CHUNK_CHARS as CHUNK_CHARS
from layers.report_io import SAMPLE_BYTES as SAMPLE_BYTES
from layers.report_io import decode_bytes, detect_encoding, read_report, text_for_display
from layers.report_match import Match as Match
from layers.report_match import PlaceMatcher
from layers.report_phrases import PhraseFinder, mask
from layers.report_rules import STATUSES as STATUSES
from layers.report_rules import ReportRules, load_rules

__all__ = [
    "FoundPlace",
    "PlaceMatcher",
    "ReportResult",
    "ReportRules",
    "Unresolved",
    "decode_bytes",
    "detect_encoding",
    "extract",
    "extract_file",
    "highlight_html",
    "iter_sentences",
    "located_ids",
    "text_for_display",
    "layer_index",
    "load_rules",
    "read_report",
    "report_excerpts",
]
# CHUNK_CHARS, SAMPLE_BYTES, Match and STATUSES, imported ``X as X`` above, stay importable
# from here as before the split, outside ``__all__`` as before

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


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
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if sentence:
            yield sentence


# --- extraction ----------------------------------------------------------------------------


@dataclass
class FoundPlace:
    """A gazetteer place the report names."""

    id: str
    name: str
    name_en: str
    kind: str
    layer: str | None
    mentions: int = 0
    status: str | None = None
    sentences: list[str] = field(default_factory=list)
    surface: list[str] = field(default_factory=list)

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
            "status": self.status,
            "surface_forms": list(self.surface),
            "sentences": list(self.sentences),
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

    def excerpts(self, *, rules: ReportRules | None = None) -> dict[str, tuple[int, str]]:
        """``{id: (mentions, excerpt)}`` for :func:`layers.build.build_layers`."""
        rules = rules or load_rules()
        return {
            p.id: (
                p.mentions,
                p.excerpt(sentences=rules.excerpt_sentences, chars=rules.excerpt_chars),
            )
            for p in self.found
        }


def _window(sentence: str, start: int, end: int, limit: int) -> str:
    """``sentence``, or the ``limit`` characters of it around ``[start, end)`` with ellipses."""
    if len(sentence) <= limit:
        return sentence
    a = max(0, start - max(limit - (end - start), 0) // 2)
    b = min(len(sentence), a + limit)
    a = max(0, b - limit)
    return ("…" if a else "") + sentence[a:b] + ("…" if b < len(sentence) else "")


def layer_index(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    """``{feature id: layer name}`` of built layers (the first layer wins)."""
    out: dict[str, str] = {}
    for name, gdf in layers.items():
        for fid in gdf["id"]:
            out.setdefault(fid, name)
    return out


def extract(
    chunks: Iterable[str] | str,
    *,
    gazetteer: gpd.GeoDataFrame,
    layer_of: Mapping[str, str] | None = None,
    rules: ReportRules | None = None,
    matcher: PlaceMatcher | None = None,
    encoding: str = "utf-8",
) -> ReportResult:
    """Find the places a report names, streaming over its text.

    Parameters
    ----------
    chunks : str or iterable of str
        The raw report text, whole or in chunks ending on line boundaries
        (:func:`read_report`).
    gazetteer : GeoDataFrame
        From :func:`geo.gazetteer.load_gazetteer`.
    layer_of : mapping, optional
        ``{id: layer}`` (:func:`layer_index`); places in no layer get ``layer=None``.
    rules : ReportRules, optional
        Default :func:`load_rules`.
    matcher : PlaceMatcher, optional
        Reuse a matcher built for this gazetteer.
    encoding : str
        Recorded in the result.

    Returns
    -------
    ReportResult
    """
    rules = rules or load_rules()
    matcher = matcher or PlaceMatcher(gazetteer, rules=rules)
    layer_of = layer_of or {}
    info = {
        fid: (name, name_en, kind)
        for fid, name, name_en, kind in zip(
            gazetteer["id"], gazetteer["name"], gazetteer["name_en"], gazetteer["kind"], strict=True
        )
    }
    phrases = PhraseFinder(rules)
    limit = rules.max_sentence_chars
    last_sentence: dict[str, int] = {}  # id -> number of the sentence last kept for it
    cue_status = {cue: st for st, cues in rules.status_cues.items() for cue in cues}
    cue_re = re.compile("|".join(map(re.escape, sorted(cue_status, key=len, reverse=True))))
    found: dict[str, FoundPlace] = {}
    unresolved: dict[str, Unresolved] = {}
    result = ReportResult([], [], encoding=encoding)
    for chunk in [chunks] if isinstance(chunks, str) else chunks:
        text = normalize_text(chunk)
        result.characters += len(text)
        for sentence in iter_sentences(text):
            result.sentences += 1
            matches = matcher.find(sentence)
            for m in matches:
                place = found.get(m.id)
                if place is None:
                    name, name_en, kind = info[m.id]
                    place = found[m.id] = FoundPlace(m.id, name, name_en, kind, layer_of.get(m.id))
                place.mentions += 1
                if place.status is None:
                    cues = cue_re.findall(sentence, 0, m.start)
                    place.status = cue_status[cues[-1]] if cues else None
                if m.surface not in place.surface and len(place.surface) < 20:
                    place.surface.append(m.surface)
                if (
                    len(place.sentences) < rules.max_sentences_per_place
                    and last_sentence.get(m.id) != result.sentences
                ):
                    place.sentences.append(_window(sentence, m.start, m.end, limit))
                    last_sentence[m.id] = result.sentences
            for phrase in phrases.find(mask(sentence, matches), sentence):
                if phrase in unresolved:
                    unresolved[phrase].count += 1
                elif len(unresolved) < rules.max_unresolved:
                    at = max(sentence.find(phrase), 0)
                    evidence = _window(sentence, at, at + len(phrase), limit)
                    unresolved[phrase] = Unresolved(phrase, evidence)
                else:
                    result.truncated_unresolved = True
    result.found = list(found.values())
    result.unresolved = list(unresolved.values())
    return result


def extract_file(
    path: str | Path,
    *,
    gazetteer: gpd.GeoDataFrame,
    layer_of: Mapping[str, str] | None = None,
    rules: ReportRules | None = None,
    matcher: PlaceMatcher | None = None,
) -> ReportResult:
    """:func:`extract` over a file, streamed (see :func:`read_report` for what is refused).

    Parameters
    ----------
    path : str or Path
        The report.
    gazetteer, layer_of, rules, matcher
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
        layer_of=layer_of,
        rules=rules,
        matcher=matcher,
        encoding=encoding,
    )
    if result.sentences == 0:
        raise DataError(f"{path}: no text (only whitespace or dropped characters)")
    return result


# --- highlighting --------------------------------------------------------------------------

# Characters Markdown (and Streamlit's $…$ maths) would interpret, written as entities.
# HTML's own characters are in the same table, so one pass escapes each character once
# (html.escape first would leave '&#x27;' for the Markdown pass to break).
_MD_ESCAPES = str.maketrans(
    {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|$~"}
    | {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\n": "<br>"}
)


def highlight_html(
    text: str, matcher: PlaceMatcher, *, names: Mapping[str, str] | None = None
) -> str:
    """The normalised text as safe HTML with each found place in a ``<mark>``.

    The text is escaped here (HTML *and* Markdown characters, including ``$``), so the result
    can go to ``st.markdown(..., unsafe_allow_html=True)`` without any report text becoming
    markup. Lines become ``<br>`` so Markdown sees a single HTML block.

    Parameters
    ----------
    text : str
        Normalised text (:func:`geo.names.normalize_text`).
    matcher : PlaceMatcher
        The matcher.
    names : mapping, optional
        ``{id: canonical name}`` for the ``title`` of each mark.

    Returns
    -------
    str
        ``<div class="planmap-report">…</div>``.
    """
    names = names or {}

    def esc(part: str) -> str:
        return part.translate(_MD_ESCAPES)

    parts = ['<div class="planmap-report">']
    pos = 0
    for m in matcher.find(text):
        parts.append(esc(text[pos : m.start]))
        # attribute values are HTML-escaped; Markdown does not look inside a tag
        title = html.escape(f"{names.get(m.id, m.id)} ({m.id})", quote=True)
        fid = html.escape(m.id, quote=True)
        parts.append(f'<mark data-id="{fid}" title="{title}">{esc(m.surface)}</mark>')
        pos = m.end
    parts.append(esc(text[pos:]))
    parts.append("</div>")
    return "".join(parts)


def report_excerpts(
    path: str | Path, *, rules: ReportRules | None = None
) -> dict[str, tuple[int, str]]:
    """``{id: (mentions, excerpt)}`` of a report file, for ``planmap build --report``.

    Parameters
    ----------
    path : str or Path
        The report.
    rules : ReportRules, optional
        Default :func:`load_rules`.

    Returns
    -------
    dict of str to (int, str)

    Raises
    ------
    DataError
        See :func:`extract_file`.
    """
    from geo.gazetteer import load_gazetteer

    rules = rules or load_rules()
    return extract_file(path, gazetteer=load_gazetteer(), rules=rules).excerpts(rules=rules)


def located_ids(layers: Mapping[str, gpd.GeoDataFrame]) -> set[str]:
    """Ids of the features a map draws (a geometry, and precision other than unlocated)."""
    out: set[str] = set()
    for gdf in layers.values():
        drawn = gdf.geometry.notna() & ~gdf.geometry.is_empty & (gdf["precision"] != "unlocated")
        out.update(gdf.loc[drawn, "id"])
    return out
