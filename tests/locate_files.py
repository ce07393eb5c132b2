"""Files a planner might hand Planmap, made by the tests with GDAL (pyogrio) from a small
synthetic road network.

The roads are drawn through shipped metro station positions (synthetic lines, not surveyed
roads), so the located stations sit on them, as stations sit on real roads: the datum test
has references to measure against. Names are the report's roads as a bureau file would write
them (``罗沙路``, not ``罗沙路改扩建``), with the traps the issue lists.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import LineString

from geo.crs import transform_geometry
from geo.gazetteer import load_gazetteer

#: road name -> the stations it runs through, in order
ROADS: dict[str, list[str]] = {
    "罗沙路": ["水贝站", "太安站", "布心站"],
    "清水河三路": ["笋岗站", "泥岗站"],
    "东门中路": ["老街站", "晒布站"],
    "东门北路": ["洪湖站", "田贝站"],
    "东门南路": ["湖贝站", "国贸站"],
    "春风路": ["罗湖站", "鹿丹村站"],
    "新秀立交桥": ["新秀站", "莲塘口岸站"],
    "翠竹路": ["翠竹站", "怡景站"],
    "深南东路": ["红岭南站", "大剧院站"],
    "文锦路": ["文锦站", "黄贝岭站"],
}
#: roads drawn in several segments (each station-to-station leg cut in two)
SEGMENTED = {"罗沙路"}
#: names as a DBF pads them (CR/LF and spaces) - the reader must strip them
NOISY = {"罗沙路": ["罗沙路\r\n", " 罗沙路", "罗沙路  ", "罗沙路\t"]}
#: the roads' grade, a type field bureau files carry
GRADE = "主干路"


def stations() -> dict[str, tuple[float, float]]:
    gaz = load_gazetteer()
    rows = gaz[(gaz["kind"] == "metro_station") & gaz.geometry.notna()]
    return {n: (g.x, g.y) for n, g in zip(rows["name"], rows.geometry, strict=True)}


def road_frame(roads: dict[str, list[str]] | None = None) -> gpd.GeoDataFrame:
    """The network in WGS-84: one row per segment, fields ``DLMC`` (name) and ``DLDJ``."""
    where = stations()
    names, grades, geoms = [], [], []
    for name, route in (roads or ROADS).items():
        xy = [where[s] for s in route]
        if name in SEGMENTED:
            pieces = []
            for a, b in itertools.pairwise(xy):
                mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                pieces += [LineString([a, mid]), LineString([mid, b])]
        else:
            pieces = [LineString(xy)]
        noisy = NOISY.get(name, [])
        for i, piece in enumerate(pieces):
            names.append(noisy[i % len(noisy)] if noisy else name)
            grades.append(GRADE)
            geoms.append(piece)
    return gpd.GeoDataFrame({"DLMC": names, "DLDJ": grades}, geometry=geoms, crs="EPSG:4326")


def write_bureau_shapefile(folder: Path, *, roads=None, name: str = "roads") -> Path:
    """A bureau-style Shapefile: CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547), its
    ``.prj``, a GBK ``.dbf`` and no ``.cpg``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    frame = road_frame(roads).to_crs("EPSG:4547")
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        os.remove(cpg)
    return path


def gcj_frame(roads=None) -> gpd.GeoDataFrame:
    """The network shifted to GCJ-02 (what a file traced from AMap holds)."""
    frame = road_frame(roads)
    shifted = transform_geometry(frame.geometry.array.to_numpy(), src="wgs84", dst="gcj02")
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=shifted, crs="EPSG:4326")


