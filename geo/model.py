"""The planning vocabulary, defined once: every other module derives from it.

- :class:`Choice`: the one parser of string options (shapely's ``ParamEnum.get_value`` is the
  model): case, spaces, ``-`` and ``_`` are ignored, and a bad value raises
  :class:`~geo.errors.OptionError` listing the valid choices, always in the same words.
- :class:`Status`, :class:`Precision`, :class:`Kind` (with its usual :class:`Shape`),
  :class:`LayerGroup`: the values written in files, each with a bilingual :class:`Label`.
- :data:`FEATURE_COLUMNS`: the columns of every layer and export, in order.
- :func:`check_lonlat` and :func:`drawn_mask`: is this lon/lat, is this feature drawn.

Nothing here knows about maps, files or districts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

import numpy as np
import pandas as pd
import shapely

from geo.errors import GeometryError, OptionError

__all__ = [
    "FEATURE_COLUMNS",
    "GAZETTEER_COLUMNS",
    "Choice",
    "Kind",
    "Label",
    "LayerGroup",
    "Precision",
    "Shape",
    "Status",
    "check_lonlat",
    "drawn_mask",
    "empty_features",
]


@dataclass(frozen=True)
class Label:
    """A bilingual label: ``zh`` (Simplified Chinese) and ``en``."""

    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} {self.en}"

    def first(self, lang: str) -> str:
        """The label in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" else self.zh


def _key(value: object) -> str:
    return "".join(c for c in str(value).strip().lower() if c not in "-_ ")


class Choice(StrEnum):
    """A string option with a fixed set of values.

    ``Status.get("Under-Construction")`` is ``Status.UNDER_CONSTRUCTION``; a value that is none
    of them raises :class:`~geo.errors.OptionError`: ``status 'built' is not one of: existing,
    under_construction, planned, proposed``.
    """

    @classmethod
    def option(cls) -> str:
        """The option's name in messages (``Status`` -> ``status``, ``LayerGroup`` -> ``group``)."""
        return _OPTION_NAMES.get(cls.__name__, cls.__name__.lower())

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def get(cls, value: object, *, name: str | None = None) -> Self:
        """Return the member for ``value``.

        Parameters
        ----------
        value : str or member
            Compared without case, spaces, ``-`` or ``_``.
        name : str, optional
            What to call the option in the message (default :meth:`option`; ``""`` for none,
            when the caller names the field itself).

        Raises
        ------
        OptionError
            Listing the valid values.
        """
        if isinstance(value, cls):
            return value
        key = _key(value)
        for member in cls:
            if _key(member.value) == key:
                return member
        what = cls.option() if name is None else name
        prefix = f"{what} " if what else ""
        raise OptionError(f"{prefix}{str(value)!r} is not one of: {', '.join(cls.values())}")

    @property
    def label(self) -> Label:
        return _LABELS[self]


class Status(Choice):
    """What is happening to a place, as the report says."""

    EXISTING = "existing"
    UNDER_CONSTRUCTION = "under_construction"
    PLANNED = "planned"
    PROPOSED = "proposed"


class Precision(Choice):
    """How well a geometry locates its place (see ``docs/ARCHITECTURE.md``)."""

    SURVEYED = "surveyed"
    LOCATED = "located"
    APPROXIMATE = "approximate"
    #: the place lies somewhere inside the drawn area (a sourced containment); the area is
    #: not the place's extent
    WITHIN = "within"
    SCHEMATIC = "schematic"
    UNLOCATED = "unlocated"


class Shape(Choice):
    """The usual geometry of a kind (legend swatches when no geometry is known)."""

    POINT = "point"
    LINE = "line"
    AREA = "area"


