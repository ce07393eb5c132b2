"""DXF for CAD designers: layers, colours, linetypes, blocks and CJK text, in metres.

Written with ezdxf (a maintained pure-Python DXF library) rather than GDAL's DXF driver:
GDAL writes every feature onto one layer from a template header and styles entities only
through OGR style strings, with no control over linetype definitions, blocks, hatches,
lineweights or text styles, which are exactly what a CAD handoff needs; ezdxf writes them
all and audits the result (``Drawing.audit``). ezdxf docs: ``ezdxf.new(setup=True)``,
``Drawing.layers.add``, ``linetypes.add`` (simple patterns: total length, then dashes > 0,
gaps < 0), ``add_hatch`` / ``set_pattern_fill``, ``blocks.new`` / ``add_blockref``,
``add_text(...).set_placement``, ``header.custom_vars``.

Layout (DXF R2010, UTF-8):

- one CAD layer per Planmap layer, and per status and schematic/``within`` variant where the
  look differs: ``metro_lines``, ``metro_lines-planned``, ``structure-planned-schematic``;
  its colour and linetype are the first style drawn on it;
- entities carry their own colour from the style table: the nearest AutoCAD Colour Index
  (:func:`nearest_aci`) and the exact 24-bit true colour; lineweights are the line widths;
- dashed statuses and schematic shapes get linetypes built from the style's dash array
  (``PLANMAP_10_6``), sized for a 1:10 000 plot (:data:`PLOT_SCALE`; change ``LTSCALE`` to
  rescale); translucent fills are SOLID hatches with transparency; ``within`` areas are
  outlined and hatched with ANSI31, never filled;
- point symbols are blocks (``PM_<kind>_<status>_<precision>``: a circle and its fill);
- every outline, line and symbol carries its feature's ``id`` as extended data
  (application ``PLANMAP``), to join back to the attributes;
- names (the kinds the web map labels) are TEXT in style ``PLANMAP_CJK`` (SimHei, the 黑体
  TrueType font of Chinese Windows, with the family name as extended font data);
- coordinates in the export CRS, which must be projected in metres ($INSUNITS = metres); the
  CRS is written as the drawing's custom properties ``CRS`` and ``CRS_WKT``.

Unlocated features have no geometry and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ezdxf
import numpy as np
import shapely
from ezdxf import colors
from ezdxf.enums import TextEntityAlignment
from ezdxf.lldxf import const
from ezdxf.lldxf.validator import is_valid_layer_name

from geo.errors import DataError
from geo.model import Status, drawn_mask
from layers.export.atomic import atomic_path
from layers.export.crs import ExportCrs
from layers.layerset import LayerSet
from layers.styles import LABEL_KINDS, style_for

__all__ = [
    "PLOT_SCALE",
    "TEXT_STYLE",
    "XDATA_APP",
    "cad_layer_name",
    "check_layer_name",
    "linetype_name",
    "nearest_aci",
    "write_dxf",
]

#: the plot scale patterns, symbols and text are sized for (1:10 000)
PLOT_SCALE = 10_000
#: one CSS pixel on paper, in metres on the ground at PLOT_SCALE (96 dpi)
PX_M = 25.4 / 96 / 1000 * PLOT_SCALE
TEXT_STYLE = "PLANMAP_CJK"
#: the application id of the extended data that carries each entity's feature id
XDATA_APP = "PLANMAP"
TEXT_FONT = "simhei.ttf"
TEXT_FAMILY = "SimHei"
#: 9 pt labels at PLOT_SCALE, in metres
TEXT_HEIGHT = 9 * 25.4 / 72 / 1000 * PLOT_SCALE
#: ANSI31's line spacing at scale 1 (drawing units)
_ANSI31_SPACING = 3.175
#: DXF lineweights, in 1/100 mm
_LINEWEIGHTS = (0, 5, 9, 13, 15, 18, 20, 25, 30, 35, 40, 50, 53, 60, 70, 80, 90, 100, 106, 120)
_ILLEGAL = '<>/\\":;?*|=,`'


def nearest_aci(hex_colour: str) -> int:
    """The AutoCAD Colour Index (1–255) nearest to ``#rrggbb`` (Euclidean in RGB)."""
    h = hex_colour.lstrip("#")
    rgb = np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)
    palette = np.array([tuple(colors.aci2rgb(i)) for i in range(1, 256)], dtype=float)
    return int(np.argmin(((palette - rgb) ** 2).sum(axis=1))) + 1


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    red, green, blue = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


