"""Reading the previous user store, ``overrides.geojson``, so :mod:`layers.store` can import it.

Nothing writes this format any more: the user store is :class:`layers.store.UserStore`. The
file is a GeoJSON FeatureCollection whose features carry ``id``, ``note`` and ``drawn_at``
(and optionally ``source``, ``precision``, ``licence``); it is read by the one GeoJSON reader,
:func:`geo.geojson_read.read_features` (size, nesting, feature and vertex limits; a ``crs``
member honoured), after a bounded read of the file (:func:`geo.config.read_text`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo.config import read_text
from geo.errors import DataError
from geo.geojson_read import MAX_GEOJSON_BYTES, read_features

__all__ = ["read_overrides_geojson"]


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
        Naming the file and the feature (``…/overrides.geojson: features[3].geometry: …``).
    """
    from layers.store import Location

    path = Path(path)
    text = read_text(path, what="overrides file", max_bytes=MAX_GEOJSON_BYTES)
    read = read_features(text.encode("utf-8"), name=str(path), allow_empty=True)
    out = []
    for feat in read.features:
        where = f"{path}: features[{feat.index}]"
        props = feat.properties
        fid = _text(props, "id", where).strip()
        if not fid:
            raise DataError(f"{where}.properties.id: missing")
        if feat.geometry is None:
            raise DataError(f"{where}.geometry: missing")
        location = Location(
            id=fid,
            geometry=feat.geometry,
            note=_text(props, "note", where),
            source=_text(props, "source", where) or "user",
            precision=_text(props, "precision", where) or "approximate",
            licence=_text(props, "licence", where),
        )
        out.append((location, _text(props, "drawn_at", where)))
    return out
