"""Read a planner's vector file: which layers it has, which field names its features, and the
named features themselves, through pyogrio/GDAL (OpenStreetMap files: :mod:`geo.locate.osmfile`).

Any format GDAL reads works: Shapefile (with its ``.prj`` and ``.cpg``; a GBK/GB18030 ``.dbf``
without ``.cpg`` is recognised, :mod:`geo.locate.text`), GeoPackage, GeoJSON, KML/KMZ,
FlatGeobuf, DXF, FileGDB (a ``.gdb`` folder), CSV with x/y or WKT columns, and zipped copies.
A file is read once: its metadata first (layers, fields, CRS; a 2,000-feature sample of text
when the encoding must be judged), then its features, only the columns needed and, when the
CRS is known, only those near the district (GDAL streams the rest past).

Every problem is one :class:`~geo.errors.DataError` line naming the file.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.errors import DataError
from geo.locate.text import EncodingGuess, clean_name, guess_encoding, shown

__all__ = [
    "HINT_FIELDS",
    "NAME_FIELDS",
    "Features",
    "LayerInfo",
    "LayerMeta",
    "Source",
    "full_bounds",
    "layer_meta",
    "open_source",
    "read_features",
]

#: fields that name a feature, in order of preference (compared without case)
NAME_FIELDS: tuple[str, ...] = (
    "name", "名称", "道路名称", "路名", "name_zh", "name_cn", "name_chn", "zh_name", "cname",
    "road_name", "roadname", "rd_name", "dlmc", "标准名称", "地名", "项目名称", "xmmc", "mc",
    "name:zh", "名字",
)  # fmt: skip
#: fields that say what a feature is (used to check its type agrees with the place's kind)
HINT_FIELDS: tuple[str, ...] = (
    "highway", "tunnel", "bridge", "junction", "railway", "route", "type", "fclass", "class",
    "kind", "类型", "道路类型", "道路等级", "dllx", "dldj", "layer_type",
)  # fmt: skip
#: CSV columns GDAL may take as coordinates or WKT (open options of the CSV driver)
CSV_X = "x,lon,lng,long,longitude,经度,point_x,东坐标"
CSV_Y = "y,lat,latitude,纬度,point_y,北坐标"
CSV_WKT = "wkt,geometry,geom,the_geom,shape"
_SAMPLE = 2000
_OSM_SUFFIXES = (".osm", ".osm.xml", ".osm.pbf", ".pbf", ".osm.bz2")


def _one_line(error: BaseException | str, path: Path | None = None) -> str:
    """GDAL's message in one line, without the file's path (the message already starts with
    the file's name; an upload's path is a temporary folder on the server) and without
    GDAL's hint about driver prefixes, which is not something a planner can act on."""
    text = " ".join(str(error).split())
    if path is not None:
        text = re.sub(r"'[^']*" + re.escape(path.name) + r"'\s*", "", text)
        text = text.replace(str(path), path.name)
    text = text.split("; It might help to specify the correct driver")[0]
    return text.strip().rstrip(".")[:200]


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a file: its name, geometry type and feature count (-1: unknown)."""

    name: str
    geometry_type: str
    features: int

    def __str__(self) -> str:
        count = "?" if self.features < 0 else f"{self.features:,}"
        return f"{shown(self.name, limit=40)} ({count} {self.geometry_type or 'features'})"


@dataclass(frozen=True)
class Source:
    """A file GDAL can open: the path it opens, the name shown, driver and layers."""

    path: Path
    label: str
    driver: str
    layers: tuple[LayerInfo, ...]
    osm: bool = False

    def pick_layer(self, layer: str | None) -> str:
        """The layer to read: ``layer`` if the file has it, the only one if there is one.

        Raises
        ------
        DataError
            The file has several layers and none was chosen (they are listed), or not ``layer``.
        """
        names = [info.name for info in self.layers]
        if layer is not None:
            if layer not in names:
                listed = "; ".join(str(info) for info in self.layers)
                raise DataError(f"{self.label}: no layer {shown(layer)!r}; its layers: {listed}")
            return layer
        if len(names) == 1:
            return names[0]
        listed = "; ".join(str(info) for info in self.layers)
        raise DataError(
            f"{self.label}: {len(names)} layers ({listed}); choose one with --layer NAME"
        )


def _is_osm(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(_OSM_SUFFIXES):
        return True
    if name.endswith(".xml"):
        try:
            head = path.read_bytes()[:512] if path.stat().st_size < 512 else _head(path)
        except OSError:
            return False
        return b"<osm" in head
    return False


def _head(path: Path, n: int = 512) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


def _check_shapefile(path: Path, label: str) -> None:
    """A ``.shp`` needs its ``.shx`` and ``.dbf`` beside it (any case), each as long as its
    header says (GDAL reads a cut ``.shp`` up to the cut without a word)."""
    siblings = {p.name.lower(): p for p in path.parent.iterdir()}
    stem = path.stem.lower()
    missing = [ext for ext in (".shx", ".dbf") if stem + ext not in siblings]
    if missing:
        raise DataError(
            f"{label}: no {' or '.join(path.stem + e for e in missing)} beside it "
            "(a Shapefile is read from its .shp, .shx and .dbf together)"
        )
    for part in (path, siblings[stem + ".shx"]):
        head = _head(part, 100)
        if len(head) < 100 or int.from_bytes(head[:4], "big") != 9994:
            raise DataError(f"{label}: {part.name} is not a Shapefile part (bad header)")
        declared = int.from_bytes(head[24:28], "big") * 2
        if part.stat().st_size < declared:
            raise DataError(
                f"{label}: {part.name} is truncated ({part.stat().st_size:,} of {declared:,} "
                "bytes its header declares)"
            )
    dbf = siblings[stem + ".dbf"]
    head = _head(dbf, 12)
    if len(head) == 12:
        records = int.from_bytes(head[4:8], "little")
        declared = int.from_bytes(head[8:10], "little") + records * int.from_bytes(
            head[10:12], "little"
        )
        if dbf.stat().st_size < declared:
            raise DataError(
                f"{label}: {dbf.name} is truncated ({dbf.stat().st_size:,} of {declared:,} "
                f"bytes for its {records:,} records)"
            )


def open_source(path: str | Path, *, label: str | None = None) -> Source:
    """Open a file (or a FileGDB folder) and list its layers.

    Parameters
    ----------
    path : str or Path
        The file.
    label : str, optional
        The name to show in messages (default: the file name).

    Raises
    ------
    DataError
        Missing, empty, unreadable or truncated, a ``.shp`` without ``.shx``/``.dbf``, or no
        vector layer.
    """
    p = Path(path)
    label = shown(label or p.name, limit=120)
    if p.is_dir() and not p.name.lower().endswith(".gdb"):
        raise DataError(f"{label}: a folder, not a file (a FileGDB folder ends in .gdb)")
    if not p.exists():
        raise DataError(f"{label}: no such file")
    if p.is_file() and p.stat().st_size == 0:
        raise DataError(f"{label}: the file is empty")
    if _is_osm(p):
        return Source(p, label, "OSM", (LayerInfo("osm", "", -1),), osm=True)
    if p.suffix.lower() == ".shp":
        _check_shapefile(p, label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = pyogrio.list_layers(p)
            first = str(raw[0][0]) if len(raw) else None
            driver = pyogrio.read_info(p, layer=first, encoding="latin1")["driver"] if first else ""
    except (DataSourceError, DataLayerError, FeatureError, UnicodeDecodeError) as exc:
        raise DataError(f"{label}: GDAL cannot read it ({_one_line(exc, p)})") from None
    layers = tuple(LayerInfo(str(n), str(g or ""), _count(p, str(n))) for n, g in raw)
    if not layers:
        raise DataError(f"{label}: no vector layer in it")
    return Source(p, label, str(driver), layers)


def _count(path: Path, layer: str) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return int(pyogrio.read_info(path, layer=layer, encoding="latin1")["features"])
    except Exception:  # a count is only shown; the read reports the real problem
        return -1


@dataclass(frozen=True)
class LayerMeta:
    """What a layer says about itself before its features are read."""

    layer: str
    fields: tuple[str, ...]
    crs: CRS | None
    bounds: tuple[float, float, float, float] | None
    features: int
    encoding: str | None
    encoding_guess: EncodingGuess | None
    name_field: str
    hint_fields: tuple[str, ...]
    open_options: dict[str, str] = field(default_factory=dict)
    geometry_type: str = ""


def _info(source: Source, layer: str, encoding: str | None, options: dict) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyogrio.read_info(source.path, layer=layer, encoding=encoding, **options)
    except (DataSourceError, DataLayerError, FeatureError) as exc:
        raise DataError(
            f"{source.label}: GDAL cannot read it ({_one_line(exc, source.path)})"
        ) from None


def _sample_bytes(source: Source, layer: str, options: dict) -> tuple[list[bytes], list[str]]:
    """Up to 2,000 features' text values and the field names, as the bytes stored."""
    info = _info(source, layer, "latin1", options)
    fields = [str(f) for f in info["fields"]]
    text_fields = [f for f, t in zip(fields, info["dtypes"], strict=True) if t == "object"]
    raw = [f.encode("latin1") for f in fields]
    if text_fields:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sample = pyogrio.read_dataframe(
                    source.path, layer=layer, columns=text_fields, read_geometry=False,
                    max_features=_SAMPLE, encoding="latin1", **options,
                )  # fmt: skip
        except (DataSourceError, DataLayerError, FeatureError, FieldError) as exc:
            raise DataError(
                f"{source.label}: GDAL cannot read it ({_one_line(exc, source.path)})"
            ) from None
        for column in text_fields:
            raw += [v.encode("latin1") for v in sample[column] if isinstance(v, str)]
    return raw, fields


