"""What locating needs to know about the district: its record, boundary, gazetteer, name index,
metric CRS and the located features a file is checked against."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geo.district import District, get_district
from geo.errors import DataError
from geo.model import Kind, Precision
from geo.name_index import NameIndex

__all__ = ["REFERENCE_KINDS", "Context"]

#: located gazetteer features a file's position is checked against (see geo.locate.datum)
REFERENCE_KINDS = frozenset(
    k.value
    for k in (
        Kind.DISTRICT,
        Kind.NEIGHBOUR_DISTRICT,
        Kind.SUBDISTRICT,
        Kind.COMMUNITY,
        Kind.PARK,
        Kind.PORT,
        Kind.METRO_STATION,
        Kind.RAILWAY_STATION,
    )
)
_SOURCED = (Precision.LOCATED.value, Precision.SURVEYED.value)


@dataclass(frozen=True)
class Context:
    """A district and its gazetteer, as locating uses them (build with :meth:`load`)."""

    district: District
    gazetteer: gpd.GeoDataFrame

    @classmethod
    def load(cls, district: str | District | None = None) -> Context:
        """The context of a shipped district (default: the default district)."""
        from geo.gazetteer import load_gazetteer

        record = get_district(district)
        return cls(record, load_gazetteer(record))

    @cached_property
    def index(self) -> NameIndex:
        """The one name index, over the district's gazetteer."""
        return NameIndex.from_frame(self.gazetteer)

    @cached_property
    def boundary(self) -> BaseGeometry:
        """The district polygon (lon/lat)."""
        rows = self.gazetteer[
            (self.gazetteer["kind"] == Kind.DISTRICT.value)
            & (self.gazetteer["name"] == self.district.name)
        ]
        if rows.empty or rows.geometry.iloc[0] is None:
            raise DataError(f"{self.district.id}: the gazetteer has no boundary of the district")
        return rows.geometry.iloc[0]

    @cached_property
    def lonlat(self) -> tuple[float, float]:
        """The district's centre (lon, lat)."""
        point = self.boundary.representative_point()
        return float(point.x), float(point.y)

    @cached_property
    def _to_metric(self) -> Transformer:
        return Transformer.from_crs("EPSG:4326", self.district.metric_crs, always_xy=True)

    def metric(self, geoms):
        """Lon/lat geometries (one or an array) in the district's metric CRS."""
        t = self._to_metric
        # types-shapely types only the interleaved callback ((n, 2) array in, array out)
        return shapely.transform(geoms, lambda x, y: t.transform(x, y), interleaved=False)  # type: ignore[arg-type,misc]

    @cached_property
    def boundary_m(self) -> BaseGeometry:
        geom = shapely.make_valid(self.metric(self.boundary))
        shapely.prepare(geom)
        return geom

    def distance_m(self, geoms) -> np.ndarray:
        """Metres from lon/lat geometries to the district (0 where they meet it)."""
        return np.asarray(shapely.distance(self.metric(geoms), self.boundary_m), dtype=float)

    @cached_property
    def references(self) -> gpd.GeoDataFrame:
        """Sourced, located features of the reference kinds (:data:`REFERENCE_KINDS`)."""
        g = self.gazetteer
        keep = (
            g["kind"].isin(REFERENCE_KINDS)
            & g["precision"].isin(_SOURCED)
            & g.geometry.notna().to_numpy()
        )
        return g[keep.to_numpy()].reset_index(drop=True)
