"""The app's search: the one name index over the features shown."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.model import drawn_mask
from geo.name_index import NameIndex
from layers.build import empty_layer
from layers.layerset import LayerSet

__all__ = ["Hit", "Searcher"]


@dataclass(frozen=True)
class Hit:
    """A search result among the app's features."""

    id: str
    name: str
    name_en: str
    layer: str
    score: float
    on_map: bool


class Searcher:
    """Search the app's features by any name the gazetteer knows for them.

    The features get their aliases from the gazetteer by id (uploaded features have none);
    the gazetteer's other places are searchable too (``layer`` empty, not on the map), so a
    name gets the same answer here as from the geocoder, a spec or a report. The index
    (:mod:`geo.name_index`) answers, with the ``TYPED`` policy: a person typing.
    """

    def __init__(self, layers: LayerSet, gazetteer: gpd.GeoDataFrame):
        parts = [g for g in layers.values() if len(g)]
        frame = (
            gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)
            if parts
            else empty_layer()
        )
        frame = frame.drop_duplicates("id").reset_index(drop=True)
        others = gazetteer[~gazetteer["id"].isin(frame["id"])]
        if len(others):
            extra = others.drop(columns=[c for c in others.columns if c not in frame.columns])
            extra = extra.assign(layer="").set_geometry(others.geometry.name)
            frame = gpd.GeoDataFrame(
                pd.concat([frame, extra], ignore_index=True), geometry="geometry", crs=4326
            )
        aliases = dict(zip(gazetteer["id"], gazetteer["aliases"], strict=True))
        frame["aliases"] = [list(aliases.get(fid, []) or []) for fid in frame["id"]]
        frame["name_en"] = frame["name_en"].fillna("")
        self.frame = frame
        self.index = NameIndex.from_frame(frame)
        shown = frame["layer"].fillna("").astype(str) != ""
        self._drawn = (drawn_mask(frame) & shown).to_numpy()

    def search(self, query: str, *, limit: int = 8) -> list[Hit]:
        """Features matching a name in Simplified/Traditional Chinese, pinyin or English, best
        first (at most ``limit``)."""
        query = (query or "").strip()
        if not query:
            return []
        out = []
        for c in self.index.search(query, limit=limit):
            row = self.frame.iloc[c.row]
            out.append(
                Hit(
                    id=c.id,
                    name=c.name,
                    name_en=str(row["name_en"] or ""),
                    layer=str(row["layer"]),
                    score=c.score,
                    on_map=bool(self._drawn[c.row]),
                )
            )
        return out
