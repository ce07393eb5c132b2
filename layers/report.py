"""Read a planning report: find every gazetteer place it names, with its sentences as evidence.

The pipeline, per paragraph so a large file streams with bounded memory:

1. :func:`read_report` decodes the bytes (BOM, strict UTF-8, then a GB18030/Big5 trial with
   charset_normalizer) or refuses binary, undecodable and oversized input with a
   :class:`~geo.errors.DataError` naming the file;
2. :func:`geo.names.normalize_text` (Simplified, pinyin annotations removed, widths unified,
   mojibake dropped);
3. sentences (split on ``。！？!?；;`` and newlines);
4. :class:`PlaceMatcher`: one compiled regular expression built as a trie of every name and
   alias, so the *longest* name wins at each position (``莲塘口岸`` is not ``莲塘``);
5. place-like phrases the gazetteer does not know (``XX片区``, ``XX立交``) are listed as
   unresolved, by the rules in ``data/report_rules.toml``.

Only counts and at most ``max_sentences_per_place`` sentences per place are kept.
"""

from __future__ import annotations

import codecs
import html
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geo.errors import DataError
from geo.names import normalize_text, to_simplified, unify_width
from geo.paths import data_dir

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

STATUSES = ("existing", "under_construction", "planned", "proposed")
SAMPLE_BYTES = 65536
CHUNK_CHARS = 1 << 20  # text read per step while streaming
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_MASK = "\x01"  # stands in for a found place while looking for unresolved phrases
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def _is_han(char: str) -> bool:
    return bool(re.match(f"[{_HAN}]", char))


def _is_alnum_ascii(char: str) -> bool:
    return char.isascii() and char.isalnum()


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRules:
    """The rules of ``data/report_rules.toml`` (see the comments there), validated once."""

    max_bytes: int
    max_sentences_per_place: int
    excerpt_sentences: int
    excerpt_chars: int
    max_unresolved: int
    display_max_chars: int
    max_sentence_chars: int
    require_suffix: Mapping[str, tuple[str, ...]]
    min_han_chars: int
    min_latin_chars: int
    suffixes: tuple[str, ...]
    not_followed_by: Mapping[str, tuple[str, ...]]
    generic_endings: tuple[str, ...]
    generic_words: frozenset[str]
    stop_prefixes: tuple[str, ...]
    separators: tuple[str, ...]
    coordinators: tuple[str, ...]
    organisation_verbs: tuple[str, ...]
    classifiers: tuple[str, ...]
    english_suffixes: tuple[str, ...]
    not_places: frozenset[str]
    status_cues: Mapping[str, tuple[str, ...]]

    def replace(self, **changes: object) -> ReportRules:
        """Return a copy with some fields changed (e.g. a lower ``max_bytes`` in tests)."""
        from dataclasses import replace

        return replace(self, **changes)


def load_rules(path: str | Path | None = None) -> ReportRules:
    """Load and check the report rules.

    Parameters
    ----------
    path : str or Path, optional
        Default ``data/report_rules.toml``.

    Returns
    -------
    ReportRules

    Raises
    ------
    DataError
        The file is missing, not TOML, or a field is missing or of the wrong type.
    """
    path = Path(path) if path else data_dir() / "report_rules.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{path}: report rules not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from exc

    def get(section: str, key: str, kind: type) -> object:
        value = doc.get(section, {}).get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            what = {int: "an integer", list: "a list", dict: "a table"}[kind]
            raise DataError(f"{path}: [{section}].{key} must be {what}")
        return value

    def words(section: str, key: str) -> tuple[str, ...]:
        value = get(section, key, list)
        if not all(isinstance(v, str) and v for v in value):
            raise DataError(f"{path}: [{section}].{key} must be a list of non-empty strings")
        return tuple(sorted(value, key=len, reverse=True))

    def table(section: str, key: str) -> dict[str, tuple[str, ...]]:
        value = get(section, key, dict)
        out = {}
        for k, v in value.items():
            if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
                raise DataError(f"{path}: [{section}].{key}.{k} must be a list of strings")
            out[k] = tuple(v)
        return out

    ints = {
        key: get("input", key, int)
        for key in (
            "max_bytes",
            "max_sentences_per_place",
            "excerpt_sentences",
            "excerpt_chars",
            "max_unresolved",
            "display_max_chars",
            "max_sentence_chars",
        )
    }
    for key, value in ints.items():
        if value <= 0:
            raise DataError(f"{path}: [input].{key} must be positive")
    return ReportRules(
        **ints,
        require_suffix=table("matcher", "require_suffix"),
        min_han_chars=get("matcher", "min_han_chars", int),
        min_latin_chars=get("matcher", "min_latin_chars", int),
        suffixes=words("unresolved", "suffixes"),
        not_followed_by=table("unresolved", "not_followed_by"),
        generic_endings=words("unresolved", "generic_endings"),
        generic_words=frozenset(words("unresolved", "generic_words")),
        stop_prefixes=words("unresolved", "stop_prefixes"),
        separators=words("unresolved", "separators"),
        coordinators=words("unresolved", "coordinators"),
        organisation_verbs=words("unresolved", "organisation_verbs"),
        classifiers=words("unresolved", "classifiers"),
        english_suffixes=words("unresolved", "english_suffixes"),
        not_places=frozenset(words("unresolved", "not_places")),
        status_cues={s: words("status", s) for s in STATUSES},
    )


