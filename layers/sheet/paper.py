"""Paper: ISO A sizes in millimetres, in landscape or portrait."""

from __future__ import annotations

from dataclasses import dataclass

from geo.model import Choice

__all__ = ["Orientation", "Paper", "PaperSize", "paper"]


class PaperSize(Choice):
    """ISO 216 A sizes."""

    A4 = "A4"
    A3 = "A3"
    A2 = "A2"
    A1 = "A1"
    A0 = "A0"


class Orientation(Choice):
    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


#: short side, long side (mm)
_SIZES = {
    PaperSize.A4: (210.0, 297.0),
    PaperSize.A3: (297.0, 420.0),
    PaperSize.A2: (420.0, 594.0),
    PaperSize.A1: (594.0, 841.0),
    PaperSize.A0: (841.0, 1189.0),
}


@dataclass(frozen=True)
class Paper:
    """A sheet of paper: its name, orientation and size in mm."""

    size: PaperSize
    orientation: Orientation
    width_mm: float
    height_mm: float

    @property
    def landscape(self) -> bool:
        return self.orientation is Orientation.LANDSCAPE

    @property
    def k(self) -> float:
        """How much larger than A3 the paper is (text, margins and lines scale with it)."""
        return min(self.width_mm, self.height_mm) / 297.0

    @property
    def inches(self) -> tuple[float, float]:
        return self.width_mm / 25.4, self.height_mm / 25.4

    def __str__(self) -> str:
        return f"{self.size.value} {self.orientation.value}"


def paper(size: str = "A3", orientation: str = "landscape") -> Paper:
    """The paper for ``--paper`` and ``--orientation``; an unknown one is an
    :class:`~geo.errors.OptionError` naming the option and listing the choices."""
    s = PaperSize.get(size, name="--paper")
    o = Orientation.get(orientation, name="--orientation")
    short, long = _SIZES[s]
    w, h = (long, short) if o is Orientation.LANDSCAPE else (short, long)
    return Paper(s, o, w, h)
