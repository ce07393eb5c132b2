"""Layer specs: which gazetteer places make which layer, with the report's status. Data, not code.

A spec is a TOML file (``data/districts/<id>/<name>.toml``) validated once into frozen
pydantic models (:mod:`geo.config`). Errors name the file and the field:
``luohu_2025.toml: layers[3].features[2].status: status 'soon' is not one of: …``.

The spec owns each layer's metadata: its order (the layer switcher's and every export's),
title, group, default visibility and drawing rank (``z``, bottom to top). Styles are not part
of a spec: they come from one table keyed by kind, status and precision (:mod:`layers.styles`).

Layer names must be valid in every output: a GeoJSON file name, a GeoPackage table (``gpkg_``,
``rtree_`` and ``sqlite_`` are reserved there), a DXF layer and a Shapefile name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from geo.config import MAX_CONFIG_BYTES, Frozen, chosen, load_model, parse_model
from geo.errors import SpecError
from geo.model import Kind, LayerGroup, Status

__all__ = ["FeatureSpec", "LayerSpec", "Select", "Spec", "load_spec", "parse_spec"]

#: table prefixes a GeoPackage (and SQLite) reserves
RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_")
#: file names Windows reserves for devices (``con.geojson`` cannot be created there)
WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}
)


#: the alphabet and length of a spec layer's name
SPEC_NAME = r"^[a-z][a-z0-9_]*$"
SPEC_NAME_MAX = 48


def output_name_problem(name: str) -> str | None:
    """What makes ``name`` unusable as a layer in some output, or None.

    Checked once, here, against each writer's own rule: a GeoPackage table
    (:func:`layers.export.gpkg.check_table_name`: ``gpkg_``, ``rtree_``, ``sqlite_``,
    ``layer_styles``), a file name on every system (:func:`layers.export.shapefile.check_file_name`,
    Windows device names), and a DXF layer with its longest status/precision suffix
    (:func:`layers.export.dxf.check_layer_name`). A name of the spec's own alphabet
    (:data:`SPEC_NAME`, at most :data:`SPEC_NAME_MAX` characters) is always a valid DXF layer
    name, so ezdxf (a third of a second to import) is loaded only for other names;
    ``tests/test_spec.py`` checks that claim against ezdxf itself.
    """
    from geo.errors import DataError
    from geo.model import Precision
    from layers.export.gpkg import check_table_name
    from layers.export.shapefile import check_file_name

    if name.startswith(RESERVED_PREFIXES):
        return f"'{name}' starts with a prefix GeoPackage reserves ({', '.join(RESERVED_PREFIXES)})"
    if name.lower() in WINDOWS_DEVICES:
        return f"'{name}' is a device name on Windows and cannot name a file there"
    checks: list[tuple[Callable[[str], object], str]] = [
        (check_table_name, name),
        (check_file_name, name),
    ]
    if not (re.fullmatch(SPEC_NAME, name) and len(name) <= SPEC_NAME_MAX):
        from layers.export.dxf import cad_layer_name, check_layer_name

        longest = cad_layer_name(
            name, Status.UNDER_CONSTRUCTION.value, max(Precision.values(), key=len)
        )
        checks.append((check_layer_name, longest))
    for check, value in checks:
        try:
            check(value)
        except DataError as exc:
            return str(exc).removeprefix(f"layer {value!r}: ")
    return None


class FeatureSpec(Frozen):
    """One report feature, named as in the gazetteer (any name or alias the index resolves)."""

    place: str = Field(min_length=1, max_length=200)
    status: chosen(Status) | None = None  # type: ignore[valid-type]
    note: str = Field(default="", max_length=5000)


class Select(Frozen):
    """Every gazetteer place of a kind (optionally only those in or near the district)."""

    kind: chosen(Kind)  # type: ignore[valid-type]
    max_outside_m: float | None = Field(default=None, ge=0, le=100_000)


class LayerSpec(Frozen):
    """One layer: its name, title, group, default visibility, drawing rank and places."""

    name: str = Field(pattern=SPEC_NAME, max_length=SPEC_NAME_MAX)
    title: str = Field(min_length=1, max_length=200)
    group: chosen(LayerGroup)  # type: ignore[valid-type]
    visible: bool = True
    z: int | None = Field(default=None, ge=0, le=1000, description="drawing rank, bottom 0")
    check_inside: bool = True
    #: keep only the part of each line inside the district (a district the facts only partly
    #: cover draws its share of the lines)
    clip: bool = False
    #: add the district's proposed low-altitude network (its siting rules): ``sites`` (the
    #: landing points and the cross-border route) or ``service_areas`` (their service discs)
    proposals: Literal["", "sites", "service_areas"] = ""
    include: tuple[Select, ...] = ()
    features: tuple[FeatureSpec, ...] = ()

    @field_validator("name")
    @classmethod
    def _valid_in_every_output(cls, name: str) -> str:
        problem = output_name_problem(name)
        if problem:
            raise ValueError(problem)
        return name

    @model_validator(mode="after")
    def _not_empty(self) -> LayerSpec:
        if not self.include and not self.features and not self.proposals:
            raise ValueError("a layer needs 'features', 'include' or 'proposals'")
        return self

    @property
    def rank(self) -> int:
        """Drawing rank: ``z`` or the group's default."""
        return self.z if self.z is not None else self.group.z


class Spec(Frozen):
    title: str = Field(min_length=1, max_length=300)
    #: the district the spec maps: its id (``luohu``) or its canonical name (``罗湖区``)
    district: str = Field(min_length=1, max_length=100)
    outside_tolerance_m: float = Field(default=250.0, ge=0, le=100_000)
    layers: tuple[LayerSpec, ...] = Field(min_length=1, max_length=500)
    path: str = ""

    @field_validator("outside_tolerance_m")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number of metres")
        return value

    @field_validator("layers")
    @classmethod
    def _unique(cls, layers: tuple[LayerSpec, ...]) -> tuple[LayerSpec, ...]:
        names = [layer.name for layer in layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate layer names {dupes}")
        return layers

    @property
    def filename(self) -> str:
        return Path(self.path).name if self.path else "<spec>"


def parse_spec(text: str, *, path: str = "<spec>") -> Spec:
    """Validate spec text (a UTF-8 BOM is fine).

    Raises
    ------
    SpecError
        With the file, the field and what is wrong, in one line.
    """
    if len(text) > MAX_CONFIG_BYTES:
        raise SpecError(f"{Path(path).name}: larger than {MAX_CONFIG_BYTES // 2**20} MiB")
    return parse_model(Spec, text, name=Path(path).name, extra={"path": str(path)}, error=SpecError)


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file."""
    return load_model(Spec, path, what="spec file", extra={"path": str(path)}, error=SpecError)
