"""Structure tests of layers.map.make_map (no browser)."""

from __future__ import annotations

import json
import re
from typing import Any

import folium
import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

from geo.errors import OfflineAssetError
from geo.model import LayerGroup
from layers.layerset import Layer, LayerSet
from layers.map import LABELS_TITLE, STREAMLIT_BASE_URL, assert_no_cdn, make_map
from layers.map.assets import cdn_links
from layers.map.packed import PackedGeoJson

#: the metadata the Luohu spec gives these layers: title, group, drawing rank
META = {
    "structure": ("一轴两带三组团 · Spatial structure", LayerGroup.STRUCTURE, 20),
    "ports": ("口岸 · Land ports", LayerGroup.PORTS, 50),
    "metro_lines": ("轨道 · Metro lines and projects", LayerGroup.TRANSPORT, 31),
    "metro_stations": ("地铁站 · Metro stations", LayerGroup.TRANSPORT, 55),
    "roads": ("道路 · Roads, tunnels and interchanges", LayerGroup.TRANSPORT, 30),
    "zones": ("片区与项目 · Zones and projects", LayerGroup.ZONES, 10),
    "low_altitude": ("低空 · Low-altitude network", LayerGroup.LOW_ALTITUDE, 40),
    "context": ("底图 · District context", LayerGroup.CONTEXT, 0),
}


def layer_set(frames) -> LayerSet:
    """Frames as a LayerSet with the spec's metadata (unknown names: group Other)."""
    layers = []
    for i, (name, gdf) in enumerate(frames.items()):
        title, group, z = META.get(name, (name, LayerGroup.OTHER, 100 + i))
        layers.append(Layer(name, title, group, gdf, z=z))
    return LayerSet(layers)


def layer_title(name: str) -> str:
    title, group, _ = META[name]
    return f"{group.value} · {title}"


def _map(frames, **kwargs):
    return make_map(layer_set(frames), **kwargs)


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
        [
            (114.100, 22.534),
            (114.125, 22.528),
            (114.165, 22.548),
            (114.185, 22.585),
            (114.150, 22.620),
            (114.110, 22.600),
            (114.099, 22.560),
        ]
    )
    futian = Polygon([(114.020, 22.520), (114.099, 22.534), (114.099, 22.580), (114.030, 22.575)])
    return {
        "structure": _frame(
            "structure",
            [
                (
                    "axis.shennan",
                    "深南东路发展轴",
                    "Shennan East axis",
                    "axis",
                    "existing",
                    "schematic",
                    LineString([(114.100, 22.545), (114.130, 22.548), (114.160, 22.553)]),
                ),
                (
                    "cluster.xiaoshijiao",
                    "小水角组团",
                    "Cluster",
                    "cluster",
                    "planned",
                    "schematic",
                    Polygon([(114.12, 22.56), (114.14, 22.56), (114.14, 22.575), (114.12, 22.575)]),
                ),
                (
                    "belt.wutong",
                    "梧桐山生态带",
                    None,
                    "belt",
                    "existing",
                    "approximate",
                    Polygon([(114.16, 22.57), (114.18, 22.58), (114.17, 22.60), (114.15, 22.59)]),
                ),
            ],
        ),
        "ports": _frame(
            "ports",
            [
                (
                    "port.luohu",
                    "罗湖口岸",
                    "Luohu Port",
                    "port",
                    "existing",
                    "located",
                    Point(114.113365, 22.531083),
                ),
                (
                    "port.liantang",
                    "莲塘口岸",
                    "Liantang Port",
                    "port",
                    "existing",
                    "located",
                    Point(114.1524222, 22.5542861),
                ),
                (
                    "port.wenjindu",
                    XSS,
                    XSS,
                    "port",
                    "existing",
                    "approximate",
                    Point(114.1294, 22.537),
                ),
            ],
        ),
        "metro_lines": _frame(
            "metro_lines",
            [
                (
                    "metro.1",
                    "1号线",
                    "Line 1",
                    "metro_line",
                    "existing",
                    "approximate",
                    LineString([(114.1134, 22.5320), (114.1090, 22.5405), (114.0990, 22.5440)]),
                ),
                (
                    "metro.17",
                    "17号线",
                    "Line 17",
                    "metro_project",
                    "planned",
                    "schematic",
                    LineString([(114.120, 22.540), (114.150, 22.560), (114.170, 22.575)]),
                ),
            ],
        ),
        "metro_stations": _frame(
            "metro_stations",
            [
                (
                    "station.luohu",
                    "罗湖",
                    "Luohu",
                    "metro_station",
                    "existing",
                    "located",
                    Point(114.1134, 22.5320),
                ),
                (
                    "station.guomao",
                    "国贸",
                    "Guomao",
                    "metro_station",
                    "existing",
                    "located",
                    Point(114.1090, 22.5405),
                ),
                ("station.x", "某站", "Unnamed", "metro_station", "planned", "unlocated", None),
            ],
        ),
        "roads": _frame(
            "roads",
            [
                (
                    "road.luosha",
                    "罗沙路",
                    "Luosha Road",
                    "road",
                    "existing",
                    "approximate",
                    LineString([(114.125, 22.548), (114.155, 22.556)]),
                ),
                (
                    "tunnel.x",
                    "东部过境隧道",
                    "Eastern transit tunnel",
                    "tunnel",
                    "under_construction",
                    "approximate",
                    LineString([(114.14, 22.565), (114.17, 22.58)]),
                ),
            ],
        ),
        "zones": _frame(
            "zones",
            [
                (
                    "zone.hubei",
                    "湖贝片区",
                    "Hubei",
                    "zone",
                    "proposed",
                    "approximate",
                    Polygon(
                        [(114.115, 22.542), (114.122, 22.542), (114.122, 22.548), (114.115, 22.548)]
                    ),
                ),
            ],
        ),
        "low_altitude": _frame(
            "low_altitude",
            [
                (
                    "landing.1",
                    "起降点一",
                    "Landing point 1",
                    "landing_point",
                    "planned",
                    "located",
                    Point(114.135, 22.565),
                ),
                (
                    "route.1",
                    "低空航线",
                    "Air route",
                    "air_route",
                    "proposed",
                    "schematic",
                    LineString([(114.135, 22.565), (114.16, 22.58)]),
                ),
            ],
        ),
        "context": _frame(
            "context",
            [
                (
                    "district.luohu",
                    "罗湖区",
                    "Luohu District",
                    "district",
                    "existing",
                    "surveyed",
                    luohu,
                ),
                (
                    "district.futian",
                    "福田区",
                    "Futian District",
                    "neighbour_district",
                    "existing",
                    "surveyed",
                    futian,
                ),
            ],
        ),
    }


