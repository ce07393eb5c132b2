"""Write layers for GIS: GeoJSON (RFC 7946), styled GeoPackage, QGIS project, KML, CSV,
Shapefile and DXF, in WGS-84, GCJ-02, CGCS2000 or a Gauss–Krüger zone; publish a build.

Every write is atomic (:mod:`layers.export.atomic`): a file is written beside its target
under a temporary name and then renamed over it, so an interrupted write leaves the previous
output intact. GeoJSON comes from the one writer, :mod:`geo.geojson`. :func:`export` (:mod:`.formats`)
checks format, CRS, layer names and output path before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layers.export.atomic import atomic_path, atomic_write_bytes, atomic_write_text
    from layers.export.crs import ExportCrs, parse_crs
    from layers.export.formats import Format, export
    from layers.export.gis import csv_frame, write_csv, write_geojson, write_gpkg, write_kml
    from layers.export.publish import read_build, write_build

#: where each public name lives: imported on first use, so that reading a spec (which checks
#: layer names against the writers' rules in their own modules) does not load every writer,
#: folium and ezdxf (about 1 s of a cold start)
_WHERE = {
    "atomic_path": "atomic",
    "atomic_write_bytes": "atomic",
    "atomic_write_text": "atomic",
    "ExportCrs": "crs",
    "parse_crs": "crs",
    "Format": "formats",
    "export": "formats",
    "csv_frame": "gis",
    "write_csv": "gis",
    "write_geojson": "gis",
    "write_gpkg": "gis",
    "write_kml": "gis",
    "read_build": "publish",
    "write_build": "publish",
}


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


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