# --- decoding ------------------------------------------------------------------------------


def detect_encoding(sample: bytes, *, where: str = "<text>") -> str:
    """Name the encoding of a report from its first bytes, or refuse it.

    Order: a byte-order mark (UTF-8, UTF-16, UTF-32); strict UTF-8; then a GB18030/Big5 trial
    with charset_normalizer.

    Parameters
    ----------
    sample : bytes
        The first bytes of the file (up to 64 KiB is plenty).
    where : str
        File name for messages.

    Returns
    -------
    str
        A Python codec name.

    Raises
    ------
    DataError
        Binary data (NUL or many control bytes) or text in none of those encodings.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if b"\x00" in sample:
        raise DataError(f"{where}: binary file (NUL bytes); give a plain-text report")
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    if sample and controls / len(sample) > 0.01:
        raise DataError(f"{where}: binary file (control bytes); give a plain-text report")
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    candidates = list(from_bytes(sample, cp_isolation=["gb18030", "big5"]))
    if not candidates:
        raise DataError(
            f"{where}: not UTF-8, UTF-16/32 with a BOM, GB18030 or Big5 text; "
            "save the report as UTF-8"
        )

    def odd(text: str) -> int:  # neither Han, ASCII nor CJK punctuation: decoding noise
        return sum(1 for c in text if not (c.isascii() or _is_han(c) or "\u3000" <= c <= "\u303f"))

    # short samples tie on chaos; the decoding with fewer stray symbols wins (罗湖区 in GB18030
    # reads as 蹕綬⑹ in Big5), then charset_normalizer's order
    best = min(
        enumerate(candidates), key=lambda ic: (round(ic[1].chaos, 3), odd(str(ic[1])), ic[0])
    )[1]
    return "big5" if best.encoding.startswith("big5") else "gb18030"


def decode_bytes(data: bytes, *, where: str = "<text>") -> str:
    """Decode a whole report held in memory (an upload in the app).

    Parameters
    ----------
    data : bytes
        The file's bytes.
    where : str
        File name for messages.

    Returns
    -------
    str

    Raises
    ------
    DataError
        See :func:`detect_encoding`; also bytes that stop decoding part-way.
    """
    encoding = detect_encoding(data[:SAMPLE_BYTES], where=where)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(f"{where}: not valid {encoding} at byte {exc.start}") from exc


def read_report(path: str | Path, *, rules: ReportRules | None = None) -> tuple[str, Iterator[str]]:
    """Open a report and stream its text in chunks that end on a line or sentence boundary.

    Parameters
    ----------
    path : str or Path
        A text file.
    rules : ReportRules, optional
        For ``max_bytes`` (default: :func:`load_rules`).

    Returns
    -------
    tuple of (str, iterator of str)
        The encoding, and the text in chunks of about 1 M characters.

    Raises
    ------
    DataError
        Missing, empty, too large, binary or undecodable file (the file is named).
    """
    rules = rules or load_rules()
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise DataError(f"{path}: is a folder, not a text file") from exc
    if size == 0:
        raise DataError(f"{path}: empty file")
    if size > rules.max_bytes:
        raise DataError(
            f"{path}: {size / 2**20:.1f} MiB is over the {rules.max_bytes / 2**20:.0f} MiB "
            "limit for a report (split it, or raise [input].max_bytes in report_rules.toml)"
        )
    encoding = detect_encoding(sample, where=str(path))
    return encoding, _chunks(path, encoding)


def _chunks(path: Path, encoding: str) -> Iterator[str]:
    buffer = ""
    with path.open("r", encoding=encoding, errors="strict", newline="") as fh:
        while True:
            try:
                piece = fh.read(CHUNK_CHARS)
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: not valid {encoding} text ({exc.reason})") from exc
            if not piece:
                break
            buffer += piece
            cut = buffer.rfind("\n")
            if cut < 0:  # one enormous line: cut after the last sentence end instead
                cut = max(buffer.rfind(c) for c in "。！？!?；;")
            if cut < 0:
                if len(buffer) < 4 * CHUNK_CHARS:
                    continue
                cut = len(buffer) - 1  # no boundary in 4 M characters: cut anyway
            yield buffer[: cut + 1]
            buffer = buffer[cut + 1 :]
    if buffer:
        yield buffer


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


# --- the matcher ---------------------------------------------------------------------------


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
        han = sum(1 for c in key if _is_han(c))
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


# --- unresolved phrases --------------------------------------------------------------------


@dataclass
class _Phrases:
    """Looks for place-like phrases in a sentence whose found places are masked."""

    rules: ReportRules

    def __post_init__(self) -> None:
        r = self.rules
        self.suffix_re = re.compile("|".join(map(re.escape, r.suffixes)))
        self.run_re = re.compile(rf"[{_HAN}0-9A-Za-z][{_HAN}0-9A-Za-z·\-]*")
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
    phrases = _Phrases(rules)
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
            parts, pos = [], 0
            for m in matches:
                parts += [sentence[pos : m.start], _MASK * (m.end - m.start)]
                pos = m.end
            masked = "".join(parts) + sentence[pos:]
            for phrase in phrases.find(masked, sentence):
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
_MD_ESCAPES = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|$~<>"})


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
        return html.escape(part, quote=True).translate(_MD_ESCAPES).replace("\n", "<br>")

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


def text_for_display(data: bytes | str, *, where: str, rules: ReportRules | None = None) -> str:
    """Decode an upload (or take pasted text) for the app, refusing what it cannot show.

    Parameters
    ----------
    data : bytes or str
        The uploaded bytes, or pasted text.
    where : str
        The upload's file name (or ``"pasted text"``) for messages.
    rules : ReportRules, optional
        For ``display_max_chars`` (default :func:`load_rules`).

    Returns
    -------
    str
        The raw text (not yet normalised).

    Raises
    ------
    DataError
        Empty, binary, undecodable, or longer than ``display_max_chars``.
    """
    rules = rules or load_rules()
    if isinstance(data, bytes):
        if len(data) > 4 * rules.display_max_chars:
            raise DataError(
                f"{where}: {len(data) / 2**20:.1f} MiB is too long to show here; "
                "use `planmap extract` (it streams large files)"
            )
        data = decode_bytes(data, where=where)
    if not data.strip():
        raise DataError(f"{where}: empty text")
    if len(data) > rules.display_max_chars:
        raise DataError(
            f"{where}: {len(data):,} characters is over the {rules.display_max_chars:,} shown "
            "here; use `planmap extract` (it streams large files)"
        )
    return data


def located_ids(layers: Mapping[str, gpd.GeoDataFrame]) -> set[str]:
    """Ids of the features a map draws (a geometry, and precision other than unlocated)."""
    out: set[str] = set()
    for gdf in layers.values():
        drawn = gdf.geometry.notna() & ~gdf.geometry.is_empty & (gdf["precision"] != "unlocated")
        out.update(gdf.loc[drawn, "id"])
    return out