EXPECTED_COUNTS = {
    "structure": 3,
    "ports": 3,
    "metro_lines": 2,
    "metro_stations": 2,
    "roads": 2,
    "zones": 1,
    "low_altitude": 2,
    "context": 2,
}


def _geojsons(m: folium.Map) -> dict[str, folium.GeoJson]:
    out = {}
    for group in m._children.values():
        for child in getattr(group, "_children", {}).values():
            if isinstance(child, folium.GeoJson) and child.layer_name != "highlight":
                out[child.layer_name] = child
    return out


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return luohu_layers()


def test_one_group_and_geojson_per_layer_with_counts(layers):
    m = _map(layers)
    gjs = _geojsons(m)
    assert {n: len(g.data["features"]) for n, g in gjs.items()} == EXPECTED_COUNTS
    groups = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert groups.pop() == LABELS_TITLE  # the name labels, added after the layers
    assert sorted(groups) == sorted(
        f"{layer_title(n)} ({c})".replace("<", "&lt;") for n, c in EXPECTED_COUNTS.items()
    )
    children = list(m._children.values())
    assert isinstance(children[-1], folium.LayerControl)  # added last
    assert m.options["prefer_canvas"] is True
    assert m.options["maxZoom"] == 19
    assert set(EXPECTED_COUNTS) <= set(META)


def test_context_is_drawn_below_and_listed_last(layers):
    m = _map(layers)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert names[0].startswith("Context")  # first added = bottom of the canvas
    html = m.get_root().render()
    order = re.search(r"var r = (\{.*?\});", html).group(1)
    rank = json.loads(order)
    assert min(rank, key=rank.get).startswith("Structure")
    assert max(rank, key=rank.get) == LABELS_TITLE
    del rank[LABELS_TITLE]
    assert max(rank, key=rank.get).startswith("Context")


def test_unlocated_features_are_not_drawn(layers):
    gj = _geojsons(_map(layers))["metro_stations"]
    ids = [f["properties"]["id"] for f in gj.data["features"]]
    assert "station.x" not in ids
    assert len(ids) == 2


def test_fits_the_district(layers):
    m = _map(layers)
    fit = next(c for c in m._children.values() if type(c).__name__ == "FitBounds")
    (s, w), (n, e) = fit.bounds
    minx, miny, maxx, maxy = layers["context"].geometry.iloc[0].bounds
    assert (s, w, n, e) == pytest.approx((miny, minx, maxy, maxx))


