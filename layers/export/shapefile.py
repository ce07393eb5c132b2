"""Shapefiles, for users who still need them: one file per layer and geometry type, UTF-8.

A Shapefile holds one geometry type, so each layer becomes ``<layer>_points.shp``,
``<layer>_lines.shp`` and/or ``<layer>_polygons.shp`` (single and multi parts together, as
multi), and its unlocated rows ``<layer>_unlocated.dbf`` (attributes only), each with a
``.prj`` (the CRS, as GDAL writes it) and a ``.cpg`` saying ``UTF-8``.

dBASE field names hold at most 10 characters. The mapping is fixed and predictable:
:data:`FIELD_NAMES` names the Planmap columns that are longer (``report_excerpt`` ->
``excerpt``); any other long column is cut to 10 characters, and a name already taken gets
``_2``, ``_3`` … in place of its last characters. ``FIELDS.csv`` beside the files lists the
mapping. Text longer than a dBASE field (254 bytes) is cut at a character boundary.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyogrio

from geo.errors import DataError
from geo.model import Shape
from layers.export.gpkg import gpkg_frame
from layers.export.qml import shape_of
from layers.layerset import LayerSet

__all__ = ["FIELD_NAMES", "check_file_name", "field_names", "write_shapefiles"]

#: Planmap columns longer than dBASE's 10 characters, and their Shapefile names
FIELD_NAMES = {"report_excerpt": "excerpt"}
MAX_FIELD = 10
MAX_TEXT_BYTES = 254
_SUFFIX = {Shape.POINT: "points", Shape.LINE: "lines", Shape.AREA: "polygons"}


def field_names(columns: Iterable[str]) -> dict[str, str]:
    """``{column: shapefile field}``, unique, each at most 10 characters (see module doc)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        name = FIELD_NAMES.get(col, col)[:MAX_FIELD]
        n = 2
        while name.lower() in taken:
            tail = f"_{n}"
            name = FIELD_NAMES.get(col, col)[: MAX_FIELD - len(tail)] + tail
            n += 1
        taken.add(name.lower())
        out[col] = name
    return out


def check_file_name(name: str) -> None:
    """Raise :class:`~geo.errors.DataError` for a layer name that cannot be a file name."""
    bad = set('/\\\0:*?"<>|')
    if not name or name.startswith(".") or bad & set(name):
        raise DataError(
            f'layer {name!r}: cannot be a Shapefile name (no / \\ : * ? " < > |, NUL, '
            "or a leading dot)"
        )


def _cut(value: object) -> object:
    if not isinstance(value, str) or len(value.encode("utf-8")) <= MAX_TEXT_BYTES:
        return value
    return value.encode("utf-8")[:MAX_TEXT_BYTES].decode("utf-8", errors="ignore")


def write_shapefiles(layer_set: LayerSet, folder: str | Path) -> list[Path]:
    """Write every layer's Shapefiles into ``folder`` (an existing, staging folder).

    Returns
    -------
    list of Path
        The ``.shp`` / ``.dbf`` files written.
    """
    folder = Path(folder)
    written: list[Path] = []
    mapping: dict[str, str] = {}
    for layer in layer_set.layers:
        check_file_name(layer.name)
        frame = gpkg_frame(layer.frame)
        names = field_names(c for c in frame.columns if c != frame.geometry.name)
        mapping.update(names)
        frame = frame.rename(columns=names)
        for col in names.values():
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].map(_cut)
        geoms = frame.geometry
        located = geoms.notna() & ~geoms.is_empty
        shapes = [
            shape_of(t) if ok else None for t, ok in zip(geoms.geom_type, located, strict=True)
        ]
        for shape, suffix in _SUFFIX.items():
            part = frame.loc[[s is shape for s in shapes]]
            if part.empty:
                continue
            path = folder / f"{layer.name}_{suffix}.shp"
            # a Point shapefile cannot hold a MultiPoint (a layer's summary of its points):
            # when the part has a multi-part shape, every shape is written as multi-part
            multi = part.geometry.geom_type.str.startswith("Multi").any()
            pyogrio.write_dataframe(
                part, path, driver="ESRI Shapefile", encoding="UTF-8", promote_to_multi=multi
            )
            written.append(path)
        unlocated = frame.loc[~located]
        if len(unlocated):
            path = folder / f"{layer.name}_unlocated.dbf"
            table = pd.DataFrame(unlocated.drop(columns=frame.geometry.name))
            pyogrio.write_dataframe(table, path, driver="ESRI Shapefile", encoding="UTF-8")
            written.append(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["shapefile_field", "planmap_column"])
    writer.writerows((short, col) for col, short in mapping.items())
    (folder / "FIELDS.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return written
