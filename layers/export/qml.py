"""QGIS styles (QML) generated from the one style table, :func:`layers.styles.style_for`.

A layer's style is a rule-based renderer with one rule per legend entry of the web map
(:func:`layers.styles.legend_entries`: kind × status, schematic and ``within`` apart), in the
legend's order and with its bilingual labels, so QGIS's legend reads like the web legend. Where
an entry has both located and ``approximate`` rows and these look different (lighter), the
approximate ones get a rule of their own, labelled so (the web legend shows one swatch).

Symbols translate Leaflet's path options, in screen pixels, to QGIS millimetres at 96 dpi:
colour and opacity, line width, the dash array (QGIS custom dashes, ``customdash`` in mm),
translucent fills, circle markers (diameter = 2 × radius); ``within`` areas are an outline and
a line-pattern hatch, never a fill. Labels (the kinds the web map names,
:data:`layers.styles.LABEL_KINDS`) use a CJK font with fallbacks.

The XML follows what QGIS 3.22 itself writes (``QgsMapLayer.saveNamedStyle``): ``renderer-v2
type="RuleRenderer"`` with ``rules``/``symbols``, symbol layers carrying both the
``<Option type="Map">`` form and the older ``<prop k v>`` form (read by every QGIS 3), and
``labeling type="rule-based"`` with ``settings``/``text-style``/``families``.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo.model import Precision, Shape, drawn_mask
from layers.styles import LABEL_KINDS, legend_entries, style_for

__all__ = [
    "LABEL_FONTS",
    "PX_MM",
    "Rule",
    "dash_mm",
    "layer_rules",
    "qml_text",
    "shape_of",
    "style_elements",
]

#: one CSS pixel in millimetres (96 dpi), the unit Leaflet styles are given in
PX_MM = 25.4 / 96
#: label fonts, first found wins: Debian/Linux (fonts-noto-cjk), Windows, macOS
LABEL_FONTS = ("Noto Sans CJK SC", "Microsoft YaHei", "SimHei", "PingFang SC")
LABEL_SIZE_PT = 9.0
QGIS_VERSION = "3.22.0"
_NS = uuid.UUID("5e1d0c3a-3f49-4a8e-9a51-6f1f0d0b7a10")
_LINE_SHAPES = {"Point": Shape.POINT, "LineString": Shape.LINE, "Polygon": Shape.AREA}


@dataclass(frozen=True)
class Rule:
    """One rule of a layer's style: a legend entry (or its approximate rows) of one shape."""

    label: str
    expression: str
    shape: Shape
    style: dict[str, Any]
    kind: str
    status: str
    precisions: tuple[str, ...]


def shape_of(geom_type: str | None) -> Shape | None:
    """``Point``/``MultiPoint`` -> point, lines -> line, polygons -> area, else None."""
    if not geom_type:
        return None
    return _LINE_SHAPES.get(geom_type.removeprefix("Multi"))


