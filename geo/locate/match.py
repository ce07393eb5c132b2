"""Match the report's places to a file's features, through the one name index.

Each distinct name in the file is asked of the name index (:meth:`NameIndex.lookup
<geo.name_index.NameIndex.lookup>`, the answers ``resolve`` gives under ``Policy.RECORD``: a
file names a place, so a near-miss is never read as a match). The index knows project words
(:func:`geo.names.project_parts`): ``罗沙路`` in a file answers for the report's
``罗沙路改扩建``, ``新秀立交桥`` for ``新秀立交``; ``春风路`` is not ``春风隧道``.

Rules, in the order they are tried for each place (the table's ``rule`` column):

``name``
    A feature carries the place's name or an alias (or a suffix variant: ``立交``/``立交桥``).
``works``
    A feature carries the name of the road the works are on (``改扩建``, ``拓宽``, ``升级``,
    ``改造``, ``工程``). The works are on that road: ``located``.
``phase``
    A feature carries the name of what a phase (``一期``, ``二期`` …) is part of: the place lies
    somewhere along it, ``within``.
``extension``
    A place that extends a road (``…北延``/``南延``/``东延``/``西延``) is located only by a
    feature with the extension's own name. **The one extension rule:** when the file holds
    only the road it extends, that road is reported as context (its length and where it
    lies) and the extension stays ``unlocated``. Drawing it from the road's end would invent
    its length and bearing, which neither the report nor the file gives, and the file's road
    may end where the file's coverage ends.
``directions``
    A road with no feature of its name whose file holds directional roads of it (``东门路`` ->
    ``东门中路``, ``东门北路``, ``东门南路``): those are offered as choices, never picked.

Everywhere: the feature's type must agree with the place's kind (its name's generic word -
隧道, 立交, 路, 站 … - or, without one, its type fields; a line for a road, a line, point or
area for an interchange, an area for a zone); features of one name are merged into one
geometry per separate place (:mod:`geo.locate.merge`); features more than
:data:`MAX_AWAY_M` from the district are set aside (a road of the same name elsewhere); and a
name found in more than one separate place is offered as choices with their lengths and
locations. A place already located from its own source is reported, never overwritten.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.locate.context import Context
from geo.locate.merge import group_pieces, merge
from geo.model import Kind, Precision, Shape
from geo.name_index import Candidate
from geo.names import normalize_name, project_parts

__all__ = [
    "MAX_AWAY_M",
    "Option",
    "Proposal",
    "Rule",
    "State",
    "allowed_kinds",
    "match_places",
]

#: candidates farther than this from the district (metres) are set aside
MAX_AWAY_M = 1000.0
_DIRECTIONS = "东西南北中"
_ROAD_SUFFIXES = ("大道", "大街", "路", "街", "道")


class Rule(StrEnum):
    NAME = "name"
    WORKS = "works"
    PHASE = "phase"
    EXTENSION = "extension"
    DIRECTIONS = "directions"
    NONE = "none"


class State(StrEnum):
    #: one candidate: saved unless rejected
    LOCATED = "located"
    #: several candidates: the planner chooses (never picked silently)
    CHOOSE = "choose"
    #: the place is already located from its own source: reported, not written
    SOURCED = "sourced"
    #: no candidate
    UNLOCATED = "unlocated"


@dataclass(frozen=True)
class Option:
    """One candidate location: file features merged into one geometry (WGS-84 lon/lat)."""

    name: str
    fids: tuple[str, ...]
    geometry: BaseGeometry
    length_m: float
    area_m2: float
    lonlat: tuple[float, float]
    distance_m: float
    rule: Rule
    precision: Precision

    def describe(self) -> str:
        """``东门中路, 1.2 km at 114.1193, 22.5459, 0 m from the district``."""
        size = (
            f"{self.area_m2 / 1e6:.2f} km²"
            if self.area_m2
            else f"{self.length_m / 1000:.1f} km"
            if self.length_m
            else "point"
        )
        lon, lat = self.lonlat
        away = "in the district" if self.distance_m == 0 else f"{self.distance_m:,.0f} m away"
        return f"{self.name}, {size} at {lon:.4f}, {lat:.4f}, {away}"


@dataclass(frozen=True)
class Proposal:
    """What the file says about one place of the gazetteer."""

    place_id: str
    name: str
    kind: str
    state: State
    rule: Rule
    options: tuple[Option, ...] = ()
    note: str = ""
    #: candidates set aside (too far from the district), for the table
    away: tuple[Option, ...] = field(default=(), repr=False)


# --- kinds ---------------------------------------------------------------------------------

_K = Kind
_NAME_KINDS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (suffix, frozenset(k.value for k in kinds))
    for suffix, kinds in (
        ("隧道", (_K.TUNNEL,)),
        ("立交桥", (_K.INTERCHANGE,)),
        ("立交", (_K.INTERCHANGE,)),
        ("互通", (_K.INTERCHANGE,)),
        ("枢纽", (_K.INTERCHANGE, _K.RAILWAY_STATION)),
        ("口岸", (_K.PORT,)),
        ("街道", (_K.SUBDISTRICT,)),
        ("社区", (_K.COMMUNITY, _K.ZONE)),
        ("片区", (_K.ZONE,)),
        ("公园", (_K.PARK, _K.LANDMARK)),
        ("站", (_K.METRO_STATION, _K.RAILWAY_STATION)),
        ("通道", (_K.ROAD,)),
        *((s, (_K.ROAD,)) for s in (*_ROAD_SUFFIXES, "巷", "公路", "快速路", "高速")),
    )
)
_LINE_NAME = re.compile(r"\d+号线")
_METRO = frozenset({_K.METRO_LINE.value, _K.METRO_PROJECT.value})
_HINT_KINDS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern), frozenset(k.value for k in kinds))
    for pattern, kinds in (
        (r"(^|;)tunnel=(yes|true|1|t|y|隧道)", (_K.TUNNEL,)),
        (r"(^|;)junction=|(^|;)highway=motorway_junction", (_K.INTERCHANGE,)),
        (r"(^|;)highway=", (_K.ROAD, _K.TUNNEL, _K.INTERCHANGE, _K.GREENWAY)),
        (r"(^|;)(railway|public_transport)=station", (_K.METRO_STATION, _K.RAILWAY_STATION)),
        (r"(^|;)route=(subway|light_rail|train|railway|monorail)", (_K.METRO_LINE, _K.METRO_PROJECT)),
        (r"(^|;)boundary=administrative", (_K.DISTRICT, _K.NEIGHBOUR_DISTRICT, _K.SUBDISTRICT, _K.COMMUNITY)),
        (r"(^|;)leisure=park", (_K.PARK, _K.LANDMARK)),
    )
)  # fmt: skip
_ALL = frozenset(Kind.values())
_BY_DIMENSION = {
    0: frozenset(k.value for k in Kind if k.shape is Shape.POINT),
    1: frozenset(k.value for k in Kind if k.shape is Shape.LINE) | {Kind.INTERCHANGE.value},
    2: frozenset(k.value for k in Kind if k.shape is not Shape.LINE),
}


def name_kinds(key: str) -> frozenset[str] | None:
    """The kinds a feature's name says it is (its generic word), or None for no telltale word."""
    base = project_parts(key).base
    if _LINE_NAME.search(base):
        return _METRO
    for suffix, kinds in _NAME_KINDS:
        if base.endswith(suffix):
            return kinds
    return None


