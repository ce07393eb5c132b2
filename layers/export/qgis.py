"""A QGIS project (``.qgz``) over the styled GeoPackage, laid out like the web map.

The project references ``planmap.gpkg`` next to it by a relative path (``./planmap.gpkg``,
``Paths/Absolute = false``), so the folder can be moved or zipped as a whole. Layer groups
and their order are the web map's layer switcher (the LayerSet's order, grouped by
:class:`~geo.model.LayerGroup`); the drawing order is the web map's (:meth:`LayerSet.draw_order`,
written as the layer tree's custom order); each layer's style is the QML of
:mod:`layers.export.qml`, embedded in the project and also stored in the GeoPackage as the
table's default. A table that mixes points, lines and areas becomes one QGIS layer per shape
(``|geometrytype=Point`` …: a QGIS layer has one geometry type); unlocated rows are a table
without geometry (``|subset="geom" IS NULL``) in the same group, so they stay in sight.

The initial view is the district's extent (``ProjectViewSettings/DefaultViewExtent``, "the
initial map extent when this project is opened", QgsProjectViewSettings docs). The map is shown
in the export's CRS when it is projected, in the district's CGCS2000 Gauss–Krüger zone for
CGCS2000 lon/lat, and in Web Mercator (EPSG:3857) for WGS-84, like the web map.

A ``.qgz`` is a zip holding the ``.qgs`` XML (QGIS 3 writes it so; the auxiliary ``.qgd``
database is optional). The XML follows what QGIS 3.22 writes (``QgsProject.write``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo.model import Shape, drawn_mask
from layers.export.atomic import atomic_path
from layers.export.crs import ExportCrs, gauss_kruger_epsg
from layers.export.gis import legend_labels, write_gpkg
from layers.export.gpkg import GEOMETRY_COLUMN
from layers.export.qml import QGIS_VERSION, shape_of, style_elements
from layers.layerset import LayerSet

__all__ = ["GPKG_NAME", "PROJECT_NAME", "QgisLayer", "project_layers", "write_qgis"]

GPKG_NAME = "planmap.gpkg"
PROJECT_NAME = "planmap.qgz"
#: the attribution QGIS shows in the project's and each layer's metadata
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
_GEOMETRY = {Shape.POINT: "Point", Shape.LINE: "Line", Shape.AREA: "Polygon"}
_OGR_TYPE = {Shape.POINT: "Point", Shape.LINE: "LineString", Shape.AREA: "Polygon"}
#: top to bottom inside one Planmap layer, as the web map draws its features
_SHAPE_ORDER = (Shape.POINT, Shape.LINE, Shape.AREA)


@dataclass(frozen=True)
class QgisLayer:
    """One layer of the project: a table (or one shape of it) or its unlocated rows."""

    id: str
    name: str
    layer: str
    shape: Shape | None  # None: the table without geometry (unlocated rows)
    source: str
    visible: bool


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def project_layers(layer_set: LayerSet) -> list[QgisLayer]:
    """The QGIS layers of a LayerSet, in layer-switcher order (shapes top to bottom)."""
    out = []
    for n, layer in enumerate(layer_set.layers):
        frame = layer.frame
        drawn = frame.loc[drawn_mask(frame)] if len(frame) else frame
        types = {t for t in drawn.geometry.geom_type} if len(drawn) else set()
        shapes = [s for s in _SHAPE_ORDER if any(shape_of(t) is s for t in types)]
        located = (
            frame.geometry.notna() & ~frame.geometry.is_empty if len(frame) else np.zeros(0, bool)
        )
        base = f"./{GPKG_NAME}|layername={layer.name}"
        for shape in shapes:
            split = len(shapes) > 1 or len(types) > 1 or bool((~located).any())
            source = f"{base}|geometrytype={_OGR_TYPE[shape]}" if split else base
            name = layer.title + (f" ({shape.label.zh} {shape.value})" if len(shapes) > 1 else "")
            out.append(
                QgisLayer(
                    f"{_id(layer.name)}_{n}_{shape.value}",
                    name,
                    layer.name,
                    shape,
                    source,
                    layer.visible,
                )
            )
        unlocated = int((~located).sum()) if len(frame) else 0
        if unlocated:
            out.append(
                QgisLayer(
                    f"{_id(layer.name)}_{n}_unlocated",
                    f"{layer.title} · 未定位 unlocated ({unlocated})",
                    layer.name,
                    None,
                    f'{base}|subset="{GEOMETRY_COLUMN}" IS NULL',
                    layer.visible,
                )
            )
    return out


def view_crs(out: ExportCrs, lon: float) -> CRS:
    """The CRS the project shows the map in (see the module docstring)."""
    if out.crs.is_projected:
        return out.crs
    if out.epsg == 4490:
        return CRS.from_epsg(gauss_kruger_epsg(lon))
    return CRS.from_epsg(3857)


def _srs(parent: ET.Element, crs: CRS) -> ET.Element:
    srs = ET.SubElement(parent, "spatialrefsys", {"nativeFormat": "Wkt"})
    epsg = crs.to_epsg()
    for tag, text in (
        ("wkt", crs.to_wkt()),
        ("proj4", ""),  # QGIS reads the WKT; PROJ strings lose datum information
        ("srsid", "0"),
        ("srid", str(epsg or 0)),
        ("authid", f"EPSG:{epsg}" if epsg else ""),
        ("description", crs.name),
        ("projectionacronym", ""),
        ("ellipsoidacronym", ""),
        ("geographicflag", "true" if crs.is_geographic else "false"),
    ):
        ET.SubElement(srs, tag).text = text
    return srs


def district_extent(layer_set: LayerSet) -> tuple[float, float, float, float] | None:
    """Bounds of the district's own outline (features of kind ``district``), else of all
    drawn features, in the frames' CRS, with a 4 % margin."""
    boxes = []
    for want_district in (True, False):
        for frame in layer_set.values():
            if not len(frame):
                continue
            drawn = frame.loc[drawn_mask(frame)]
            if want_district:
                drawn = drawn.loc[drawn["kind"].astype(str) == "district"]
            if len(drawn):
                boxes.append(shapely.total_bounds(np.asarray(drawn.geometry.array)))
        if boxes:
            break
    if not boxes:
        return None
    b = np.array(boxes)
    minx, miny, maxx, maxy = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    dx, dy = (maxx - minx) * 0.04, (maxy - miny) * 0.04
    return (float(minx - dx), float(miny - dy), float(maxx + dx), float(maxy + dy))


