"""Build the planning layers from a spec and the gazetteer: one GeoDataFrame per layer.

Pure: nothing here reads or writes files except through explicit arguments (see
:func:`build_from_files` for the usual inputs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from geo.errors import GeometryError, SpecError
from geo.geometry import metric_outside_m, repair, to_metric
from geo.names import normalize_name
from layers.spec import Spec

#: the export schema, in order (docs/ARCHITECTURE.md)
SCHEMA = [
    "id",
    "name",
    "name_en",
    "layer",
    "kind",
    "status",
    "precision",
    "source",
    "note",
    "report_excerpt",
    "mentions",
]
CRS = "EPSG:4326"


class BuiltLayers(dict):
    """``{layer name: GeoDataFrame}`` in spec order, with the warnings the build reported."""

    def __init__(self, *args, warnings: list[str] | None = None, titles=None, groups=None):
        super().__init__(*args)
        self.warnings: list[str] = list(warnings or [])
        self.titles: dict[str, str] = dict(titles or {})
        self.groups: dict[str, str] = dict(groups or {})


def empty_layer() -> gpd.GeoDataFrame:
    """A layer with the schema's columns and no rows."""
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in SCHEMA}, geometry=[], crs=CRS)


class _Index:
    """Exact name/alias lookup over the gazetteer, with suggestions for the rest."""

    def __init__(self, gazetteer: gpd.GeoDataFrame):
        self.keys: dict[str, int] = {}
        for pos, (name, aliases) in enumerate(
            zip(gazetteer["name"], gazetteer["aliases"], strict=True)
        ):
            for key in [name, *aliases]:
                self.keys.setdefault(normalize_name(key), pos)
        self.names = list(gazetteer["name"])

    def find(self, place: str) -> int | None:
        return self.keys.get(normalize_name(place))

    def suggest(self, place: str, n: int = 3) -> list[str]:
        hits = process.extract(place, self.names, scorer=fuzz.WRatio, limit=n)
        return [h[0] for h in hits]


def _row(gaz: pd.Series, layer: str) -> dict:
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
        "geometry": gaz.geometry,
    }


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


def build_layers(
    spec: Spec,
    gazetteer: gpd.GeoDataFrame,
    *,
    overrides: gpd.GeoDataFrame | None = None,
    excerpts: Mapping[str, tuple[int, str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuiltLayers:
    """Turn a spec into layers.

    Parameters
    ----------
    spec : Spec
        The validated spec.
    gazetteer : GeoDataFrame
        From :func:`geo.gazetteer.load_gazetteer`.
    overrides : GeoDataFrame, optional
        User-drawn locations (:mod:`layers.overrides`), merged by feature id.
    excerpts : mapping, optional
        ``{feature id: (mentions, excerpt)}`` from a report.
    progress : callable, optional
        Called with each layer name once it is built.

    Returns
    -------
    BuiltLayers
        Layers in spec order; ``.warnings`` lists what the build reported.

    Raises
    ------
    SpecError
        A place the gazetteer does not know (names the file, the field and the closest names).
    GeometryError
        A broken geometry that cannot be repaired.
    """
    index = _Index(gazetteer)
    district_pos = index.find(spec.district)
    if district_pos is None:
        raise SpecError(f"{spec.filename}: district: unknown place '{spec.district}'")
    district = gazetteer.geometry.iloc[district_pos]
    if district is None or district.is_empty:
        raise SpecError(
            f"{spec.filename}: district: '{spec.district}' has no geometry (it is unlocated)"
        )
    district_m = repair(to_metric(district))  # once per build, not once per feature
    shapely.prepare(district_m)
    out = BuiltLayers(
        titles={lay.name: lay.title for lay in spec.layers},
        groups={lay.name: lay.group.value for lay in spec.layers},
    )
    warnings = out.warnings
    user = {} if overrides is None or overrides.empty else overrides.set_index("id")
    for li, lay in enumerate(spec.layers):
        rows: dict[str, dict] = {}
        for si, sel in enumerate(lay.include):
            picked = gazetteer[gazetteer["kind"] == sel.kind]
            if picked.empty:
                raise SpecError(
                    f"{spec.filename}: layers[{li}].include[{si}].kind: no place of kind "
                    f"'{sel.kind}' in the gazetteer"
                )
            for _, gaz in picked.iterrows():
                if sel.max_outside_m is not None:
                    if gaz.geometry is None:
                        continue
                    if metric_outside_m(to_metric(gaz.geometry), district_m) > sel.max_outside_m:
                        continue
                rows[gaz["id"]] = _row(gaz, lay.name)
        for fi, feat in enumerate(lay.features):
            where = f"{spec.filename}: layers[{li}].features[{fi}].place"
            pos = index.find(feat.place)
            if pos is None:
                hint = "', '".join(index.suggest(feat.place))
                raise SpecError(f"{where}: unknown place '{feat.place}'; did you mean '{hint}'?")
            row = _row(gazetteer.iloc[pos], lay.name)
            if feat.status is not None:
                row["status"] = feat.status.value
            if feat.note:
                row["note"] = f"{row['note']} {feat.note}".strip()
            rows[row["id"]] = row
        for fid, row in rows.items():
            where = f"{lay.name}/{fid}"
            if len(user) and fid in user.index:
                o = user.loc[fid]
                if row["precision"] == "unlocated":
                    note = o.get("note") or ""
                    row.update(
                        geometry=o.geometry,
                        precision="approximate",
                        source="user",
                        note=f"{note} (drawn by a planner; no source locates it)".strip(),
                    )
                else:  # a sourced location is not replaced by a drawing
                    warnings.append(
                        f"{where}: user override ignored: the place is already "
                        f"{row['precision']} from its source"
                    )
            _check_geometry(row, where, warnings)
            if excerpts and fid in excerpts:
                row["mentions"], row["report_excerpt"] = excerpts[fid]
            if lay.check_inside and row["geometry"] is not None:
                away = _outside_m(row["geometry"], district_m)
                if away > spec.outside_tolerance_m:
                    warnings.append(
                        f"{where}: {away:.0f} m outside {spec.district} "
                        f"(tolerance {spec.outside_tolerance_m:.0f} m)"
                    )
        frame = (
            gpd.GeoDataFrame(list(rows.values()), geometry="geometry", crs=CRS)
            if rows
            else empty_layer()
        )
        out[lay.name] = frame[[*SCHEMA, "geometry"]]
        if progress:
            progress(lay.name)
    return out


def unlocated(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Every feature without geometry, across layers (the places a planner can locate)."""
    parts = [g[g.geometry.isna()].drop(columns="geometry") for g in layers.values()]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCHEMA)


def build_from_files(
    spec_path: str | Path | None = None,
    *,
    overrides_path: str | Path | None = None,
    excerpts: Mapping[str, tuple[int, str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuiltLayers:
    """Build from the shipped (or given) spec, the shipped gazetteer and the user overrides."""
    from geo.gazetteer import load_gazetteer
    from geo.paths import default_spec
    from layers.overrides import default_overrides_path, load_overrides
    from layers.spec import load_spec

    spec = load_spec(spec_path or default_spec())
    path = Path(overrides_path) if overrides_path else default_overrides_path()
    overrides = load_overrides(path) if path.exists() else None
    return build_layers(
        spec, load_gazetteer(), overrides=overrides, excerpts=excerpts, progress=progress
    )
