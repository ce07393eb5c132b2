"""Siting results kept as GeoJSON files, keyed by a sha256 of everything they depend on.

The key covers the bytes of every input file, the district record, the parameters and
:data:`CACHE_VERSION` (raise it when the siting code changes its output), so a cached file is
only ever served for the inputs it was made from. Files are written beside their final name and
renamed over it, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from geo.district import District
from geo.errors import DataError

__all__ = ["CACHE_VERSION", "cache_key", "default_cache_dir", "read_cached", "write_cached"]

#: part of every key: raise it when the siting's output changes for the same inputs
CACHE_VERSION = "siting-2"  # 2: the route note names the proposal's site id


def default_cache_dir() -> Path:
    """``$PLANMAP_CACHE_DIR/siting``, else ``~/.cache/planmap/siting``."""
    root = os.environ.get("PLANMAP_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "planmap") / "siting"


def cache_key(files: Iterable[Path], record: District, params: dict) -> str:
    """The sha256 (hex) of the files' bytes, the record, ``params`` and :data:`CACHE_VERSION`.

    Raises
    ------
    DataError
        An input file cannot be read.
    """
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for path in files:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
        digest.update(len(data).to_bytes(8, "big") + data)
    for part in (record.model_dump_json(), json.dumps(params, sort_keys=True, default=str)):
        digest.update(len(part).to_bytes(8, "big") + part.encode())
    return digest.hexdigest()


def read_cached(path: Path) -> dict | None:
    """The cached document at ``path``, or None when there is none (or it is unreadable)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else None


def write_cached(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically; False (nothing written) when the folder is not
    writable, since a cache that cannot be kept must not stop the siting."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