def allowed_kinds(key: str, hint: str, dimension: int) -> frozenset[str]:
    """Kinds a feature may be: by its name's generic word, else by its type fields, and by
    its geometry (:data:`_BY_DIMENSION`)."""
    kinds = name_kinds(key)
    if kinds is None and hint:
        matched = [k for pattern, k in _HINT_KINDS if pattern.search(hint)]
        kinds = matched[0] if matched else None
    return (kinds if kinds is not None else _ALL) & _BY_DIMENSION.get(dimension, _ALL)


# --- rules ---------------------------------------------------------------------------------


def _labels(row: pd.Series) -> list[str]:
    aliases = row["aliases"] if isinstance(row["aliases"], list | tuple | np.ndarray) else []
    return [str(row["name"]), *(str(a) for a in aliases)]


def _rule(key: str, labels: Sequence[str]) -> Rule:
    """Which rule made a file's name (normalised ``key``) answer for a place."""
    exact = {normalize_name(label) for label in labels}
    if key in exact:
        return Rule.NAME
    for label in labels:
        parts = project_parts(label)
        if not parts.extension and parts.base == key and parts.base != normalize_name(label):
            return Rule.PHASE if parts.phase else Rule.WORKS
    return Rule.NAME  # a suffix variant of the name (立交/立交桥, 站/地铁站)