def _maplayer(
    parent: ET.Element, ql: QgisLayer, layer_set: LayerSet, crs: CRS, rights: list[str]
) -> None:
    frame = layer_set[ql.layer]
    geometry = "No geometry" if ql.shape is None else _GEOMETRY[ql.shape]
    wkb = "NoGeometry" if ql.shape is None else _OGR_TYPE[ql.shape]
    has_labels = False
    children: list[ET.Element] = []
    if ql.shape is None:  # the unlocated rows: a table; nothing to draw
        children.append(ET.Element("renderer-v2", {"type": "nullSymbol"}))
    else:
        renderer, labeling = style_elements(
            frame, shape=ql.shape, labels=legend_labels(layer_set), tag=ql.id
        )
        children.append(renderer)
        if labeling is not None:
            children.append(labeling)
            has_labels = True
    ml = ET.SubElement(
        parent,
        "maplayer",
        {
            "type": "vector",
            "geometry": geometry,
            "wkbType": wkb,
            "labelsEnabled": "1" if has_labels else "0",
            "styleCategories": "AllStyleCategories",
            "hasScaleBasedVisibilityFlag": "0",
            "minScale": "100000000",
            "maxScale": "0",
            "readOnly": "0",
        },
    )
    ET.SubElement(ml, "id").text = ql.id
    ET.SubElement(ml, "datasource").text = ql.source
    ET.SubElement(ml, "layername").text = ql.name
    _srs(ET.SubElement(ml, "srs"), crs)
    meta = ET.SubElement(ml, "resourceMetadata")
    ET.SubElement(meta, "type").text = "dataset"
    ET.SubElement(meta, "title").text = ql.name
    ET.SubElement(meta, "abstract").text = layer_set.layer(ql.layer).label
    for right in rights:
        ET.SubElement(meta, "rights").text = right
    ET.SubElement(ml, "provider", {"encoding": "UTF-8"}).text = "ogr"
    ml.extend(children)
    ET.SubElement(ml, "blendMode").text = "0"
    ET.SubElement(ml, "featureBlendMode").text = "0"
    ET.SubElement(ml, "layerOpacity").text = "1"


def _rights(layer_set: LayerSet) -> list[str]:
    """The OSM attribution, then any other attribution the features carry."""
    found = [OSM_ATTRIBUTION]
    for frame in layer_set.values():
        if "attribution" in frame:
            for value in frame["attribution"].dropna().astype(str).unique():
                if value and not value.startswith("© OpenStreetMap") and value not in found:
                    found.append(value)
    return found


