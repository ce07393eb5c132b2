"""Layer specs: which gazetteer places make which layer, with the report's status. Data, not code.

Styles are not part of a spec: they come from one table keyed by kind and status
(:mod:`layers.styles`), so the same kind always looks the same.

A spec is a TOML file (``data/specs/luohu_2025.toml``) validated once into frozen pydantic
models. Errors name the file and the field: ``luohu_2025.toml: layers[3].features[2].status: …``.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo.errors import SpecError
from layers.styles import Status  # one vocabulary of statuses for specs and styles


class Group(StrEnum):
    structure = "Structure"
    transport = "Transport"
    ports = "Ports"
    zones = "Zones"
    low_altitude = "Low-altitude"
    context = "Context"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeatureSpec(_Frozen):
    """One report feature, named as in the gazetteer."""

    place: str = Field(min_length=1)
    status: Status | None = None
    note: str = ""


class Select(_Frozen):
    """Every gazetteer place of a kind (optionally only those in or near the district)."""

    kind: str = Field(min_length=1)
    max_outside_m: float | None = Field(default=None, ge=0)


class LayerSpec(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    group: Group
    check_inside: bool = True
    include: tuple[Select, ...] = ()
    features: tuple[FeatureSpec, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> LayerSpec:
        if not self.include and not self.features:
            raise ValueError("a layer needs 'features' or 'include'")
        return self


class Spec(_Frozen):
    title: str = Field(min_length=1)
    district: str = Field(min_length=1)
    outside_tolerance_m: float = Field(default=250.0, ge=0)
    layers: tuple[LayerSpec, ...] = Field(min_length=1)
    path: str = ""

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


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_spec(text: str, *, path: str = "<spec>") -> Spec:
    """Validate spec text.

    Raises
    ------
    SpecError
        With the file, the field and what is wrong, in one line.
    """
    name = Path(path).name
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{name}: not valid TOML: {exc}") from exc
    try:
        return Spec.model_validate({**doc, "path": str(path)})
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SpecError(f"{name}: {_loc(err['loc'])}: {err['msg']}{more}") from exc


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError(f"{path}: no such spec file") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path.name}: not UTF-8 text") from exc
    return parse_spec(text, path=str(path))
