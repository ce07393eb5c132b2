"""Build the planning layers from a spec and the gazetteer: a :class:`~layers.layerset.LayerSet`.

Pure: nothing here reads or writes files except through explicit arguments (see
:func:`build_from_files` for the usual inputs). Places are resolved by the one name index
(:mod:`geo.name_index`, the ``RECORD`` policy: a spec's typo is refused with suggestions, never
read as the nearest name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import pandas as pd
import shapely

from geo.district import District, get_district, list_districts
from geo.errors import GeocodeError, GeometryError, OptionError, SpecError
from geo.geometry import metric_outside_m, repair, to_lonlat, to_metric
from geo.model import FEATURE_COLUMNS, LONLAT_CRS, Kind, Precision, empty_features
from geo.name_index import NameIndex, Policy
from layers.evidence import Evidence
from layers.layerset import Layer, LayerSet
from layers.spec import LayerSpec, Spec

__all__ = [
    "build_from_files",
    "build_layers",
    "district_of",
    "empty_layer",
    "proposals_for",
    "unlocated",
    "user_locations",
]

#: the columns of every layer, in order (docs/ARCHITECTURE.md)
SCHEMA = list(FEATURE_COLUMNS)


def empty_layer() -> gpd.GeoDataFrame:
    """A layer with the feature columns and no rows."""
    return empty_features()


def district_of(spec: Spec, *, data: Path | None = None) -> District:
    """The district record a spec maps (``district`` is an id or a canonical name)."""
    key = spec.district.strip()
    for record in list_districts(data):
        if key in (record.id, record.name):
            return record
    try:
        return get_district(key, data=data)
    except OptionError as exc:
        raise SpecError(f"{spec.filename}: district: {exc}") from None


def _row(gaz: pd.Series, layer: str) -> dict[str, Any]:
    return {
        "id": gaz["id"],
        "name": gaz["name"],
        "name_en": gaz["name_en"],
        "layer": layer,
        "kind": gaz["kind"],
        "status": gaz["status"],
        "precision": gaz["precision"],
        "source": gaz["source"],
        "note": gaz["note"] if isinstance(gaz["note"], str) else "",
        "report_excerpt": "",
        "mentions": 0,
        "licence": _text(gaz.get("licence")),
        "within": _text(gaz.get("within")),
        "geometry": gaz.geometry,
    }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _outside_m(geom, district_m) -> float:
    """How far a feature lies outside the district (``district_m`` in metres): lines (metro,
    roads) run on beyond the boundary by nature, so they only have to reach it; points and
    areas must lie inside."""
    geom_m = to_metric(geom)
    if geom.geom_type in ("LineString", "MultiLineString"):
        return float(shapely.distance(geom_m, district_m))
    return metric_outside_m(geom_m, district_m)


def _check_geometry(row: dict, where: str, warnings: list[str]) -> None:
    geom = row["geometry"]
    if geom is not None and geom.is_empty:
        row["geometry"] = geom = None  # an empty geometry is an unlocated place, not a shape
    if geom is None:
        return
    if not shapely.is_valid(geom):
        fixed = repair(geom)
        if fixed is None or fixed.is_empty or not shapely.is_valid(fixed):
            raise GeometryError(f"{where}: invalid geometry that could not be repaired")
        warnings.append(f"{where}: invalid geometry repaired ({shapely.is_valid_reason(geom)})")
        row["geometry"] = fixed


def _clip(row: dict, district_m) -> None:
    """Keep the part of a line inside the district (``clip = true`` layers)."""
    geom = row["geometry"]
    if geom is None or not geom.geom_type.endswith("LineString"):
        return
    inside = shapely.intersection(to_metric(geom), district_m)
    parts = [g for g in shapely.get_parts(inside) if g.geom_type == "LineString" and g.length > 1]
    if not parts:
        row.update(geometry=None, precision=Precision.UNLOCATED.value)
        row["note"] = f"{row['note']} No part of it lies inside the district.".strip()
        return
    line = parts[0] if len(parts) == 1 else shapely.MultiLineString(parts)
    row["geometry"] = to_lonlat(line)
    row["note"] = f"{row['note']} Clipped to the district.".strip()


class _Resolver:
    """Spec names -> gazetteer rows, through the one name index."""

    def __init__(self, spec: Spec, gazetteer: gpd.GeoDataFrame):
        self.spec = spec
        self.gazetteer = gazetteer
        self.index = NameIndex.from_frame(gazetteer)

    def row(self, name: str, where: str) -> pd.Series:
        try:
            found = self.index.resolve(name, policy=Policy.RECORD)
        except GeocodeError as exc:
            raise SpecError(f"{self.spec.filename}: {where}: {exc}") from None
        return self.gazetteer.iloc[found.row]


def _layer_rows(
    li: int, lay: LayerSpec, resolver: _Resolver, district_m, warnings: list[str]
) -> dict[str, dict]:
    spec, gazetteer = resolver.spec, resolver.gazetteer
    rows: dict[str, dict] = {}
    for si, sel in enumerate(lay.include):
        picked = gazetteer[gazetteer["kind"] == sel.kind.value]
        if picked.empty:
            raise SpecError(
                f"{spec.filename}: layers[{li}].include[{si}].kind: no place of kind "
                f"'{sel.kind.value}' in the gazetteer"
            )
        for _, gaz in picked.iterrows():
            if sel.max_outside_m is not None:
                if gaz.geometry is None:
                    continue
                if metric_outside_m(to_metric(gaz.geometry), district_m) > sel.max_outside_m:
                    continue
            rows[gaz["id"]] = _row(gaz, lay.name)
    named: dict[str, int] = {}  # id -> the feature entry that named it
    for fi, feat in enumerate(lay.features):
        row = _row(resolver.row(feat.place, f"layers[{li}].features[{fi}].place"), lay.name)
        if row["id"] in named:
            first = lay.features[named[row["id"]]]
            lost = f" (its note {first.note!r} is dropped)" if first.note else ""
            warnings.append(
                f"{spec.filename}: layers[{li}].features[{fi}]: '{feat.place}' is the same "
                f"place ({row['id']}) as features[{named[row['id']]}] '{first.place}'; "
                f"the later entry replaces the earlier one{lost}"
            )
        named[row["id"]] = fi
        if feat.status is not None:
            row["status"] = feat.status.value
        if feat.note:
            row["note"] = f"{row['note']} {feat.note}".strip()
        rows[row["id"]] = row
    return rows


#: generated kinds each ``proposals`` value brings into a layer
_PROPOSED_KINDS = {
    "sites": (Kind.LANDING_POINT.value, Kind.AIR_ROUTE.value),
    "service_areas": (Kind.SERVICE_AREA.value,),
}


def _networks(ids: pd.Series) -> str:
    counts = ids.str.split(".").str[1].value_counts(sort=False)
    return ", ".join(f"{net} {n}" for net, n in counts.items())


def _add_proposals(rows: dict[str, dict], lay: LayerSpec, proposals: gpd.GeoDataFrame) -> None:
    """The proposed network in a layer. A place the spec names that is of a generated kind and
    unlocated takes the generated geometry: the one generated feature of its kind (the route),
    or, for many (the landing points), their union as the layer's summary."""
    generated = proposals[proposals["kind"].isin(_PROPOSED_KINDS[lay.proposals])]
    for kind, group in generated.groupby("kind", sort=False):
        named = [r for r in rows.values() if r["kind"] == kind and r["geometry"] is None]
        absorbed = False
        for row in named:
            if len(group) == 1:
                g = group.iloc[0]
                row.update(
                    geometry=g.geometry,
                    status=g["status"],
                    precision=g["precision"],
                    source=f"{row['source']}; drawn: {g['source']}",
                    note=f"{row['note']} {g['note']}".strip(),
                )
                absorbed = True
            else:
                row.update(
                    geometry=shapely.union_all(group.geometry.array),
                    precision=Precision.SCHEMATIC.value,
                    note=(
                        f"{row['note']} Summary of the {len(group)} proposed points of this "
                        f"layer ({_networks(group['id'])}), from the siting rules."
                    ).strip(),
                )
        if absorbed:
            continue
        for rec in group.to_dict("records"):
            geom = rec.pop("geometry")
            rows[rec["id"]] = {
                **{c: rec.get(c) for c in SCHEMA},
                "layer": lay.name,
                "mentions": 0,
                "report_excerpt": "",
                "licence": rec.get("licence") or "",
                "within": rec.get("within") or "",
                "geometry": geom,
            }


