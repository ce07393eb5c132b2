"""Siting rules: a district's ``siting.toml``, validated once by pydantic into a frozen `SitingConfig`.

The three networks, the anchors, the schematic park rules and every threshold the siting uses.
The valid range of each numeric option is :data:`LIMITS`, shared by the rules file, the keyword
arguments of `geo.siting.site_landing_points` and ``planmap site``, so all three refuse the same
values with the same words (``--time-limit must be > 0 seconds and at most 86400 (got -1)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from geo.config import Frozen, load_model
from geo.district import District, get_district
from geo.errors import DataError, OptionError, SpecError
from geo.model import Choice, Kind

__all__ = [
    "LIMITS",
    "MAX_GRID_POINTS",
    "AnchorKind",
    "Limit",
    "Network",
    "ParkRule",
    "SitingConfig",
    "load_config",
]

#: a candidate or demand grid larger than this is refused (and so is a larger ``n``)
MAX_GRID_POINTS = 200_000

#: what an anchor (a named candidate site or demand point) is: a kind of the vocabulary, or one
#: of the two roles only siting knows (a metro station of 2+ lines; a logistics proxy)
# mypy reads only literal member lists in Enum's functional form; Any keeps the members usable
AnchorKind: Any = Choice(  # type: ignore[call-arg]
    "AnchorKind",
    {
        **{kind.name: kind.value for kind in Kind},
        "METRO_INTERCHANGE": "metro_interchange",
        "LOGISTICS": "logistics",
    },
)
#: demand weights that are not anchor kinds
_GRID_WEIGHTS = ("area_per_km2", "zone_centroid")


@dataclass(frozen=True)
class Limit:
    """The valid range of a numeric option: finite, ``low < value <= high`` (whole numbers:
    ``low <= value <= high``)."""

    low: float
    high: float
    unit: str
    integer: bool = False

    def describe(self) -> str:
        if self.integer:
            return f"a whole number from {self.low:g} to {self.high:g}"
        return f"> {self.low:g} {self.unit} and at most {self.high:g}"

    def problem(self, value: object) -> str | None:
        """What is wrong with ``value`` (``must be … (got …)``), or None when it is valid."""
        number = _number(value)
        ok = False
        if number is not None and math.isfinite(number) and number <= self.high:
            ok = number.is_integer() and number >= self.low if self.integer else number > self.low
        if ok:
            return None
        shown = f"{value:g}" if isinstance(value, float | np.floating) else repr(value)
        return f"must be {self.describe()} (got {shown})"

    def check(self, value: object, *, name: str) -> Any:
        """``value`` as an ``int`` or ``float``.

        Raises
        ------
        OptionError
            One line naming the option: ``radius_m must be > 0 metres and at most 50000 (got 0)``.
        """
        problem = self.problem(value)
        if problem:
            raise OptionError(f"{name} {problem}")
        number = cast(float, value)  # problem() found it a real number (int, float or numpy)
        return int(number) if self.integer else float(number)


def _number(value: object) -> float | None:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return None
    return float(value)


#: the numeric options a caller may override, by their name in the rules file
LIMITS: dict[str, Limit] = {
    "n_sites": Limit(1, MAX_GRID_POINTS, "sites", integer=True),
    "radius_m": Limit(0, 50_000, "metres"),
    "spacing_m": Limit(0, 10_000, "metres"),
    "demand_spacing_m": Limit(0, 10_000, "metres"),
    "time_limit_s": Limit(0, 86_400, "seconds"),
}


def _typed(kind: type) -> BeforeValidator:
    """TOML types as written: ``n_sites = "many"`` is ``expected int, got 'many'`` (an int
    is a valid float; a bool is neither)."""

    def check(value: object) -> object:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise ValueError(f"expected {kind.__name__}, got {value!r}")
        return value

    return BeforeValidator(check)


def _within(field: str) -> AfterValidator:
    def check(value: float) -> float:
        problem = LIMITS[field].problem(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _anchor_kind(value: object) -> str:
    return AnchorKind.get(value, name="anchor kind").value


Int = Annotated[int, _typed(int)]
Float = Annotated[float, _typed(float), Field(allow_inf_nan=False)]
Str = Annotated[str, _typed(str)]
Bool = Annotated[bool, _typed(bool)]
Metres = Annotated[Float, Field(ge=0, le=100_000)]
Weight = Annotated[Float, Field(ge=0, le=1e9)]
Anchor = Annotated[str, BeforeValidator(_anchor_kind)]


class Network(Frozen):
    """One of the networks: assigned ``count`` sites nearest its ``near`` anchor kinds."""

    key: Annotated[Str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Annotated[Str, Field(min_length=1)]
    name_en: Annotated[Str, Field(min_length=1)]
    count: Annotated[Int, Field(ge=0, le=MAX_GRID_POINTS)]
    near: tuple[Anchor, ...] = ()
    rest: Bool = False


class ParkRule(Frozen):
    """How a schematic park disc is derived from a point fact (stated area or radius)."""

    key: Str
    name: Str
    name_en: Str
    point: Annotated[Str, Field(min_length=1, description="name_zh prefix of a point fact")]
    point_source: Str
    derivation: Str
    area_km2: Annotated[Float, Field(gt=0, le=10_000)] | None = None
    area_source: Str = ""
    radius_m: Annotated[Float, Field(gt=0, le=50_000)] | None = None

    @model_validator(mode="after")
    def _has_a_size(self) -> ParkRule:
        if self.area_km2 is None and self.radius_m is None:
            raise ValueError("give area_km2 or radius_m > 0")
        return self

    @property
    def disc_radius_m(self) -> float:
        """The disc radius: from the stated area when there is one."""
        if self.area_km2 is not None:
            return math.sqrt(self.area_km2 * 1e6 / math.pi)
        return float(self.radius_m or 0.0)


class Siting(Frozen):
    """``[siting]``: the problem's size (see :data:`LIMITS`) and the report it answers."""

    n_sites: Annotated[Int, _within("n_sites")]
    radius_m: Annotated[Float, _within("radius_m")]
    spacing_m: Annotated[Float, _within("spacing_m")]
    demand_spacing_m: Annotated[Float, _within("demand_spacing_m")]
    swap: Bool = True
    time_limit_s: Annotated[Float, _within("time_limit_s")] = 60.0
    report_url: Str = ""


