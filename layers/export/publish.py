"""Publishing a build as a whole: every layer's GeoJSON, one GeoPackage and a manifest; and
reading a published build back as a :class:`~layers.layerset.LayerSet`.

A build folder ``OUT`` looks like this::

    OUT/manifest.json           the published build: its id, layers, and each file's sha256
    OUT/<layer>.geojson         one per layer, at fixed paths for a planner's QGIS
    OUT/planmap.gpkg
    OUT/.builds/<id>/           the same files as written by build <id>, never touched again

How a build is published (under an exclusive ``flock`` on ``OUT``, so two builds into one folder
never interleave):

1. stale leftovers of killed runs are removed (``.planmap-build-*`` staging folders,
   ``.planmap-tmp-*`` files, builds in ``.builds`` the manifest does not name);
2. every file is written into a staging folder ``OUT/.planmap-build-*`` with a manifest
   naming the build id and each file's sha256;
3. the staging folder is renamed to ``OUT/.builds/<id>`` (one rename: the build exists whole);
4. each file is copied to its fixed path ``OUT/<file>`` (temporary file, then rename);
5. ``OUT/manifest.json`` is replaced by the new manifest: **the switch**, one rename;
6. layer files an earlier manifest listed that the new build no longer has, and earlier
   builds in ``.builds``, are removed.

Readers trust only ``manifest.json``: :func:`read_build` reads the files of the build it names
from ``.builds/<id>`` and checks each file's sha256. A failure or a kill at any step leaves
the manifest naming the previous build, whose files in ``.builds`` are whole, so a reader gets
the previous build or the new one, never a mix. A folder copied without its hidden
``.builds`` is read from the fixed paths, each file checked against the manifest: a mixed or
edited folder is reported in one line, never drawn.

Copies rather than hard links at the fixed paths: QGIS writes into a GeoPackage it opens, and
that must not change the published build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd

from geo.errors import DataError, OptionError
from geo.model import Kind, LayerGroup, Precision, Status
from layers.export.gis import write_geojson, write_gpkg
from layers.layerset import Layer, LayerSet

try:  # POSIX; elsewhere builds into one folder are not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["BUILDS", "FORMAT", "GPKG", "MANIFEST", "build_layer_files", "read_build", "write_build"]

MANIFEST = "manifest.json"
GPKG = "planmap.gpkg"
#: the folder (inside a build folder) holding each published build whole
BUILDS = ".builds"
FORMAT = "planmap-build/2"
STAGING_PREFIX = ".planmap-build-"
TMP_PREFIX = ".planmap-tmp-"
_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _new_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


def _manifest(layers: Mapping[str, gpd.GeoDataFrame], build_id: str, folder: Path) -> dict:
    layer_set = layers if isinstance(layers, LayerSet) else LayerSet.from_frames(layers)
    district = layer_set.district
    return {
        "format": FORMAT,
        "build": build_id,
        "title": layer_set.title,
        "district": district.id if district is not None else None,
        "gpkg": GPKG,
        "gpkg_sha256": _sha256(folder / GPKG),
        "layers": [
            {
                "name": layer.name,
                "title": layer.title,
                "group": layer.group.value,
                "z": layer.z,
                "visible": layer.visible,
                "file": f"{layer.name}.geojson",
                "features": len(layer.frame),
                "sha256": _sha256(folder / f"{layer.name}.geojson"),
            }
            for layer in layer_set.layers
        ],
    }


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on the folder itself (no lock file to leave behind); released
    when the process ends, however it ends."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _load_manifest(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a Planmap build manifest ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("layers"), list):
        raise DataError(f"{path}: not a Planmap build manifest (no 'layers' list)")
    return doc


def _current(out_dir: Path) -> dict | None:
    """The published manifest, or None (no manifest, or one nothing can be read from)."""
    try:
        return _load_manifest(out_dir / MANIFEST)
    except DataError:
        return None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _clean_stale(out_dir: Path, keep: set[str] | None) -> None:
    """Leftovers of killed runs, and builds in ``.builds`` not in ``keep`` (None: keep every
    build). Only ever called under the folder's lock."""
    for stale in (*out_dir.glob(f"{STAGING_PREFIX}*"), *out_dir.glob(f"{TMP_PREFIX}*")):
        _remove(stale)
    builds = out_dir / BUILDS
    if keep is not None and builds.is_dir():
        for old in builds.iterdir():
            if old.name not in keep:
                _remove(old)