_NOTES = {
    Rule.NAME: "the file's feature carries the place's name",
    Rule.WORKS: "the file's road carries the works (the report does not say which part)",
    Rule.PHASE: "the phase lies somewhere along this (the file does not give its section)",
    Rule.DIRECTIONS: "chosen from the file's directional roads of this name",
}


@dataclass
class _Group:
    """The features of one distinct name and geometry dimension."""

    key: str
    name: str
    dimension: int
    rows: list[int]


class _Matcher:
    """A file's features grouped by name, and the options they make for a place."""

    def __init__(self, names, geoms, fids, hints, context: Context, exact_crs: bool) -> None:
        self.geoms, self.fids, self.hints, self.context = geoms, fids, hints, context
        keys = pd.Series(names, dtype=object).map(normalize_name).to_numpy()
        frame = pd.DataFrame({"key": keys, "dim": shapely.get_dimensions(geoms)})
        self.groups: list[_Group] = []
        self.by_key: dict[str, list[int]] = defaultdict(list)
        indices: dict[Any, Any] = frame.groupby(["key", "dim"], sort=False).indices
        for (key, dim), rows in indices.items():
            group = _Group(str(key), str(names[rows[0]]), int(dim), [int(r) for r in rows])
            self.by_key[group.key].append(len(self.groups))
            self.groups.append(group)
        best = Precision.LOCATED if exact_crs else Precision.APPROXIMATE
        self.precision_of = {Rule.PHASE: Precision.WITHIN, Rule.EXTENSION: Precision.UNLOCATED}
        self.best = best

    def options(self, bundle: Sequence[_Group], rules: Sequence[Rule]) -> tuple[list, list]:
        """Candidates from a bundle of groups pooled as one name: near and set-aside ones."""
        rows = [r for g in bundle for r in g.rows]
        origin = {r: i for i, g in enumerate(bundle) for r in g.rows}
        metric = self.context.metric(self.geoms[rows])
        near: list = []
        away: list = []
        for piece in group_pieces(metric):
            members = [rows[i] for i in piece.members]
            geometry = merge([self.geoms[r] for r in members])
            geometry_m = merge([metric[i] for i in piece.members])
            first = origin[members[0]]
            point = geometry.representative_point()
            dimension = int(shapely.get_dimensions(geometry))
            option = Option(
                name=bundle[first].name,
                fids=tuple(str(self.fids[r]) for r in members),
                geometry=geometry,
                length_m=float(shapely.length(geometry_m)) if dimension == 1 else 0.0,
                area_m2=float(shapely.area(geometry_m)) if dimension == 2 else 0.0,
                lonlat=(float(point.x), float(point.y)),
                distance_m=round(float(shapely.distance(geometry_m, self.context.boundary_m)), 1),
                rule=rules[first],
                precision=self.precision_of.get(rules[first], self.best),
            )
            (near if option.distance_m <= MAX_AWAY_M else away).append(option)
        return near, away

    def each(self, groups: Sequence[_Group], rule: Rule) -> tuple[list, list]:
        """Options of each group on its own (different names are different roads)."""
        near, away = [], []
        for group in groups:
            n, a = self.options([group], [rule])
            near += n
            away += a
        return near, away

    def lines(self, key: str) -> list[_Group]:
        return [self.groups[g] for g in self.by_key.get(key, []) if self.groups[g].dimension == 1]


