"""Helpers shared by the subcommands: building with a progress bar, a plain table."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tqdm import tqdm


def build_with_progress(spec_path=None, *, excerpts=None):
    """Build the layers from files, with a progress bar on stderr."""
    from geo.paths import default_spec
    from layers.build import build_from_files
    from layers.spec import load_spec

    total = len(load_spec(spec_path or default_spec()).layers)
    with tqdm(total=total, desc="building layers", unit="layer", file=sys.stderr) as bar:
        return build_from_files(
            spec_path,
            excerpts=excerpts,
            progress=lambda name: (bar.set_postfix_str(name), bar.update()),
        )


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