def write_gcj_geojson(folder: Path, *, datum: str = "gcj02") -> Path:
    """The network in GCJ-02 (or BD-09) saved as plain GeoJSON, which says WGS-84."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = road_frame()
    shifted = transform_geometry(frame.geometry.array.to_numpy(), src="wgs84", dst=datum)
    frame = gpd.GeoDataFrame({"name": frame["DLMC"].str.strip()}, geometry=shifted, crs="EPSG:4326")
    path = folder / f"roads_{datum}.geojson"
    pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    return path


def write_kml(folder: Path, roads: dict[str, list[str]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame = road_frame(roads or {k: ROADS[k] for k in ("清水河三路", "翠竹路", "文锦路")})
    frame = gpd.GeoDataFrame({"Name": frame["DLMC"]}, geometry=frame.geometry, crs="EPSG:4326")
    path = folder / "roads.kml"
    pyogrio.write_dataframe(frame, path, driver="KML")
    return path


def osm_xml(roads: dict[str, list[str]] | None = None, *, extra_ways: str = "") -> str:
    """OSM XML: each road a named way (highway=primary), 春风隧道 a tunnel way, the station
    nodes, and a route relation (route=subway) over two of the ways."""
    where = stations()
    roads = roads or {k: ROADS[k] for k in ("罗沙路", "清水河三路", "文锦路")}
    roads = {**roads, "春风隧道": ["罗湖站", "国贸站", "湖贝站"]}
    nodes, ways = [], []
    node_id = {}
    for route in roads.values():
        for s in route:
            if s not in node_id:
                node_id[s] = len(node_id) + 1
                lon, lat = where[s]
                nodes.append(f'  <node id="{node_id[s]}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for w, (name, route) in enumerate(roads.items(), start=100):
        refs = "".join(f'<nd ref="{node_id[s]}"/>' for s in route)
        tunnel = '<tag k="tunnel" v="yes"/>' if name.endswith("隧道") else ""
        ways.append(
            f'  <way id="{w}">{refs}<tag k="name" v="{name}"/>'
            f'<tag k="highway" v="primary"/>{tunnel}</way>'
        )
    relation = (
        '  <relation id="900"><member type="way" ref="100" role=""/>'
        '<member type="way" ref="101" role=""/><tag k="type" v="route"/>'
        '<tag k="route" v="subway"/><tag k="name" v="深圳地铁24号线北延"/></relation>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<osm version="0.6" generator="planmap tests" '
        'license="http://opendatacommons.org/licenses/odbl/1-0/">\n'
        + "\n".join(nodes + ways)
        + extra_ways
        + "\n"
        + relation
        + "\n</osm>\n"
    )


def write_osm(folder: Path, **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "extract.osm"
    path.write_text(osm_xml(**kwargs), encoding="utf-8")
    return path


def line_in(path_crs_frame: gpd.GeoDataFrame, name: str) -> shapely.Geometry:
    """The union of a frame's features of one (stripped) name, in WGS-84."""
    frame = path_crs_frame.to_crs("EPSG:4326")
    names = frame.iloc[:, 0].astype(str).str.strip()
    return shapely.union_all(np.asarray(frame.geometry[names == name].array))


def write_dxf(folder: Path, roads: dict[str, list[str]] | None = None) -> Path:
    """A CAD export: DXF R12 in EPSG:4547 metres (DXF has no CRS), one LINE entity per segment
    on a layer named after its road, text in GBK as Chinese AutoCAD writes it
    (``$DWGCODEPAGE ANSI_936``)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = road_frame(roads or {k: ROADS[k] for k in ("清水河三路", "翠竹路", "文锦路")})
    frame = frame.to_crs("EPSG:4547")
    out = ["0", "SECTION", "2", "HEADER", "9", "$ACADVER", "1", "AC1009"]
    out += ["9", "$DWGCODEPAGE", "3", "ANSI_936", "0", "ENDSEC", "0", "SECTION", "2", "ENTITIES"]
    for name, geom in zip(frame["DLMC"].str.strip(), frame.geometry, strict=True):
        xy = list(geom.coords)
        for (x1, y1), (x2, y2) in itertools.pairwise(xy):
            out += ["0", "LINE", "8", name, "10", f"{x1:.3f}", "20", f"{y1:.3f}", "30", "0"]
            out += ["11", f"{x2:.3f}", "21", f"{y2:.3f}", "31", "0"]
    out += ["0", "ENDSEC", "0", "EOF"]
    path = folder / "roads.dxf"
    path.write_bytes(("\r\n".join(out) + "\r\n").encode("gbk"))
    return path


def write_pbf(folder: Path, **kwargs) -> Path:
    """The OSM XML extract converted to PBF by libosmium (pyosmium)."""
    import osmium

    xml = write_osm(folder, **kwargs)
    path = folder / "extract.osm.pbf"
    writer = osmium.SimpleWriter(str(path), overwrite=True)

    class Copy(osmium.SimpleHandler):
        def node(self, n):
            writer.add_node(n)

        def way(self, w):
            writer.add_way(w)

        def relation(self, r):
            writer.add_relation(r)

    try:
        Copy().apply_file(str(xml))
    finally:
        writer.close()
    return path
