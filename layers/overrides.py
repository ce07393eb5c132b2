"""Reading the previous user store, ``overrides.geojson``, so :mod:`layers.store` can import it.

Nothing writes this format any more: the user store is :class:`layers.store.UserStore`. The
file is a GeoJSON FeatureCollection whose features carry ``id``, ``note`` and ``drawn_at``
(and optionally ``source``, ``precision``, ``licence``); it is read with the size cap, BOM and
depth checks of every configuration file (:mod:`geo.config`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from shapely.errors import GEOSException
from shapely.geometry import shape

from geo.config import load_model
from geo.errors import DataError

__all__ = ["read_overrides_geojson"]


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Feature(_Loose):
    type: Literal["Feature"] = "Feature"
    properties: dict[str, Any] | None = None
    geometry: dict[str, Any] | None = None


class _Collection(_Loose):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[_Feature] = []
    crs: dict[str, Any] | None = None


_LONLAT_CRS = ("crs84", "4326", "cgcs2000", "4490")


def _text(props: dict, key: str, where: str) -> str:
    value = props.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{where}.properties.{key}: expected text, got {type(value).__name__}")
    return str(value)


def read_overrides_geojson(path: str | Path) -> list[tuple[Any, str]]:
    """The locations of an old overrides file, in file order, each with its ``drawn_at``.

    Returns
    -------
    list of (Location, str)

    Raises
    ------
    DataError
        Naming the file and the feature (``overrides.geojson: features[3].geometry: …``).
    """
    from layers.store import Location

    path = Path(path)
    doc = load_model(_Collection, path, what="overrides file")
    name = (doc.crs or {}).get("properties", {}).get("name", "") if doc.crs else ""
    if doc.crs and not str(name).lower().replace(":", "").endswith(_LONLAT_CRS):
        raise DataError(f"{path}: crs: {name!r} is not WGS-84 lon/lat; reproject to EPSG:4326")
    out = []
    for i, feat in enumerate(doc.features):
        where = f"{path}: features[{i}]"
        props = feat.properties or {}
        fid = _text(props, "id", where).strip()
        if not fid:
            raise DataError(f"{where}.properties.id: missing")
        if feat.geometry is None:
            raise DataError(f"{where}.geometry: missing")
        try:
            geom = shape(feat.geometry)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, GEOSException) as exc:
            raise DataError(f"{where}.geometry: not a GeoJSON geometry ({exc})") from None
        except RecursionError:
            raise DataError(f"{where}.geometry: nested too deeply") from None
        location = Location(
            id=fid,
            geometry=geom,
            note=_text(props, "note", where),
            source=_text(props, "source", where) or "user",
            precision=_text(props, "precision", where) or "approximate",
            licence=_text(props, "licence", where),
        )
        out.append((location, _text(props, "drawn_at", where)))
    return out
