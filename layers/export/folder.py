"""Exports that are a folder of files (QGIS project + GeoPackage, Shapefiles), published whole.

Everything is written into a staging folder beside ``--out`` and the two are then exchanged
in one step (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames in a row), so a reader
sees the previous export or the new one, never a mix, and an interrupted export leaves the
previous one intact. A folder that holds files no Planmap export wrote is refused unless
``force``: then those files are kept (hard-linked into the new folder), ours replaced.
A small manifest (:data:`MARKER`) lists what the export wrote; stale staging folders of killed
runs are removed by the next export to the same place.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from geo.errors import OptionError

__all__ = ["MARKER", "check_out_folder", "published_folder"]

MARKER = ".planmap-export.json"
_STAGING = ".planmap-staging-"
_OLD = ".planmap-old-"


def _ours(folder: Path) -> set[str]:
    try:
        doc = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        return {str(f) for f in doc.get("files", [])} | {MARKER}
    except (OSError, ValueError, AttributeError):
        return set()


def _foreign(folder: Path) -> list[str]:
    ours = _ours(folder)
    return sorted(p.name for p in folder.iterdir() if p.name not in ours)


def check_out_folder(out: str | Path, *, force: bool = False) -> None:
    """Refuse an ``--out`` that is a file, or a folder holding other files without ``force``.

    Raises
    ------
    OptionError
        One line naming the folder (and a few of its files).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out {out}: is a file; this format writes a folder")
    if out.is_dir() and not force:
        foreign = _foreign(out)
        if foreign:
            shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            raise OptionError(
                f"--out {out}: the folder holds other files ({shown}); "
                "choose an empty folder or add --force to write into it"
            )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _clean_stale(parent: Path, name: str) -> None:
    for prefix in (_STAGING, _OLD):
        for stale in parent.glob(f".{name}{prefix}*"):
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def published_folder(out: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``out`` as a whole.

    Raises
    ------
    OptionError
        As :func:`check_out_folder`.
    """
    out = Path(out).absolute()
    check_out_folder(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out.parent, out.name)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{_STAGING}", dir=out.parent))
    try:
        yield staging
        written = sorted(p.name for p in staging.iterdir())
        (staging / MARKER).write_text(
            json.dumps({"format": "planmap-export/1", "files": written}, indent=1),
            encoding="utf-8",
        )
        if not out.exists():
            os.rename(staging, out)
            return
        for name in _foreign(out):  # only with force: the user's own files stay
            if not (staging / name).exists():
                src = out / name
                if src.is_dir():
                    shutil.copytree(src, staging / name, copy_function=os.link, symlinks=True)
                else:
                    os.link(src, staging / name, follow_symlinks=False)
        if _exchange(staging, out):
            shutil.rmtree(staging, ignore_errors=True)  # now the previous export
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}{_OLD}", dir=out.parent))
        os.rename(out, old / "previous")
        os.rename(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
