"""Siting rules: ``data/siting.toml`` read and validated once into a frozen `SitingConfig`.

Part of `geo.siting` (which re-exports these names): the three networks, the schematic park
rules and every threshold the siting uses.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import SpecError
from geo.paths import data_dir

__all__ = ["Network", "ParkRule", "SitingConfig", "load_config"]


@dataclass(frozen=True)
class Network:
    """One of the three networks: assigned ``count`` sites nearest its ``near`` anchor kinds."""

    key: str
    name: str
    name_en: str
    count: int
    near: tuple[str, ...] = ()
    rest: bool = False


@dataclass(frozen=True)
class ParkRule:
    """How a schematic park disc is derived from a point fact (area or radius)."""

    key: str
    name: str
    name_en: str
    point: str
    point_source: str
    derivation: str
    area_km2: float | None = None
    area_source: str = ""
    radius_m: float | None = None

    @property
    def disc_radius_m(self) -> float:
        """The disc radius: from the stated area when there is one."""
        if self.area_km2 is not None:
            return math.sqrt(self.area_km2 * 1e6 / math.pi)
        return float(self.radius_m or 0.0)


@dataclass(frozen=True)
class SitingConfig:
    """``data/siting.toml`` validated once; see that file for what each value means."""

    path: Path
    n_sites: int
    radius_m: float
    spacing_m: float
    demand_spacing_m: float
    swap: bool
    time_limit_s: float
    weights: dict[str, float]
    anchor_kinds: tuple[str, ...]
    ports: tuple[str, ...]
    railway_stations: tuple[str, ...]
    skip: tuple[str, ...]
    logistics_proxies: tuple[str, ...]
    networks: tuple[Network, ...]
    border_buffer_m: float
    border_tol_m: float
    parks_file: str
    parks: tuple[ParkRule, ...]
    route_from: str
    route_beyond_m: float


def _get(table: dict, key: str, kind: type | tuple, where: str, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise SpecError(f"{where}.{key}: missing")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SpecError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    if kind in (int, float) and value < 0:
        raise SpecError(f"{where}.{key}: must be >= 0, got {value}")
    return value


def load_config(path: Path | str | None = None) -> SitingConfig:
    """Read and validate the siting rules (default ``data/siting.toml``).

    Raises
    ------
    SpecError
        The file is missing, not TOML, or a field is missing or of the wrong type.
    """
    path = Path(path) if path else data_dir() / "siting.toml"
    name = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such siting config") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{name}: not valid TOML ({exc})") from None
    s, d, a = raw.get("siting", {}), raw.get("demand", {}), raw.get("anchors", {})
    weights = {k: _get(d, k, float, f"{name}: demand") for k in d}
    nets = []
    for i, t in enumerate(raw.get("networks", [])):
        w = f"{name}: networks[{i}]"
        nets.append(
            Network(
                key=_get(t, "key", str, w),
                name=_get(t, "name", str, w),
                name_en=_get(t, "name_en", str, w),
                count=_get(t, "count", int, w),
                near=tuple(_get(t, "near", list, w, [])),
                rest=_get(t, "rest", bool, w, False),
            )
        )
    if sum(n.rest for n in nets) != 1:
        raise SpecError(f"{name}: networks: exactly one network needs rest = true")
    c = raw.get("constraints", {})
    border, parks_t, route = c.get("border", {}), c.get("parks", {}), raw.get("route", {})
    parks = []
    for i, t in enumerate(parks_t.get("zones", [])):
        w = f"{name}: constraints.parks.zones[{i}]"
        rule = ParkRule(
            key=_get(t, "key", str, w),
            name=_get(t, "name", str, w),
            name_en=_get(t, "name_en", str, w),
            point=_get(t, "point", str, w),
            point_source=_get(t, "point_source", str, w),
            derivation=_get(t, "derivation", str, w),
            area_km2=_get(t, "area_km2", float, w, None),
            area_source=_get(t, "area_source", str, w, ""),
            radius_m=_get(t, "radius_m", float, w, None),
        )
        if not rule.disc_radius_m > 0:
            raise SpecError(f"{w}: give area_km2 or radius_m > 0")
        parks.append(rule)
    cfg = SitingConfig(
        path=path,
        n_sites=_get(s, "n_sites", int, f"{name}: siting"),
        radius_m=_get(s, "radius_m", float, f"{name}: siting"),
        spacing_m=_get(s, "spacing_m", float, f"{name}: siting"),
        demand_spacing_m=_get(s, "demand_spacing_m", float, f"{name}: siting"),
        swap=_get(s, "swap", bool, f"{name}: siting", True),
        time_limit_s=_get(s, "time_limit_s", float, f"{name}: siting", 60.0),
        weights=weights,
        anchor_kinds=tuple(_get(a, "kinds", list, f"{name}: anchors", [])),
        ports=tuple(_get(a, "ports", list, f"{name}: anchors", [])),
        railway_stations=tuple(_get(a, "railway_stations", list, f"{name}: anchors", [])),
        skip=tuple(_get(a, "skip", list, f"{name}: anchors", [])),
        logistics_proxies=tuple(_get(a, "logistics_proxies", list, f"{name}: anchors", [])),
        networks=tuple(nets),
        border_buffer_m=_get(border, "buffer_m", float, f"{name}: constraints.border", 0.0),
        border_tol_m=_get(border, "tol_m", float, f"{name}: constraints.border", 150.0),
        parks_file=_get(parks_t, "file", str, f"{name}: constraints.parks", ""),
        parks=tuple(parks),
        route_from=_get(route, "from_anchor", str, f"{name}: route", ""),
        route_beyond_m=_get(route, "beyond_m", float, f"{name}: route", 500.0),
    )
    for key in ("radius_m", "spacing_m", "demand_spacing_m"):
        if not getattr(cfg, key) > 0:
            raise SpecError(f"{name}: siting.{key}: must be > 0")
    return cfg