def _lineweight(px: float) -> int:
    mm100 = px * 25.4 / 96 * 100
    return min(_LINEWEIGHTS, key=lambda w: abs(w - mm100))


def check_layer_name(name: str) -> None:
    """Raise :class:`~geo.errors.DataError` for a name DXF cannot use as a layer name."""
    if not is_valid_layer_name(name) or len(name) > 255:
        raise DataError(
            f"layer {name!r}: not a valid DXF layer name (at most 255 characters, none of "
            f"{' '.join(_ILLEGAL)}, no leading or trailing space)"
        )


def cad_layer_name(layer: str, status: str, precision: str) -> str:
    """``layer``, then ``-<status>`` unless existing, then ``-schematic``/``-within``."""
    name = layer if status == Status.EXISTING.value else f"{layer}-{status}"
    if precision in ("schematic", "within"):
        name += f"-{precision}"
    return name


def linetype_name(dash: str | None) -> str:
    """``Continuous`` or ``PLANMAP_10_6`` for a dash array ``"10 6"``."""
    if not dash:
        return "Continuous"
    return "PLANMAP_" + "_".join(f"{float(v):g}".replace(".", "p") for v in dash.split())


def _add_linetype(doc: Any, dash: str | None) -> str:
    name = linetype_name(dash)
    if dash and name != "Continuous" and name not in doc.linetypes:
        values = [float(v) * PX_M for v in dash.split()]
        if len(values) % 2:
            values = values * 2  # SVG repeats an odd dash list twice
        pattern = [v if i % 2 == 0 else -v for i, v in enumerate(values)]
        doc.linetypes.add(
            name, [sum(values), *pattern], description=f"Planmap dash {dash} px at 1:{PLOT_SCALE}"
        )
    return name


def _attribs(layer: str, s: dict[str, Any], line_type: str, layer_type: str) -> dict[str, Any]:
    out = {
        "layer": layer,
        "color": nearest_aci(s["color"]),
        "true_color": colors.rgb2int(_rgb(s["color"])),
        "lineweight": _lineweight(s["weight"]),
    }
    if line_type != layer_type:
        out["linetype"] = line_type
    return out


def _block(doc: Any, key: tuple[str, str, str], s: dict[str, Any]) -> str:
    name = "PM_" + "_".join(key)
    if name in doc.blocks:
        return name
    block = doc.blocks.new(name=name)
    if s["fill"] and s["fillOpacity"] > 0:
        fill = block.add_hatch(color=nearest_aci(s["fillColor"]))
        fill.dxf.true_color = colors.rgb2int(_rgb(s["fillColor"]))
        fill.paths.add_edge_path().add_arc((0, 0), 1.0, 0, 360)
        fill.transparency = round(1 - s["fillOpacity"], 3)
    block.add_circle(
        (0, 0),
        1.0,
        dxfattribs={
            "color": nearest_aci(s["color"]),
            "true_color": colors.rgb2int(_rgb(s["color"])),
            "lineweight": _lineweight(s["weight"]),
        },
    )
    return name


def _rings(geom: Any) -> list[tuple[np.ndarray, bool]]:
    """(coordinates, is exterior) of every polygon ring."""
    out = []
    for poly in shapely.get_parts(geom):
        out.append((np.asarray(poly.exterior.coords)[:, :2], True))
        out.extend((np.asarray(r.coords)[:, :2], False) for r in poly.interiors)
    return out


def _area(msp: Any, geom: Any, s: dict[str, Any], attribs: dict[str, Any]) -> list[Any]:
    rings = _rings(geom)
    outlines = [msp.add_lwpolyline(xy.tolist(), close=True, dxfattribs=attribs) for xy, _ in rings]
    if s["hatch"]:  # within: hatched, never filled
        hatch = msp.add_hatch(color=attribs["color"], dxfattribs={"layer": attribs["layer"]})
        hatch.set_pattern_fill("ANSI31", scale=7 * PX_M / _ANSI31_SPACING)
    elif s["fill"] and s["fillOpacity"] > 0:
        hatch = msp.add_hatch(
            color=nearest_aci(s["fillColor"]), dxfattribs={"layer": attribs["layer"]}
        )
        hatch.dxf.true_color = colors.rgb2int(_rgb(s["fillColor"]))
        hatch.transparency = round(1 - s["fillOpacity"], 3)
    else:
        return outlines
    for xy, exterior in rings:
        flags = const.BOUNDARY_PATH_EXTERNAL if exterior else const.BOUNDARY_PATH_DEFAULT
        hatch.paths.add_polyline_path(xy.tolist(), is_closed=True, flags=flags)
    return outlines


