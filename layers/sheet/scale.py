"""Map scales: parsing ``1:20,000``, the standard scales, and the largest one that fits.

On paper, a length of ``L`` metres measures ``L * 1000 / N`` mm at ``1:N`` (1 km = 1,000,000/N
mm). Lengths are measured in the district's metric CRS.
"""

from __future__ import annotations

import re

from geo.errors import OptionError

__all__ = ["STANDARD_SCALES", "choose_scale", "fits", "parse_scale", "ratio_text"]

#: the standard scales of planning and topographic maps, largest first
STANDARD_SCALES: tuple[int, ...] = (
    500, 1_000, 2_000, 5_000, 10_000, 20_000, 25_000, 50_000, 100_000, 200_000, 250_000,
    500_000, 1_000_000,
)  # fmt: skip

_RATIO = re.compile(r"^\s*(?:1\s*[:：/]\s*)?([0-9][0-9,_ ]*)\s*$")


def parse_scale(text: str | int) -> int:
    """``1:20000``, ``1:20,000`` or ``20000`` -> 20000; anything else an
    :class:`~geo.errors.OptionError` naming ``--scale``."""
    if isinstance(text, int) and not isinstance(text, bool):
        n = text
    else:
        m = _RATIO.match(str(text))
        if not m:
            raise OptionError(f"--scale {str(text)!r} is not a ratio like 1:20000")
        n = int(re.sub(r"[,_ ]", "", m.group(1)))
    if not 100 <= n <= 10_000_000:
        raise OptionError(f"--scale 1:{n} is outside 1:100 … 1:10,000,000")
    return n


def ratio_text(n: int) -> str:
    """``1:20,000``."""
    return f"1:{n:,}"


def fits(extent_m: tuple[float, float], frame_mm: tuple[float, float], n: int) -> bool:
    """Whether an extent of ``(width, height)`` metres fits a frame of ``(width, height)`` mm
    at ``1:n``."""
    return extent_m[0] * 1000 / n <= frame_mm[0] and extent_m[1] * 1000 / n <= frame_mm[1]


def choose_scale(extent_m: tuple[float, float], frame_mm: tuple[float, float]) -> int:
    """The largest standard scale at which the extent fits the frame (the smallest ``N``);
    beyond the list, the next round 1:N that fits."""
    for n in STANDARD_SCALES:
        if fits(extent_m, frame_mm, n):
            return n
    need = max(extent_m[0] * 1000 / frame_mm[0], extent_m[1] * 1000 / frame_mm[1])
    step = 10 ** (len(str(int(need))) - 1)
    return int(-(-need // step) * step)
