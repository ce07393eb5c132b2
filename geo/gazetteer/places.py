"""The curated places file of a district (``data/districts/<id>/places.toml``), validated once.

Each ``[[place]]`` has an id (a stable ASCII slug), a canonical Simplified name, an English
name, aliases, kind, status, precision, source, an optional note and a geometry *recipe* (see
:mod:`geo.gazetteer.recipes` and the file's header): never a typed coordinate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from geo.config import Frozen, chosen, load_model
from geo.model import Kind, Precision, Status

__all__ = ["Place", "Places", "load_places"]


class Place(Frozen):
    """One curated place."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    kind: chosen(Kind)  # type: ignore[valid-type]
    status: chosen(Status)  # type: ignore[valid-type]
    precision: chosen(Precision)  # type: ignore[valid-type]
    source: str = Field(min_length=1)
    note: str = ""
    geometry: dict[str, Any] | None = None
    #: add the name's pinyin as an alias (false for names whose pinyin is not their name,
    #: such as Hong Kong places)
    pinyin: bool = True

    @field_validator("name", "name_en", "source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _recipe_matches_precision(self) -> Place:
        unlocated = self.precision is Precision.UNLOCATED
        if unlocated and self.geometry is not None:
            raise ValueError(f"{self.id}: precision 'unlocated' but a geometry recipe is given")
        if not unlocated and self.geometry is None:
            raise ValueError(f"{self.id}: no geometry recipe, so precision must be 'unlocated'")
        recipe = self.geometry or {}
        # containment is the only thing a `within` recipe knows; a stand-in is approximate
        for key, needed in (("within", Precision.WITHIN), ("stand_in", Precision.APPROXIMATE)):
            if (key in recipe) != (self.precision is needed and key in recipe):
                raise ValueError(f"{self.id}: a '{key}' recipe needs precision '{needed.value}'")
        if self.precision is Precision.WITHIN and "within" not in recipe:
            raise ValueError(f"{self.id}: precision 'within' needs a 'within' recipe")
        return self


class Places(Frozen):
    """The whole file: ``[[place]]`` entries with unique ids."""

    place: tuple[Place, ...] = ()

    @field_validator("place")
    @classmethod
    def _unique(cls, places: tuple[Place, ...]) -> tuple[Place, ...]:
        seen: set[str] = set()
        for entry in places:
            if entry.id in seen:
                raise ValueError(f"duplicate id '{entry.id}'")
            seen.add(entry.id)
        return places


def load_places(path: str | Path) -> tuple[Place, ...]:
    """Read and check a places file (one-line :class:`~geo.errors.DataError` naming it)."""
    return load_model(Places, path, what="places file").place
