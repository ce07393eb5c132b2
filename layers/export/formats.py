"""``export()``: the chosen layers in one format and CRS, checked before anything is written.

Formats and what they accept:

============  ==========  =====================================================================
format        ``--out``   CRS
============  ==========  =====================================================================
geojson       file        WGS-84 only (RFC 7946 §4); ``gcj02`` on request, marked per feature
kml           file        WGS-84 only (OGC KML 2.2); ``gcj02`` on request
gpkg          file        any (written as the tables' SRS)
csv           file        any (``lon``/``lat`` or ``x``/``y`` columns, and a ``crs`` column)
shp           folder      any (``.prj``)
qgis          folder      any (GeoPackage SRS; see :mod:`.qgis` for the view)
dxf           file        projected, in metres; default: the district's CGCS2000 Gauss–Krüger
                          zone (EPSG:4547 for Shenzhen, from the district's longitude)
============  ==========  =====================================================================

Bad input raises one :class:`~geo.errors.OptionError`/:class:`~geo.errors.DataError` line
before any file is touched; folder formats replace the previous export as a whole
(:mod:`.folder`), file formats are written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import OptionError, PlanmapError
from geo.model import Choice
from layers.export.crs import ExportCrs, gauss_kruger_epsg, parse_crs, reproject
from layers.export.gis import csv_frame, write_geojson, write_gpkg
from layers.export.gpkg import check_table_name
from layers.layerset import LayerSet

__all__ = ["FOLDER_FORMATS", "Format", "default_crs", "export", "preflight"]


class Format(Choice):
    GEOJSON = "geojson"
    GPKG = "gpkg"
    KML = "kml"
    CSV = "csv"
    SHP = "shp"
    DXF = "dxf"
    QGIS = "qgis"


FOLDER_FORMATS = frozenset({Format.SHP, Format.QGIS})
_LONLAT_ONLY = {Format.GEOJSON: "RFC 7946", Format.KML: "OGC KML 2.2"}


def _district_lon(layer_set: LayerSet) -> float:
    district = layer_set.district
    if district is not None and district.view is not None:
        return district.view.lon
    frames = [g for g in layer_set.values() if len(g) and g.geometry.notna().any()]
    if not frames:
        raise OptionError("crs: nothing located to suggest a Gauss–Krüger zone; give --crs")
    # types-geopandas inherits GeoSeries.dropna() from pandas-stubs: a plain Series
    box: pd.DataFrame = pd.concat([g.geometry.dropna().to_crs(4326).bounds for g in frames])  # type: ignore[operator]
    return float((box["minx"].min() + box["maxx"].max()) / 2)


def default_crs(fmt: str | Format, layers: Mapping[str, gpd.GeoDataFrame]) -> ExportCrs:
    """WGS-84, except DXF: the CGCS2000 3° Gauss–Krüger zone of the district's longitude."""
    if Format.get(fmt, name="format") is not Format.DXF:
        return parse_crs("wgs84")
    layer_set = layers if isinstance(layers, LayerSet) else LayerSet.from_frames(layers)
    return parse_crs(f"epsg:{gauss_kruger_epsg(_district_lon(layer_set))}")


def check_crs(fmt: Format, out: ExportCrs, *, given: str) -> None:
    """Refuse a CRS the format cannot carry, in one line."""
    if fmt in _LONLAT_ONLY and not out.is_wgs84:
        raise OptionError(
            f"crs {given!r}: {fmt.value} is WGS-84 lon/lat by definition ({_LONLAT_ONLY[fmt]}); "
            "use --format gpkg, shp or qgis for other CRSs"
        )
    if fmt is Format.DXF and not out.in_metres:
        raise OptionError(
            f"crs {given!r}: {out.label} is not in metres; DXF needs a projected CRS in metres, "
            "e.g. epsg:4547 (CGCS2000 3° Gauss–Krüger CM 114°E)"
        )


def preflight(
    fmt: str | Format, *, out: str | Path, crs: str | None = None, force: bool = False
) -> Format:
    """Check the format, CRS and output path before any work (the CLI calls this before it
    builds the layers); :func:`export` repeats it.

    Raises
    ------
    OptionError, PlanmapError
        One line naming the option.
    """
    fmt_e = Format.get(fmt, name="format")
    if crs:
        check_crs(fmt_e, parse_crs(crs), given=crs)
    out = Path(out)
    if fmt_e in FOLDER_FORMATS:
        from layers.export.folder import check_out_folder

        check_out_folder(out, force=force)
    elif out.is_dir():
        raise PlanmapError(f"{out}: is a folder; --out takes a file name")
    return fmt_e