def _copy_into_place(src: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _files_of(doc: dict | None) -> set[str]:
    if not doc:
        return set()
    names = {str(e.get("file")) for e in doc.get("layers", []) if isinstance(e, dict)}
    return {n for n in names if _plain(n)}


def _plain(name: str) -> bool:
    """A file name inside the build folder (no path, not hidden)."""
    return bool(name) and Path(name).name == name and not name.startswith(".")


def write_build(layers: Mapping[str, gpd.GeoDataFrame], out_dir: str | Path) -> list[Path]:
    """Publish ``out_dir/<layer>.geojson`` for each layer, ``out_dir/planmap.gpkg`` with all
    and ``out_dir/manifest.json``, as a whole (see the module docstring).

    Returns
    -------
    list of Path
        The files at their fixed paths, the manifest last.

    Raises
    ------
    OptionError
        ``out_dir`` is a file.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OptionError(f"{out_dir}: is a file; a build is written into a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        previous = _current(out_dir)
        before = str(previous.get("build")) if previous else ""
        # an unreadable manifest: every earlier build is left for a person to look at
        unreadable = previous is None and (out_dir / MANIFEST).exists()
        _clean_stale(out_dir, None if unreadable else {before})
        build_id = _new_id()
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
        try:
            names = []
            for name, gdf in layers.items():
                names.append(write_geojson(gdf, staging / f"{name}.geojson").name)
            names.append(write_gpkg(layers, staging / GPKG).name)
            doc = _manifest(layers, build_id, staging)
            text = json.dumps(doc, ensure_ascii=False, indent=1)
            (staging / MANIFEST).write_text(text, encoding="utf-8")
            (out_dir / BUILDS).mkdir(exist_ok=True)
            final = out_dir / BUILDS / build_id
            os.rename(staging, final)  # the new build exists, whole, beside the previous one
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        for name in names:  # the fixed paths a planner opens in QGIS
            _copy_into_place(final / name, out_dir / name)
        _copy_into_place(final / MANIFEST, out_dir / MANIFEST)  # the switch
        for stale in _files_of(previous) - set(names):
            _remove(out_dir / stale)
        # the previous build stays one run, for a reader that read the manifest just before
        # the switch
        _clean_stale(out_dir, None if unreadable else {build_id, before})
    return [out_dir / n for n in names] + [out_dir / MANIFEST]


def _read_layer(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types for broken files
        raise DataError(f"{path}: cannot read GeoJSON ({str(exc).splitlines()[0]})") from None
    for column, choice in (("kind", Kind), ("status", Status), ("precision", Precision)):
        if column not in gdf:
            continue
        for value in gdf[column].dropna().unique():
            if value == "":
                continue
            try:
                choice.get(value)
            except OptionError as exc:
                i = int((gdf[column] == value).to_numpy().argmax())
                fid = gdf["id"].iloc[i] if "id" in gdf else None
                which = f" ({fid})" if isinstance(fid, str) and fid else ""
                raise DataError(f"{path}: features[{i}]{which}.{column}: {exc}") from None
    return gdf if gdf.crs is not None else gdf.set_crs(4326)


def _verified(path: Path, sha: object, manifest: Path) -> Path:
    if not path.is_file():
        raise DataError(f"{manifest}: lists {path.name}, which is missing; rebuild the folder")
    if sha is not None and _sha256(path) != sha:
        raise DataError(
            f"{path}: does not match the build manifest {manifest.name} (changed after "
            "the build, or a build was interrupted); rebuild the folder"
        )
    return path


def _published(folder: Path) -> tuple[dict, Path, list[tuple[dict, Path]]] | None:
    """The manifest, the folder its files are read from, and each layer entry with its file
    checked; None when the folder has no manifest."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return None
    doc = _load_manifest(manifest)
    build_id = doc.get("build")
    base = folder
    if build_id is not None:
        if not isinstance(build_id, str) or not _ID.match(build_id):
            raise DataError(f"{manifest}: build: not a build id ({build_id!r})")
        if (folder / BUILDS / build_id).is_dir():
            base = folder / BUILDS / build_id
    entries = []
    for i, e in enumerate(doc["layers"]):
        if not isinstance(e, dict) or not isinstance(e.get("file"), str):
            raise DataError(f"{manifest}: layers[{i}]: expected an entry with a 'file'")
        if not _plain(e["file"]):
            raise DataError(f"{manifest}: layers[{i}].file: not a file name ({e['file']!r})")
        entries.append((e, _verified(base / e["file"], e.get("sha256"), manifest)))
    return doc, base, entries


def build_layer_files(folder: str | Path) -> list[Path]:
    """The layer files of a published build, each checked against its manifest (a folder
    without a manifest: its ``*.geojson`` files in name order).

    Raises
    ------
    DataError
        A broken manifest, or a file missing or not matching it, naming the file.
    """
    folder = Path(folder)
    published = _published(folder)
    if published is None:
        return sorted(folder.glob("*.geojson"))
    return [path for _, path in published[2]]


def read_build(folder: str | Path) -> LayerSet:
    """A published build (its manifest), or a folder of ``*.geojson`` layers without one
    (each named by its file, drawn in name order).

    Raises
    ------
    DataError
        No layers, an unreadable manifest or layer file, or a file that does not match the
        manifest (a mixed or edited folder), naming the file.
    """
    from geo.district import get_district

    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"{folder}: no such folder (a `planmap build --out` folder)")
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder (a `planmap build --out` folder)")
    published = _published(folder)
    if published is not None:
        doc, _, entries = published
        manifest = folder / MANIFEST
        try:
            layers = [
                Layer(
                    str(e["name"]),
                    str(e["title"]),
                    LayerGroup.get(e["group"]),
                    _read_layer(path),
                    visible=bool(e.get("visible", True)),
                    z=int(e.get("z", 0)),
                )
                for e, path in entries
            ]
        except (ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"{manifest}: not a Planmap build manifest ({exc})") from None
        district = get_district(doc["district"]) if doc.get("district") else None
        return LayerSet(layers, district=district, title=str(doc.get("title", "")))
    files = sorted(folder.glob("*.geojson"))
    if not files:
        raise DataError(f"{folder}: no *.geojson layer files")
    return LayerSet.from_frames({f.stem: _read_layer(f) for f in files})