def write_dxf(layer_set: LayerSet, path: str | Path, *, crs: ExportCrs) -> Path:
    """Write the layers (frames already in ``crs``, metres) as one DXF, atomically.

    Raises
    ------
    DataError
        A layer name DXF cannot hold.
    """
    for name in layer_set:
        check_layer_name(name)
    doc = ezdxf.new("R2010", setup=True)
    doc.units = ezdxf.units.M
    doc.header["$MEASUREMENT"] = 1
    doc.header["$LTSCALE"] = 1.0
    doc.header.custom_vars.append("CRS", f"EPSG:{crs.epsg}" if crs.epsg else crs.name)
    doc.header.custom_vars.append("CRS_NAME", crs.crs.name)
    doc.header.custom_vars.append("CRS_WKT", crs.crs.to_wkt(version="WKT1_ESRI"))
    doc.header.custom_vars.append("PLOT_SCALE", f"1:{PLOT_SCALE}")
    style = doc.styles.add(TEXT_STYLE, font=TEXT_FONT)
    style.set_extended_font_data(family=TEXT_FAMILY)
    doc.appids.new(XDATA_APP)
    msp = doc.modelspace()
    cache: dict[tuple[str, str, str], dict[str, Any] | None] = {}
    for name in layer_set:
        frame = layer_set[name]
        if not len(frame):
            continue
        drawn = frame.loc[drawn_mask(frame)]
        rows = drawn.drop(columns=drawn.geometry.name).to_dict("records")
        for geom, row in zip(drawn.geometry, rows, strict=True):
            key = (str(row["kind"]), str(row["status"]), str(row["precision"]).strip().lower())
            if key not in cache:
                cache[key] = style_for(*key)
            s = cache[key]
            if s is None:
                continue
            cad = cad_layer_name(name, key[1], key[2])
            line_type = _add_linetype(doc, s["dashArray"])
            if cad not in doc.layers:
                doc.layers.add(
                    cad,
                    color=nearest_aci(s["color"]),
                    true_color=colors.rgb2int(_rgb(s["color"])),
                    linetype=line_type,
                    lineweight=_lineweight(s["weight"]),
                )
            attribs = _attribs(cad, s, line_type, doc.layers.get(cad).dxf.linetype)
            for entity in _entity(doc, msp, geom, key, s, attribs):
                entity.set_xdata(XDATA_APP, [(1000, str(row.get("id", "")))])
            if key[0] in LABEL_KINDS and row.get("name"):
                _label(msp, geom, str(row["name"]), s, cad)
    with atomic_path(path) as tmp:
        doc.saveas(tmp)
    return Path(path)


def _entity(doc, msp, geom, key, s: Mapping[str, Any], attribs: dict[str, Any]) -> list[Any]:
    """Draw one feature; return its outline/line/symbol entities (not hatches)."""
    gtype = geom.geom_type
    if "Polygon" in gtype:
        return _area(msp, geom, dict(s), attribs)
    if "LineString" in gtype:
        return [
            msp.add_lwpolyline(np.asarray(part.coords)[:, :2].tolist(), dxfattribs=attribs)
            for part in shapely.get_parts(geom)
        ]
    block = _block(doc, key, dict(s))
    radius = s["radius"] * PX_M
    return [
        msp.add_blockref(
            block,
            (part.x, part.y),
            dxfattribs={"layer": attribs["layer"], "xscale": radius, "yscale": radius},
        )
        for part in shapely.get_parts(geom)
    ]


def _label(msp: Any, geom: Any, text: str, s: Mapping[str, Any], layer: str) -> None:
    pt = shapely.point_on_surface(geom)
    attribs = {"layer": layer, "style": TEXT_STYLE, "color": 7}
    label = msp.add_text(text, height=TEXT_HEIGHT, dxfattribs=attribs)
    if geom.geom_type == "Point":  # beside the marker, as on the web map
        offset = (s["radius"] + 4) * PX_M
        label.set_placement((pt.x + offset, pt.y), align=TextEntityAlignment.MIDDLE_LEFT)
    else:
        label.set_placement((pt.x, pt.y), align=TextEntityAlignment.MIDDLE_CENTER)