def dash_mm(dash: str | None) -> list[float]:
    """A Leaflet dash array in pixels (``"10 6"``) as QGIS millimetres; ``[]`` for solid."""
    return [round(float(v) * PX_MM, 4) for v in (dash or "").replace(",", " ").split()]


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _in(field: str, values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f'"{field}" = {_quote(values[0])}'
    return f'"{field}" IN ({", ".join(_quote(v) for v in values)})'


def _drawn_records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """``kind, status, precision, shape, geometry`` of the drawn rows, as plain dicts."""
    if not len(gdf):
        return []
    drawn = gdf.loc[drawn_mask(gdf)]
    return [
        {
            "kind": str(k),
            "status": str(s),
            "precision": str(p).strip().lower(),
            "shape": shape_of(g.geom_type),
            "geometry": g,
        }
        for k, s, p, g in zip(
            drawn["kind"], drawn["status"], drawn["precision"], drawn.geometry, strict=True
        )
    ]


def layer_rules(
    gdf: gpd.GeoDataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    records: list[dict[str, Any]] | None = None,
) -> list[Rule]:
    """The rules of a layer's drawn rows, per shape (areas, lines, points), each shape's in
    web-legend order.

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer (``kind``, ``status``, ``precision``, geometry).
    labels : mapping, optional
        The district's legend labels by kind.
    """
    records = _drawn_records(gdf) if records is None else records
    rules: list[Rule] = []
    plain = (Precision.SURVEYED.value, Precision.LOCATED.value)
    approximate = Precision.APPROXIMATE.value
    for shape in (Shape.AREA, Shape.LINE, Shape.POINT):
        rows = [r for r in records if r["shape"] is shape]
        present = {(r["kind"], r["status"], r["precision"]) for r in rows}
        for entry in legend_entries(rows, labels=labels):
            kind, status = entry["kind"], entry["status"]
            groups: list[tuple[tuple[str, ...], str]]
            label = f"{entry['label_zh']} {entry['label_en']}"
            if entry["schematic"] or entry["within"]:
                variant = Precision.WITHIN.value if entry["within"] else Precision.SCHEMATIC.value
                groups = [((variant,), label)]
            elif not any((kind, status, p) in present for p in plain):
                groups = [((approximate,), label)]
            elif (kind, status, approximate) not in present:
                groups = [(plain, label)]
            elif style_for(kind, status, approximate) == style_for(kind, status, "located"):
                groups = [((*plain, approximate), label)]
            else:
                groups = [(plain, label), ((approximate,), f"{label} · 近似 approximate")]
            for precisions, text in groups:
                if not any((kind, status, p) in present for p in precisions):
                    continue
                expression = " AND ".join(
                    (_in("kind", (kind,)), _in("status", (status,)), _in("precision", precisions))
                )
                style = style_for(kind, status, precisions[-1])
                assert style is not None  # a legend entry is a drawn style
                rules.append(Rule(text, expression, shape, style, kind, status, precisions))
    return rules


# -- XML --------------------------------------------------------------------------------------


def _rgba(hex_colour: str, opacity: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(max(0.0, min(1.0, opacity)) * 255)}"


def _num(value: float) -> str:
    return f"{round(value, 4):g}"


def _symbol_layer(cls: str, props: dict[str, str], sub: ET.Element | None = None) -> ET.Element:
    layer = ET.Element("layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for k, v in props.items():
        ET.SubElement(options, "Option", {"name": k, "value": v, "type": "QString"})
    for k, v in props.items():
        ET.SubElement(layer, "prop", {"k": k, "v": v})
    if sub is not None:
        layer.append(sub)
    return layer


def _symbol(name: str, kind: str, layers: list[ET.Element]) -> ET.Element:
    symbol = ET.Element(
        "symbol",
        {"name": name, "type": kind, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    symbol.extend(layers)
    return symbol


def _line_props(colour: str, opacity: float, weight: float, dash: str | None) -> dict[str, str]:
    dashes = dash_mm(dash)
    return {
        "line_color": _rgba(colour, opacity),
        "line_width": _num(weight * PX_MM),
        "line_width_unit": "MM",
        "line_style": "solid",
        "use_custom_dash": "1" if dashes else "0",
        "customdash": ";".join(_num(d) for d in dashes) if dashes else "5;2",
        "customdash_unit": "MM",
        # Leaflet's defaults (lineCap/lineJoin round), dashes included
        "capstyle": "round",
        "joinstyle": "round",
        "offset": "0",
        "offset_unit": "MM",
    }


def _symbol_for(rule: Rule, name: str) -> ET.Element:
    s = rule.style
    if rule.shape is Shape.POINT:
        props = {
            "name": "circle",
            "color": _rgba(s["fillColor"], s["fillOpacity"] if s["fill"] else 0.0),
            "outline_color": _rgba(s["color"], s["opacity"]),
            "outline_width": _num(s["weight"] * PX_MM),
            "outline_width_unit": "MM",
            "outline_style": "dash" if s["dashArray"] else "solid",
            "size": _num(2 * s["radius"] * PX_MM),
            "size_unit": "MM",
            "scale_method": "diameter",
            "angle": "0",
            "offset": "0,0",
            "offset_unit": "MM",
            "joinstyle": "round",
            "horizontal_anchor_point": "1",
            "vertical_anchor_point": "1",
        }
        return _symbol(name, "marker", [_symbol_layer("SimpleMarker", props)])
    outline = _line_props(s["color"], s["opacity"], s["weight"], s["dashArray"])
    if rule.shape is Shape.LINE:
        return _symbol(name, "line", [_symbol_layer("SimpleLine", outline)])
    layers = []
    if s["hatch"]:  # within: hatched, never filled (the place is somewhere inside)
        hatch_line = _line_props(s["color"], 0.7, 1.0, None)
        sub = _symbol(f"@{name}@0", "line", [_symbol_layer("SimpleLine", hatch_line)])
        pattern = {
            "angle": "45",
            "distance": _num(7 * PX_MM),
            "distance_unit": "MM",
            "line_width": _num(PX_MM),
            "line_width_unit": "MM",
            "color": _rgba(s["color"], 0.7),
            "offset": "0",
            "offset_unit": "MM",
        }
        layers.append(_symbol_layer("LinePatternFill", pattern, sub))
    elif s["fill"] and s["fillOpacity"] > 0:
        fill = {
            "color": _rgba(s["fillColor"], s["fillOpacity"]),
            "style": "solid",
            "outline_style": "no",
            "outline_width": "0",
            "outline_width_unit": "MM",
            "offset": "0,0",
            "offset_unit": "MM",
            "joinstyle": "round",
        }
        layers.append(_symbol_layer("SimpleFill", fill))
    # the outline as a line layer: SimpleFill outlines know no custom dash patterns
    layers.append(_symbol_layer("SimpleLine", outline))
    return _symbol(name, "fill", layers)


def _key(*parts: str) -> str:
    return "{" + str(uuid.uuid5(_NS, "|".join(parts))) + "}"


def _renderer(rules: list[Rule], *, tag: str) -> ET.Element:
    renderer = ET.Element(
        "renderer-v2",
        {"type": "RuleRenderer", "forceraster": "0", "symbollevels": "0", "enableorderby": "0"},
    )
    root = ET.SubElement(renderer, "rules", {"key": _key(tag, "root")})
    symbols = ET.SubElement(renderer, "symbols")
    for i, rule in enumerate(rules):
        ET.SubElement(
            root,
            "rule",
            {
                "key": _key(tag, rule.expression, rule.shape.value),
                "label": rule.label,
                "filter": rule.expression,
                "symbol": str(i),
            },
        )
        symbols.append(_symbol_for(rule, str(i)))
    return renderer


def _labeling(kinds: list[str], shape: Shape | None, *, tag: str) -> ET.Element:
    labeling = ET.Element("labeling", {"type": "rule-based"})
    root = ET.SubElement(labeling, "rules", {"key": _key(tag, "labels")})
    rule = ET.SubElement(
        root, "rule", {"key": _key(tag, "label-rule"), "filter": _in("kind", tuple(kinds))}
    )
    settings = ET.SubElement(rule, "settings", {"calloutType": "simple"})
    style = ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": "name",
            "isExpression": "0",
            "fontFamily": LABEL_FONTS[0],
            "fontSize": _num(LABEL_SIZE_PT),
            "fontSizeUnit": "Point",
            "fontWeight": "50",
            "textColor": "38,38,38,255",
            "textOpacity": "1",
            "namedStyle": "",
            "multilineHeight": "1",
        },
    )
    families = ET.SubElement(style, "families")
    for font in LABEL_FONTS:
        ET.SubElement(families, "family", {"name": font})
    ET.SubElement(
        style,
        "text-buffer",
        {
            "bufferDraw": "1",
            "bufferSize": "0.7",
            "bufferSizeUnits": "MM",
            "bufferColor": "255,255,255,255",
            "bufferOpacity": "0.85",
            "bufferNoFill": "1",
            "bufferJoinStyle": "128",
        },
    )
    # points: beside the marker; areas (and mixed): centred inside, as the web map
    placement = "0" if shape is Shape.POINT else "1"
    ET.SubElement(
        settings,
        "placement",
        {
            "placement": placement,
            "dist": "1.2",
            "distUnits": "MM",
            "centroidInside": "1",
            "centroidWhole": "0",
            "fitInPolygonOnly": "0",
            "quadOffset": "4",
            "priority": "5",
        },
    )
    ET.SubElement(
        settings,
        "rendering",
        {"drawLabels": "1", "obstacle": "1", "displayAll": "0", "labelPerPart": "0"},
    )
    return labeling


def style_elements(
    gdf: gpd.GeoDataFrame,
    *,
    shape: Shape | None = None,
    labels: Mapping[str, str] | None = None,
    tag: str = "",
) -> tuple[ET.Element, ET.Element | None]:
    """The ``renderer-v2`` and (or None) ``labeling`` elements of one layer.

    Parameters
    ----------
    shape : Shape, optional
        Only the rules of this shape (one QGIS layer per geometry type of a mixed table);
        None: every rule, each with a geometry-type condition when the layer mixes shapes.
    tag : str
        Makes rule keys unique per layer (a key is a deterministic UUID).
    """
    records = _drawn_records(gdf)
    rules = layer_rules(gdf, labels=labels, records=records)
    if shape is not None:
        rules = [r for r in rules if r.shape is shape]
    elif len({r.shape for r in rules}) > 1:
        qgis_type = {Shape.POINT: "Point", Shape.LINE: "Line", Shape.AREA: "Polygon"}
        rules = [
            Rule(
                f"{r.label} ({r.shape.label.zh} {r.shape.value})",
                f"{r.expression} AND geometry_type($geometry) = '{qgis_type[r.shape]}'",
                r.shape,
                r.style,
                r.kind,
                r.status,
                r.precisions,
            )
            for r in rules
        ]
    renderer = _renderer(rules, tag=tag)
    named = {r["kind"] for r in records if shape is None or r["shape"] is shape}
    kinds = [k for k in LABEL_KINDS if k in named]
    return renderer, (_labeling(kinds, shape, tag=tag) if kinds else None)


def qml_text(
    gdf: gpd.GeoDataFrame,
    *,
    shape: Shape | None = None,
    labels: Mapping[str, str] | None = None,
    tag: str = "",
) -> str:
    """A QML document (a ``.qml`` file, or ``layer_styles.styleQML``) for one layer."""
    renderer, labeling = style_elements(gdf, shape=shape, labels=labels, tag=tag)
    root = ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "styleCategories": "Symbology|Labeling",
            "labelsEnabled": "1" if labeling is not None else "0",
        },
    )
    root.append(renderer)
    if labeling is not None:
        root.append(labeling)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"
