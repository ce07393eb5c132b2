"""What a report says about a place: the typed record every command joins the same way."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Evidence"]


@dataclass(frozen=True)
class Evidence:
    """A place's evidence in a report.

    Attributes
    ----------
    id : str
        The gazetteer id of the place.
    mentions : int
        How often the report names it.
    excerpt : str
        The first sentences naming it, joined and shortened (``report_excerpt`` in layers).
    spans : tuple of (int, int)
        Character offsets ``[start, end)`` of the sentences kept, in the normalised text.
    status : str or None
        The status the report's wording gives it (``planned``, …), if any.
    """

    id: str
    mentions: int
    excerpt: str
    spans: tuple[tuple[int, int], ...] = ()
    status: str | None = None