def _encoding(source: Source, layer: str, options: dict) -> tuple[str | None, EncodingGuess | None]:
    """The encoding to read with: None when GDAL knows it (a ``.cpg``, a DBF code page, a
    UTF-8 format), else the judged one (:func:`geo.locate.text.guess_encoding`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            native = pyogrio.read_info(source.path, layer=layer, **options)["encoding"]
    except UnicodeDecodeError:
        native = None  # field names that are not UTF-8 (a GBK CSV)
    except (DataSourceError, DataLayerError, FeatureError) as exc:
        raise DataError(
            f"{source.label}: GDAL cannot read it ({_one_line(exc, source.path)})"
        ) from None
    # GDAL falls back to ISO-8859-1 for a DBF with neither .cpg nor code page, and takes CSV
    # to be UTF-8 without looking; every other driver knows (or its format fixes) the encoding
    fallback = source.driver == "ESRI Shapefile" and native == "ISO-8859-1"
    if native is not None and not fallback and source.driver != "CSV":
        return None, None
    raw, _ = _sample_bytes(source, layer, options)
    if not any(b and max(b) > 0x7F for b in raw):
        return None, None  # plain ASCII: every encoding reads it the same
    guess = guess_encoding(raw)
    if guess.encoding is None:
        raise DataError(
            f"{source.label}: its text decodes to garbage in every encoding tried "
            f"({guess.tried()}); add a .cpg file naming the encoding, or save it as UTF-8"
        )
    return (None if guess.encoding == "utf-8" else guess.encoding), guess


def _csv_options() -> dict[str, str]:
    return {
        "X_POSSIBLE_NAMES": CSV_X + "," + CSV_X.upper(),
        "Y_POSSIBLE_NAMES": CSV_Y + "," + CSV_Y.upper(),
        "GEOM_POSSIBLE_NAMES": CSV_WKT + "," + CSV_WKT.upper(),
        "KEEP_GEOM_COLUMNS": "NO",
    }


def _pick_field(fields: Sequence[str], wanted: str | None, label: str, sample: str) -> str:
    if wanted is not None:
        if wanted in fields:
            return wanted
        raise DataError(
            f"{label}: no field {shown(wanted)!r}; its fields: {', '.join(map(shown, fields))}"
        )
    lower = {f.lower(): f for f in fields}
    for candidate in NAME_FIELDS:
        if candidate in lower:
            return lower[candidate]
    listed = ", ".join(shown(f, limit=30) for f in fields) or "(none)"
    raise DataError(
        f"{label}: no field is plainly the name ({listed}{sample}); choose one with --name-field"
    )


def layer_meta(source: Source, layer: str, *, name_field: str | None = None) -> LayerMeta:
    """A layer's fields, CRS, bounds, encoding and name field.

    Raises
    ------
    DataError
        Text that decodes to garbage in every encoding tried (they are named), no obvious
        name field (the fields are listed: choose one with ``--name-field``), an unknown field,
        a CSV without coordinate or WKT columns, a CRS PROJ cannot read.
    """
    options = _csv_options() if source.driver == "CSV" else {}
    encoding, guess = _encoding(source, layer, options)
    info = _info(source, layer, encoding, options)
    fields = tuple(str(f) for f in info["fields"])
    if source.driver == "CSV" and not info.get("geometry_type"):
        raise DataError(
            f"{source.label}: no coordinate columns (x/y, lon/lat, 经度/纬度) or WKT column "
            f"among {', '.join(map(shown, fields))}"
        )
    chosen = _pick_field(fields, name_field, source.label, "")
    crs = None
    if info.get("crs"):
        try:
            crs = CRS.from_user_input(info["crs"])
        except CRSError as exc:
            raise DataError(
                f"{source.label}: PROJ does not know its CRS ({_one_line(exc)}); "
                "give one with --crs"
            ) from None
    bounds = info.get("total_bounds")
    bounds = tuple(float(v) for v in bounds) if bounds is not None else None
    lower = {f.lower(): f for f in fields}
    hints = tuple(lower[h] for h in HINT_FIELDS if h in lower and lower[h] != chosen)[:4]
    return LayerMeta(
        layer=layer,
        fields=fields,
        crs=crs,
        bounds=bounds if bounds and np.all(np.isfinite(bounds)) else None,
        features=int(info.get("features", -1)),
        encoding=encoding,
        encoding_guess=guess,
        name_field=chosen,
        hint_fields=hints,
        open_options=options,
        geometry_type=str(info.get("geometry_type") or ""),
    )


def full_bounds(source: Source, meta: LayerMeta) -> tuple[float, float, float, float] | None:
    """The layer's bounds, scanning it if GDAL cannot tell them cheaply (files without a CRS)."""
    if meta.bounds is not None:
        return meta.bounds
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = pyogrio.read_info(
                source.path, layer=meta.layer, encoding=meta.encoding, force_total_bounds=True,
                **meta.open_options,
            )  # fmt: skip
    except (DataSourceError, DataLayerError, FeatureError) as exc:
        raise DataError(
            f"{source.label}: GDAL cannot read it ({_one_line(exc, source.path)})"
        ) from None
    bounds = info.get("total_bounds")
    if bounds is None or not np.all(np.isfinite(bounds)):
        return None
    x0, y0, x1, y1 = (float(v) for v in bounds)
    return x0, y0, x1, y1


