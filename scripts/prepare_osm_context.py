#!/usr/bin/env python3
"""Regenerate the shipped OpenStreetMap context files (``data/facts/osm_luohu_*.geojson``,
WGS-84) from the GCJ-02 inputs in ``data/raw/osm/``. See :mod:`geo.osm_context`.

    .venv/bin/python scripts/prepare_osm_context.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.osm_context import prepare_all  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT / "data" / "raw" / "osm")
    parser.add_argument("--facts", type=Path, default=ROOT / "data" / "facts")
    parser.add_argument("--out", type=Path, default=None, help="default: the facts folder")
    args = parser.parse_args(argv)
    for path in prepare_all(args.raw, args.facts, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
