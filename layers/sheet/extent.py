"""What the map frame must show (``--extent``), in the district's metric CRS.

``district`` (the district polygon), a layer's name (its drawn features), or
``minx,miny,maxx,maxy`` in WGS-84 lon/lat. The frame is centred on the extent; the scale makes
it fit (:mod:`layers.sheet.scale`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geo.errors import OptionError
from geo.model import Kind, check_lonlat, drawn_mask
from layers.layerset import LayerSet

__all__ = ["Extent", "resolve_extent"]


@dataclass(frozen=True)
class Extent:
    """Bounds in metres (``minx, miny, maxx, maxy`` in ``crs``) and what they are."""

    bounds: tuple[float, float, float, float]
    crs: str
    what: str

    @property
    def size(self) -> tuple[float, float]:
        b = self.bounds
        return b[2] - b[0], b[3] - b[1]

    @property
    def centre(self) -> tuple[float, float]:
        b = self.bounds
        return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _bounds(frame: gpd.GeoDataFrame, crs: str) -> tuple[float, float, float, float]:
    b = frame.to_crs(crs).total_bounds
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def _district_rows(layers: LayerSet, extra: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    frames = [g for g in layers.values() if len(g)]
    if extra is not None and len(extra):
        frames.append(extra)
    for frame in frames:
        rows = frame[(frame["kind"] == Kind.DISTRICT.value) & drawn_mask(frame)]
        if len(rows):
            return rows
    return None


def resolve_extent(
    spec: str | None,
    layers: LayerSet,
    *,
    crs: str,
    district_frame: gpd.GeoDataFrame | None = None,
) -> Extent:
    """The extent for ``--extent`` (default ``district``).

    Parameters
    ----------
    spec : str or None
        ``district``, a layer name, or ``minx,miny,maxx,maxy`` (lon/lat).
    layers : LayerSet
        The layers drawn.
    crs : str
        The metric CRS (the district's).
    district_frame : GeoDataFrame, optional
        Where to find the district polygon when no drawn layer holds it (the gazetteer).

    Raises
    ------
    OptionError
        Naming ``--extent``: an unknown layer, a layer with nothing drawn, bad numbers.
    """
    text = (spec or "district").strip()
    if text.lower() == "district":
        rows = _district_rows(layers, district_frame)
        if rows is None:
            drawn = [g.loc[drawn_mask(g)] for g in layers.values() if len(g)]
            drawn = [g for g in drawn if len(g)]
            if not drawn:
                raise OptionError("--extent district: no district polygon and nothing drawn")
            frame = gpd.GeoDataFrame(pd.concat(drawn), geometry="geometry", crs=4326)
            return Extent(_bounds(frame, crs), crs, "the drawn features")
        name = str(rows["name"].iloc[0]) if "name" in rows else "the district"
        return Extent(_bounds(rows, crs), crs, name)
    if "," in text:
        try:
            values = [float(v) for v in text.split(",")]
        except ValueError:
            values = []
        if len(values) != 4 or not (values[0] < values[2] and values[1] < values[3]):
            raise OptionError(
                f"--extent {text!r} is not minx,miny,maxx,maxy in lon/lat with min < max"
            )
        box = shapely.box(values[0], values[1], values[2], values[3])
        check_lonlat(box, name="--extent")
        frame = gpd.GeoDataFrame(geometry=[box], crs=4326)
        return Extent(_bounds(frame, crs), crs, f"the box {text}")
    if text not in layers:
        raise OptionError(
            f"--extent {text!r} is not one of: district, minx,miny,maxx,maxy, {', '.join(layers)}"
        )
    frame = layers[text]
    frame = frame.loc[drawn_mask(frame)] if len(frame) else frame
    if not len(frame):
        raise OptionError(f"--extent {text!r}: the layer has nothing drawn")
    return Extent(_bounds(frame, crs), crs, f"layer {text}")
