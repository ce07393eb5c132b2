"""Publishing a build: every layer's GeoJSON, one GeoPackage and a manifest, as a whole;
and reading a published build back as a :class:`~layers.layerset.LayerSet`.

The manifest (``manifest.json``) lists the layers of the build in order with their metadata
(title, group, drawing rank, default visibility, file, feature count). Readers trust the
manifest, not whatever ``*.geojson`` happens to lie in the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from geo.errors import DataError
from geo.model import LayerGroup
from layers.export.gis import write_geojson, write_gpkg
from layers.layerset import Layer, LayerSet

__all__ = ["MANIFEST", "read_build", "write_build"]

MANIFEST = "manifest.json"
GPKG = "planmap.gpkg"


def _manifest(layers: Mapping[str, gpd.GeoDataFrame]) -> dict:
    layer_set = layers if isinstance(layers, LayerSet) else LayerSet.from_frames(layers)
    district = layer_set.district
    return {
        "format": "planmap-build/1",
        "title": layer_set.title,
        "district": district.id if district is not None else None,
        "gpkg": GPKG,
        "layers": [
            {
                "name": layer.name,
                "title": layer.title,
                "group": layer.group.value,
                "z": layer.z,
                "visible": layer.visible,
                "file": f"{layer.name}.geojson",
                "features": len(layer.frame),
            }
            for layer in layer_set.layers
        ],
    }


def write_build(layers: Mapping[str, gpd.GeoDataFrame], out_dir: str | Path) -> list[Path]:
    """``out_dir/<layer>.geojson`` for each layer, ``out_dir/planmap.gpkg`` with all, and
    ``out_dir/manifest.json``.

    Everything is written into a temporary folder inside ``out_dir`` first and only then
    renamed into place, so an interrupted build leaves the whole previous output intact.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".planmap-build-", dir=out_dir))
    try:
        staged = [write_geojson(gdf, staging / f"{name}.geojson") for name, gdf in layers.items()]
        staged.append(write_gpkg(layers, staging / GPKG))
        manifest = staging / MANIFEST
        manifest.write_text(
            json.dumps(_manifest(layers), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        staged.append(manifest)
        written = []
        for path in staged:
            os.replace(path, out_dir / path.name)
            written.append(out_dir / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_layer(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types for broken files
        raise DataError(f"{path}: cannot read GeoJSON ({str(exc).splitlines()[0]})") from None
    return gdf if gdf.crs is not None else gdf.set_crs(4326)


def read_build(folder: str | Path) -> LayerSet:
    """A published build (its manifest), or a folder of ``*.geojson`` layers without one
    (each named by its file, drawn in name order).

    Raises
    ------
    DataError
        No layers, an unreadable manifest or layer file, naming the file.
    """
    from geo.district import get_district

    folder = Path(folder)
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
            entries = doc["layers"]
            layers = [
                Layer(
                    str(e["name"]),
                    str(e["title"]),
                    LayerGroup.get(e["group"]),
                    _read_layer(folder / str(e["file"])),
                    visible=bool(e.get("visible", True)),
                    z=int(e.get("z", 0)),
                )
                for e in entries
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{manifest}: not a Planmap build manifest ({exc})") from None
        district = get_district(doc["district"]) if doc.get("district") else None
        return LayerSet(layers, district=district, title=str(doc.get("title", "")))
    files = sorted(folder.glob("*.geojson"))
    if not files:
        raise DataError(f"{folder}: no *.geojson layer files")
    return LayerSet.from_frames({f.stem: _read_layer(f) for f in files})
