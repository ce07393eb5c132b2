"""The compact (packed) form of a layer and the element that draws it in the page.

Coordinates become one short polyline-like string, properties and styles tables of distinct
values; :class:`PackedGeoJson` decodes them straight into Leaflet layers.
"""

from __future__ import annotations

import json
from typing import Any

import folium
import numpy as np

from geo.geojson import DECIMALS
from layers.map.page import SafeTemplate

#: geometry type codes of the packed layers (see :class:`PackedGeoJson`)
_POINT, _LINE, _POLYGON, _MULTILINE, _MULTIPOLYGON, _MULTIPOINT = range(6)
#: degrees -> integer units of the packed coordinates (6 decimals, as :data:`DECIMALS`)
_SCALE = 10**DECIMALS
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_ALPHABET_BYTES = np.frombuffer(_ALPHABET.encode("ascii"), dtype=np.uint8)


def _polyline_chars(values: np.ndarray) -> str:
    """Signed integers as text, like an encoded polyline: zigzag, then 5-bit groups (low
    first), 0x20 added to every group but the last, each written as a character of the
    URL-safe base64 alphabet (:data:`_ALPHABET`: nothing to escape in JSON, HTML or the
    Jinja templates folium renders the script through again)."""
    v = values.astype(np.int64)
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    groups = np.ones(len(z), dtype=np.int64)
    rest = z >> np.uint64(5)
    while rest.any():
        groups += rest > 0
        rest >>= np.uint64(5)
    ends = np.cumsum(groups)
    starts = ends - groups
    out = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    for j in range(int(groups.max()) if len(groups) else 0):
        has = groups > j
        chunk = ((z[has] >> np.uint64(5 * j)) & np.uint64(31)).astype(np.int64)
        more = (groups[has] - 1 > j).astype(np.int64) * 32
        out[starts[has] + j] = chunk | more
    return _ALPHABET_BYTES[out].tobytes().decode("ascii")


def _pack_geometry(geom, shape: list[int], parts: list[np.ndarray]) -> bool:
    """Append one geometry's structure (type code, counts) to ``shape`` and its coordinates
    (lon, lat rows; rings without their closing vertex, as Leaflet keeps them) to ``parts``.
    False for what the packing does not cover (GeometryCollection, 3-D is flattened)."""

    def ring(coords) -> int:
        xy = np.asarray(coords, dtype=float)[:, :2]
        if len(xy) > 1 and (xy[0] == xy[-1]).all():
            xy = xy[:-1]
        parts.append(xy)
        return len(xy)

    def line(coords) -> int:
        xy = np.asarray(coords, dtype=float)[:, :2]
        parts.append(xy)
        return len(xy)

    def polygon(p) -> list[int]:
        rings = [p.exterior, *p.interiors]
        return [len(rings), *(ring(r.coords) for r in rings)]

    kind = geom.geom_type
    if kind == "Point":
        shape.append(_POINT)
        parts.append(np.asarray(geom.coords, dtype=float)[:, :2])
    elif kind == "LineString":
        shape += [_LINE, line(geom.coords)]
    elif kind == "Polygon":
        shape += [_POLYGON, *polygon(geom)]
    elif kind == "MultiLineString":
        shape += [_MULTILINE, len(geom.geoms), *(line(g.coords) for g in geom.geoms)]
    elif kind == "MultiPolygon":
        shape += [_MULTIPOLYGON, len(geom.geoms)]
        for p in geom.geoms:
            shape += polygon(p)
    elif kind == "MultiPoint":
        shape += [_MULTIPOINT, len(geom.geoms)]
        parts += [np.asarray(g.coords, dtype=float)[:, :2] for g in geom.geoms]
    else:
        return False
    return True


def pack(geoms: list, props: list[dict[str, str]], styles: list[dict]) -> dict[str, Any] | None:
    """The compact form of a layer drawn by :class:`PackedGeoJson`, or None when it cannot
    be packed (a GeometryCollection; coordinates beyond ±2000 degrees).

    - ``c``: every coordinate as (lat, lon) integers of 1e-6 degree, each the difference to
      the previous one, as text (:func:`_polyline_chars`; ~5 bytes a vertex, not ~22 as JSON);
    - ``g``: per feature a type code and its part/ring/vertex counts;
    - ``k``, ``u``, ``p``: property keys, the distinct (escaped) values, and per feature the
      index of each key's value (notes, sources and labels repeat across features);
    - ``s``, ``t``: the distinct styles and each feature's style index.
    """
    shape: list[int] = []
    parts: list[np.ndarray] = []
    for geom in geoms:
        if not _pack_geometry(geom, shape, parts):
            return None
    xy = np.concatenate(parts) if parts else np.zeros((0, 2))
    if len(xy) and np.abs(xy).max() > 2000:
        return None
    ints = np.rint(xy[:, ::-1] * _SCALE).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    keys = list(props[0]) if props else []
    values: dict[str, int] = {}
    index = [values.setdefault(p[k], len(values)) for p in props for k in keys]
    style_keys: dict[str, int] = {}
    style_list: list[dict] = []
    style_index = []
    for s in styles:
        key = json.dumps(s, sort_keys=True)
        if key not in style_keys:
            style_keys[key] = len(style_list)
            style_list.append(s)
        style_index.append(style_keys[key])
    return {
        "c": _polyline_chars(deltas),
        "g": shape,
        "k": keys,
        "u": list(values),
        "p": index,
        "s": style_list,
        "t": style_index,
    }


