"""The feature table and the list of places to locate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.model import FEATURE_COLUMNS, LayerGroup, Precision, drawn_mask
from layers.layerset import LayerSet

__all__ = ["PlaceSummary", "drawn_mask", "feature_table", "place_summary", "unlocated_table"]


def feature_table(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """One row per feature of the given layers, without geometry, plus ``on_map``."""
    parts = []
    for gdf in layers.values():
        part = pd.DataFrame(gdf.drop(columns="geometry"))
        part["on_map"] = drawn_mask(gdf).to_numpy()
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*FEATURE_COLUMNS, "on_map"])
    table = pd.concat(parts, ignore_index=True)
    table["mentions"] = table["mentions"].fillna(0).astype(int)
    return table


def unlocated_table(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Features named by the report that the map cannot draw yet (no geometry)."""
    table = feature_table(layers)
    return table.loc[~table["on_map"], ["id", "name", "name_en", "layer", "kind", "note"]]


@dataclass(frozen=True)
class PlaceSummary:
    """What the map shows of the plan's places (the layers outside Context and Base).

    Attributes
    ----------
    drawn, total : int
        Of the places the spec names (the report's places), those drawn (an extent, a line,
        a point, or an area they lie in), and all of them.
    unlocated : DataFrame
        ``layer, title, id, name, name_en, kind, note`` of the places not drawn, by layer.
    area_only : DataFrame
        The same for places drawn only as the area they lie in (precision ``within``).
    """

    drawn: int
    total: int
    unlocated: pd.DataFrame
    area_only: pd.DataFrame


def place_summary(layers: LayerSet) -> PlaceSummary:
    """The drawn/unlocated/area-only places of the plan's layers, grouped by layer."""
    plan = [
        layer for layer in layers.layers if layer.group not in (LayerGroup.CONTEXT, LayerGroup.BASE)
    ]
    cols = ["layer", "title", "id", "name", "name_en", "kind", "note"]
    table = feature_table({layer.name: layer.frame for layer in plan})
    titles = {layer.name: layer.title for layer in plan}
    table["title"] = table["layer"].map(titles) if len(table) else []
    within = table["precision"] == Precision.WITHIN.value if len(table) else pd.Series(dtype=bool)
    unlocated = table.loc[~table["on_map"], cols] if len(table) else pd.DataFrame(columns=cols)
    area = table.loc[table["on_map"] & within, cols] if len(table) else pd.DataFrame(columns=cols)
    named = set().union(*(layer.named for layer in plan)) if plan else set()
    report = table[table["id"].isin(named)] if len(table) else table
    return PlaceSummary(
        drawn=int(report["on_map"].sum()) if len(report) else 0,
        total=len(report),
        unlocated=unlocated.reset_index(drop=True),
        area_only=area.reset_index(drop=True),
    )
