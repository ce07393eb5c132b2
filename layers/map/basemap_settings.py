"""The planner's basemap settings file: MBTiles packages, intranet XYZ/WMTS services, 天地图.

One TOML file, ``basemaps.toml`` in :func:`geo.paths.user_dir` (``PLANMAP_BASEMAPS`` names
another), read through :mod:`geo.config` so a bad entry is one line naming the file and key::

    [mbtiles.luohu_2024]            # written by `planmap basemap add`
    file = "/data/tiles/luohu_2024.mbtiles"
    datum = "wgs84"                 # wgs84 | gcj02 | cgcs2000 (drawn as wgs84)
    attribution = "罗湖区规划和自然资源局"

    [xyz.intranet]                  # written by hand
    url = "http://tiles.gis.example/vec/{z}/{x}/{y}.png"
    datum = "cgcs2000"
    attribution = "市规划和自然资源局"
    min_zoom = 8
    max_zoom = 18

    [tianditu]                      # optional online example; TIANDITU_TK overrides tk
    tk = "0123456789abcdef0123456789abcdef"

A URL may only be http(s) or file, must hold ``{z}``, ``{x}`` and ``{y}`` (or ``{-y}``; WMTS's
``{TileMatrix}``, ``{TileCol}``, ``{TileRow}`` are accepted as those) and nothing that could be
template syntax. ``planmap basemap add`` edits only its own ``[mbtiles.NAME]`` table, so the
planner's comments and other tables are kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from geo.config import Frozen, load_model, parse_model, read_text
from geo.errors import DataError
from geo.model import Choice
from geo.paths import user_dir
from layers.map.basemaps import Basemap

__all__ = [
    "SETTINGS_ENV",
    "TK_ENV",
    "BasemapSettings",
    "MBTilesEntry",
    "TiandituSettings",
    "TileDatum",
    "XYZEntry",
    "check_name",
    "check_tile_url",
    "load_settings",
    "remove_mbtiles",
    "settings_path",
    "upsert_mbtiles",
]

SETTINGS_ENV = "PLANMAP_BASEMAPS"
TK_ENV = "TIANDITU_TK"
#: names a configured basemap cannot take: the built-ins (and ``context``, the shipped vector
#: basemap being added) and, by prefix, ``tianditu*``
RESERVED = {*Basemap.values(), "context"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_WMTS = {"{tilematrix}": "{z}", "{tilecol}": "{x}", "{tilerow}": "{y}"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ALLOWED = {"z", "x", "y", "-y", "s"}
_SCHEMES = {"http", "https", "file"}


class TileDatum(Choice):
    """The datum a tile set is drawn in. CGCS2000 (天地图, official maps) is within a metre of
    WGS-84 at map scale, so it is drawn as WGS-84; GCJ-02 makes the map shift overlays."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    CGCS2000 = "cgcs2000"

    @property
    def display(self) -> str:
        """The datum overlays are drawn in over these tiles (``wgs84`` or ``gcj02``)."""
        return "gcj02" if self is TileDatum.GCJ02 else "wgs84"


