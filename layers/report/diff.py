"""Compare two reports, or two build folders: places new, dropped, or changed in status.

A *report* side is read with :func:`layers.report.pipeline.extract_file`: a place is present when
the report names it, and its status is the one the report's wording gives it (``[status]`` cues in
``data/report_rules.toml``: 建成 -> existing, 开工建设/推进 -> under_construction, ...).

A *build folder* side is the GeoJSON written by ``planmap build``: its features and their
``status``. When both builds were made with ``--report`` (some ``mentions`` above zero), a
place is present when its report mentions it; otherwise when its feature is in the folder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.errors import DataError
from geo.model import LONLAT_CRS
from layers.report.match import PlaceMatcher
from layers.report.pipeline import extract_file

__all__ = [
    "COLUMNS",
    "Change",
    "PlaceState",
    "diff_frame",
    "diff_paths",
    "diff_states",
    "states_from_build",
]

#: the columns of a diff layer (then ``geometry``)
COLUMNS = [
    "id",
    "name",
    "layer",
    "change",
    "old_status",
    "new_status",
    "old_mentions",
    "new_mentions",
]


class Change(StrEnum):
    """What happened to a place between the old and the new side."""

    new = "new"
    dropped = "dropped"
    status_changed = "status_changed"


@dataclass(frozen=True)
class PlaceState:
    """One place on one side of a diff."""

    id: str
    name: str
    layer: str | None
    status: str | None
    mentions: int
    geometry: BaseGeometry | None


def states_from_build(folder: str | Path) -> tuple[dict[str, PlaceState], bool]:
    """Read the GeoJSON files of a build folder.

    Parameters
    ----------
    folder : str or Path
        Output of ``planmap build`` (the layers its manifest lists, each checked), or a
        folder of GeoJSON layers.

    Returns
    -------
    tuple of (dict, bool)
        ``{id: PlaceState}`` and whether any feature has ``mentions`` above zero.

    Raises
    ------
    DataError
        No GeoJSON in the folder, or a file that is not a FeatureCollection with ids.
    """
    from layers.export.publish import build_layer_files

    folder = Path(folder)
    files = build_layer_files(folder)  # a published build: the files its manifest names
    if not files:
        raise DataError(f"{folder}: no .geojson files (is it a `planmap build` folder?)")
    states: dict[str, PlaceState] = {}
    for path in files:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            features = doc["features"]
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a GeoJSON FeatureCollection ({exc})") from exc
        for i, feat in enumerate(features):
            props = feat.get("properties") or {}
            if "change" in props:
                continue  # a diff layer written into the folder earlier
            fid = props.get("id")
            if not fid:
                raise DataError(f"{path}: features[{i}] has no 'id' property")
            geom = feat.get("geometry")
            states.setdefault(
                fid,
                PlaceState(
                    id=fid,
                    name=str(props.get("name") or fid),
                    layer=props.get("layer") or path.stem,
                    status=props.get("status"),
                    mentions=int(props.get("mentions") or 0),
                    geometry=shape(geom) if geom else None,
                ),
            )
    return states, any(s.mentions > 0 for s in states.values())


def _states_from_report(
    path: Path,
    *,
    matcher: PlaceMatcher,
    geoms: Mapping[str, BaseGeometry | None],
    layer_of: Mapping[str, str],
) -> dict[str, PlaceState]:
    result = extract_file(path, matcher=matcher, layer_of=layer_of)
    return {
        p.id: PlaceState(
            p.id, p.name, p.layer, p.status and p.status.value, p.mentions, geoms.get(p.id)
        )
        for p in result.found
    }


def diff_states(
    old: Mapping[str, PlaceState], new: Mapping[str, PlaceState]
) -> list[dict[str, object]]:
    """The changes from ``old`` to ``new`` (unchanged places are left out).

    Parameters
    ----------
    old, new : mapping of str to PlaceState
        The places present on each side.

    Returns
    -------
    list of dict
        Rows with :data:`COLUMNS` and ``geometry`` (the new side's, or the old side's for a
        dropped place), ordered new, dropped, status_changed, then by id.
    """
    rows: list[dict[str, Any]] = []
    for fid in sorted(set(old) | set(new)):
        a, b = old.get(fid), new.get(fid)
        if a is None:
            change = Change.new
        elif b is None:
            change = Change.dropped
        elif a.status and b.status and a.status != b.status:
            change = Change.status_changed
        else:
            continue
        ref = b or a
        assert ref is not None  # fid is in old or new
        rows.append(
            {
                "id": fid,
                "name": ref.name,
                "layer": ref.layer,
                "change": change.value,
                "old_status": a.status if a else None,
                "new_status": b.status if b else None,
                "old_mentions": a.mentions if a else 0,
                "new_mentions": b.mentions if b else 0,
                "geometry": ref.geometry,
            }
        )
    order = {c.value: i for i, c in enumerate(Change)}
    return sorted(rows, key=lambda r: (order[str(r["change"])], str(r["id"])))


def diff_frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """The changes as a layer (EPSG:4326) with a ``change`` column: new|dropped|status_changed."""
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in COLUMNS}, geometry=[], crs=LONLAT_CRS)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=LONLAT_CRS)[[*COLUMNS, "geometry"]]
    for col in ("layer", "old_status", "new_status"):  # missing is None, not NaN
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def diff_paths(
    old: str | Path,
    new: str | Path,
    *,
    gazetteer: gpd.GeoDataFrame | None = None,
    layer_of: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Diff two reports or two build folders.

    Parameters
    ----------
    old, new : str or Path
        Two report text files, or two folders written by ``planmap build``.
    gazetteer : GeoDataFrame, optional
        For reports: the district's gazetteer (default :func:`geo.gazetteer.load_gazetteer`
        of the default district).
    layer_of : mapping, optional
        For reports: ``{id: layer}`` (:func:`layers.report.layer_index` of a LayerSet).

    Returns
    -------
    GeoDataFrame
        See :func:`diff_frame`.

    Raises
    ------
    DataError
        A missing path, one report and one folder, or an unreadable side.
    """
    old, new = Path(old), Path(new)
    for p in (old, new):
        if not p.exists():
            raise DataError(f"{p}: no such file or folder")
    if old.is_dir() != new.is_dir():
        raise DataError(f"{old}, {new}: give two reports or two build folders, not one of each")
    if old.is_dir():
        (a, a_reported), (b, b_reported) = states_from_build(old), states_from_build(new)
        if a_reported and b_reported:
            a = {k: v for k, v in a.items() if v.mentions > 0}
            b = {k: v for k, v in b.items() if v.mentions > 0}
        return diff_frame(diff_states(a, b))
    if gazetteer is None:
        from geo.gazetteer import load_gazetteer

        gazetteer = load_gazetteer()
    matcher = PlaceMatcher.from_frame(gazetteer)  # once for both sides
    geoms = dict(zip(gazetteer["id"], gazetteer.geometry, strict=True))
    sides = [
        _states_from_report(p, matcher=matcher, geoms=geoms, layer_of=layer_of or {})
        for p in (old, new)
    ]
    return diff_frame(diff_states(*sides))
