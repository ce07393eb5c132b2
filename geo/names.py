"""Normalisation of place names and of report text.

Real reports arrive in Traditional characters with pinyin annotations after many characters
(``區(qū)``, ``發(fā)``), with mojibake next to quotation marks (``?!``, ``眲?chuàng)``) and with
a mix of full-width and ASCII punctuation. Everything here is pure string work.

Pipeline of :func:`normalize_text` (in this order, because pinyin detection needs the
original Han characters and parentheses):

1. :func:`strip_pinyin`, after dropping characters lost to mojibake with their annotation;
2. :func:`unify_width`;
3. drop the other mojibake fragments (see :func:`drop_mojibake`);
4. repeat 1-3 until nothing changes (a removal can expose another);
5. :func:`to_simplified` (OpenCC ``t2s``).

Name keys and suffix variants
-----------------------------
:func:`normalize_name` gives the *exact* key of a name. :func:`name_variants` adds keys made by
removing or swapping a generic suffix (``站``, ``地铁站``, ``片区``, ``区``, ``街道``, ``社区``)
and gives each key a penalty: 0 for the exact key, 1 for a swapped suffix of the same group
(``罗湖站`` <-> ``罗湖地铁站``), 2 for the bare stem (``罗湖``). ``口岸`` (port) is deliberately
*not* a generic suffix: ``莲塘口岸`` is a border crossing, ``莲塘`` is a metro station and a
subdistrict, so ``莲塘口岸`` never yields the key ``莲塘``. The geocoder ranks exact keys before
variants, so an exact name always wins over a suffix variant. :func:`name_keys` is the plain set.

Project names
-------------
A report names works on a road, a planner's file names the road. :func:`project_parts` splits
a name into the road (or place) and its project words: works (``改扩建``, ``拓宽``, ``升级``,
``改造`` …), a phase (``一期``, ``二期`` …), a trailing ``工程``/``项目``, and an extension
(``北延``/``南延``/``东延``/``西延``, with ``线``/``段``). :func:`name_variants` gives the road of
works and phases as a stem (penalty 2), so ``罗沙路`` finds ``罗沙路改扩建``; an extension is a
different alignment and is **never** stripped to its road (``深南路东延`` is not ``深南路``); its
``线``/``段`` forms are swapped (penalty 1). ``立交`` and ``立交桥`` are the same suffix (penalty 1),
never stripped (``新秀立交`` is not ``新秀``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import opencc

__all__ = [
    "HAN",
    "HAN_RANGES",
    "ProjectName",
    "drop_mojibake",
    "is_han",
    "name_keys",
    "name_variants",
    "normalize_name",
    "normalize_text",
    "project_parts",
    "split_suffix",
    "strip_pinyin",
    "to_simplified",
    "unify_width",
]

# --- Han characters -----------------------------------------------------------------------

#: the code points counted as Han characters everywhere (names, report rules, phrases):
#: CJK unified ideographs, extension A, the compatibility ideographs, and extensions B and
#: later (U+20000-U+3134F, the supplementary ideographic planes)
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
#: :data:`HAN_RANGES` as the body of a regular-expression class: ``re.compile(f"[{HAN}]")``
HAN = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in HAN_RANGES)


def is_han(char: str) -> bool:
    """Whether ``char`` (one character) is a Han character of :data:`HAN_RANGES`."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in HAN_RANGES)


# --- pinyin -------------------------------------------------------------------------------

_INITIALS = "zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw]"
_FINALS = (
    "iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|an|ao|ei|en|er|ia|ie|in|iu|ou|"
    "ua|ue|ui|un|uo|ve|vn|a|e|i|o|u|v"
)
_SYLLABLE = re.compile(rf"(?:{_INITIALS})?(?:{_FINALS})")
_TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛÜ"
# A parenthesised group of Latin letters (with tone marks) and an optional tone digit, in
# ASCII or full-width parentheses, glued to the preceding character.
_PAREN_GROUP = re.compile(rf"(?<=\S)[(（]([A-Za-z{_TONE_VOWELS}]{{1,6}}[1-5]?)[)）]")
# Uppercase toneless acronyms that happen to spell a pinyin syllable.
_ACRONYMS = frozenset({"AI"})


