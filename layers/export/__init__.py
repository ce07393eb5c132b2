"""Write layers for GIS: GeoJSON (RFC 7946), styled GeoPackage, QGIS project, KML, CSV,
Shapefile and DXF, in WGS-84, GCJ-02, CGCS2000 or a Gauss–Krüger zone; publish a build.

Every write is atomic (:mod:`layers.export.atomic`): a file is written beside its target
under a temporary name and then renamed over it, so an interrupted write leaves the previous
output intact. GeoJSON comes from the one writer, :mod:`geo.geojson`. :func:`export` (:mod:`.formats`)
checks format, CRS, layer names and output path before anything is written.
"""

from __future__ import annotations

from layers.export.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from layers.export.crs import ExportCrs, parse_crs
from layers.export.formats import Format, export
from layers.export.gis import csv_frame, write_csv, write_geojson, write_gpkg, write_kml
from layers.export.publish import read_build, write_build

__all__ = [
    "ExportCrs",
    "Format",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_frame",
    "export",
    "parse_crs",
    "read_build",
    "write_build",
    "write_csv",
    "write_geojson",
    "write_gpkg",
    "write_kml",
]
