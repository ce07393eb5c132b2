"""Styled KML for Google Earth and 奥维互动地图: a folder per layer, a style per look.

Each feature's look comes from the style table (:func:`layers.styles.style_for`), written as a
shared ``<Style>`` per kind × status × precision that the placemark points to (``styleUrl``):
KML colours are ``aabbggrr`` (OGC KML 2.2 §16.9), line width in pixels, polygons filled with
their translucent fill (``within`` areas: outline only, ``<fill>0</fill>``), points as a
tinted circle icon scaled to the marker's radius. KML has no dash patterns; the style's name
and the description say when a shape is schematic or planned.

The description is the web map's popup, with every value escaped once by
:func:`layers.map.page.html_text` (via :func:`layers.map.features.properties`) and labels
that are fixed text; the XML writer escapes the markup itself for XML, which a KML reader
undoes before showing the HTML. Coordinates are WGS-84 lon/lat (KML 2.2 requires it); GCJ-02,
on request, is marked in the document name. Features without geometry are left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import PlanmapError
from geo.geojson import DECIMALS
from geo.model import drawn_mask
from layers.export.atomic import atomic_path
from layers.layerset import LayerSet
from layers.map.features import POPUP_FIELDS, properties
from layers.map.page import html_text
from layers.styles import style_for

__all__ = ["KML_NS", "kml_colour", "write_kml"]

KML_NS = "http://www.opengis.net/kml/2.2"
#: Google Earth's own circle icon, tinted by IconStyle/color
ICON = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
#: characters XML 1.0 cannot hold at all (§2.2): C0 controls but tab, LF, CR; lone surrogates;
#: U+FFFE, U+FFFF. ElementTree writes them as they are, which no KML reader then parses
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: the icon is 32 px across at scale 1 (Google Earth), a marker's diameter is 2 × radius
_ICON_PX = 32.0


def kml_colour(hex_colour: str, opacity: float) -> str:
    """``#rrggbb`` and an opacity as KML's ``aabbggrr``."""
    h = hex_colour.lstrip("#").lower()
    alpha = round(max(0.0, min(1.0, float(opacity))) * 255)
    return f"{alpha:02x}{h[4:6]}{h[2:4]}{h[0:2]}"


def _style_id(kind: str, status: str, precision: str) -> str:
    return f"{kind}-{status}-{precision}"


def _style(parent: ET.Element, sid: str, s: dict[str, Any]) -> None:
    style = ET.SubElement(parent, "Style", {"id": sid})
    icon = ET.SubElement(style, "IconStyle")
    ET.SubElement(icon, "color").text = kml_colour(s["fillColor"], max(s["fillOpacity"], 0.6))
    ET.SubElement(icon, "scale").text = f"{2 * s['radius'] / _ICON_PX * 1.6:.2f}"
    ET.SubElement(ET.SubElement(icon, "Icon"), "href").text = ICON
    line = ET.SubElement(style, "LineStyle")
    ET.SubElement(line, "color").text = kml_colour(s["color"], s["opacity"])
    ET.SubElement(line, "width").text = f"{s['weight']:g}"
    poly = ET.SubElement(style, "PolyStyle")
    ET.SubElement(poly, "color").text = kml_colour(s["fillColor"], s["fillOpacity"])
    filled = s["fill"] and s["fillOpacity"] > 0 and not s["hatch"]
    ET.SubElement(poly, "fill").text = "1" if filled else "0"
    ET.SubElement(poly, "outline").text = "1"


def _coords(seq: Any) -> str:
    xy = np.round(np.asarray(seq)[:, :2], DECIMALS)
    return " ".join(f"{x:.{DECIMALS}f},{y:.{DECIMALS}f}" for x, y in xy)


