"""Reading a report's bytes: encoding detection, binary content, size limits, streaming.

A report is decoded from a byte-order mark (UTF-8, UTF-16, UTF-32), strict UTF-8, or a
GB18030/Big5 trial with charset_normalizer. Files stream in pieces that end on a line or
sentence boundary, so a large report is read with bounded memory. Refused with a one-line
:class:`~geo.errors.DataError` naming the file (and, where there is one, the byte offset):
missing, empty, oversized and undecodable files, and binary content (a NUL character, or a
high share of C0 control characters) anywhere in the file, not only in its first bytes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from geo.errors import DataError
from geo.names import is_han
from layers.report.rules import ReportRules, load_rules

__all__ = [
    "BINARY_WINDOW",
    "CHUNK_BYTES",
    "SAMPLE_BYTES",
    "decode_bytes",
    "detect_encoding",
    "read_report",
    "text_for_display",
]

#: bytes read to name the encoding
SAMPLE_BYTES = 65536
#: bytes read per step while streaming
CHUNK_BYTES = 1 << 20
#: binary content is judged in windows of this many characters (a share of control
#: characters above :data:`_MAX_CONTROL_SHARE` in any window, or any NUL, is binary)
BINARY_WINDOW = 4096
_MAX_CONTROL_SHARE = 0.01
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)
_TEXT_CONTROLS = (9, 10, 12, 13, 27)  # tab, newline, form feed, carriage return, escape
# C0 control characters that do not occur in text (all but _TEXT_CONTROLS)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _refuse_binary(where: str, offset: int, what: str) -> DataError:
    return DataError(f"{where}: binary file ({what} at byte {offset}); give a plain-text report")


def _binary_in_bytes(sample: bytes) -> tuple[int, str] | None:
    """``(offset, what)`` of the first sign of binary data in raw bytes, or None."""
    nul = sample.find(b"\x00")
    if nul >= 0:
        return nul, "NUL bytes"
    controls = [i for i, b in enumerate(sample) if b < 32 and b not in _TEXT_CONTROLS]
    if sample and len(controls) / len(sample) > _MAX_CONTROL_SHARE:
        return controls[0], "control bytes"
    return None


def _binary_in_text(text: str) -> tuple[int, str] | None:
    """``(character index, what)`` of the first sign of binary content in decoded text.

    One scan of ``text``: a NUL character, or more than 1 % control characters in one of its
    windows of :data:`BINARY_WINDOW` characters. (The first bytes of a file are judged by their
    share of the sample in :func:`detect_encoding`; a later short piece is not judged alone, so
    one stray control character near the end of a file is not "binary".)
    """
    nul = text.find("\x00")
    if nul >= 0:
        return nul, "NUL bytes"
    limit = _MAX_CONTROL_SHARE * BINARY_WINDOW
    hits: dict[int, list[int]] = {}
    for m in _CONTROL.finditer(text):
        window = hits.setdefault(m.start() // BINARY_WINDOW, [])
        window.append(m.start())
        if len(window) > limit:
            return window[0], "control bytes"
    return None


def _plain_codec(encoding: str, sample: bytes) -> str:
    """The codec that encodes text back to the file's bytes, without a byte-order mark."""
    for bom, name, plain in _BOMS:
        if name == encoding and sample.startswith(bom):
            return plain
    return encoding


def _bom_length(encoding: str, sample: bytes) -> int:
    for bom, name, _ in _BOMS:
        if name == encoding and sample.startswith(bom):
            return len(bom)
    return 0


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
        Binary data (NUL or many control bytes, with the offset of the first) or text in none
        of those encodings.
    """
    for bom, name, _ in _BOMS:
        if sample.startswith(bom):
            return name
    binary = _binary_in_bytes(sample)
    if binary:
        raise _refuse_binary(where, *binary)
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
        See :func:`detect_encoding`; also bytes that stop decoding part-way, or binary content
        after the first bytes.
    """
    sample = data[:SAMPLE_BYTES]
    encoding = detect_encoding(sample, where=where)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(f"{where}: not valid {encoding} at byte {exc.start}") from exc
    binary = _binary_in_text(text)
    if binary:
        at, what = binary
        offset = _bom_length(encoding, sample) + len(
            text[:at].encode(_plain_codec(encoding, sample))
        )
        raise _refuse_binary(where, offset, what)
    return text


def read_report(path: str | Path, *, rules: ReportRules | None = None) -> tuple[str, Iterator[str]]:
    """Open a report and stream its text in pieces that end on a line or sentence boundary.

    Parameters
    ----------
    path : str or Path
        A text file.
    rules : ReportRules, optional
        For ``input.max_bytes`` (default: :func:`~layers.report.rules.load_rules`).

    Returns
    -------
    tuple of (str, iterator of str)
        The encoding, and the text in pieces of about :data:`CHUNK_BYTES` bytes. The iterator
        raises :class:`~geo.errors.DataError` when a later part of the file is binary or does
        not decode (naming the file and the byte offset).

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
    max_bytes = rules.input.max_bytes
    if size > max_bytes:
        raise DataError(
            f"{path}: {size / 2**20:.1f} MiB is over the {max_bytes / 2**20:.0f} MiB "
            "limit for a report (split it, or raise [input].max_bytes in report_rules.toml)"
        )
    encoding = detect_encoding(sample, where=str(path))
    return encoding, _pieces(path, encoding, sample)


def _decoded(path: Path, encoding: str, sample: bytes) -> Iterator[str]:
    """The file's text, block by block, each block checked for binary content."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    plain = _plain_codec(encoding, sample)
    fed = 0  # bytes given to the decoder so far
    first = True
    with path.open("rb") as fh:
        while True:
            block = fh.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])
            start = fed - pending  # the file offset of the first byte this block's text covers
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                # utf-8-sig counts from after the BOM it strips (utf-16/32 count it)
                skew = 3 if first and encoding == "utf-8-sig" else 0
                raise DataError(
                    f"{path}: not valid {encoding} text at byte {start + skew + exc.start} "
                    f"({exc.reason})"
                ) from None
            fed += len(block)
            if first:
                start += _bom_length(encoding, sample)
                first = False
            binary = _binary_in_text(text)
            if binary:
                at, what = binary
                raise _refuse_binary(str(path), start + len(text[:at].encode(plain)), what)
            if text:
                yield text
            if not block:
                return


_SENTENCE_ENDS = "。！？!?；;"


def _pieces(path: Path, encoding: str, sample: bytes) -> Iterator[str]:
    buffer = ""
    for text in _decoded(path, encoding, sample):
        buffer += text
        cut = buffer.rfind("\n")
        if cut < 0:  # one enormous line: cut after the last sentence end instead
            cut = max(buffer.rfind(c) for c in _SENTENCE_ENDS)
        if cut < 0:
            if len(buffer) < 4 * CHUNK_BYTES:
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
        For ``input.display_max_chars`` (default :func:`~layers.report.rules.load_rules`).

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
    limit = rules.input.display_max_chars
    if isinstance(data, bytes):
        if len(data) > 4 * limit:
            raise DataError(
                f"{where}: {len(data) / 2**20:.1f} MiB is too long to show here; "
                "use `planmap extract` (it streams large files)"
            )
        data = decode_bytes(data, where=where)
    if not data.strip():
        raise DataError(f"{where}: empty text")
    if len(data) > limit:
        raise DataError(
            f"{where}: {len(data):,} characters is over the {limit:,} shown "
            "here; use `planmap extract` (it streams large files)"
        )
    return data
