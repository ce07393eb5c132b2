"""Text read from a planner's file: which encoding it is in, and names without noise.

Chinese GIS files often carry GBK attribute tables with no ``.cpg`` to say so (GDAL then reads
them as ISO-8859-1), CSVs in GBK, and names padded with spaces, tabs, CR and LF. Nothing here
reads files: it judges bytes and strings.

Encodings are judged by decoding a sample of the file's text values with each candidate
(:data:`CANDIDATES`, in order) and scoring the result (:func:`plausibility`): the share of
characters a Chinese place name is made of, weighted by how common they are. GBK read as Big5
(or Big5 as GB18030) decodes without error but into rare characters (``东门中路`` becomes
``陲藷笢繚``), so decoding without error is not enough.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "CANDIDATES",
    "MIN_PLAUSIBILITY",
    "EncodingGuess",
    "clean_name",
    "guess_encoding",
    "plausibility",
    "shown",
]

#: the encodings tried for text that is not UTF-8, in order (GB18030 is a superset of GBK)
CANDIDATES: tuple[str, ...] = ("utf-8", "gb18030", "big5")
#: a decoding scoring below this is garbage
MIN_PLAUSIBILITY = 0.8

_SPACE = re.compile(r"\s+")


def clean_name(value: object) -> str | None:
    """A name as a file holds it, without padding: whitespace (spaces, tabs, CR, LF, the
    ideographic space) trimmed and inner runs made one space; None for NULL or blank."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = _SPACE.sub(" ", str(value).replace("\u3000", " ")).strip()
    return text or None


@lru_cache(maxsize=8192)
def _han_weight(char: str) -> float:
    from geo.names import to_simplified

    simple = to_simplified(char)
    try:
        code = simple.encode("gb2312")
    except UnicodeEncodeError:
        return 0.2  # a rare character: possible, but garbage is made of these
    return 1.0 if code[0] <= 0xD7 else 0.6  # GB2312 level 1 (the 3,755 most common) or 2


def _weight(char: str) -> float:
    if char.isascii():
        return 1.0 if char.isprintable() else 0.0
    category = unicodedata.category(char)
    if category == "Lo" and "\u3400" <= char <= "\u9fff":
        return _han_weight(char)
    if category.startswith("P") or char in "·－（）":
        return 1.0 if "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef" else 0.5
    if category.startswith(("C", "S")) or "\u0080" <= char <= "\u024f":
        return 0.0  # control, private use, symbols, Latin-1 letters of mis-read GBK
    return 0.3


def plausibility(texts: Iterable[str]) -> float:
    """How much text looks like Chinese place names, 0-1: the mean character weight.

    ASCII and CJK punctuation weigh 1; a Han character 1 if it is one of GB2312's 3,755 common
    characters (after Traditional -> Simplified), 0.6 if GB2312 has it, 0.2 if not; control,
    private-use, replacement and Latin-1 characters 0. Text with no non-ASCII character is 1.
    """
    total = count = 0.0
    for text in texts:
        for char in text:
            if char.isascii():
                continue
            total += _weight(char)
            count += 1
    return 1.0 if count == 0 else total / count


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding chosen for a file's text, and the score of every candidate tried."""

    encoding: str | None
    scores: tuple[tuple[str, float | None], ...]

    def tried(self) -> str:
        """``utf-8 (does not decode), gb18030 0.97, big5 0.31``."""
        return ", ".join(
            f"{enc} ({'does not decode' if score is None else f'{score:.2f}'})"
            for enc, score in self.scores
        )


def guess_encoding(
    raw: Sequence[bytes], *, candidates: Sequence[str] = CANDIDATES
) -> EncodingGuess:
    """The first candidate that decodes every value and scores best, if any scores enough.

    Parameters
    ----------
    raw : sequence of bytes
        Text values as stored (a sample is enough).
    candidates : sequence of str
        Python codec names, tried in order; ties go to the earlier one.

    Returns
    -------
    EncodingGuess
        ``encoding`` is None when no candidate reaches :data:`MIN_PLAUSIBILITY`.
    """
    scores: list[tuple[str, float | None]] = []
    best: tuple[float, str] | None = None
    for enc in candidates:
        try:
            texts = [value.decode(enc) for value in raw]
        except UnicodeDecodeError:
            scores.append((enc, None))
            continue
        score = plausibility(texts)
        scores.append((enc, score))
        if score >= MIN_PLAUSIBILITY and (best is None or score > best[0] + 1e-9):
            best = (score, enc)
    return EncodingGuess(best[1] if best else None, tuple(scores))


# C0/C1 controls, and the bidirectional overrides that make text display out of order
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: object, *, limit: int = 80) -> str:
    """Text from a file as a terminal may print it: controls and direction overrides written
    as ``\\x1b``-style escapes, cut to ``limit`` characters (``…`` marks the cut)."""
    value = _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(text))
    return value if len(value) <= limit else value[: limit - 1] + "…"