class Kind(Choice):
    """What a place is. Styles, legends and the gazetteer are keyed by it."""

    DISTRICT = "district"
    NEIGHBOUR_DISTRICT = "neighbour_district"
    SUBDISTRICT = "subdistrict"
    COMMUNITY = "community"
    PARK = "park"
    HK_BORDER = "hk_border"
    AXIS = "axis"
    BELT = "belt"
    CLUSTER = "cluster"
    PORT = "port"
    METRO_LINE = "metro_line"
    METRO_STATION = "metro_station"
    METRO_PROJECT = "metro_project"
    ROAD = "road"
    TUNNEL = "tunnel"
    INTERCHANGE = "interchange"
    ZONE = "zone"
    PROJECT = "project"
    SCHOOL = "school"
    GREENWAY = "greenway"
    LANDMARK = "landmark"
    LANDING_POINT = "landing_point"
    AIR_ROUTE = "air_route"
    RAILWAY_STATION = "railway_station"
    CONSTRAINT = "constraint"
    SERVICE_AREA = "service_area"

    @property
    def shape(self) -> Shape:
        return _KIND_SHAPES[self]


class LayerGroup(Choice):
    """The groups of the layer switcher (values as written in specs)."""

    STRUCTURE = "Structure"
    TRANSPORT = "Transport"
    PORTS = "Ports"
    ZONES = "Zones"
    LOW_ALTITUDE = "Low-altitude"
    CONTEXT = "Context"
    #: the cartographic base under the plan (subdistricts, parks, river, metro)
    BASE = "Base"
    UPLOADED = "Uploaded"
    OTHER = "Other"

    @property
    def z(self) -> int:
        """Default drawing rank, bottom (0) to top, when a spec gives none."""
        return _GROUP_Z[self]


_OPTION_NAMES = {"LayerGroup": "group"}

_P, _L, _A = Shape.POINT, Shape.LINE, Shape.AREA
_KIND_INFO: dict[Kind, tuple[str, str, Shape]] = {
    Kind.DISTRICT: ("区界", "District boundary", _A),
    Kind.NEIGHBOUR_DISTRICT: ("相邻区", "Neighbouring district", _A),
    Kind.SUBDISTRICT: ("街道", "Subdistrict", _A),
    Kind.COMMUNITY: ("社区", "Community", _A),
    Kind.PARK: ("公园", "Park", _A),
    Kind.HK_BORDER: ("深港边界", "Hong Kong border", _L),
    Kind.AXIS: ("发展轴", "Development axis", _L),
    Kind.BELT: ("发展带", "Development belt", _A),
    Kind.CLUSTER: ("功能组团", "Cluster", _A),
    Kind.PORT: ("口岸", "Border port", _P),
    Kind.METRO_LINE: ("地铁线路", "Metro line", _L),
    Kind.METRO_STATION: ("地铁站", "Metro station", _P),
    Kind.METRO_PROJECT: ("轨道项目", "Metro project", _L),
    Kind.ROAD: ("道路", "Road", _L),
    Kind.TUNNEL: ("隧道", "Tunnel", _L),
    Kind.INTERCHANGE: ("立交/枢纽", "Interchange", _P),
    Kind.ZONE: ("片区", "Zone", _A),
    Kind.PROJECT: ("重点项目", "Key project", _A),
    Kind.SCHOOL: ("学校", "School", _P),
    Kind.GREENWAY: ("绿道", "Greenway", _L),
    Kind.LANDMARK: ("地标", "Landmark", _P),
    Kind.LANDING_POINT: ("起降点", "Landing point", _P),
    Kind.AIR_ROUTE: ("低空航线", "Low-altitude route", _L),
    Kind.RAILWAY_STATION: ("火车站", "Railway station", _P),
    Kind.CONSTRAINT: ("限制区", "Constraint area", _A),
    Kind.SERVICE_AREA: ("服务范围", "Service area", _A),
}
_KIND_SHAPES = {kind: shape for kind, (_, _, shape) in _KIND_INFO.items()}
_LABELS: dict[Choice, Label] = {
    Status.EXISTING: Label("现状", "existing"),
    Status.UNDER_CONSTRUCTION: Label("在建", "under construction"),
    Status.PLANNED: Label("规划", "planned"),
    Status.PROPOSED: Label("建议", "proposed"),
    Precision.SURVEYED: Label("测绘", "surveyed"),
    Precision.LOCATED: Label("有据定位", "located"),
    Precision.APPROXIMATE: Label("近似", "approximate"),
    Precision.WITHIN: Label("位于其中", "somewhere within (area only)"),
    Precision.SCHEMATIC: Label("示意", "schematic (not an extent)"),
    Precision.UNLOCATED: Label("未定位", "unlocated"),
    Shape.POINT: Label("点", "point"),
    Shape.LINE: Label("线", "line"),
    Shape.AREA: Label("面", "area"),
    LayerGroup.STRUCTURE: Label("结构", "Structure"),
    LayerGroup.TRANSPORT: Label("交通", "Transport"),
    LayerGroup.PORTS: Label("口岸", "Ports"),
    LayerGroup.ZONES: Label("片区", "Zones"),
    LayerGroup.LOW_ALTITUDE: Label("低空", "Low-altitude"),
    LayerGroup.CONTEXT: Label("背景", "Context"),
    LayerGroup.BASE: Label("底图", "Base"),
    LayerGroup.UPLOADED: Label("上传", "Uploaded"),
    LayerGroup.OTHER: Label("其他", "Other"),
    **{kind: Label(zh, en) for kind, (zh, en, _) in _KIND_INFO.items()},
}
_GROUP_Z = {
    LayerGroup.BASE: -10,
    LayerGroup.CONTEXT: 0,
    LayerGroup.ZONES: 10,
    LayerGroup.STRUCTURE: 20,
    LayerGroup.TRANSPORT: 30,
    LayerGroup.LOW_ALTITUDE: 40,
    LayerGroup.PORTS: 50,
    LayerGroup.UPLOADED: 60,
    LayerGroup.OTHER: 70,
}