def project_xml(layer_set: LayerSet, out: ExportCrs, *, title: str) -> str:
    """The ``.qgs`` XML of the project over ``planmap.gpkg`` (frames already in ``out``)."""
    extent = district_extent(layer_set)
    lon = 114.0  # only used when there is nothing to draw
    if extent is not None:
        to_lonlat = Transformer.from_crs(out.crs, 4326, always_xy=True)
        lon, _ = to_lonlat.transform((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)
    view = view_crs(out, lon)
    qlayers = project_layers(layer_set)
    rights = _rights(layer_set)
    root = ET.Element("qgis", {"version": QGIS_VERSION, "projectname": title})
    ET.SubElement(root, "homePath", {"path": ""})
    ET.SubElement(root, "title").text = title
    _srs(ET.SubElement(root, "projectCrs"), view)

    tree = ET.SubElement(root, "layer-tree-group")
    groups: dict[str, ET.Element] = {}
    for ql in qlayers:
        group = layer_set.layer(ql.layer).group
        if group.value not in groups:
            groups[group.value] = ET.SubElement(
                tree,
                "layer-tree-group",
                {
                    "name": f"{group.label.zh} {group.value}",
                    "checked": "Qt::Checked",
                    "expanded": "1",
                },
            )
        ET.SubElement(
            groups[group.value],
            "layer-tree-layer",
            {
                "id": ql.id,
                "name": ql.name,
                "source": ql.source,
                "providerKey": "ogr",
                "checked": "Qt::Checked" if ql.visible else "Qt::Unchecked",
                "expanded": "1" if ql.shape is not None else "0",
            },
        )
    by_layer: dict[str, list[QgisLayer]] = {}
    for ql in qlayers:
        if ql.shape is not None:
            by_layer.setdefault(ql.layer, []).append(ql)
    order = [ql.id for name in reversed(layer_set.draw_order()) for ql in by_layer.get(name, [])]
    custom = ET.SubElement(tree, "custom-order", {"enabled": "1"})
    for layer_id in order:
        ET.SubElement(custom, "item").text = layer_id

    projectlayers = ET.SubElement(root, "projectlayers")
    data_crs = out.crs
    for ql in qlayers:
        _maplayer(projectlayers, ql, layer_set, data_crs, rights)
    layerorder = ET.SubElement(root, "layerorder")
    for layer_id in order:
        ET.SubElement(layerorder, "layer", {"id": layer_id})

    props = ET.SubElement(root, "properties")
    paths = ET.SubElement(props, "Paths")
    ET.SubElement(paths, "Absolute", {"type": "bool"}).text = "false"
    srs_props = ET.SubElement(props, "SpatialRefSys")
    ET.SubElement(srs_props, "ProjectionsEnabled", {"type": "int"}).text = "1"

    meta = ET.SubElement(root, "projectMetadata")
    ET.SubElement(meta, "language").text = "zh"
    ET.SubElement(meta, "type").text = "dataset"
    ET.SubElement(meta, "title").text = title
    ET.SubElement(meta, "abstract").text = (
        f"{title}. Exported by Planmap in {out.label}. Attribution: {'; '.join(rights)}. "
        "Every feature names its source; precision says how well it is located "
        "(schematic shapes are dashed, 'within' areas hatched)."
    )
    ET.SubElement(meta, "links")
    ET.SubElement(meta, "author").text = "Planmap"
    ET.SubElement(meta, "creation").text = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")

    if extent is not None:
        settings = ET.SubElement(root, "ProjectViewSettings", {"UseProjectScales": "0"})
        ET.SubElement(settings, "Scales")
        box = ET.SubElement(
            settings,
            "DefaultViewExtent",
            dict(zip(("xmin", "ymin", "xmax", "ymax"), (repr(v) for v in extent), strict=True)),
        )
        _srs(box, data_crs)
    ET.indent(root, space=" ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )


def write_qgis(
    layer_set: LayerSet, folder: str | Path, *, crs: ExportCrs, title: str
) -> list[Path]:
    """``folder/planmap.gpkg`` (styled) and ``folder/planmap.qgz`` referencing it.

    Parameters
    ----------
    layer_set : LayerSet
        Frames already in ``crs``.
    folder : path
        An existing (staging) folder.
    """
    folder = Path(folder)
    gpkg = write_gpkg(layer_set, folder / GPKG_NAME)
    xml = project_xml(layer_set, crs, title=title)
    target = folder / PROJECT_NAME
    with (
        atomic_path(target) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf,
    ):
        zf.writestr(Path(PROJECT_NAME).with_suffix(".qgs").name, xml)
    return [gpkg, target]
