"""Locate the report's places from a planner's own GIS file: read, reproject, check the datum,
match through the one name index.

:func:`locate` is what ``planmap locate`` and the app's Locate page call. It writes nothing:
it returns a :class:`LocateResult` whose proposals the caller saves (``layers.locate``).
The steps, one module each:

- :mod:`~geo.locate.read` (and :mod:`~geo.locate.osmfile` for OpenStreetMap files): layers,
  fields, encoding, named features, read once;
- :mod:`~geo.locate.crs`: the file's CRS (``--crs``, ``.prj``, plainly lon/lat) to WGS-84;
- :mod:`~geo.locate.datum`: a file whose coordinates are GCJ-02 or BD-09 while it says (or is
  taken to be) WGS-84 is refused until the planner says which (``--datum``);
- :mod:`~geo.locate.match` and :mod:`~geo.locate.merge`: report places to file features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from geo.crs import Datum, transform_geometry
from geo.district import District
from geo.errors import DataError, DatumTrapError
from geo.locate.context import Context
from geo.locate.crs import WGS84, CrsChoice, choose_crs, to_lonlat, transform_bounds
from geo.locate.datum import DatumCheck, check_datum
from geo.locate.match import MAX_AWAY_M, Option, Proposal, Rule, State, match_places
from geo.locate.read import Features, full_bounds, layer_meta, open_source, read_features
from geo.locate.text import EncodingGuess, shown

__all__ = [
    "MAX_AWAY_M",
    "Context",
    "DatumCheck",
    "LocateResult",
    "Option",
    "Proposal",
    "Rule",
    "State",
    "locate",
]

#: features are read only within this many degrees of the district's bounds (~20 km)
READ_MARGIN_DEG = 0.2
#: a file none of whose features comes this close to the district is "elsewhere"
ELSEWHERE_M = 20_000.0
_MAX_FIDS = 6


@dataclass(frozen=True)
class LocateResult:
    """What a file says about the district's places (nothing is written)."""

    label: str
    layer: str
    name_field: str
    crs: CrsChoice
    datum: Datum
    check: DatumCheck
    encoding: EncodingGuess | None
    features: int
    proposals: tuple[Proposal, ...]
    licence: str = ""
    notes: tuple[str, ...] = field(default=())

    def by_state(self, *states: State) -> list[Proposal]:
        return [p for p in self.proposals if p.state in states]

    @property
    def matched(self) -> int:
        """Places the file has a feature for (located, to choose, or already sourced)."""
        return len(self.by_state(State.LOCATED, State.CHOOSE, State.SOURCED))

    def source(self, option: Option) -> str:
        """The ``source`` of a place located from ``option``: file, layer, field and name,
        feature ids, licence."""
        fids = ", ".join(option.fids[:_MAX_FIDS])
        if len(option.fids) > _MAX_FIDS:
            fids += f" (+{len(option.fids) - _MAX_FIDS} more)"
        which = "feature" if len(option.fids) == 1 else "features"
        text = (
            f"{self.label}, layer {self.layer}, {self.name_field} '{option.name}', {which} {fids}"
        )
        return f"{text}; licence: {self.licence}" if self.licence else text

    def note(self, proposal: Proposal, option: Option) -> str:
        """The note of a place located from ``option``: the rule, CRS and datum."""
        parts = [proposal.note if proposal.state is State.LOCATED else _rule_note(option.rule)]
        parts.append(f"read in {self.crs.name}")
        if self.datum is not Datum.WGS84:
            parts.append(f"converted from {self.datum.value} to WGS-84")
        if self.crs.note and not self.crs.exact:
            parts.append(self.crs.note)
        return "; ".join(parts)

    def empty_message(self) -> str:
        """The one line said when the file locates nothing."""
        return (
            f"{self.label}: none of its {self.features:,} named features (field "
            f"{shown(self.name_field)!r}) carries the name of a place of the district"
        )


def _rule_note(rule: Rule) -> str:
    from geo.locate.match import _NOTES

    return _NOTES.get(rule, str(rule))


def _read(
    path, *, label, layer, name_field, crs, context
) -> tuple[Features, CrsChoice, EncodingGuess | None]:
    source = open_source(path, label=label)
    if source.osm:
        from geo.locate.osmfile import read_osm

        features = read_osm(source)
        note = "OpenStreetMap is WGS-84" + ("; --crs ignored" if crs else "")
        return features, CrsChoice(WGS84, "file", True, note), None
    chosen_layer = source.pick_layer(layer)
    meta = layer_meta(source, chosen_layer, name_field=name_field)
    bounds = meta.bounds if (meta.crs or crs) else full_bounds(source, meta)
    choice = choose_crs(
        meta.crs,
        crs,
        bounds=bounds,
        district_lonlat=context.lonlat,
        label=source.label,
        district_name=context.district.name,
    )
    minx, miny, maxx, maxy = context.boundary.bounds
    m = READ_MARGIN_DEG
    area = (minx - m, miny - m, maxx + m, maxy + m)
    try:
        bbox = area if choice.crs.equals(WGS84) else transform_bounds(area, WGS84, choice.crs)
    except Exception:  # a CRS whose area of use excludes the district: read everything
        bbox = None
    if bbox is not None and not all(math.isfinite(v) for v in bbox):
        bbox = None
    features = read_features(source, meta, bbox=bbox)
    if not len(features.frame) and bbox is not None and meta.features != 0:
        where = ""
        if meta.bounds is not None:
            try:
                b = transform_bounds(meta.bounds, choice.crs, WGS84)
                where = (
                    f" (its features lie around {(b[0] + b[2]) / 2:.3f}, {(b[1] + b[3]) / 2:.3f})"
                )
            except Exception:
                where = ""
        raise DataError(
            f"{source.label}: no feature lies within 20 km of {context.district.name}{where}; "
            "is it another place, or is its CRS wrong (--crs)?"
        )
    return features, choice, meta.encoding_guess