def check_name(name: str) -> str:
    """A configured basemap's name: lower-case ASCII, digits and ``_``, not a built-in one."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"basemap name {name!r} must be lower-case letters, digits and _ "
            "(starting with a letter, at most 40), e.g. district_2024"
        )
    if name in RESERVED or name.startswith("tianditu"):
        raise ValueError(f"basemap name {name!r} is taken by a built-in basemap")
    return name


def check_tile_url(url: str) -> str:
    """Validate a tile URL template; WMTS placeholders become ``{z}``, ``{x}``, ``{y}``.

    Raises
    ------
    ValueError
        Not http(s)/file, no host, template delimiters, quotes or spaces, an unknown
        placeholder, or no ``{z}``/``{x}``/``{y}``.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("a tile URL is required")
    url = url.strip()
    if len(url) > 2000:
        raise ValueError("the URL is longer than 2000 characters")
    for delim in ("{{", "}}", "{%", "%}", "{#", "#}"):
        if delim in url:
            raise ValueError(f"the URL holds {delim!r}, which is template syntax")
    if re.search(r"[\s\"'<>`\\\x00-\x1f\x7f]", url):
        raise ValueError("the URL holds a space, quote, angle bracket or control character")
    url = re.sub(
        r"\{(tilematrix|tilecol|tilerow)\}", lambda m: _WMTS[m.group(0).lower()], url, flags=re.I
    )
    found = set(_PLACEHOLDER.findall(url))
    unknown = sorted(found - _ALLOWED)
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{unknown[0]}}} (use {{z}}, {{x}}, {{y}} or {{-y}}, {{s}})"
        )
    if "{" in _PLACEHOLDER.sub("", url) or "}" in _PLACEHOLDER.sub("", url):
        raise ValueError("the URL holds an unmatched brace")
    if not {"z", "x"} <= found or not found & {"y", "-y"}:
        raise ValueError("the URL must hold {z}, {x} and {y} (WMTS: {TileMatrix}, …)")
    parts = urlsplit(_PLACEHOLDER.sub("0", url))
    if parts.scheme.lower() not in _SCHEMES:
        raise ValueError(f"scheme {parts.scheme or '(none)'!r} is not one of: http, https, file")
    if parts.scheme.lower() != "file" and not parts.hostname:
        raise ValueError("the URL has no host")
    return url


def _datum(value: Any) -> TileDatum:
    return TileDatum.get(value, name="")


Datum = Annotated[TileDatum, BeforeValidator(_datum)]
Name = Annotated[str, AfterValidator(check_name)]
Text = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]


class MBTilesEntry(Frozen):
    """A raster MBTiles file (``planmap basemap add`` writes these)."""

    file: str = Field(min_length=1)
    datum: Datum = TileDatum.WGS84
    attribution: Text = ""
    label: Annotated[str, Field(max_length=80)] = ""


class XYZEntry(Frozen):
    """A tile service (XYZ, or WMTS in the Web Mercator / GoogleMapsCompatible matrix set)."""

    url: Annotated[str, AfterValidator(check_tile_url)]
    datum: Datum
    attribution: Text = Field(min_length=1)
    min_zoom: int = Field(default=0, ge=0, le=22)
    max_zoom: int = Field(default=18, ge=0, le=22)
    subdomains: Annotated[str, Field(pattern=r"^[A-Za-z0-9]*$", max_length=16)] = ""
    label: Annotated[str, Field(max_length=80)] = ""
    bounds: tuple[float, float, float, float] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> XYZEntry:
        if self.min_zoom > self.max_zoom:
            raise ValueError(f"min_zoom {self.min_zoom} is above max_zoom {self.max_zoom}")
        if "{s}" in self.url and not self.subdomains:
            raise ValueError('the URL holds {s}: give subdomains, e.g. subdomains = "abc"')
        if self.bounds is not None:
            w, s, e, n = self.bounds
            if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
                raise ValueError("bounds must be [west, south, east, north] in degrees")
        return self


class TiandituSettings(Frozen):
    """天地图 (tianditu.gov.cn) Web Mercator layers; ``tk`` is the planner's own key."""

    tk: Annotated[str, Field(pattern=r"^([0-9A-Za-z]{16,64})?$")] = ""
    layers: tuple[Annotated[str, Field(pattern=r"^(vec|img)$")], ...] = ("vec", "img")