def _base_syllable(group: str) -> str:
    """Return ``group`` lower-cased without tone marks or tone digit (ü becomes v)."""
    group = group.lower().replace("ü", "v").rstrip("12345")
    decomposed = unicodedata.normalize("NFD", group)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    # NFD turns ǖ into u + marks; restore the v the tone mark was on.
    return plain.replace("u\u0308", "v") if "\u0308" in decomposed else plain


def _is_annotation(group: str, before: str) -> bool:
    base = _base_syllable(group)
    if not _SYLLABLE.fullmatch(base):
        return False
    toned = any(c in _TONE_VOWELS for c in group) or group[-1].isdigit()
    if toned:
        # A tone mark is unambiguous: strip after anything, including mojibake (`崿F(xiàn)`).
        return True
    # Toneless: only after a Han character, never a one-letter label `(A)` or an acronym.
    return is_han(before) and len(base) >= 2 and group not in _ACRONYMS


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations glued to the preceding character.

    ``區(qū)`` -> ``區``, ``發（FA）`` -> ``發``. A group is removed when it is one valid pinyin
    syllable and either carries a tone (mark or digit 1-5) or is toneless and follows a Han
    character. Real parenthesised content stays: ``(蓮塘段)``, ``(中國·深圳)``, ``(5G-A)``,
    ``Deepseek-R1 (671B)``, one-letter labels ``(A)`` and the acronym ``(AI)``.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text without annotations.
    """

    def repl(match: re.Match[str]) -> str:
        before = match.string[match.start() - 1]
        return "" if _is_annotation(match.group(1), before) else match.group(0)

    # Repeat for stacked annotations (`區(qū)(qu)`): the second follows the Han only afterwards.
    while (stripped := _PAREN_GROUP.sub(repl, text)) != text:
        text = stripped
    return text


# --- mojibake -----------------------------------------------------------------------------

_REPLACEMENT = re.compile("[\ufffd\ufffc]")
# `制高點?!?月`, `費改?!眲`, `城區(qū)?!编`: runs of two or more ASCII ?/! after a Han
# character, a closing quote or an annotation's parenthesis are UTF-8 quotation marks
# mis-decoded as GBK; Chinese writes `？！` for emphasis.
_BANG_RUN = re.compile(rf"(?<=[{HAN}”’」』)）])[?!]{{2,}}")
# `眲?chuàng)`, `崿F(xiàn)`, `膮^(qū)`: one ASCII character between a Han character and a
# tone-marked annotation stood for the annotated character, lost to mojibake.
# The opening parenthesis may itself be lost (`眲?chuàng)`, `域?qū)`).
_LOST_ANNOTATED = re.compile(
    rf"(?<=[{HAN}])(?:[!-'*-~][(（]|\?)[A-Za-z]*[{_TONE_VOWELS}][A-Za-z]*[)）]"
)
# `區chuàng)`: an annotation whose opening parenthesis was lost, glued to a Han character.
_DANGLING = re.compile(rf"(?<=[{HAN}])[A-Za-z]{{0,5}}[{_TONE_VOWELS}][A-Za-z]{{0,5}}[)）]")
# `內容 ?返回`: a question mark never opens a phrase; this one was an icon.
_LEADING_QMARK = re.compile(rf"(?:(?<=\s)|^)\?(?=[{HAN}])", re.MULTILINE)


def drop_mojibake(text: str) -> str:
    """Remove mojibake fragments that can be recognised without guessing.

    Dropped: replacement characters (U+FFFD, U+FFFC); one ASCII character between a Han
    character and a tone-marked pinyin annotation, with the annotation (``眲?chuàng)``,
    ``崿F(xiàn)``, ``膮^(qū)``: the annotated character was lost); runs of two or more ASCII
    ``?``/``!`` after a Han character, closing quote or pinyin annotation (``制高點?!?月`` ->
    ``制高點月``, ``城區(qū)?!编``); a tone-marked annotation that lost its opening parenthesis,
    glued to a Han character (``區chuàng)``); a ``?`` at the start of a phrase before a Han character
    (``內容 ?返回``). Kept: ordinary question marks (``新路?2025``) and garbled
    text that decodes to valid Han characters (``皬慕衲甑膮``), which cannot be told apart from
    real text without a language model. The lost characters are not recovered.

    Parameters
    ----------
    text : str
        Text as received.

    Returns
    -------
    str
        The text without those fragments.
    """
    text = _REPLACEMENT.sub("", text)
    text = _LOST_ANNOTATED.sub("", text)
    text = _DANGLING.sub("", _BANG_RUN.sub("", text))
    return _LEADING_QMARK.sub("", text)


# --- width, dashes, dots, quotes, whitespace ----------------------------------------------


def _width_table() -> dict[int, str]:
    table: dict[int, str] = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    table[0x3000] = " "  # ideographic space
    for code in list(range(0xF900, 0xFADA)) + list(range(0x2F00, 0x2FD6)):
        # CJK compatibility ideographs and Kangxi radicals (PDF extraction) -> unified Han.
        table[code] = unicodedata.normalize("NFKC", chr(code))
    for dot in "・･‧∙⋅•ᐧ":
        table[ord(dot)] = "·"
    table.update({ord("「"): "“", ord("」"): "”", ord("『"): "‘", ord("』"): "’"})
    table.update({ord("〝"): "“", ord("〞"): "”", ord("〟"): "”", ord("〜"): "~"})
    for invisible in "\u200b\u200c\u200d\u2060\ufeff\u00ad":
        table[ord(invisible)] = ""
    for space in "\u00a0\u2002\u2003\u2009\u202f\t\f\v":
        table[ord(space)] = " "
    return table


_WIDTH = _width_table()
# Non-ASCII dashes, runs included (`——`), become one `-`; ASCII `--` is left alone.
_DASH_RUN = re.compile("[\u2010-\u2015\u2043\u2212\ufe58\ufe63\uff0d]+")
# `什么？！`: a full-width run of marks keeps its first, so it cannot look like mojibake `?!`.
_FULLWIDTH_MARKS = re.compile("[？！]{2,}")
_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


def unify_width(text: str) -> str:
    """Unify character widths, dashes, middle dots, quotes and whitespace.

    Full-width ASCII letters, digits and punctuation become ASCII (``（５Ｇ－Ａ）`` ->
    ``(5G-A)``); the ideographic space becomes a space; CJK compatibility ideographs and Kangxi
    radicals become unified Han. CJK punctuation without an ASCII twin (``。、《》“”``) is kept.
    A full-width run ``？！`` keeps its first mark (so it cannot pass for the ASCII mojibake
    ``?!``). Dashes become ``-`` (a run such as ``——`` becomes one ``-``; ASCII ``--`` stays); middle
    dots become ``·``; corner quotes ``「」『』`` become ``“”‘’``. Runs of spaces collapse to
    one, lines are stripped, and more than one blank line collapses to one (paragraphs survive).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The unified text.
    """
    text = _DASH_RUN.sub("-", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _FULLWIDTH_MARKS.sub(lambda m: m.group(0)[0], text).translate(_WIDTH)
    return _tidy_whitespace(text)


def _tidy_whitespace(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


# --- Traditional -> Simplified ------------------------------------------------------------

_CONVERTER: opencc.OpenCC | None = None


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified with OpenCC ``t2s`` (offline).

    Parameters
    ----------
    text : str
        Any text; non-Chinese characters pass through.

    Returns
    -------
    str
        The Simplified text.
    """
    global _CONVERTER
    if _CONVERTER is None:
        import opencc

        _CONVERTER = opencc.OpenCC("t2s")
    return _CONVERTER.convert(text)


