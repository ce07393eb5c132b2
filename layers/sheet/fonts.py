"""The CJK font the sheet embeds, found by path (Debian's WenQuanYi or Noto CJK).

WenQuanYi Micro Hei comes first: its TrueType outlines embed in a PDF as a subset CID
TrueType font that every reader (and ``pdftotext``) takes as it is. Noto Sans CJK is a CFF
collection whose first face is the Japanese one; matplotlib embeds it too, as a fallback.
``PLANMAP_CJK_FONT`` names a font file to use instead (and only that one).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from geo.errors import PlanmapError

__all__ = ["CANDIDATES", "FontMissing", "cjk_font"]

#: known Debian paths, preferred first
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
_INSTALL = "install fonts-wqy-microhei or fonts-noto-cjk (scripts/ensure_test_deps.sh)"
_PROBE = "规划示意图例指北针比例尺区"


class FontMissing(PlanmapError, OSError):
    """No CJK font to draw the sheet's Chinese text with."""


def _has_cjk(path: Path) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(str(path))
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(c)) for c in _PROBE)


def _fc_list() -> list[str]:
    exe = shutil.which("fc-list")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, ":lang=zh", "file"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
    # TrueType before CFF (see the module docstring)
    return sorted(files, key=lambda f: (not f.lower().endswith((".ttf", ".ttc")), f))


@functools.lru_cache(maxsize=4)
def _find(override: str | None) -> Path:
    if override:
        path = Path(override)
        if not path.is_file():
            raise FontMissing(f"no CJK font: PLANMAP_CJK_FONT={override} is not a file; {_INSTALL}")
        if not _has_cjk(path):
            raise FontMissing(
                f"no CJK font: PLANMAP_CJK_FONT={override} has no Chinese glyphs; {_INSTALL}"
            )
        return path
    for candidate in (*CANDIDATES, *_fc_list()):
        path = Path(candidate)
        if path.is_file() and _has_cjk(path):
            return path
    raise FontMissing(f"no CJK font found for the sheet's Chinese text; {_INSTALL}")


def cjk_font() -> Path:
    """The path of the CJK font to embed; :class:`FontMissing` (one line) when there is none."""
    return _find(os.environ.get("PLANMAP_CJK_FONT") or None)