def _prepared(
    layer_set: LayerSet, out: ExportCrs, *, suffix: str, names: Sequence[str] | None
) -> LayerSet:
    """The chosen layers (in order) in ``out``, renamed with ``suffix``."""
    keep = set(names) if names else set(layer_set)
    return LayerSet(
        (
            replace(layer, name=layer.name + suffix, frame=reproject(layer.frame, out))
            for layer in layer_set.layers
            if layer.name in keep
        ),
        warnings=layer_set.warnings,
        district=layer_set.district,
        evidence=layer_set.evidence,
        title=layer_set.title,
    )


def _check_names(fmt: Format, names: Sequence[str]) -> None:
    if fmt in (Format.GPKG, Format.QGIS):
        for name in names:
            check_table_name(name)
    elif fmt is Format.DXF:
        from layers.export.dxf import check_layer_name

        for name in names:
            check_layer_name(name)
    elif fmt is Format.SHP:
        from layers.export.shapefile import check_file_name

        for name in names:
            check_file_name(name)


def _csv(layer_set: LayerSet, out: ExportCrs, path: Path) -> Path:
    from layers.export.atomic import atomic_path

    table = csv_frame(layer_set)
    if not out.is_wgs84 or out.gcj02:
        if out.crs.is_projected:
            table = table.rename(columns={"lon": "x", "lat": "y"})
        table["crs"] = "gcj02" if out.gcj02 else f"EPSG:{out.epsg}"
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def export(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    fmt: str,
    out: str | Path,
    names: Sequence[str] | None = None,
    crs: str | None = None,
    force: bool = False,
) -> Path:
    """Export the chosen layers in one format.

    Parameters
    ----------
    fmt : {"geojson", "gpkg", "kml", "csv", "shp", "dxf", "qgis"}
    out : path
        The file to write, or for ``shp`` and ``qgis`` the folder.
    names : sequence of str, optional
        Layer names (default: all).
    crs : str, optional
        ``wgs84``, ``gcj02``, ``cgcs2000`` or ``epsg:NNNN`` (:mod:`.crs`); default WGS-84,
        for DXF the district's Gauss–Krüger zone.
    force : bool
        Write a folder format into a folder that holds other files (they are kept).

    Returns
    -------
    Path
        The file written, or for folder formats the folder (the project for ``qgis``).

    Raises
    ------
    OptionError, DataError
        One line: a bad format, CRS, layer or output path, a reserved or illegal layer name.
    """
    fmt_e = Format.get(fmt, name="format")
    layer_set = layers if isinstance(layers, LayerSet) else LayerSet.from_frames(layers)
    out_crs = parse_crs(crs) if crs else default_crs(fmt_e, layer_set)
    check_crs(fmt_e, out_crs, given=crs or out_crs.name)
    if names:
        unknown = [n for n in names if n not in layer_set]
        if unknown:
            raise OptionError(f"layer {unknown[0]!r} is not one of: {', '.join(layer_set)}")
    # GIS formats declare EPSG:4326 for their layers: name GCJ-02 layers so nobody mistakes
    # them for WGS-84 (each feature also carries datum=gcj02)
    suffix = "_gcj02" if out_crs.gcj02 else ""
    _check_names(fmt_e, [n + suffix for n in (names or list(layer_set))])
    out = Path(out)
    preflight(fmt_e, out=out, force=force)
    chosen = _prepared(layer_set, out_crs, suffix=suffix, names=names)

    if fmt_e is Format.GEOJSON:
        frames = [g for g in chosen.values() if not g.empty]
        merged = pd.concat(frames, ignore_index=True) if frames else next(iter(chosen.values()))
        return write_geojson(gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326"), out)
    if fmt_e is Format.GPKG:
        return write_gpkg(chosen, out)
    if fmt_e is Format.KML:
        from layers.export.kml import write_kml

        name = chosen.title + (" (GCJ-02)" if out_crs.gcj02 else "") if chosen.title else None
        return write_kml(chosen, out, name=name)
    if fmt_e is Format.CSV:
        return _csv(chosen, out_crs, out)
    if fmt_e is Format.DXF:
        from layers.export.dxf import write_dxf

        return write_dxf(chosen, out, crs=out_crs)
    from layers.export.folder import published_folder

    with published_folder(out, force=force) as staging:
        if fmt_e is Format.SHP:
            from layers.export.shapefile import write_shapefiles

            write_shapefiles(chosen, staging)
        else:
            from layers.export.qgis import PROJECT_NAME, write_qgis

            write_qgis(chosen, staging, crs=out_crs, title=chosen.title or "Planmap")
    return out / PROJECT_NAME if fmt_e is Format.QGIS else out