def test_highlight_fits_the_feature_and_draws_it_on_top(layers):
    m = _map(layers, highlight_id="port.luohu")
    children = list(m._children.values())
    hl = [c for c in children if isinstance(c, folium.GeoJson) and c.layer_name == "highlight"]
    assert len(hl) == 1
    assert hl[0].data["features"][0]["properties"]["id"] == "port.luohu"
    fit = next(c for c in children if type(c).__name__ == "FitBounds")
    (s, w), (n, e) = fit.bounds
    assert s < 22.531083 < n
    assert w < 114.113365 < e
    assert n - s < 0.01
    with pytest.raises(ValueError, match=r"station.x"):
        _map(layers, highlight_id="station.x")  # unlocated: not drawn


def test_hostile_text_is_escaped_everywhere(layers):
    html = _map(layers, embed=True).get_root().render()
    assert XSS not in html
    assert "onerror=alert(1)" in html  # still there, as inert text
    gj = _geojsons(_map(layers))["ports"]
    props = next(
        f["properties"] for f in gj.data["features"] if f["properties"]["id"] == "port.wenjindu"
    )
    assert props["name"] == props["name_en"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert all("<" not in v for v in props.values())


def test_tooltip_language_order(layers):
    def fields(lang):
        gj = _geojsons(_map(layers, label_lang=lang))["ports"]
        return next(c for c in gj._children.values() if isinstance(c, folium.GeoJsonTooltip)).fields

    assert fields("zh") == ["name", "name_en"]
    assert fields("en") == ["name_en", "name"]


def test_popup_shows_readable_values(layers):
    frames = dict(layers)
    frames["ports"] = layers["ports"].assign(report_excerpt="……莲塘口岸……", mentions=3)
    gj = _geojsons(_map(frames))["ports"]
    props = gj.data["features"][1]["properties"]
    assert props["kind"] == "口岸 Border port"
    assert props["status"] == "现状 existing"
    assert props["precision"] == "有据定位 located"
    assert props["mentions"] == "3"
    assert props["report_excerpt"] == "……莲塘口岸……"


def test_no_cdn_links_for_offline_maps(layers):
    for kwargs in ({"embed": True}, {"asset_base": STREAMLIT_BASE_URL}):
        html = _map(layers, **kwargs).get_root().render()
        assert_no_cdn(html)
    with pytest.raises(OfflineAssetError, match=r"cdn.jsdelivr.net"):
        assert_no_cdn(_map(layers).get_root().render())


def test_legend_lists_the_styles_present(layers):
    html = _map(layers).get_root().render()
    assert "Metro project (planned), schematic" in html
    assert "Tunnel (under construction)" in html
    assert "School" not in html  # no school in the data


def test_amap_shifts_geometries_about_600_m(layers):
    plain = _geojsons(_map(layers))["ports"].data["features"][0]["geometry"]["coordinates"]
    amap = _map(layers, basemap="amap", asset_base=STREAMLIT_BASE_URL)
    shifted = _geojsons(amap)["ports"].data["features"][0]["geometry"]["coordinates"]
    pts = gpd.GeoSeries([Point(plain), Point(shifted)], crs=4326).to_crs(32650)
    assert 550 < pts.iloc[0].distance(pts.iloc[1]) < 650
    tiles = [c for c in amap._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    assert tiles[0].options["attribution"] == "高德地图"
    remote = cdn_links(amap.get_root().render())
    assert len(remote) == 1
    assert remote[0].startswith("https://webrd0{s}.is.autonavi.com/")
    assert_no_cdn(_map(layers, basemap="amap", embed=True).get_root().render(), allow_tiles=True)


def test_bad_options_list_the_choices(layers):
    with pytest.raises(ValueError, match="none, osm, cartodb_positron, amap, satellite"):
        _map(layers, basemap="google")
    with pytest.raises(ValueError, match="zh, en"):
        _map(layers, label_lang="fr")
    bad = {"ports": layers["ports"].assign(status="built")}
    with pytest.raises(ValueError, match="existing, under_construction"):
        _map(bad)


def test_empty_layer_stays_listed_with_zero():
    frames = luohu_layers()
    frames["roads"] = frames["roads"].iloc[0:0]
    m = _map(frames)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert any(n.startswith("Transport · 道路") and n.endswith("(0)") for n in names)
    assert "roads" not in _geojsons(m)


def test_planmap_map_writes_a_standalone_file(tmp_path, capsys):
    from planmap.cli import main

    src = tmp_path / "layers"
    src.mkdir()
    from layers.export import write_build

    write_build(layer_set(luohu_layers()), src)
    out = tmp_path / "out" / "map.html"
    assert main(["map", "--out", str(out), "--layers-dir", str(src)]) == 0
    html = out.read_text(encoding="utf-8")
    assert_no_cdn(html)
    listed = json.loads(re.search(r"var r = (\{.*?\});", html).group(1))
    expected = {f"{layer_title(n)} ({c})" for n, c in EXPECTED_COUNTS.items()}
    assert set(listed) == expected | {LABELS_TITLE}
    assert [p.name for p in out.parent.iterdir()] == ["map.html"]  # no temp file left
    assert "17 features drawn, 1 unlocated" in capsys.readouterr().out
    assert main(["map", "--out", str(out), "--layers-dir", str(tmp_path / "none")]) == 2


def test_hook_survives_streamlit_folium_renaming(layers):
    """st_folium renames every variable when it renders; a cached map is rendered again."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # streamlit's bare-mode notices
        from streamlit_folium import _get_map_string

    m = _map(layers, asset_base=STREAMLIT_BASE_URL)
    for _ in range(2):
        m.get_root().render()
        script = _get_map_string(m)
        used = set(re.findall(r"(geo_json_\w+)\.getLayers", script))
        declared = set(re.findall(r"var (geo_json_\w+) = L\.geoJson", script))
        assert len(used) == len(EXPECTED_COUNTS)
        assert used <= declared


@pytest.mark.parametrize(
    ("basemap", "host"),
    [
        ("osm", "tile.openstreetmap.org"),
        ("cartodb_positron", "basemaps.cartocdn.com"),
        ("satellite", "server.arcgisonline.com"),
    ],
)
def test_online_basemaps_add_one_tile_layer(layers, basemap, host):
    m = _map(layers, basemap=basemap)
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    assert host in tiles[0].tiles
    assert tiles[0].control is False
    plain = _geojsons(_map(layers))["ports"].data
    assert _geojsons(m)["ports"].data == plain  # only AMap is shifted


def test_unknown_kind_names_the_feature(layers):
    bad = {"ports": layers["ports"].assign(kind=["port", "harbour", "port"])}
    with pytest.raises(ValueError, match=r"layer 'ports', feature 'port.liantang': kind 'harbour'"):
        _map(bad)


def test_labels_name_the_big_things_in_the_chosen_language(layers):
    def labels(**kw):
        m = _map(layers, **kw)
        group = next(
            (c for c in m._children.values() if getattr(c, "layer_name", "") == LABELS_TITLE), None
        )
        if group is None:
            return []
        return [mk.icon.options["html"] for mk in group._children.values()]

    zh = labels()
    assert "<div>罗湖口岸</div>" in zh
    assert "<div>罗湖区</div>" in zh
    assert "<div>&lt;img src=x onerror=alert(1)&gt;</div>" in zh  # escaped
    assert len(zh) == 7  # 2 districts, a zone, a cluster, 3 ports; no stations or lines
    assert "<div>Luohu Port</div>" in labels(label_lang="en")
    assert labels(labels=False) == []


def _decode_numbers(text: str, alphabet: str) -> list[int]:
    """The integers of a packed layer's ``c`` text (the page's decoder, in Python)."""
    value = {ch: i for i, ch in enumerate(alphabet)}
    out, r, shift = [], 0, 0
    for ch in text:
        b = value[ch]
        r |= (b & 31) << shift
        shift += 5
        if b < 32:
            out.append(~(r >> 1) if r & 1 else r >> 1)
            r, shift = 0, 0
    assert shift == 0
    return out


def _unpack(packed: dict, alphabet: str, scale: int) -> list[tuple[str, Any, dict, dict]]:
    """(type, coordinates as GeoJSON, properties, style) of each packed feature; rings without
    their closing vertex, as Leaflet keeps them."""
    nums = iter(_decode_numbers(packed["c"], alphabet))
    lat = lng = 0
    shape = iter(packed["g"])

    def pt():
        nonlocal lat, lng
        lat += next(nums)
        lng += next(nums)
        return [round(lng / scale, 6), round(lat / scale, 6)]

    def pts(n):
        return [pt() for _ in range(n)]

    def rings():
        return [pts(next(shape)) for _ in range(next(shape))]

    names = ["Point", "LineString", "Polygon", "MultiLineString", "MultiPolygon", "MultiPoint"]
    keys, nk, out = packed["k"], len(packed["k"]), []
    for f, style in enumerate(packed["t"]):
        kind = names[next(shape)]
        if kind == "Point":
            coords = pt()
        elif kind in ("LineString", "MultiPoint"):
            coords = pts(next(shape))
        elif kind in ("Polygon", "MultiLineString"):
            coords = rings()
        else:
            coords = [rings() for _ in range(next(shape))]
        props = {k: packed["u"][packed["p"][f * nk + i]] for i, k in enumerate(keys)}
        out.append((kind, coords, props, packed["s"][style]))
    assert next(nums, None) is None
    assert next(shape, None) is None
    return out


def _open_rings(kind: str, coords):
    strip = lambda ring: ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring  # noqa: E731
    if kind == "Polygon":
        return [strip(r) for r in coords]
    if kind == "MultiPolygon":
        return [[strip(r) for r in p] for p in coords]
    return coords


def test_layers_are_packed_exactly_and_compactly(layers):
    """Each layer is written as packed text (coordinates, shared values) the page decodes into
    Leaflet layers; decoded, it is exactly the layer's GeoJSON, at 6 decimals."""
    from shapely.geometry import MultiPolygon

    from layers.map import packed as _packed

    frames = dict(layers)
    holed = Polygon(
        [(114.13, 22.55), (114.15, 22.55), (114.15, 22.57), (114.13, 22.57)],
        [[(114.135, 22.555), (114.14, 22.555), (114.14, 22.56)]],
    )
    frames["zones"] = _frame(
        "zones",
        [
            ("zone.holed", "有洞", "Holed", "zone", "planned", "approximate", holed),
            (
                "zone.multi",
                "多块",
                "Multi",
                "zone",
                "planned",
                "approximate",
                MultiPolygon([holed, Polygon([(114.2, 22.6), (114.21, 22.6), (114.2, 22.61)])]),
            ),
        ],
    )
    m = _map(frames, label_lang="en")
    html = m.get_root().render()
    gjs = _geojsons(m)
    assert set(gjs) == set(EXPECTED_COUNTS)
    for gj in gjs.values():
        assert isinstance(gj, PackedGeoJson)
        got = _unpack(gj.packed, _packed._ALPHABET, _packed._SCALE)
        assert len(got) == len(gj.data["features"])
        for (kind, coords, props, style), feat in zip(got, gj.data["features"], strict=True):
            geom = json.loads(json.dumps(feat["geometry"]))
            assert kind == geom["type"]
            assert coords == _open_rings(kind, geom["coordinates"])
            assert props == feat["properties"]
            assert style["color"]
            assert "weight" in style
        assert json.dumps(gj.packed["c"]) in html  # the packed text is what the page gets
    coords = _geojsons(m)["context"].data["features"][0]["geometry"]["coordinates"]
    assert json.dumps(coords) not in html  # and not the GeoJSON as well
    assert XSS not in html
    ports = _unpack(gjs["ports"].packed, _packed._ALPHABET, _packed._SCALE)
    assert {p[2]["name"] for p in ports} >= {"&lt;img src=x onerror=alert(1)&gt;"}
    tip = next(c for c in gjs["ports"]._children.values() if isinstance(c, folium.GeoJsonTooltip))
    assert tip.fields == ["name_en", "name"]
    # no "{{" may reach folium's second pass of the script through Jinja
    assert not set(_packed._ALPHABET) & set("{}%#<>&'\"\\")


def test_a_layer_that_cannot_be_packed_is_drawn_as_geojson(layers):
    from shapely.geometry import GeometryCollection

    frames = dict(layers)
    mixed = GeometryCollection(
        [Point(114.12, 22.55), LineString([(114.12, 22.55), (114.13, 22.56)])]
    )
    frames["zones"] = _frame(
        "zones", [("zone.gc", "混合", "Mixed", "zone", "planned", "approximate", mixed)]
    )
    m = _map(frames)
    gj = _geojsons(m)["zones"]
    assert type(gj) is folium.GeoJson
    assert len(gj.data["features"]) == 1
    assert isinstance(_geojsons(m)["ports"], PackedGeoJson)
    with pytest.warns(UserWarning, match="GeometryCollection"):  # folium's, on tooltips
        html = m.get_root().render()
    assert "zone.gc" in html
    assert "L.geoJson(" in html


@pytest.mark.parametrize("text", ["MARK{{ 7*7 }}END", "MARK{% x %}END", "MARK{# c END"])
def test_template_syntax_in_text_is_shown_never_run(text):
    """branca parses rendered scripts again as Jinja: names, notes and titles must not."""
    layers = luohu_layers()
    ports = layers["ports"].copy()
    ports.loc[ports.index[0], "name"] = text
    ports.loc[ports.index[0], "note"] = text
    layers["ports"] = ports
    html = _map(layers, asset_base="/app/static/vendor/").get_root().render()
    assert "MARK49END" not in html
    assert "MARK" in html
    assert "MARK&#123;" in html or "MARK\\u0026#123;" in html
