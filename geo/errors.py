"""The one family of errors Planmap raises. Messages say what was wrong and where, in one line.

Every class derives from :class:`PlanmapError`: the CLI prints it as one line and exits 2, the
app shows it as one line. A second base class says what kind of Python error it also is, so
callers that catch ``ValueError`` or ``OSError`` keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # geo.locate.datum imports this module
    from geo.locate.datum import DatumCheck

__all__ = [
    "DataError",
    "DatumError",
    "DatumTrapError",
    "GeocodeError",
    "GeometryError",
    "NetworkError",
    "OfflineAssetError",
    "OptionError",
    "PlanmapError",
    "SpecError",
]


class PlanmapError(Exception):
    """Base class: a problem the user can fix, reported in one line."""


class OptionError(PlanmapError, ValueError):
    """An option's value is not valid (names the option and lists the valid choices)."""


class DataError(PlanmapError, ValueError):
    """A shipped or user data file is malformed (names the file and field)."""


class SpecError(DataError):
    """A layer spec is invalid (names the file and field)."""


class GeocodeError(PlanmapError, LookupError):
    """A name could not be matched with enough confidence.

    Attributes
    ----------
    query : str
        The name asked for.
    suggestions : list[str]
        The closest gazetteer names, best first.
    """

    def __init__(self, message: str, *, query: str = "", suggestions: list[str] | None = None):
        super().__init__(message)
        self.query = query
        self.suggestions = list(suggestions or [])


class GeometryError(PlanmapError, ValueError):
    """A geometry is broken beyond repair or lies outside the district beyond tolerance."""


class DatumError(OptionError):
    """An unknown datum name was given (the message lists the valid ones)."""


class DatumTrapError(DataError):
    """A file's coordinates sit where another datum puts them (GCJ-02 labelled WGS-84).

    Attributes
    ----------
    check : DatumCheck
        The :class:`geo.locate.datum.DatumCheck` with the measured numbers.
    """

    def __init__(self, message: str, *, check: DatumCheck):
        super().__init__(message)
        self.check = check


class OfflineAssetError(PlanmapError, ValueError):
    """A map links an asset that has no local copy, or HTML still points at a CDN."""


class NetworkError(PlanmapError, OSError):
    """An optional online source failed (timeout, no network, bad reply)."""
