"""Structure tests of layers.render.make_map (no browser)."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

from layers import assets
from layers.render import LAYERS, layer_title, make_map

XSS = "<img src=x onerror=alert(1)>"
COLUMNS = ["id", "name", "name_en", "layer", "kind", "status", "precision", "source", "note"]


def _frame(layer: str, rows: list[tuple]) -> gpd.GeoDataFrame:
    records = [
        dict(zip(COLUMNS, (fid, name, en, layer, kind, st, pr, "test fixture", ""), strict=True))
        | {"geometry": geom}
        for fid, name, en, kind, st, pr, geom in rows
    ]
    return gpd.GeoDataFrame(records, columns=[*COLUMNS, "geometry"], geometry="geometry", crs=4326)


def luohu_layers() -> dict[str, gpd.GeoDataFrame]:
    """Small synthetic layers on real Luohu coordinates: every layer, every style modifier."""
    luohu = Polygon(
        [(114.100, 22.534), (114.125, 22.528), (114.165, 22.548), (114.185, 22.585),
         (114.150, 22.620), (114.110, 22.600), (114.099, 22.560)]
    )
    futian = Polygon([(114.020, 22.520), (114.099, 22.534), (114.099, 22.580), (114.030, 22.575)])
    return {
        "structure": _frame("structure", [
            ("axis.shennan", "深南东路发展轴", "Shennan East axis", "axis", "existing",
             "schematic", LineString([(114.100, 22.545), (114.130, 22.548), (114.160, 22.553)])),
            ("cluster.xiaoshijiao", "小水角组团", "Cluster", "cluster", "planned", "schematic",
             Polygon([(114.12, 22.56), (114.14, 22.56), (114.14, 22.575), (114.12, 22.575)])),
            ("belt.wutong", "梧桐山生态带", None, "belt", "existing", "approximate",
             Polygon([(114.16, 22.57), (114.18, 22.58), (114.17, 22.60), (114.15, 22.59)])),
        ]),
        "ports": _frame("ports", [
            ("port.luohu", "罗湖口岸", "Luohu Port", "port", "existing", "located",
             Point(114.113365, 22.531083)),
            ("port.liantang", "莲塘口岸", "Liantang Port", "port", "existing", "located",
             Point(114.1524222, 22.5542861)),
            ("port.wenjindu", XSS, XSS, "port", "existing", "approximate",
             Point(114.1294, 22.537)),
        ]),
        "metro_lines": _frame("metro_lines", [
            ("metro.1", "1号线", "Line 1", "metro_line", "existing", "approximate",
             LineString([(114.1134, 22.5320), (114.1090, 22.5405), (114.0990, 22.5440)])),
            ("metro.17", "17号线", "Line 17", "metro_project", "planned", "schematic",
             LineString([(114.120, 22.540), (114.150, 22.560), (114.170, 22.575)])),
        ]),
        "metro_stations": _frame("metro_stations", [
            ("station.luohu", "罗湖", "Luohu", "metro_station", "existing", "located",
             Point(114.1134, 22.5320)),
            ("station.guomao", "国贸", "Guomao", "metro_station", "existing", "located",
             Point(114.1090, 22.5405)),
            ("station.x", "某站", "Unnamed", "metro_station", "planned", "unlocated", None),
        ]),
        "roads": _frame("roads", [
            ("road.luosha", "罗沙路", "Luosha Road", "road", "existing", "approximate",
             LineString([(114.125, 22.548), (114.155, 22.556)])),
            ("tunnel.x", "东部过境隧道", "Eastern transit tunnel", "tunnel", "under_construction",
             "approximate", LineString([(114.14, 22.565), (114.17, 22.58)])),
        ]),
        "zones": _frame("zones", [
            ("zone.hubei", "湖贝片区", "Hubei", "zone", "proposed", "approximate",
             Polygon([(114.115, 22.542), (114.122, 22.542), (114.122, 22.548), (114.115, 22.548)])),
        ]),
        "low_altitude": _frame("low_altitude", [
            ("landing.1", "起降点一", "Landing point 1", "landing_point", "planned", "located",
             Point(114.135, 22.565)),
            ("route.1", "低空航线", "Air route", "air_route", "proposed", "schematic",
             LineString([(114.135, 22.565), (114.16, 22.58)])),
        ]),
        "context": _frame("context", [
            ("district.luohu", "罗湖区", "Luohu District", "district", "existing", "surveyed",
             luohu),
            ("district.futian", "福田区", "Futian District", "neighbour_district", "existing",
             "surveyed", futian),
        ]),
    }


EXPECTED_COUNTS = {
    "structure": 3, "ports": 3, "metro_lines": 2, "metro_stations": 2, "roads": 2, "zones": 1,
    "low_altitude": 2, "context": 2,
}


def _geojsons(m: folium.Map) -> dict[str, folium.GeoJson]:
    out = {}
    for group in m._children.values():
        for child in getattr(group, "_children", {}).values():
            if isinstance(child, folium.GeoJson) and child.layer_name != "highlight":
                out[child.layer_name] = child
    return out