def match_places(
    names: np.ndarray,
    geoms: np.ndarray,
    fids: np.ndarray,
    hints: np.ndarray,
    *,
    context: Context,
    lookups: Mapping[str, list[Candidate]],
    exact_crs: bool = True,
) -> list[Proposal]:
    """Proposals for the gazetteer's places from a file's named features.

    Parameters
    ----------
    names, geoms, fids, hints : arrays of equal length
        Cleaned names, WGS-84 lon/lat geometries, feature ids and type hints.
    context : Context
        The district and its name index.
    lookups : mapping
        Name -> :meth:`NameIndex.lookup` answers (every distinct name of ``names``).
    exact_crs : bool
        False when the file's CRS converts to WGS-84 only approximately: options are then
        ``approximate`` at best.

    Returns
    -------
    list of Proposal
        One per place the file names, and one (``unlocated``) per unlocated place it does not
        name; in gazetteer order.
    """
    m = _Matcher(names, geoms, fids, hints, context, exact_crs)
    matched: dict[int, list[_Group]] = defaultdict(list)  # gazetteer row -> groups
    for group in m.groups:
        kinds = allowed_kinds(group.key, str(hints[group.rows[0]] or ""), group.dimension)
        for candidate in lookups.get(group.name, []):
            if candidate.kind in kinds:
                matched[candidate.row].append(group)
                break
    gaz = context.gazetteer
    proposals = []
    for row in range(len(gaz)):
        place = gaz.iloc[row]
        sourced = place["precision"] != Precision.UNLOCATED.value
        if sourced and row not in matched:
            continue
        proposals.append(_propose(m, place, matched.get(row, []), sourced))
    return proposals


def _propose(m: _Matcher, place: pd.Series, found: list[_Group], sourced: bool) -> Proposal:
    labels = _labels(place)
    head = (place["id"], place["name"], place["kind"])
    near: list[Option] = []
    away: list[Option] = []
    if found:
        rules = [_rule(g.key, labels) for g in found]
        near, away = m.options(found, rules)
        rule = rules[0]
    if sourced:
        note = f"already {place['precision']} from its source: the file's feature is not written"
        return Proposal(*head, State.SOURCED, rule, tuple(near), note, tuple(away))
    if len(near) == 1:
        return Proposal(*head, State.LOCATED, rule, tuple(near), _NOTES[rule], tuple(away))
    if near:
        note = f"{len(near)} separate features carry this name: choose one"
        return Proposal(*head, State.CHOOSE, rule, tuple(near), note, tuple(away))
    return _fallback(m, place, labels, away)


def _fallback(m: _Matcher, place: pd.Series, labels: list[str], away: list[Option]) -> Proposal:
    """The extension and direction rules, for a place no feature near the district names."""
    head = (place["id"], place["name"], place["kind"])
    parts = project_parts(str(place["name"]))
    if parts.extension:
        extended = (project_parts(label) for label in labels)
        bases = dict.fromkeys(p.base for p in extended if p.extension)
        roads = [g for base in bases for g in m.lines(base)]
        context_near, _ = m.each(roads, Rule.EXTENSION)
        if context_near:
            what = "; ".join(o.describe() for o in context_near)
            note = (
                f"the file holds the road it extends ({what}) but not the extension's own "
                "alignment: left unlocated (extension rule)"
            )
        else:
            note = "no feature carries the extension's name"
        return Proposal(
            *head, State.UNLOCATED, Rule.EXTENSION, tuple(context_near), note, tuple(away)
        )
    if place["kind"] == Kind.ROAD.value:
        keys: list[str] = []
        for label in labels:
            base = project_parts(label).base
            for suffix in _ROAD_SUFFIXES:
                if base.endswith(suffix) and len(base) > len(suffix) + 1:
                    stem = base[: -len(suffix)]
                    keys += [stem + d + suffix for d in _DIRECTIONS if not stem.endswith(d)]
                    break
        found = [g for key in dict.fromkeys(keys) for g in m.lines(key)]
        near, far = m.each(found, Rule.DIRECTIONS)
        if near:
            note = (
                f"no feature carries this name; the file has {len(near)} directional road(s) "
                "of it: choose (never picked for you)"
            )
            return Proposal(
                *head, State.CHOOSE, Rule.DIRECTIONS, tuple(near), note, tuple(away + far)
            )
    if away:
        note = f"the file's features of this name lie over {MAX_AWAY_M:,.0f} m from the district"
    else:
        note = "no feature of the file carries this name"
    return Proposal(*head, State.UNLOCATED, Rule.NONE, (), note, tuple(away))
