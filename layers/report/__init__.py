"""Read a planning report: every gazetteer place it names, with typed evidence.

One pipeline, streamed per piece so a large file is read with bounded memory and in time
linear in its length:

1. :mod:`~layers.report.io`: decode the bytes (BOM, strict UTF-8, then a GB18030/Big5 trial)
   or refuse missing, empty, oversized, binary and undecodable input with a one-line
   :class:`~geo.errors.DataError` naming the file (and the byte offset);
2. :func:`geo.names.normalize_text` (Simplified, pinyin annotations removed, widths unified,
   mojibake dropped), then sentences (``。！？!?；;`` and newlines);
3. :mod:`~layers.report.match`: the mention scanner, one trie of the name index's labels; the
   index decides which place a name means, the ``[matcher]`` rules which names count as
   mentions in running text;
4. :mod:`~layers.report.pipeline`: mentions, status cues, sentences as evidence
   (:class:`~layers.evidence.Evidence` per place: :meth:`ReportResult.evidence`,
   :func:`read_evidence`);
5. :mod:`~layers.report.phrases`: place-like phrases the gazetteer does not know;
6. :mod:`~layers.report.highlight` (safe HTML) and :mod:`~layers.report.diff` (two reports or
   two builds compared).

The rules (limits, matcher, phrases, status cues) are data: ``data/report_rules.toml``, read
by :mod:`~layers.report.rules`.
"""

from __future__ import annotations

from layers.report.diff import (
    Change,
    PlaceState,
    diff_frame,
    diff_paths,
    diff_states,
    states_from_build,
)
from layers.report.highlight import highlight_html
from layers.report.io import decode_bytes, detect_encoding, read_report, text_for_display
from layers.report.match import Match, PlaceMatcher, surface_form
from layers.report.phrases import PhraseFinder, mask
from layers.report.pipeline import (
    FoundPlace,
    ReportResult,
    Unresolved,
    extract,
    extract_file,
    iter_sentences,
    layer_index,
    located_ids,
    read_evidence,
)
from layers.report.rules import (
    InputRules,
    MatcherRules,
    ReportRules,
    UnresolvedRules,
    default_rules_path,
    load_rules,
)

__all__ = [
    "Change",
    "FoundPlace",
    "InputRules",
    "Match",
    "MatcherRules",
    "PhraseFinder",
    "PlaceMatcher",
    "PlaceState",
    "ReportResult",
    "ReportRules",
    "Unresolved",
    "UnresolvedRules",
    "decode_bytes",
    "default_rules_path",
    "detect_encoding",
    "diff_frame",
    "diff_paths",
    "diff_states",
    "extract",
    "extract_file",
    "highlight_html",
    "iter_sentences",
    "layer_index",
    "load_rules",
    "located_ids",
    "mask",
    "read_evidence",
    "read_report",
    "states_from_build",
    "surface_form",
    "text_for_display",
]
