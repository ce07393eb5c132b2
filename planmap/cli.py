"""The ``planmap`` console script. Each subcommand lives in ``planmap/commands/<name>.py``."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys
from pathlib import Path

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


def _under(path: Path, top: Path) -> bool:
    return path == top or top in path.parents


def _first_file(out: Path) -> Path | None:
    """``out`` or the nearest of its parents that exists and is not a folder."""
    for p in (out, *out.parents):
        if p.exists():
            return None if p.is_dir() else p
    return None


def os_error_line(exc: OSError, out: str | os.PathLike | None = None) -> str:
    """One line for an operating-system error: what could not be written or read, and why
    (``cannot write /x/layers: read-only file system``).

    Parameters
    ----------
    exc : OSError
    out : path, optional
        The command's ``--out``: an error on it, a file beside it (the temporary file of an
        atomic write) or inside it is reported as "cannot write OUT".
    """
    reason = (exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or str(exc)).lower()
    reason = reason or type(exc).__name__
    named = [Path(os.fsdecode(f)).absolute() for f in (exc.filename2, exc.filename) if f]
    if out is not None:
        target = Path(out).absolute()
        related = not named or any(
            _under(p, target) or _under(target, p) or p.parent == target.parent for p in named
        )
        if related:
            blocker = _first_file(target)
            if exc.errno in (errno.EEXIST, errno.ENOTDIR) and blocker is not None:
                what = "it" if blocker == target else str(blocker)
                return f"cannot write {out}: {what} is a file, not a folder"
            return f"cannot write {out}: {reason}"
    if named:
        return f"{os.fsdecode(exc.filename2 or exc.filename)}: {reason}"
    return reason


def main(argv: list[str] | None = None) -> int:
    """Run the console script; returns the exit code.

    Exit codes: 0 done, 2 a problem the user can fix (a :class:`PlanmapError` or an
    operating-system error such as a read-only or full disk, in one line), 1 an internal error
    (one line; ``PLANMAP_DEBUG=1`` shows the traceback), 130 interrupted.
    """
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    prefix = f"planmap {args.command}"
    debug = os.environ.get("PLANMAP_DEBUG", "") not in ("", "0")
    try:
        _check_text(args, argv if argv is not None else sys.argv[1:])
        return int(args.func(args) or 0)
    except PlanmapError as exc:
        if debug:
            raise
        print(f"{prefix}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted; earlier output left intact", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `planmap layers | head`: the reader left; say nothing
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        if debug:
            raise
        line = os_error_line(exc, getattr(args, "out", None))
        print(f"{prefix}: {_one_line(line)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the boundary: one line, never a traceback
        if debug:
            raise
        print(
            f"{prefix}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(PLANMAP_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


def _check_text(args: argparse.Namespace, argv: list[str]) -> None:
    """Every text argument is UTF-8 (bytes that are not arrive as lone surrogates, which
    nothing can print or match): else one line naming the argument and the byte."""
    from planmap.commands._common import utf8_argument

    for key, value in vars(args).items():
        flag = f"--{key.replace('_', '-')}"
        label = flag if any(a.split("=")[0] == flag for a in argv) else key.upper()
        if isinstance(value, str):
            utf8_argument(value, label)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value, 1):
                if isinstance(item, str):
                    utf8_argument(item, f"{label} {i}")


def _one_line(exc: object) -> str:
    """The message on one line, its control characters (newlines, bidi overrides, escape
    sequences from file names or ids) shown as ``<U+XXXX>``, at most 2,000 characters."""
    from planmap.commands._common import shown

    # lone surrogates (bytes of a command line that were not UTF-8) printed as \udcff
    text = shown(str(exc).strip()).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 2000 else text[:1999] + "…"


if __name__ == "__main__":
    sys.exit(main())