class BasemapSettings(Frozen):
    """The whole settings file (every table optional)."""

    mbtiles: dict[Name, MBTilesEntry] = Field(default_factory=dict)
    xyz: dict[Name, XYZEntry] = Field(default_factory=dict)
    tianditu: TiandituSettings | None = None
    #: the file the settings came from (relative MBTiles paths are relative to its folder)
    source: str = ""

    @model_validator(mode="after")
    def _unique(self) -> BasemapSettings:
        both = sorted(set(self.mbtiles) & set(self.xyz))
        if both:
            raise ValueError(f"basemap {both[0]!r} is both an [mbtiles] and an [xyz] entry")
        return self

    def mbtiles_path(self, name: str) -> Path:
        """The absolute path of an MBTiles entry's file."""
        file = Path(self.mbtiles[name].file).expanduser()
        if not file.is_absolute() and self.source:
            file = Path(self.source).parent / file
        return file


def settings_path() -> Path:
    """The settings file: ``$PLANMAP_BASEMAPS``, else ``basemaps.toml`` in the user folder."""
    env = os.environ.get(SETTINGS_ENV, "").strip()
    return Path(env).expanduser() if env else user_dir() / "basemaps.toml"


def load_settings(path: str | Path | None = None) -> BasemapSettings:
    """The settings (empty when the file does not exist).

    Raises
    ------
    DataError
        One line naming the file and the key (``basemaps.toml: xyz.intranet.url: …``).
    """
    path = Path(path) if path is not None else settings_path()
    if not path.exists():
        return BasemapSettings(source=str(path))
    return load_model(
        BasemapSettings, path, what="basemap settings file", extra={"source": str(path)}
    )


# -- editing the file: only our own [mbtiles.NAME] table, the rest kept as written -----------


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _block(name: str, entry: MBTilesEntry) -> str:
    lines = [
        f"[mbtiles.{name}]",
        f"file = {_toml_str(entry.file)}",
        f"datum = {_toml_str(entry.datum.value)}",
    ]
    if entry.attribution:
        lines.append(f"attribution = {_toml_str(entry.attribution)}")
    if entry.label:
        lines.append(f"label = {_toml_str(entry.label)}")
    return "\n".join(lines) + "\n"


def _without(text: str, table: str, name: str) -> tuple[str, bool]:
    """``text`` without the ``[table.name]`` block (its header line up to the next header)."""
    header = re.compile(rf"^\s*\[\s*{table}\s*\.\s*(?:{name}|\"{name}\"|'{name}')\s*\]\s*(?:#.*)?$")
    out: list[str] = []
    skipping = found = False
    for line in text.splitlines(keepends=True):
        if header.match(line):
            skipping = found = True
            continue
        if skipping and re.match(r"^\s*\[", line):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out), found


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of the settings file (two `basemap add` at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    with lock.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _rewrite(path: Path, edit) -> BasemapSettings:
    from layers.export.atomic import atomic_write_text

    with _locked(path):
        text = read_text(path, what="basemap settings file") if path.exists() else ""
        new = edit(text)
        settings = parse_model(BasemapSettings, new, name=path.name, extra={"source": str(path)})
        atomic_write_text(path, new)
    return settings


def upsert_mbtiles(name: str, entry: MBTilesEntry, path: Path | None = None) -> BasemapSettings:
    """Add or replace ``[mbtiles.NAME]`` in the settings file, keeping everything else.

    Raises
    ------
    DataError
        The file is broken, or the edited file would not be valid (nothing is written).
    """
    path = path or settings_path()
    try:
        check_name(name)
    except ValueError as exc:
        raise DataError(str(exc)) from None

    def edit(text: str) -> str:
        text, _ = _without(text, "mbtiles", name)
        if not text:
            text = "# Planmap basemaps (see layers/map/basemap_settings.py for every key)\n"
        return text.rstrip("\n") + "\n\n" + _block(name, entry)

    return _rewrite(path, edit)


def remove_mbtiles(name: str, path: Path | None = None) -> bool:
    """Remove ``[mbtiles.NAME]`` from the settings file; whether it was there."""
    path = path or settings_path()
    if not path.exists():
        return False
    found = False

    def edit(text: str) -> str:
        nonlocal found
        text, found = _without(text, "mbtiles", re.escape(name))
        return text

    _rewrite(path, edit)
    return found
