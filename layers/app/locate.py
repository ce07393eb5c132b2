"""The Locate page's logic: uploaded GIS files -> proposals -> the planner's decisions -> one save.

The page (``pages/3_Locate.py``) only lays out widgets; reading, matching and saving are the
same calls as ``planmap locate`` (:func:`geo.locate.locate`, :mod:`layers.locate`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from geo.errors import DataError
from geo.locate import LocateResult, Proposal, State, locate
from geo.locate.text import shown
from layers.locate import Action, Plan, plan, save, table
from layers.store import UserStore

__all__ = [
    "COMPANIONS",
    "Action",
    "UserStore",
    "choice_labels",
    "locate_upload",
    "save_decisions",
    "stage",
    "to_choose",
    "to_confirm",
    "upload_table",
]

#: files that travel with a dataset (a Shapefile's parts, sidecar metadata)
COMPANIONS = (
    ".shx",
    ".dbf",
    ".prj",
    ".cpg",
    ".sbn",
    ".sbx",
    ".qix",
    ".fix",
    ".shp.xml",
    ".aux.xml",
)
_SAFE_NAME = re.compile(r"[^\\/\x00-\x1f]{1,200}")


def _safe(name: str, i: int) -> str:
    base = Path(name.replace("\\", "/")).name
    if not _SAFE_NAME.fullmatch(base) or base in (".", ".."):
        suffix = "".join(Path(base).suffixes)[-20:] if base else ""
        return f"upload{i}{re.sub(r'[^A-Za-z0-9.]', '', suffix)}"
    return base


def stage(files: Sequence[tuple[str, bytes]], folder: Path) -> Path:
    """Write uploaded files into ``folder`` (names reduced to a plain file name) and return the
    file GDAL opens: the one that is not a companion (a ``.shp`` beside its ``.shx``/``.dbf``,
    a ``.gpkg``, a ``.zip`` …).

    Raises
    ------
    DataError
        No file, only companions, or several datasets at once.
    """
    if not files:
        raise DataError("no file uploaded")
    written = []
    for i, (name, data) in enumerate(files):
        path = folder / _safe(name, i)
        path.write_bytes(data)
        written.append(path)
    main = [p for p in written if not p.name.lower().endswith(COMPANIONS)]
    if not main:
        names = ", ".join(shown(p.name, limit=40) for p in written)
        raise DataError(f"{names}: no dataset among them (upload the .shp with its .shx and .dbf)")
    if len(main) > 1:
        names = ", ".join(shown(p.name, limit=40) for p in main)
        raise DataError(f"{names}: several datasets; upload one at a time (or one .zip)")
    return main[0]


def locate_upload(files: Sequence[tuple[str, bytes]], **options) -> LocateResult:
    """:func:`geo.locate.locate` on uploaded files, staged in a temporary folder that is gone
    when this returns (the result holds everything the page needs)."""
    with tempfile.TemporaryDirectory(prefix="planmap-locate-") as tmp:
        path = stage(files, Path(tmp))
        return locate(path, **options)


def to_confirm(result: LocateResult) -> list[Proposal]:
    """Proposals with one candidate: saved unless the planner unticks them."""
    return result.by_state(State.LOCATED)


def to_choose(result: LocateResult) -> list[Proposal]:
    """Proposals with several candidates: the planner picks one (or none)."""
    return result.by_state(State.CHOOSE)


def choice_labels(proposal: Proposal) -> list[str]:
    """Plain-text labels of a choice: ``none`` first, then each candidate numbered."""
    return ["— none —", *(f"{n}. {o.describe()}" for n, o in enumerate(proposal.options, 1))]


def _stored(store) -> dict[str, str]:  # noqa: ANN001 - a layers.store.UserStore
    if not store.path.exists():
        return {}
    frame = store.locations()
    return dict(zip(frame["id"], frame["source"], strict=True))


def upload_table(result: LocateResult, store=None) -> pd.DataFrame:  # noqa: ANN001
    """The match table as the page shows it (what a save with the defaults would do)."""
    stored = _stored(store) if store is not None else {}
    return table(plan(result, stored=stored))


def save_decisions(
    result: LocateResult,
    *,
    accepted: Iterable[str],
    picks: Mapping[str, int],
    replace: bool = False,
    store=None,  # noqa: ANN001
) -> tuple[int, Plan]:
    """Save what the planner accepted, in one transaction of the user store.

    Parameters
    ----------
    accepted : iterable of str
        Ids of single-candidate places to save (the others are rejected).
    picks : mapping of id to int
        The candidate (1-based; 0 = none) chosen for each place offered as a choice.
    replace : bool
        Replace locations already in the store.
    store : UserStore, optional
        Default: the user's store.

    Returns
    -------
    (int, Plan)
        How many locations were saved, and what happened to each proposal.
    """
    store = store or UserStore()
    accepted = set(accepted)
    rejected = {p.place_id for p in to_confirm(result) if p.place_id not in accepted}
    chosen = {fid: [n] for fid, n in picks.items() if n}
    rejected |= {fid for fid, n in picks.items() if not n}
    the_plan = plan(result, picks=chosen, rejected=rejected, stored=_stored(store), replace=replace)
    return save(the_plan, store), the_plan