def normalize_text(text: str) -> str:
    """Normalise a whole report: mojibake, pinyin, width, then Simplified characters.

    Parameters
    ----------
    text : str
        Report text as received.

    Returns
    -------
    str
        Clean Simplified text; see :func:`drop_mojibake` for what is dropped.
    """
    cleaned = _clean(text)
    # One removal can expose another (`區?!(qu)`: dropping `?!` glues the annotation to its
    # character). After the first pass every step only deletes, so this loop ends.
    while (again := _clean(cleaned)) != cleaned:
        cleaned = again
    return to_simplified(cleaned)


def _clean(text: str) -> str:
    # Lost characters first (they need their annotation), then annotations. Mojibake is judged
    # after width unification, which collapses a genuine full-width run `？！` to one mark.
    text = strip_pinyin(_LOST_ANNOTATED.sub("", text))
    return _tidy_whitespace(drop_mojibake(unify_width(text)))


# --- names --------------------------------------------------------------------------------

# Hyphens are kept only between two non-ASCII characters (`蔡屋围-东门`); pinyin and English
# drop them (`Sha-Tau-Kok` -> `shataukok`).
_OUTER_HYPHEN = re.compile(r"(?<![^\x00-\x7f])-|-(?![^\x00-\x7f])")
_HYPHEN_RUN = re.compile("-{2,}")


@lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Return the exact matching key of a place name.

    :func:`normalize_text`, then lower-case, then remove spaces, apostrophes and punctuation;
    a hyphen survives only between Chinese characters. ``Liantang Port`` -> ``liantangport``,
    ``Luohu Kou'an`` -> ``luohukouan``, ``蓮塘口岸`` -> ``莲塘口岸``, ``蔡屋圍－東門`` ->
    ``蔡屋围-东门``.

    Parameters
    ----------
    name : str
        A place name in any script, width or case.

    Returns
    -------
    str
        The key (may be empty for a name of only punctuation).
    """
    text = "".join(
        char
        for char in normalize_text(name).lower()
        if char in "-+&#" or unicodedata.category(char)[0] not in "PZSC"
    )
    # Hyphens are judged once the spaces and punctuation around them are gone.
    return _OUTER_HYPHEN.sub("", _HYPHEN_RUN.sub("-", text))


# Generic suffixes by group, longest first within the whole table. `口岸`/`port` is absent on
# purpose: stripping it would change the place (莲塘口岸 is not 莲塘).
_SUFFIX_GROUPS: dict[str, tuple[str, ...]] = {
    "station": ("地铁站", "metrostation", "station", "站"),
    "area": ("片区", "district", "area", "区"),
    "subdistrict": ("街道", "subdistrict"),
    "community": ("社区", "community"),
}
_SUFFIXES = sorted(
    ((suffix, group) for group, items in _SUFFIX_GROUPS.items() for suffix in items),
    key=lambda pair: -len(pair[0]),
)


# `轨道25号线` in the report is `25号线` in the gazetteer: line prefixes are dropped or swapped,
# but only before `<digits>号线`, so `地铁大厦` keeps its `地铁`.
_LINE_PREFIXES = ("轨道", "地铁", "深圳地铁")
_LINE_PREFIX = re.compile(rf"(?:{'|'.join(_LINE_PREFIXES)})?(\d+号线.*)")


def split_suffix(key: str) -> tuple[str, str | None]:
    """Split a normalised key into its stem and generic suffix group.

    Parameters
    ----------
    key : str
        A key from :func:`normalize_name`.

    Returns
    -------
    tuple of (str, str or None)
        The stem and the suffix group (``"station"``, ``"area"``, ``"subdistrict"``,
        ``"community"``), or ``(key, None)`` when there is no generic suffix or the stem would
        be too short (one Han character or fewer than three Latin letters).
    """
    for suffix, group in _SUFFIXES:
        if key.endswith(suffix):
            stem = key[: -len(suffix)]
            if suffix == "区" and stem.endswith(("社", "片")):  # 社区/片区 have own entries
                continue
            long_enough = len(stem) >= 2 if any(is_han(c) for c in stem) else len(stem) >= 3
            if long_enough:
                return stem, group
    return key, None


# --- project names -----------------------------------------------------------------------

_WORKS = ("改扩建", "扩建", "拓宽", "升级改造", "提升改造", "改造提升", "升级", "改造", "整治", "提升")  # fmt: skip
_PHASE = r"(?:[一二三四五六七八九十]|\d{1,2})期"
_EXTENSION = r"[东西南北]延(?:线|段)?"
_PROJECT = re.compile(
    rf"^(?P<base>.+?)(?P<ext>{_EXTENSION})?(?P<works>{'|'.join(_WORKS)})?"
    rf"(?P<phase>{_PHASE})?(?P<noise>工程|项目)?$"
)
# 立交 and 立交桥 name the same interchange; the suffix is swapped, never removed
_INTERCHANGE = ("立交桥", "立交")


@dataclass(frozen=True, slots=True)
class ProjectName:
    """A name split into its place and project words (see :func:`project_parts`).

    ``base`` is the normalised key of the place the works are on; ``extension`` is ``北延``,
    ``南延``, ``东延`` or ``西延`` (``线``/``段`` dropped) or ``""``; ``works`` and ``phase`` are
    the words removed (``""`` when none).
    """

    base: str
    extension: str = ""
    works: str = ""
    phase: str = ""

    @property
    def is_project(self) -> bool:
        """Whether any works, phase or ``工程``/``项目`` word was removed."""
        return bool(self.works or self.phase)


def _long_enough(stem: str) -> bool:
    return len(stem) >= 2 if any(is_han(c) for c in stem) else len(stem) >= 3


@lru_cache(maxsize=65536)
def project_parts(name: str) -> ProjectName:
    """Split a name into the place it is on and its project words.

    ``罗沙路改扩建`` -> base ``罗沙路``, works ``改扩建``; ``清水河三路拓宽工程`` -> ``清水河三路``,
    ``拓宽``; ``11号线二期`` -> ``11号线``, phase ``二期``; ``翠竹路北延线`` -> ``翠竹路``,
    extension ``北延``. A name without project words is its own base. The base must keep two
    Han characters (three Latin letters), so ``一期`` alone is not split.

    Parameters
    ----------
    name : str
        A place name in any script (normalised with :func:`normalize_name` first).

    Returns
    -------
    ProjectName
    """
    key = normalize_name(name)
    match = _PROJECT.fullmatch(key)
    if not match or not _long_enough(match["base"]):
        return ProjectName(key)
    works = match["works"] or ""
    phase = match["phase"] or ""
    ext = (match["ext"] or "")[:2]
    if not (works or phase or ext or match["noise"]):
        return ProjectName(key)
    return ProjectName(
        match["base"], extension=ext, works=works or match["noise"] or "", phase=phase
    )


def _project_variants(key: str) -> dict[str, int]:
    """The project and interchange keys of a normalised name (see the module docstring)."""
    out: dict[str, int] = {}
    parts = project_parts(key)
    for noise in ("工程", "项目"):
        if key.endswith(noise) and parts.base != key:
            out[key[: -len(noise)]] = 1  # 罗沙路改扩建工程 is 罗沙路改扩建
    if parts.extension:
        # the same extension with 线/段 or without; with the works and phase words removed
        stem = parts.base + parts.extension
        for tail in ("", "线", "段"):
            out[stem + tail] = 1
    elif parts.base != key:
        out[parts.base] = 2
    road = parts.base if parts.base != key and not parts.extension else key
    for suffix in _INTERCHANGE:
        if road.endswith(suffix) and _long_enough(road[: -len(suffix)]):
            for other in _INTERCHANGE:
                out[road[: -len(suffix)] + other] = 1 if road == key else 2
            break
    out.pop(key, None)
    return out


def name_variants(name: str) -> dict[str, int]:
    """Return the matching keys of a name with their penalties.

    Parameters
    ----------
    name : str
        A place name in any script.

    Returns
    -------
    dict of str to int
        ``{exact_key: 0}`` plus, for a name ending in a generic suffix, the other suffixes of
        its group (penalty 1) and the bare stem (penalty 2). ``罗湖地铁站`` ->
        ``{"罗湖地铁站": 0, "罗湖站": 1, "罗湖": 2}``; ``莲塘口岸`` -> ``{"莲塘口岸": 0}``.
        A metro line with a prefix (``轨道25号线``) also gives the other prefixes and the bare
        ``25号线`` (penalty 1). Project names give their road (``罗沙路改扩建`` ->
        ``罗沙路``, penalty 2), extensions their ``线``/``段`` forms, ``立交`` its ``立交桥`` form
        (see the module docstring).
    """
    key = normalize_name(name)
    variants = {key: 0} if key else {}
    if key:
        for variant, penalty in _project_variants(key).items():
            variants.setdefault(variant, penalty)
    line = _LINE_PREFIX.fullmatch(key)
    if line:
        for prefix in ("", *_LINE_PREFIXES):
            variants.setdefault(prefix + line.group(1), 1)
    stem, group = split_suffix(key)
    if group is None:
        return variants
    latin = not any(is_han(c) for c in stem)
    for suffix in _SUFFIX_GROUPS[group]:
        if any(is_han(c) for c in suffix) != latin:
            variants.setdefault(stem + suffix, 1)
    variants.setdefault(stem, 2)
    return variants


def name_keys(name: str) -> set[str]:
    """Return every matching key of a name: the exact key and its suffix variants.

    Parameters
    ----------
    name : str
        A place name in any script.

    Returns
    -------
    set of str
        Keys; ``罗湖站`` and ``罗湖地铁站`` share ``罗湖``; ``莲塘口岸`` gives only itself.
        Use :func:`name_variants` to tell the exact key from the variants.
    """
    return set(name_variants(name))