def proposals_for(spec: Spec, district: District) -> gpd.GeoDataFrame | None:
    """The district's proposed low-altitude network (cached by its inputs), when a layer of the
    spec asks for it and the district has siting rules; else None."""
    if not any(lay.proposals for lay in spec.layers) or district.siting is None:
        return None
    from geo.siting import proposed_network

    return proposed_network(district)


def _merge_override(row: dict, stored: pd.Series, where: str, warnings: list[str]) -> None:
    """Locate an unlocated place from the user store, with the stored precision and source."""
    if row["precision"] != Precision.UNLOCATED.value:  # a sourced location is never replaced
        warnings.append(
            f"{where}: user location ignored: the place is already "
            f"{row['precision']} from its source"
        )
        return
    note = str(stored.get("note") or "")
    source = str(stored.get("source") or "user")
    licence = str(stored.get("licence") or "")
    if licence and licence not in source:
        source = f"{source} ({licence})"
    how = (
        "drawn by a planner; no source locates it"
        if source == "user"
        else "located by a planner from the source named"
    )
    row.update(
        geometry=stored.geometry,
        precision=Precision.get(stored.get("precision") or "approximate").value,
        source=source,
        note=f"{note} ({how})".strip(),
    )


def build_layers(
    spec: Spec,
    gazetteer: gpd.GeoDataFrame,
    *,
    overrides: gpd.GeoDataFrame | None = None,
    evidence: Mapping[str, Evidence] | None = None,
    district: District | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> LayerSet:
    """Turn a spec into layers.

    Parameters
    ----------
    spec : Spec
        The validated spec.
    gazetteer : GeoDataFrame
        From :func:`geo.gazetteer.load_gazetteer` (of the spec's district).
    overrides : GeoDataFrame, optional
        User locations (:meth:`layers.store.UserStore.locations`), merged by feature id: they
        locate unlocated places only (a sourced location is kept and the clash reported).
    evidence : mapping of id to Evidence, optional
        What a report says about each place (:func:`layers.report.read_evidence`): fills
        ``mentions`` and ``report_excerpt``.
    district : District, optional
        The spec's district record (default: :func:`district_of` the spec).
    proposals : GeoDataFrame, optional
        The proposed low-altitude network (:func:`proposals_for`) for layers with
        ``proposals``; without it those layers hold only their named places.
    progress : callable, optional
        Called with each layer name once it is built.

    Returns
    -------
    LayerSet
        Layers in spec order; ``.warnings`` lists what the build reported.

    Raises
    ------
    SpecError
        A place the gazetteer does not know (names the file, the field and the closest names).
    GeometryError
        A broken geometry that cannot be repaired.
    """
    record = district or district_of(spec)
    resolver = _Resolver(spec, gazetteer)
    boundary = resolver.row(record.name, "district").geometry
    if boundary is None or boundary.is_empty:
        raise SpecError(
            f"{spec.filename}: district: '{record.name}' has no geometry (it is unlocated)"
        )
    district_m = repair(to_metric(boundary))  # once per build, not once per feature
    shapely.prepare(district_m)
    warnings: list[str] = []
    user = None if overrides is None or overrides.empty else overrides.set_index("id")
    evidence = evidence or {}
    layers = []
    for li, lay in enumerate(spec.layers):
        rows = _layer_rows(li, lay, resolver, district_m, warnings)
        if lay.proposals and proposals is not None:
            _add_proposals(rows, lay, proposals)
        for fid, row in rows.items():
            where = f"{lay.name}/{fid}"
            if user is not None and fid in user.index:
                # one row: the user store keeps one location per id (UNIQUE)
                _merge_override(row, cast(pd.Series, user.loc[fid]), where, warnings)
            _check_geometry(row, where, warnings)
            if lay.clip:
                _clip(row, district_m)
            if fid in evidence:
                row["mentions"] = int(evidence[fid].mentions)
                row["report_excerpt"] = evidence[fid].excerpt
            if lay.check_inside and row["geometry"] is not None:
                away = _outside_m(row["geometry"], district_m)
                if away > spec.outside_tolerance_m:
                    warnings.append(
                        f"{where}: {away:.0f} m outside {record.name} "
                        f"(tolerance {spec.outside_tolerance_m:.0f} m)"
                    )
        frame = (
            gpd.GeoDataFrame(list(rows.values()), geometry="geometry", crs=LONLAT_CRS)
            if rows
            else empty_layer()
        )
        layers.append(
            Layer(
                lay.name,
                lay.title,
                lay.group,
                frame[[*SCHEMA, "geometry"]],
                visible=lay.visible,
                z=lay.rank,
                named=frozenset(
                    resolver.row(f.place, f"layers[{li}].features[{fi}].place")["id"]
                    for fi, f in enumerate(lay.features)
                ),
            )
        )
        if progress:
            progress(lay.name)
    return LayerSet(layers, warnings=warnings, district=record, evidence=evidence, title=spec.title)


def unlocated(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Every feature without geometry, across layers (the places a planner can locate)."""
    if isinstance(layers, LayerSet):
        return layers.unlocated()
    return LayerSet.from_frames(layers).unlocated()


def user_locations(store_path: str | Path | None = None) -> tuple[gpd.GeoDataFrame | None, list]:
    """The user store's locations, or ``None`` and a one-line warning when the store is broken
    (the map is built without them; the file is left untouched)."""
    from geo.errors import PlanmapError
    from layers.store import UserStore

    store = UserStore(store_path)
    try:
        return store.locations(), []
    except PlanmapError as exc:
        return None, [f"{exc} (built without the user's locations)"]


def build_from_files(
    spec_path: str | Path | None = None,
    *,
    district: str | None = None,
    store_path: str | Path | None = None,
    overrides_path: str | Path | None = None,
    evidence: Mapping[str, Evidence] | None = None,
    progress: Callable[[str], None] | None = None,
) -> LayerSet:
    """Build from a spec file (default: the district's own), the district's gazetteer and the
    user store (``store_path``, default :func:`layers.store.default_store_path`;
    ``overrides_path`` is its former name). A broken store is a warning, not a failure."""
    from geo.gazetteer import load_gazetteer
    from layers.spec import load_spec

    if spec_path is None:
        record = get_district(district)
        spec = load_spec(record.spec_path)
    else:
        spec = load_spec(spec_path)
        record = district_of(spec) if district is None else get_district(district)
    overrides, problems = user_locations(store_path or overrides_path)
    built = build_layers(
        spec,
        load_gazetteer(record),
        overrides=overrides,
        evidence=evidence,
        district=record,
        proposals=proposals_for(spec, record),
        progress=progress,
    )
    return built.with_warnings(problems) if problems else built
