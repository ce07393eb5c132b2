"""What a planner's file locates, as rows for the user store; the match table; the one save.

:func:`plan` decides, for each proposal of :func:`geo.locate.locate`, what happens to it:

- ``save``: one candidate (or the candidates the planner picked), and the place is neither
  located from its own source nor already in the user store;
- ``choose``: several candidates and no pick (never picked for the planner);
- ``sourced``: the place is already located from its source: reported, never overwritten;
- ``in store``: the user store already holds a location for it (kept unless ``replace``);
- ``rejected``: the planner rejected it; ``unlocated``: no candidate.

:func:`save` writes every ``save`` row to the user store in one transaction
(:meth:`layers.store.UserStore.save_many`): all of them or, on any error, none, and nothing
already in the store is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from geo.errors import OptionError
from geo.locate import LocateResult, Option, Proposal, State
from geo.locate.merge import merge
from geo.model import Precision

__all__ = ["Action", "Decision", "Plan", "parse_picks", "plan", "save", "table"]


class Action:
    SAVE = "save"
    CHOOSE = "choose"
    SOURCED = "sourced"
    IN_STORE = "in store"
    REJECTED = "rejected"
    UNLOCATED = "unlocated"


@dataclass(frozen=True)
class Decision:
    """What happens to one proposal, and the location saved for it (if any)."""

    proposal: Proposal
    action: str
    options: tuple[Option, ...] = ()
    reason: str = ""
    #: the store row: ``id, geometry, note, source, precision, licence``
    row: dict | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Plan:
    result: LocateResult
    decisions: tuple[Decision, ...]

    def of(self, action: str) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]

    @property
    def rows(self) -> list[dict]:
        return [d.row for d in self.decisions if d.row is not None]


def parse_picks(values: Iterable[str]) -> dict[str, list[int]]:
    """``["road.x=2", "road.y=1,3"]`` -> ``{"road.x": [2], "road.y": [1, 3]}`` (1-based).

    Raises
    ------
    OptionError
        A value that is not ``ID=N[,N…]``.
    """
    out: dict[str, list[int]] = {}
    for value in values:
        fid, _, numbers = value.partition("=")
        try:
            picked = [int(n) for n in numbers.split(",") if n.strip()]
        except ValueError:
            picked = []
        if not fid.strip() or not picked or min(picked) < 1:
            raise OptionError(f"--pick {value!r}: expected ID=N or ID=N,M (numbers from the table)")
        out[fid.strip()] = picked
    return out


def _row(result: LocateResult, proposal: Proposal, options: Sequence[Option]) -> dict:
    if len(options) == 1:
        option = options[0]
        geometry, source = option.geometry, result.source(option)
        note = result.note(proposal, option)
        precision = option.precision
    else:
        geometry = merge([o.geometry for o in options])
        source = " + ".join(result.source(o) for o in options)
        note = result.note(proposal, options[0]) + f"; {len(options)} features chosen together"
        ranks = list(Precision)
        precision = max((o.precision for o in options), key=ranks.index)
    return {
        "id": proposal.place_id,
        "geometry": geometry,
        "note": note,
        "source": source,
        "precision": precision.value,
        "licence": result.licence,
    }


def plan(
    result: LocateResult,
    *,
    picks: Mapping[str, Sequence[int]] | None = None,
    rejected: Iterable[str] = (),
    stored: Mapping[str, str] | None = None,
    replace: bool = False,
) -> Plan:
    """Decide what each proposal becomes (see the module docstring).

    Parameters
    ----------
    result : LocateResult
        From :func:`geo.locate.locate`.
    picks : mapping of place id to 1-based option numbers, optional
        The planner's choices among candidates (several are merged into one location).
    rejected : iterable of str
        Place ids the planner rejects.
    stored : mapping of place id to source, optional
        What the user store already holds.
    replace : bool
        Replace locations already in the user store (never a sourced one).

    Raises
    ------
    OptionError
        A pick for a place the file has no candidates for, or a number out of range.
    """
    picks = dict(picks or {})
    rejected = set(rejected)
    stored = dict(stored or {})
    by_id = {p.place_id: p for p in result.proposals}
    for fid, numbers in picks.items():
        proposal = by_id.get(fid)
        if proposal is None or proposal.state not in (State.LOCATED, State.CHOOSE):
            raise OptionError(f"--pick {fid}: the file has no candidates for this place")
        if max(numbers) > len(proposal.options):
            raise OptionError(
                f"--pick {fid}={max(numbers)}: it has {len(proposal.options)} candidate(s)"
            )
    decisions = []
    for proposal in result.proposals:
        fid = proposal.place_id
        if proposal.state is State.SOURCED:
            decisions.append(Decision(proposal, Action.SOURCED, proposal.options, proposal.note))
            continue
        if proposal.state is State.UNLOCATED:
            decisions.append(Decision(proposal, Action.UNLOCATED, (), proposal.note))
            continue
        if fid in rejected:
            decisions.append(Decision(proposal, Action.REJECTED, proposal.options, "rejected"))
            continue
        if fid in picks:
            chosen = tuple(proposal.options[n - 1] for n in picks[fid])
        elif proposal.state is State.LOCATED:
            chosen = proposal.options
        else:
            decisions.append(Decision(proposal, Action.CHOOSE, proposal.options, proposal.note))
            continue
        if fid in stored and not replace:
            reason = f"your store already locates it ({stored[fid]}); --replace to replace it"
            decisions.append(Decision(proposal, Action.IN_STORE, chosen, reason))
            continue
        row = _row(result, proposal, chosen)
        decisions.append(Decision(proposal, Action.SAVE, chosen, row["note"], row))
    return Plan(result, tuple(decisions))


def save(the_plan: Plan, store) -> int:  # noqa: ANN001 - a layers.store.UserStore
    """Write the plan's ``save`` rows to the user store in one transaction; how many."""
    from layers.store import Location

    rows = the_plan.rows
    if not rows:
        return 0
    return store.save_many([Location(**row) for row in rows])


TABLE_COLUMNS = ["place", "id", "action", "feature", "size", "to district", "rule", "why"]


def _size(option: Option) -> str:
    if option.area_m2:
        return f"{option.area_m2 / 1e6:.2f} km²"
    return f"{option.length_m / 1000:.2f} km" if option.length_m else "point"


def table(the_plan: Plan, *, everything: bool = False) -> pd.DataFrame:
    """The match table: one row per candidate (numbered when there is a choice).

    Unlocated places the file says nothing about are left out unless ``everything`` (a road
    file cannot locate a school); a place whose rule found context (an extension) is kept.
    Text is as the file writes it: escape it where it is shown.
    """
    rows = []
    for d in the_plan.decisions:
        p = d.proposal
        if d.action == Action.UNLOCATED and not p.options and not everything:
            continue
        numbered = len(p.options) > 1
        shown: list[tuple[int, Option | None]] = [
            (n, o)
            for n, o in enumerate(p.options, start=1)
            if d.action != Action.SAVE or o in d.options
        ] or [(0, None)]
        for i, (n, option) in enumerate(shown):
            rows.append(
                {
                    "place": p.name,
                    "id": p.place_id,
                    "action": f"{d.action} {n}" if numbered and option else d.action,
                    "feature": option.name if option else "-",
                    "size": _size(option) if option else "-",
                    "to district": f"{option.distance_m:,.0f} m" if option else "-",
                    "rule": str(p.rule),
                    "why": d.reason if i == 0 else "",
                }
            )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
