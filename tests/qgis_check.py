"""Open a Planmap QGIS export in real QGIS and report what QGIS sees, as JSON on stdout.

Run by ``tests/test_qgis.py`` with Debian's ``/usr/bin/python3`` (QGIS's Python bindings load
only there, not in the project's venv) and ``QT_QPA_PLATFORM=offscreen``::

    /usr/bin/python3 tests/qgis_check.py REQUEST.json

``REQUEST.json``: ``{"project": ".qgz", "gpkg": ".gpkg", "png": "render.png",
"size": [w, h]}``. The report: each project layer (valid, geometry, feature count, renderer,
rules with their symbol layers' colours, widths and dash patterns, labels), each GeoPackage
table as QGIS loads it on its own (its default style from ``layer_styles``), the layer tree,
the custom drawing order, project CRS, title, metadata and default view, and the render of
the project's default view to PNG (with the exact extent drawn).

This file imports only QGIS and the standard library: the test's assertions live in the test.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsCoordinateTransform,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def _colour(c: QColor) -> list[int]:
    return [c.red(), c.green(), c.blue(), c.alpha()]


def _symbol_layer(sl) -> dict:
    out = {"class": sl.layerType()}
    kind = sl.layerType()
    if kind == "SimpleLine":
        out |= {
            "color": _colour(sl.color()),
            "width": sl.width(),
            "custom_dash": bool(sl.useCustomDashPattern()),
            "dash": [float(v) for v in sl.customDashVector()],
        }
    elif kind == "SimpleFill":
        out |= {"color": _colour(sl.color()), "brush": int(sl.brushStyle())}
    elif kind == "LinePatternFill":
        out |= {"angle": sl.lineAngle(), "distance": sl.distance(), "color": _colour(sl.color())}
    elif kind == "SimpleMarker":
        out |= {
            "color": _colour(sl.color()),
            "stroke": _colour(sl.strokeColor()),
            "size": sl.size(),
            "stroke_style": int(sl.strokeStyle()),
        }
    return out


def _renderer(layer) -> dict:
    renderer = layer.renderer()
    if renderer is None:
        return {"type": None, "rules": []}
    out = {"type": renderer.type(), "rules": []}
    if renderer.type() == "RuleRenderer":
        for rule in renderer.rootRule().children():
            symbol = rule.symbol()
            out["rules"].append(
                {
                    "label": rule.label(),
                    "filter": rule.filterExpression(),
                    "symbol": None if symbol is None else int(symbol.type()),
                    "layers": []
                    if symbol is None
                    else [_symbol_layer(s) for s in symbol.symbolLayers()],
                }
            )
    return out


def _labels(layer) -> dict:
    out = {"enabled": bool(layer.labelsEnabled()), "rules": []}
    labeling = layer.labeling()
    if labeling is not None and labeling.type() == "rule-based":
        for rule in labeling.rootRule().children():
            fmt = rule.settings().format()
            out["rules"].append(
                {
                    "filter": rule.filterExpression(),
                    "field": rule.settings().fieldName,
                    "font": fmt.font().family(),
                    "families": list(fmt.families()),
                }
            )
    return out


def _tree(group) -> list:
    out = []
    for child in group.children():
        if isinstance(child, QgsLayerTreeGroup):
            out.append({"group": child.name(), "children": _tree(child)})
        elif isinstance(child, QgsLayerTreeLayer):
            out.append(
                {"layer": child.layerId(), "name": child.name(), "checked": child.isVisible()}
            )
    return out


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    app = QgsApplication([], False)
    app.initQgis()
    report: dict = {"qgis": app.applicationVersion() if hasattr(app, "applicationVersion") else ""}
    project = QgsProject.instance()
    report["read"] = bool(project.read(request["project"]))
    report["title"] = project.title()
    report["crs"] = project.crs().authid()
    meta = project.metadata()
    report["metadata"] = {
        "title": meta.title(),
        "abstract": meta.abstract(),
        "author": meta.author(),
    }
    layers = []
    for layer_id, layer in project.mapLayers().items():
        entry = {
            "id": layer_id,
            "name": layer.name(),
            "valid": layer.isValid(),
            "source": layer.source(),
            "crs": layer.crs().authid(),
        }
        if isinstance(layer, QgsVectorLayer):
            entry |= {
                "geometry": QgsWkbTypes.geometryDisplayString(layer.geometryType()),
                # featureCount() ignores a subset string: count what QGIS iterates
                "features": sum(1 for _ in layer.getFeatures()),
                "subset": layer.subsetString(),
                "renderer": _renderer(layer),
                "labels": _labels(layer),
                "rights": list(layer.metadata().rights()),
            }
        layers.append(entry)
    report["layers"] = layers
    root = project.layerTreeRoot()
    report["tree"] = _tree(root)
    report["custom_order_enabled"] = bool(root.hasCustomLayerOrder())
    report["layer_order"] = [lyr.id() for lyr in root.layerOrder()]

    defaults = {}
    for table in request.get("tables", []):
        layer = QgsVectorLayer(f"{request['gpkg']}|layername={table}", table, "ogr")
        defaults[table] = {
            "valid": layer.isValid(),
            "renderer": _renderer(layer),
            "labels": _labels(layer),
        }
    report["default_styles"] = defaults

    view = project.viewSettings().defaultViewExtent()
    report["view"] = {
        "crs": view.crs().authid(),
        "extent": [view.xMinimum(), view.yMinimum(), view.xMaximum(), view.yMaximum()],
    }
    settings = QgsMapSettings()
    settings.setDestinationCrs(project.crs())
    visible = [lyr for lyr in root.layerOrder() if root.findLayer(lyr.id()).isVisible()]
    settings.setLayers(visible)
    settings.setOutputSize(QSize(*request["size"]))
    settings.setOutputDpi(96)
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setLabelingEngineSettings(project.labelingEngineSettings())
    settings.setTransformContext(project.transformContext())
    extent = QgsCoordinateTransform(view.crs(), project.crs(), project).transformBoundingBox(view)
    settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    report["render"] = {
        "saved": bool(image.save(request["png"], "PNG")),
        "extent": [
            settings.visibleExtent().xMinimum(),
            settings.visibleExtent().yMinimum(),
            settings.visibleExtent().xMaximum(),
            settings.visibleExtent().yMaximum(),
        ],
        "size": [image.width(), image.height()],
        "layers": [lyr.id() for lyr in visible],
        "errors": [f"{e.layerID}: {e.message}" for e in job.errors()],
    }
    print(json.dumps(report, ensure_ascii=False))
    sys.stdout.flush()
    os._exit(0)  # QGIS 3.22's teardown can crash after the work is done (double free)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