def locate(
    path: str | Path,
    *,
    district: str | District | None = None,
    layer: str | None = None,
    name_field: str | None = None,
    crs: str | None = None,
    datum: str | Datum | None = None,
    licence: str = "",
    label: str | None = None,
    context: Context | None = None,
) -> LocateResult:
    """Match a file's named features to the district's places.

    Parameters
    ----------
    path : str or Path
        A vector file GDAL reads, or an OpenStreetMap XML/PBF file.
    district : str or District, optional
        The district (default: the default district).
    layer, name_field : str, optional
        Which layer and which field names the features (needed when the file is not plain).
    crs : str, optional
        The file's CRS, overriding its own (:func:`geo.locate.crs.parse_crs`).
    datum : {"wgs84", "gcj02", "bd09"}, optional
        What the file's lon/lat really are. Without it the file is taken to be WGS-84 and is
        refused if the datum test finds it is not (:mod:`geo.locate.datum`).
    licence : str
        The file's licence, recorded with every location taken from it.
    label : str, optional
        The file's name in messages and sources (default: its file name).
    context : Context, optional
        A loaded district context (reused across calls).

    Returns
    -------
    LocateResult

    Raises
    ------
    DataError
        A file that cannot be read, has no CRS, lies elsewhere, … (one line naming it).
    DatumTrapError
        ``datum`` not given and the file sits where GCJ-02 or BD-09 would put it.
    OptionError
        A bad ``crs`` or ``datum``.
    """
    ctx = context or Context.load(district)
    features, choice, guess = _read(
        path, label=label, layer=layer, name_field=name_field, crs=crs, context=ctx
    )
    frame = features.frame
    notes = list(features.notes)
    if choice.note:
        notes.append(choice.note)
    if guess is not None:
        notes.append(f"text decoded as {guess.encoding} (tried {guess.tried()})")
    if not licence and features.source.osm:
        from geo.locate.osmfile import osm_licence

        licence = osm_licence(features.source)
    geoms = to_lonlat(np.asarray(frame.geometry.array, dtype=object), choice.crs)
    xy = shapely.get_coordinates(geoms)
    if len(xy) and not (np.isfinite(xy).all() and (np.abs(xy) <= [180, 90]).all()):
        raise DataError(
            f"{features.source.label}: its coordinates do not convert to lon/lat from "
            f"{choice.name}; is --crs right?"
        )
    names = frame["name"].to_numpy(dtype=object)
    lookups = {name: ctx.index.lookup(name) for name in dict.fromkeys(names)}

    claimed = Datum.get(datum) if datum is not None else Datum.WGS84
    check = check_datum(
        geoms, claimed=claimed, context=ctx, named=_named_references(ctx, names, lookups)
    )
    if check.trap and datum is None:
        raise DatumTrapError(check.message(features.source.label), check=check)
    if check.trap:
        notes.append(f"the datum check disagrees with --datum {claimed.value}: {check.summary()}")
    else:
        notes.append(check.summary())
    wgs = transform_geometry(geoms, src=claimed, dst=Datum.WGS84)
    nearest = _nearest_m(wgs, ctx)
    if nearest > ELSEWHERE_M:
        raise DataError(
            f"{features.source.label}: no feature lies within 20 km of {ctx.district.name} "
            f"(the nearest is over {nearest / 1000:,.0f} km away); is it another place, or is "
            "its CRS wrong (--crs)?"
        )
    proposals = match_places(
        names,
        wgs,
        frame["fid"].to_numpy(dtype=object),
        frame["hint"].to_numpy(dtype=object),
        context=ctx,
        lookups=lookups,
        exact_crs=choice.exact,
    )
    return LocateResult(
        label=features.source.label,
        layer=features.layer,
        name_field=features.name_field,
        crs=choice,
        datum=claimed,
        check=check,
        encoding=guess,
        features=len(frame),
        proposals=tuple(proposals),
        licence=licence.strip(),
        notes=tuple(notes),
    )


def _nearest_m(geoms: np.ndarray, ctx: Context) -> float:
    """A lower bound of the distance from the nearest feature to the district, in metres: the
    distance to the district's bounding box, in degrees scaled by the shorter degree (cheap for
    100,000 features; 0 when there are none)."""
    if not len(geoms):
        return 0.0
    box = shapely.box(*ctx.boundary.bounds)
    degrees = float(np.nanmin(shapely.distance(geoms, box)))
    return degrees * 111_320.0 * math.cos(math.radians(ctx.boundary.bounds[3]))


def _named_references(ctx: Context, names: np.ndarray, lookups) -> dict[int, list[int]]:
    """Reference rows -> indices of the features that carry their name."""
    ref_row = {pid: i for i, pid in enumerate(ctx.references["id"])}
    out: dict[int, list[int]] = {}
    for i, name in enumerate(names):
        for candidate in lookups.get(name, ())[:1]:
            if candidate.id in ref_row:
                out.setdefault(ref_row[candidate.id], []).append(i)
    return out
