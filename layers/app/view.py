"""The layers the app shows: built from the district's spec (or an uploaded one), the user's
locations and an uploaded GeoJSON layer; filtered by layer and status."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from geo.district import get_district
from geo.model import LayerGroup, Status
from layers.app.uploads import UPLOAD_LAYER, far_features, far_warning, read_geojson_upload
from layers.build import build_layers, district_of, proposals_for
from layers.layerset import Layer, LayerSet

__all__ = [
    "STATUSES",
    "base_of",
    "build_view",
    "filter_layers",
    "layer_label",
    "layer_short_label",
    "other_warnings",
    "store_problem",
    "store_source",
    "store_warning",
    "upload_notes",
]

STATUSES: list[str] = Status.values()


def build_view(
    *,
    district: str | None = None,
    spec_text: str | None = None,
    spec_name: str = "upload.toml",
    store_path: str | Path | None = None,
    overrides_path: str | Path | None = None,
    upload: tuple[str, bytes] | None = None,
) -> LayerSet:
    """Build the layers the app shows.

    Parameters
    ----------
    district : str, optional
        The district id (default: the default district).
    spec_text : str, optional
        An uploaded spec (TOML text); default: the district's shipped spec.
    spec_name : str
        The uploaded spec's file name (named in error messages).
    store_path : path, optional
        The user store (default: :func:`layers.store.default_store_path`); a broken one is a
        warning (:func:`layers.build.user_locations`), the map is built without it.
    overrides_path : path, optional
        The former name of ``store_path``.
    upload : (file name, bytes), optional
        An uploaded GeoJSON layer, added as the layer ``uploaded``.

    Raises
    ------
    PlanmapError
        A bad spec, gazetteer or upload, in one line.
    """
    from geo.gazetteer import load_gazetteer
    from layers.build import user_locations
    from layers.spec import load_spec, parse_spec

    if spec_text is None:
        record = get_district(district)
        spec = load_spec(record.spec_path)
    else:
        spec = parse_spec(spec_text, path=spec_name)
        record = district_of(spec)
    overrides, problems = user_locations(store_path or overrides_path)
    built = build_layers(
        spec,
        load_gazetteer(record),
        overrides=overrides,
        district=record,
        proposals=proposals_for(spec, record),
    )
    built = built.with_warnings(problems) if problems else built
    if upload is None:
        return built
    name, data = upload
    frame, notes = read_geojson_upload(data, name=name)
    far = far_features(frame, _bounds(built))
    if far:
        notes.append(far_warning(name, far, len(frame), record.name))
    title = f"上传 Uploaded · {Path(name).name}"
    layer = Layer(UPLOAD_LAYER, title, LayerGroup.UPLOADED, frame, z=1000)
    return built.with_layer(layer).with_warnings(notes)


def _bounds(layers: LayerSet) -> tuple[float, float, float, float]:
    """The lon/lat bounds of every drawn feature of ``layers`` (NaN when none is drawn)."""
    boxes = [frame.total_bounds for frame in layers.values() if len(frame)]
    if not boxes:
        return (math.nan,) * 4
    stack = np.vstack(boxes)
    return (
        float(np.nanmin(stack[:, 0])),
        float(np.nanmin(stack[:, 1])),
        float(np.nanmax(stack[:, 2])),
        float(np.nanmax(stack[:, 3])),
    )


def upload_notes(view: LayerSet, upload_name: str) -> list[str]:
    """The warnings about an uploaded file (its ``crs``, features far away), each one line
    starting with the file's name; the app shows them beside the upload."""
    prefix = f"{Path(upload_name).name}: "
    return [w for w in view.warnings if upload_name and w.startswith(prefix)]


def store_source() -> tuple[str, tuple]:
    """The user store and its version (the store's and the old overrides file's mtimes): part
    of every cache key that reads the store, so a save in any session, or a fixed file, is
    seen on the next rerun."""
    from layers.store import LEGACY_NAME, default_store_path

    path = default_store_path()
    stamps: list[tuple[int, int] | None] = []
    for p in (path, path.with_name(LEGACY_NAME)):
        try:
            st = p.stat()
            stamps.append((st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append(None)
    return str(path), tuple(stamps)


def store_problem(store_path: str | Path | None = None) -> str | None:
    """What is wrong with the user store (or the old overrides file it imports), in one line
    naming the file; ``None`` when it is fine or absent. The app shows it as one warning and
    draws the map without the user's locations; the file is only read, never repaired."""
    from geo.errors import PlanmapError
    from layers.store import UserStore

    try:
        UserStore(store_path).locations()
    except PlanmapError as exc:
        return str(exc).strip().splitlines()[0]
    return None


def store_warning(problem: str) -> str:
    """The warning line for :func:`store_problem`'s answer."""
    return (
        f"Your saved locations are not shown: {problem}. The map is drawn without them; "
        "the file is left as it is for you to fix."
    )


def other_warnings(view: LayerSet, *shown: str | None) -> list[str]:
    """The build's warnings without those the page shows on their own lines (the store's
    problem, the upload's notes)."""
    return [w for w in view.warnings if not any(s and w.startswith(s) for s in shown)]


def filter_layers(
    layers: LayerSet, *, names: Sequence[str] | None = None, statuses: Sequence[str] | None = None
) -> LayerSet:
    """The chosen layers (in build order), each keeping only rows of the chosen statuses."""
    return layers.select(names=names, statuses=statuses)


def layer_label(name: str, layers: LayerSet) -> str:
    """A layer's label for widgets: ``Transport · 轨道 · Metro lines and projects``."""
    return layers.layer(name).label


def layer_short_label(name: str, layers: LayerSet) -> str:
    """A short label for the sidebar's filter chips: the spec's title."""
    return layers.layer(name).title


def base_of(district: str | None = None) -> LayerSet:
    """The context base of a district (:func:`layers.base.context_base`)."""
    from geo.gazetteer import load_gazetteer
    from layers.base import context_base

    record = get_district(district)
    return context_base(load_gazetteer(record), record)