@dataclass
class Features:
    """Named features of one layer, in the file's own CRS (``frame.crs`` may be None).

    ``frame`` has ``fid`` (str), ``name`` (cleaned: no padding, CR or LF), ``hint`` (what the
    type fields say, ``field=value;…`` in lower case) and ``geometry``.
    """

    frame: gpd.GeoDataFrame
    source: Source
    layer: str
    name_field: str
    read: int
    notes: list[str] = field(default_factory=list)


def _hint_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    if not columns:
        return pd.Series("", index=frame.index, dtype=object)
    parts = [
        (column.lower() + "=" + frame[column].astype(str).str.strip().str.lower()).where(
            frame[column].notna(), ""
        )
        for column in columns
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out + ";" + part
    return out


def read_features(
    source: Source, meta: LayerMeta, *, bbox: tuple[float, float, float, float] | None = None
) -> Features:
    """Read the layer's named features once (only the name and type columns).

    Parameters
    ----------
    source, meta
        From :func:`open_source` and :func:`layer_meta`.
    bbox : tuple of float, optional
        (minx, miny, maxx, maxy) in the file's CRS: only features that meet it are read.

    Raises
    ------
    DataError
        An unreadable or truncated file, or a name field that is NULL in every feature.
    """
    columns = [meta.name_field, *meta.hint_fields]
    arrow = meta.encoding is None or source.driver == "ESRI Shapefile"
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(
                source.path, layer=meta.layer, columns=columns, bbox=bbox, fid_as_index=True,
                encoding=meta.encoding, use_arrow=arrow, **meta.open_options,
            )  # fmt: skip
    except (DataSourceError, DataLayerError, FeatureError, FieldError, ValueError) as exc:
        raise DataError(
            f"{source.label}: GDAL cannot read it ({_one_line(exc, source.path)})"
        ) from None
    except UnicodeDecodeError:
        raise DataError(
            f"{source.label}: field {shown(meta.name_field)!r} is not valid "
            f"{meta.encoding or 'UTF-8'} text; add a .cpg file naming its encoding"
        ) from None
    notes = [f"GDAL: {_one_line(w.message)}" for w in caught][:5]
    names = frame[meta.name_field].map(clean_name)
    read = len(frame)
    if read and names.isna().all():
        others = [f for f in meta.fields if f != meta.name_field]
        raise DataError(
            f"{source.label}: field {shown(meta.name_field)!r} is empty (NULL) in all {read:,} "
            f"features; choose another with --name-field ({', '.join(map(shown, others))})"
        )
    keep = names.notna().to_numpy() & ~frame.geometry.isna().to_numpy()
    keep &= ~frame.geometry.is_empty.to_numpy()
    out = gpd.GeoDataFrame(
        {
            "fid": frame.index.astype(str).to_numpy()[keep],
            "name": names.to_numpy()[keep],
            "hint": _hint_text(frame, meta.hint_fields).to_numpy()[keep],
        },
        geometry=frame.geometry.array[keep],
        crs=frame.crs,
    )
    return Features(out, source, meta.layer, meta.name_field, read, notes)
