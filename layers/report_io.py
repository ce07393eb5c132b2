"""Reading a report's bytes: encoding detection, size limits and streaming in chunks.

A report is decoded from a byte-order mark (UTF-8, UTF-16, UTF-32), strict UTF-8, or a
GB18030/Big5 trial with charset_normalizer; binary, undecodable and oversized input is refused
with a :class:`~geo.errors.DataError` naming the file. Files stream in chunks that end on a line
or sentence boundary, so a large report is read with bounded memory.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from geo.errors import DataError
from layers.report_rules import ReportRules, is_han, load_rules

__all__ = [
    "CHUNK_CHARS",
    "SAMPLE_BYTES",
    "decode_bytes",
    "detect_encoding",
    "read_report",
    "text_for_display",
]

SAMPLE_BYTES = 65536
CHUNK_CHARS = 1 << 20  # text read per step while streaming
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


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
        return sum(1 for c in text if not (c.isascii() or is_han(c) or "\u3000" <= c <= "\u303f"))

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