#: the columns of every layer and export, in order (then ``geometry``, which may be null).
#: ``licence`` names the data licence where one applies (``ODbL-1.0`` for OpenStreetMap data);
#: ``within`` is the name of the area a ``within`` feature lies somewhere inside
FEATURE_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "name_en",
    "layer",
    "kind",
    "status",
    "precision",
    "source",
    "note",
    "report_excerpt",
    "mentions",
    "licence",
    "within",
)
#: the gazetteer's columns (``aliases`` is a list of names), then ``geometry``
GAZETTEER_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "name_en",
    "aliases",
    "kind",
    "status",
    "precision",
    "source",
    "note",
    "licence",
    "within",
)
LONLAT_CRS = "EPSG:4326"


def empty_features(columns: Iterable[str] = FEATURE_COLUMNS) -> Any:
    """A GeoDataFrame with the feature columns and no rows, in EPSG:4326."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=LONLAT_CRS
    )


def check_lonlat(geom: Any, *, name: str = "geometry") -> None:
    """Raise :class:`~geo.errors.GeometryError` unless every coordinate is finite lon/lat.

    Parameters
    ----------
    geom : shapely geometry or array of them
    name : str
        What to call it in the message (a file and field, say).
    """
    xy = shapely.get_coordinates(geom)
    if len(xy) and (
        not np.isfinite(xy).all() or np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90
    ):
        bounds = tuple(float(v) for v in np.round(shapely.total_bounds(geom), 3))
        raise GeometryError(
            f"{name}: coordinates are not lon/lat degrees in EPSG:4326 (bounds {bounds})"
        )


def drawn_mask(gdf: Any) -> pd.Series:
    """Rows a map draws: a non-empty geometry and a precision other than ``unlocated``."""
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    precision = gdf["precision"].astype(str).str.strip().str.lower()
    return pd.Series(located, index=gdf.index) & (precision != Precision.UNLOCATED.value)
