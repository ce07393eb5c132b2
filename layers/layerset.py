"""The typed, immutable result of a build: layers in order, each with its metadata.

Render, export, sheet and app all consume a :class:`LayerSet`. It is a read-only mapping
``{layer name: GeoDataFrame}`` in the spec's order (so ``layers["ports"]`` and ``.items()``
work), and carries each layer's title, group, default visibility and drawing rank, the
build's warnings, the district and the report evidence that was joined.

Frames are shared, not copied: treat them as read-only (:meth:`LayerSet.select` returns new
frames).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.model import FEATURE_COLUMNS, LayerGroup, Status, drawn_mask

__all__ = ["Layer", "LayerSet"]


@dataclass(frozen=True)
class Layer:
    """One layer of a build."""

    name: str
    title: str
    group: LayerGroup
    frame: gpd.GeoDataFrame = field(repr=False)
    visible: bool = True
    z: int = 0
    #: ids of the places the spec names in this layer (not those it includes by kind or the
    #: generated proposals): the report's own places
    named: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        """The layer switcher's label: ``Transport · 轨道 · Metro lines and projects``."""
        return f"{self.group.value} · {self.title}"


class LayerSet(Mapping[str, gpd.GeoDataFrame]):
    """Layers in order with their metadata, warnings, district and evidence (immutable)."""

    def __init__(
        self,
        layers: Iterable[Layer] = (),
        *,
        warnings: Sequence[str] = (),
        district: Any = None,
        evidence: Mapping[str, Any] | None = None,
        title: str = "",
    ) -> None:
        self._layers: dict[str, Layer] = {}
        for layer in layers:
            if layer.name in self._layers:
                raise ValueError(f"layer {layer.name!r} is given twice")
            self._layers[layer.name] = layer
        self._warnings: tuple[str, ...] = tuple(warnings)
        self.district = district
        self.evidence: Mapping[str, Any] = dict(evidence or {})
        self.title = title

    @classmethod
    def from_frames(cls, frames: Mapping[str, gpd.GeoDataFrame], **kwargs: Any) -> LayerSet:
        """Layers from plain frames (read from files): titled by their name, grouped Other,
        drawn in the given order."""
        return cls(
            (
                Layer(name, name, LayerGroup.OTHER, frame, z=i)
                for i, (name, frame) in enumerate(frames.items())
            ),
            **kwargs,
        )

    # -- Mapping ---------------------------------------------------------------------------

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        return self._layers[name].frame

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __repr__(self) -> str:
        return f"LayerSet({', '.join(f'{n}={len(g)}' for n, g in self.items())})"

    # -- metadata --------------------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        """What the build reported (a copy)."""
        return list(self._warnings)

    def layer(self, name: str) -> Layer:
        return self._layers[name]

    @property
    def layers(self) -> tuple[Layer, ...]:
        return tuple(self._layers.values())

    @property
    def titles(self) -> dict[str, str]:
        return {n: layer.title for n, layer in self._layers.items()}

    @property
    def groups(self) -> dict[str, str]:
        return {n: layer.group.value for n, layer in self._layers.items()}

    def draw_order(self) -> list[str]:
        """Layer names bottom to top (by ``z``, then spec order)."""
        ranked = sorted(enumerate(self._layers.values()), key=lambda item: (item[1].z, item[0]))
        return [layer.name for _, layer in ranked]

    # -- derived sets ----------------------------------------------------------------------

    def _like(self, layers: Iterable[Layer]) -> LayerSet:
        return LayerSet(
            layers,
            warnings=self.warnings,
            district=self.district,
            evidence=self.evidence,
            title=self.title,
        )

    def select(
        self, *, names: Iterable[str] | None = None, statuses: Iterable[str] | None = None
    ) -> LayerSet:
        """The chosen layers (in order), each keeping only rows of the chosen statuses."""
        keep = set(self._layers) if names is None else set(names)
        wanted = {Status.get(s).value for s in (Status.values() if statuses is None else statuses)}
        return self._like(
            replace(layer, frame=layer.frame[layer.frame["status"].isin(wanted)])
            for layer in self._layers.values()
            if layer.name in keep
        )

    def with_layer(self, layer: Layer) -> LayerSet:
        """This set plus one layer at the end (replacing one of the same name)."""
        return self._like([*(x for x in self.layers if x.name != layer.name), layer])

    def with_warnings(self, warnings: Iterable[str]) -> LayerSet:
        """This set with more warnings."""
        out = self._like(self.layers)
        out._warnings = (*self._warnings, *warnings)
        return out

    def unlocated(self) -> pd.DataFrame:
        """Every feature the map cannot draw, across layers, without geometry."""
        parts = [g.loc[~drawn_mask(g)].drop(columns="geometry") for g in self.values() if len(g)]
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame(columns=list(FEATURE_COLUMNS))
        return pd.concat(parts, ignore_index=True)
