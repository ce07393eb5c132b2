"""The few error classes Planmap raises. Messages say what was wrong and where."""


class PlanmapError(Exception):
    """Base class: a problem the user can fix, reported in one line."""


class DataError(PlanmapError, ValueError):
    """A shipped or user data file is malformed (names the file and field)."""


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


class SpecError(PlanmapError, ValueError):
    """A layer spec is invalid (names the file and field)."""


class GeometryError(PlanmapError, ValueError):
    """A geometry is broken beyond repair or lies outside the district beyond tolerance."""


class NetworkError(PlanmapError, OSError):
    """An optional online source failed (timeout, no network, bad reply)."""