class PackedGeoJson(folium.GeoJson):
    """A layer's ``L.GeoJSON`` built in the page from a compact form (:func:`pack`) instead
    of inline GeoJSON: at 100× the Luohu features the GeoJSON text was ~14 MB that the
    browser parsed, then walked again to make a ``LatLng`` of each of ~400k vertex pairs.
    Here the coordinates are one short string decoded straight into ``L.LatLng`` objects and
    the Leaflet layers (``L.Polygon``/``L.Polyline``/``L.CircleMarker``, as ``L.GeoJSON``
    would make them, with the same ``feature`` and style), added to the ``L.GeoJSON`` layer.

    ``data`` stays the layer's GeoJSON (inspection, bounds, tooltip/popup field checks);
    tooltips and popups stay bound once to the layer, built when shown.
    """

    _template = SafeTemplate(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(null, {{ this.layer_options|tojson }});
        (function (layer, d) {
            var s = d.c, at = 0, lat = 0, lng = 0, g = d.g, gi = 0, v = new Uint8Array(128);
            for (var c = 0; c < 64; c++) v[{{ this.alphabet|tojson }}.charCodeAt(c)] = c;
            function num() {
                var r = 0, sh = 0, b;
                do { b = v[s.charCodeAt(at++)]; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
                return (r & 1) ? ~(r >>> 1) : (r >>> 1);
            }
            function pt() {
                lat += num(); lng += num();
                return new L.LatLng(lat / {{ this.scale }}, lng / {{ this.scale }});
            }
            function pts(n) { var a = new Array(n); for (var i = 0; i < n; i++) a[i] = pt(); return a; }
            function rings() { var n = g[gi++], a = new Array(n); for (var i = 0; i < n; i++) a[i] = pts(g[gi++]); return a; }
            var base = {{ this.marker_options|tojson }}, lo = layer.options;
            var popts = d.s.map(function (st) { return Object.assign({}, base, st); });
            var opts = d.s.map(function (st) {
                return Object.assign({smoothFactor: lo.smoothFactor}, st);
            });
            var k = d.k, u = d.u, p = d.p, nk = k.length, layers = [];
            for (var f = 0; f < d.t.length; f++) {
                var o = opts[d.t[f]], t = g[gi++], l, i, n, a;
                if (t === 0) l = new L.CircleMarker(pt(), popts[d.t[f]]);
                else if (t === 1) l = new L.Polyline(pts(g[gi++]), o);
                else if (t === 2) l = new L.Polygon(rings(), o);
                else if (t === 3) l = new L.Polyline(rings(), o);
                else if (t === 4) {
                    n = g[gi++]; a = new Array(n);
                    for (i = 0; i < n; i++) a[i] = rings();
                    l = new L.Polygon(a, o);
                } else {
                    n = g[gi++]; a = new Array(n);
                    for (i = 0; i < n; i++) a[i] = new L.CircleMarker(pt(), popts[d.t[f]]);
                    l = new L.FeatureGroup(a);
                }
                var props = {};
                for (i = 0; i < nk; i++) props[k[i]] = u[p[f * nk + i]];
                l.feature = {type: "Feature", id: f, properties: props};
                l.defaultOptions = l.options;
                layers.push(l);
            }
            for (var j = 0; j < layers.length; j++) layer.addLayer(layers[j]);
        })({{ this.get_name() }}, {{ this.packed|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, packed: dict, **kwargs):
        super().__init__(data, **kwargs)
        self.packed = packed
        self.scale = _SCALE
        self.alphabet = _ALPHABET
        self.layer_options = {"smoothFactor": self.smooth_factor, **self.options}
        self.marker_options = {
            k: v for k, v in folium.CircleMarker().options.items() if v is not None
        }
