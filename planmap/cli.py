"""The ``planmap`` console script. Each subcommand lives in ``planmap/commands/<name>.py``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from geo.errors import PlanmapError
from planmap import __version__, commands


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planmap", description="Maps of a district planning report, offline first."
    )
    parser.add_argument("--version", action="version", version=f"planmap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PlanmapError as exc:
        print(f"planmap {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"planmap {args.command}: interrupted; earlier output left intact", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
