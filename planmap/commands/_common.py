"""Helpers shared by the subcommands: common options, building with a progress bar, a plain
table, text shown safely on a terminal."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from tqdm import tqdm


def add_district(parser: argparse.ArgumentParser) -> None:
    """``--district ID`` (default: the default district; ``planmap districts`` lists them)."""
    parser.add_argument(
        "--district",
        default=None,
        metavar="ID",
        help="district id (default: the shipped default; see `planmap districts`)",
    )


def add_spec(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", help="spec file (default: the district's own spec)")


def add_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report", metavar="REPORT", help="a report text: fill report_excerpt and mentions"
    )


def evidence_of(args: argparse.Namespace):
    """The report evidence for ``--report`` (None without one), read against the gazetteer of
    the district being built."""
    if not getattr(args, "report", None):
        return None
    from layers.report import read_evidence

    _, gazetteer = district_and_gazetteer(
        getattr(args, "district", None), spec=getattr(args, "spec", None)
    )
    return read_evidence(args.report, gazetteer=gazetteer)


def build_with_progress(spec_path=None, *, district=None, evidence=None):
    """Build the layers from files, with a progress bar on stderr."""
    from geo.district import get_district
    from layers.build import build_from_files
    from layers.spec import load_spec

    total = len(load_spec(spec_path or get_district(district).spec_path).layers)
    with tqdm(total=total, desc="building layers", unit="layer", file=sys.stderr) as bar:
        return build_from_files(
            spec_path,
            district=district,
            evidence=evidence,
            # the tuple of two calls is the value of the lambda; build ignores it
            progress=lambda name: (bar.set_postfix_str(name), bar.update()),  # type: ignore[arg-type,func-returns-value]
        )


def layers_from_args(args: argparse.Namespace):
    """The layers a drawing command shows: a published build (``--layers-dir``) as it was
    built, or a build from ``--spec``/``--district``/``--report``."""
    if getattr(args, "layers_dir", None):
        from layers.export import read_build

        if getattr(args, "report", None):
            print("note: --report is ignored with --layers-dir (the build has its evidence)")
        return read_build(args.layers_dir)
    return build_from_args(args)


def build_from_args(args: argparse.Namespace):
    """``--spec``, ``--district`` and ``--report`` -> the built layers."""
    return build_with_progress(
        getattr(args, "spec", None),
        district=getattr(args, "district", None),
        evidence=evidence_of(args),
    )


def district_and_gazetteer(district: str | None, *, spec: str | None = None):
    """The district record of ``--district`` (parsed by :func:`geo.district.get_district`; when
    it is not given: the district of ``--spec``, else the default) and its gazetteer."""
    from geo.district import get_district
    from geo.gazetteer import load_gazetteer

    if district is None and spec:
        from layers.build import district_of
        from layers.spec import load_spec

        record = district_of(load_spec(spec))
    else:
        record = get_district(district)
    return record, load_gazetteer(record)


def print_table(headers: Sequence[str], rows: Sequence[Sequence], *, file=None) -> None:
    """A plain aligned text table (wide CJK characters count double)."""
    from unicodedata import east_asian_width

    def width(text: str) -> int:
        return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)

    cells = [[str(c) for c in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]
    out = file or sys.stdout
    for n, row in enumerate(cells):
        print(
            "  ".join(c + " " * (w - width(c)) for c, w in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def print_warnings(warnings: Sequence[str]) -> None:
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)


# Characters that change how a terminal shows the text around them: bidirectional controls
# (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C: "Trojan Source" reordering) and C0/C1
# controls (escape sequences). Report text is shown with them escaped, never raw.
_BIDI_C1 = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x7f-\x9f"
_INVISIBLE = re.compile(f"[{_BIDI_C1}\x00-\x1f]")
_INVISIBLE_IN_JSON = re.compile(f"[{_BIDI_C1}]")  # json.dumps escapes C0 itself


def shown(text: object) -> str:
    """``text`` for a terminal: each control character written as ``<U+202E>``."""
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", str(text))


def json_for_terminal(doc: object) -> str:
    """``doc`` as indented JSON with the characters of :func:`shown` as ``\\uXXXX`` escapes
    (the same JSON value, shown safely)."""
    import json

    text = json.dumps(doc, ensure_ascii=False, indent=2)
    # outside strings JSON has only ASCII, so every such character is inside a string
    return _INVISIBLE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def check_out(out: object, *, folder: bool, option: str = "--out") -> None:
    """Refuse an output path that cannot be written, before any work: a file where a folder
    is written (or the reverse), or a path under a file.

    Raises
    ------
    OptionError
        One line naming the option and the path.
    """
    from pathlib import Path

    from geo.errors import OptionError

    if out is None:
        return
    path = Path(str(out))
    if folder and path.exists() and not path.is_dir():
        raise OptionError(f"{option} {out}: is a file; this command writes a folder")
    if not folder and path.is_dir():
        raise OptionError(f"{option} {out}: is a folder; {option} takes a file name")
    if not folder and path.exists() and not path.is_file():  # /dev/null, a FIFO: never replaced
        raise OptionError(f"{option} {out}: is not a regular file; {option} takes a file name")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise OptionError(f"{option} {out}: {parent} is a file, not a folder")
            break


def utf8_argument(value: str, what: str) -> str:
    """``value`` if the command line gave it as UTF-8 text; else one line naming the argument
    and the offset of the first bad byte (Python keeps such bytes as lone surrogates, which
    cannot be printed or matched).

    Raises
    ------
    OptionError
    """
    import os

    from geo.errors import OptionError

    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(value)
        try:
            raw.decode("utf-8")
            offset = 0
        except UnicodeDecodeError as exc:
            offset = exc.start
        shown_value = raw.decode("utf-8", "backslashreplace")
        raise OptionError(
            f"{what} '{shown(shown_value)}': not UTF-8 text (byte {offset}); "
            "set the terminal or the calling script to UTF-8"
        ) from None
    return value
