"""A district is data: ``data/districts/<id>/district.toml`` says everything code needs.

The record names the district, where its boundary comes from, its neighbours, how its outer
border is found (or why it cannot be), its metric CRS, the default view, its legend labels and
page texts, and which gazetteer, spec and siting rules belong to it. Generic code takes a
:class:`District` and never names a district itself; adding one is adding a folder.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator

from geo.config import Frozen, load_model
from geo.errors import DataError, OptionError
from geo.paths import data_dir

__all__ = [
    "BorderMethod",
    "District",
    "default_district",
    "district_ids",
    "get_district",
    "list_districts",
]

_ID = r"^[a-z][a-z0-9_]*$"


class BorderMethod(StrEnum):
    #: the parts of the boundary shared with no neighbour in the boundaries file
    UNSHARED_EDGES = "unshared_edges"
    #: the border cannot be told from the shipped data (``note`` says why)
    UNKNOWN = "unknown"


class Boundary(Frozen):
    """Where the district polygon comes from: a feature of a boundaries file by its name."""

    file: str = Field(min_length=1, description="path under data/")
    feature: str = Field(min_length=1, description="value of the file's `name` property")
    source: str = Field(min_length=1)


class Border(Frozen):
    """How the district's outer border (for a border district: the state border) is found."""

    method: BorderMethod = BorderMethod.UNKNOWN
    tol_m: float = Field(default=150.0, gt=0, le=5000)
    note: str = ""


class View(Frozen):
    """The map's first view before it is fitted to the data."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    zoom: int = Field(default=13, ge=1, le=19)


class Texts(Frozen):
    """Page texts of the app (bilingual where the page shows both)."""

    app_title: str = Field(min_length=1)
    sidebar_title: str = Field(min_length=1)
    caption: str = Field(min_length=1)
    map_heading: str = Field(min_length=1)


class District(Frozen):
    """One district's record (``data/districts/<id>/district.toml``)."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, description="canonical Simplified name")
    name_en: str = Field(min_length=1)
    short: str = Field(min_length=1, description="short name, without 区")
    short_en: str = Field(min_length=1)
    city: str = ""
    boundary: Boundary
    neighbours: tuple[str, ...] = ()
    border: Border = Border()
    metric_crs: str = Field(default="EPSG:32650", pattern=r"^EPSG:\d{4,5}$")
    #: the first view before the map is fitted to the data (None: the data's bounds)
    view: View | None = None
    legend: dict[str, str] = Field(default_factory=dict, description="kind -> legend label")
    texts: Texts
    gazetteer: str = "places.toml"
    spec: str = Field(min_length=1, description="the default spec, in the district folder")
    siting: str | None = None
    notes: tuple[str, ...] = ()
    folder: str = ""

    @field_validator("legend")
    @classmethod
    def _legend_kinds(cls, value: dict[str, str]) -> dict[str, str]:
        from geo.model import Kind

        for kind in value:
            Kind.get(kind, name="legend kind")
        return value

    @property
    def path(self) -> Path:
        return Path(self.folder)

    @property
    def gazetteer_path(self) -> Path:
        return self.path / self.gazetteer

    @property
    def spec_path(self) -> Path:
        return self.path / self.spec

    @property
    def siting_path(self) -> Path | None:
        return self.path / self.siting if self.siting else None

    def slug(self) -> str:
        """A file-name stem for downloads (``luohu``)."""
        return re.sub(r"[^a-z0-9_]+", "_", self.id)


def _districts_dir(data: Path | None = None) -> Path:
    return (data or data_dir()) / "districts"


class _Index(Frozen):
    """``data/districts/districts.toml``: which district is used when none is named."""

    default: str = Field(pattern=_ID)


def default_district(data: Path | None = None) -> str:
    """The id of the district used when none is named (``data/districts/districts.toml``)."""
    return load_model(
        _Index, _districts_dir(data) / "districts.toml", what="districts index"
    ).default


def district_ids(data: Path | None = None) -> list[str]:
    """Ids of the districts shipped under ``data/districts/`` (each a folder with a record)."""
    folder = _districts_dir(data)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "district.toml").is_file())


@functools.lru_cache(maxsize=16)
def _load(folder: str) -> District:
    path = Path(folder) / "district.toml"
    return load_model(District, path, what="district record", extra={"folder": folder})


def get_district(district: str | District | None = None, *, data: Path | None = None) -> District:
    """The district record for an id (default: :func:`default_district`).

    Raises
    ------
    OptionError
        Unknown id, listing the shipped ones.
    DataError
        A broken record, naming the file and field.
    """
    if isinstance(district, District):
        return district
    key = (district or default_district(data)).strip().lower()
    known = district_ids(data)
    if key not in known:
        raise OptionError(f"district {key!r} is not one of: {', '.join(known) or '(none)'}")
    record = _load(str(_districts_dir(data) / key))
    if record.id != key:
        raise DataError(
            f"{record.path / 'district.toml'}: id: {record.id!r} is not its folder name"
        )
    return record


def list_districts(data: Path | None = None) -> list[District]:
    """Every shipped district record, by id."""
    return [get_district(i, data=data) for i in district_ids(data)]
