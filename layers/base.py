"""The context base (底图): the ground a planner reads the plan against, from shipped data.

Neighbouring districts, subdistricts (街道), communities (社区), parks, the outer border (the
Shenzhen River for Luohu) and the metro lines, taken from the district's gazetteer (facts and
OpenStreetMap data with their sources and licences). It is drawn under the planning layers,
muted, with its own legend section and the data's attribution (:func:`layers.map.make_map`'s
``base``), and on printed sheets. Nothing here is a plan feature: a place the plan draws
itself is left out of the base.
"""

from __future__ import annotations

import geopandas as gpd

from geo.district import District
from geo.model import FEATURE_COLUMNS, Kind, LayerGroup, Precision, drawn_mask
from layers.layerset import Layer, LayerSet

__all__ = ["BASE_KINDS", "context_base"]

#: kind -> (layer name, title), bottom to top
BASE_KINDS: dict[Kind, tuple[str, str]] = {
    Kind.NEIGHBOUR_DISTRICT: ("base_neighbours", "底图 · 相邻区 Neighbouring districts"),
    Kind.SUBDISTRICT: ("base_subdistricts", "底图 · 街道 Subdistricts"),
    Kind.COMMUNITY: ("base_communities", "底图 · 社区 Communities"),
    Kind.PARK: ("base_parks", "底图 · 公园 Parks"),
    Kind.HK_BORDER: ("base_border", "底图 · 边界 Border"),
    Kind.METRO_LINE: ("base_metro", "底图 · 地铁 Metro lines"),
}


def _frame(gazetteer: gpd.GeoDataFrame, kind: Kind, layer: str) -> gpd.GeoDataFrame:
    rows = gazetteer[(gazetteer["kind"] == kind.value)]
    rows = rows[drawn_mask(rows) & (rows["precision"] != Precision.UNLOCATED.value)]
    out = rows.drop(
        columns=[c for c in rows.columns if c not in FEATURE_COLUMNS and c != "geometry"]
    )
    out = out.assign(layer=layer, report_excerpt="", mentions=0)
    for column in FEATURE_COLUMNS:
        if column not in out:
            out[column] = ""
    return gpd.GeoDataFrame(out[[*FEATURE_COLUMNS, "geometry"]], geometry="geometry", crs=4326)


def context_base(gazetteer: gpd.GeoDataFrame, district: District) -> LayerSet:
    """The district's context base as a layer set in the ``Base`` group, bottom to top.

    Parameters
    ----------
    gazetteer : GeoDataFrame
        The district's gazetteer (:func:`geo.gazetteer.load_gazetteer`).
    district : District
        Its record (kept on the layer set for the legend's labels).

    Returns
    -------
    LayerSet
        One layer per kind of :data:`BASE_KINDS` that has located places (empty ones left
        out), ``z`` below every plan layer.
    """
    layers = []
    for i, (kind, (name, title)) in enumerate(BASE_KINDS.items()):
        frame = _frame(gazetteer, kind, name)
        if len(frame):
            layers.append(Layer(name, title, LayerGroup.BASE, frame, z=-100 + i))
    return LayerSet(layers, district=district, title=f"{district.name} · 底图 Base")