def _geometry(parent: ET.Element, geom: Any) -> None:
    kind = geom.geom_type
    if kind == "Point":
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _coords(geom.coords)
    elif kind == "LineString":
        ls = ET.SubElement(parent, "LineString")
        ET.SubElement(ls, "tessellate").text = "1"
        ET.SubElement(ls, "coordinates").text = _coords(geom.coords)
    elif kind == "Polygon":
        poly = ET.SubElement(parent, "Polygon")
        ring = ET.SubElement(ET.SubElement(poly, "outerBoundaryIs"), "LinearRing")
        ET.SubElement(ring, "coordinates").text = _coords(geom.exterior.coords)
        for hole in geom.interiors:
            inner = ET.SubElement(ET.SubElement(poly, "innerBoundaryIs"), "LinearRing")
            ET.SubElement(inner, "coordinates").text = _coords(hole.coords)
    else:  # Multi* and collections
        multi = ET.SubElement(parent, "MultiGeometry")
        for part in shapely.get_parts(geom):
            _geometry(multi, part)


def description_html(row: Mapping[str, Any], *, labels: Mapping[str, str] | None = None) -> str:
    """The popup as an HTML table: values escaped once (:func:`html_text`), fixed labels."""
    values = properties(dict(row), labels=labels)
    cells = "".join(
        f"<tr><th align='left'>{html_text(label)}</th><td>{values[key]}</td></tr>"
        for key, label in POPUP_FIELDS.items()
        if values.get(key)
    )
    return f"<table>{cells}</table>"


def write_kml(
    layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *, name: str | None = None
) -> Path:
    """One KML document, a ``<Folder>`` per layer (in the layer switcher's order).

    Raises
    ------
    PlanmapError
        Nothing to write (no located feature).
    """
    layer_set = layers if isinstance(layers, LayerSet) else LayerSet.from_frames(layers)
    district = layer_set.district
    labels = district.legend if district is not None else None
    root = ET.Element("kml", {"xmlns": KML_NS})
    doc = ET.SubElement(root, "Document")
    ET.SubElement(doc, "name").text = name or layer_set.title or "Planmap"
    styles: dict[str, dict[str, Any] | None] = {}  # None: a style the map does not draw
    folders = []
    count = 0
    for layer in layer_set.layers:
        frame = layer.frame
        if not len(frame):
            continue
        drawn = frame.loc[drawn_mask(frame)]
        if drawn.empty:
            continue
        folder = ET.Element("Folder")
        ET.SubElement(folder, "name").text = layer.title
        ET.SubElement(folder, "visibility").text = "1" if layer.visible else "0"
        rows = cast(
            list[dict[str, Any]], drawn.drop(columns=drawn.geometry.name).to_dict("records")
        )
        for geom, row in zip(drawn.geometry, rows, strict=True):
            key = (str(row["kind"]), str(row["status"]), str(row["precision"]).strip().lower())
            sid = _style_id(*key)
            if sid not in styles:
                styles[sid] = style_for(*key)
            if styles[sid] is None:
                continue
            mark = ET.SubElement(folder, "Placemark")
            ET.SubElement(mark, "name").text = str(row.get("name") or row.get("id") or "")
            ET.SubElement(mark, "visibility").text = "1" if layer.visible else "0"
            ET.SubElement(mark, "description").text = description_html(row, labels=labels)
            ET.SubElement(mark, "styleUrl").text = f"#{sid}"
            data = ET.SubElement(mark, "ExtendedData")
            for field in ("id", "layer", "kind", "status", "precision", "source"):
                value = row.get(field)
                if value is not None and value == value:
                    item = ET.SubElement(data, "Data", {"name": field})
                    ET.SubElement(item, "value").text = str(value)
            _geometry(mark, geom)
            count += 1
        folders.append(folder)
    if not count:
        raise PlanmapError(f"{path}: nothing to write (no located features)")
    for sid, s in styles.items():
        if s is not None:
            _style(doc, sid, s)
    doc.extend(folders)
    for element in root.iter():  # user text may hold characters XML cannot (a NUL, say)
        if element.text:
            element.text = _NOT_XML.sub("", element.text)
        for attr, value in element.attrib.items():
            element.set(attr, _NOT_XML.sub("", value))
    ET.indent(root, space=" ")
    with atomic_path(path) as tmp:
        ET.ElementTree(root).write(tmp, encoding="UTF-8", xml_declaration=True)
    return Path(path)