class Anchors(Frozen):
    """``[anchors]``: which point facts and stations become named candidates and demand."""

    kinds: tuple[Anchor, ...] = ()
    point_files: tuple[Str, ...] = Field(default=(), description="default: the manifest's")
    ports: tuple[Str, ...] = ()
    railway_stations: tuple[Str, ...] = ()
    skip: tuple[Str, ...] = ()
    logistics_proxies: tuple[Str, ...] = ()
    logistics_area: Str = ""


class Border(Frozen):
    """``[constraints.border]``: a no-fly buffer along the district's outer border."""

    buffer_m: Annotated[Metres, Field(le=10_000)] = 0.0
    name: Str = "边界缓冲区"
    name_en: Str = "border buffer"


class Parks(Frozen):
    """``[constraints.parks]``: a GeoJSON of park extents, or schematic discs."""

    file: Str = Field(default="", description="relative to the rules file")
    zones: tuple[ParkRule, ...] = ()


class Constraints(Frozen):
    border: Border = Border()
    parks: Parks = Parks()


class Route(Frozen):
    """``[route]``: the schematic cross-border route."""

    from_anchor: Str = ""
    beyond_m: Annotated[Metres, Field(gt=0)] = 500.0
    name: Str = "跨境低空航线（示意）"
    name_en: Str = "cross-border low-altitude route (schematic, proposed)"
    source: Str = ""
    beyond: Str = Field(default="", description="what lies across the border")


def _one_rest(networks: tuple[Network, ...]) -> tuple[Network, ...]:
    if sum(net.rest for net in networks) != 1:
        raise ValueError("exactly one network needs rest = true")
    if len({net.key for net in networks}) != len(networks):
        raise ValueError("network keys must be unique")
    return networks


def _weight_keys(weights: dict[str, float]) -> dict[str, float]:
    for key in weights:
        if key not in _GRID_WEIGHTS:
            try:
                _anchor_kind(key)
            except OptionError as exc:
                raise ValueError(f"{exc} (or {', '.join(_GRID_WEIGHTS)})") from None
    return weights


class SitingConfig(Frozen):
    """A district's siting rules; see ``data/districts/<id>/siting.toml`` for each value."""

    # first, so a file with no networks says so before anything else
    networks: Annotated[tuple[Network, ...], AfterValidator(_one_rest)] = Field(
        default=(), validate_default=True
    )
    siting: Siting
    demand: Annotated[dict[str, Weight], AfterValidator(_weight_keys)] = Field(default_factory=dict)
    anchors: Anchors = Anchors()
    constraints: Constraints = Constraints()
    route: Route = Route()
    path: Path = Field(default=Path("siting.toml"), description="the file it was read from")

    @property
    def parks_path(self) -> Path | None:
        """The park extents GeoJSON, when the rules name one."""
        file = self.constraints.parks.file
        return self.path.parent / file if file else None


def load_config(
    path: Path | str | None = None, *, district: str | District | None = None
) -> SitingConfig:
    """Read and validate siting rules (default: the district record's ``siting`` file).

    Parameters
    ----------
    path : path, optional
        A rules file; default the one of ``district``.
    district : str or District, optional
        Default :func:`geo.district.default_district`.

    Raises
    ------
    SpecError
        One line naming the file and field: missing, not TOML, a wrong type or range.
    DataError
        The district has no siting rules.
    """
    if path is None:
        record = get_district(district)
        if record.siting_path is None:
            raise DataError(
                f"{record.path / 'district.toml'}: siting: district {record.id!r} has no "
                "siting rules"
            )
        path = record.siting_path
    path = Path(path)
    return load_model(
        SitingConfig, path, what="siting rules file", extra={"path": str(path)}, error=SpecError
    )
