"""Maximal covering location (MCLP) on a sparse coverage matrix: greedy, 1-swap, exact.

Pure numbers, no geography: a demand point ``i`` is covered by a candidate ``j`` when
``A[i, j] == 1``; choose ``p`` candidates maximising the covered weight ``w``. Private: the
public names are offered by :mod:`geo.siting`.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import DataError, OptionError
from geo.model import Choice
from geo.siting.rules import LIMITS

if TYPE_CHECKING:
    import highspy

__all__ = [
    "Solution",
    "Solver",
    "brute_force",
    "coverage_matrix",
    "covered_weight",
    "exact",
    "greedy",
    "lp_bound",
    "rank_order",
    "reduce_rows",
    "solve",
    "swap_search",
]


class Solver(Choice):
    """Valid values of ``solver=``: greedy (+ 1-swap) or the exact integer program (HiGHS)."""

    GREEDY = "greedy"
    EXACT = "exact"


@dataclass(frozen=True)
class Solution:
    """The chosen candidates and how they were found.

    Attributes
    ----------
    chosen : numpy.ndarray
        Candidate indices, best first (greedy rank order).
    objective : float
        Covered demand weight.
    total_weight : float
        Weight of all demand points.
    solver : str
        ``"greedy"`` or ``"exact"``.
    status : str
        ``"heuristic"`` for greedy; HiGHS's model status for exact (``"Optimal"``,
        ``"Time limit reached"``, ...).
    seconds : float
        Wall time of the solve (coverage matrix excluded).
    bound : float or None
        Upper bound on the objective (exact: HiGHS's best bound).
    gap : float or None
        Relative MIP gap reported by HiGHS.
    details : dict
        Solver-specific figures (swaps made, model size, ...).
    """

    chosen: np.ndarray
    objective: float
    total_weight: float
    solver: str
    status: str
    seconds: float
    bound: float | None = None
    gap: float | None = None
    details: dict = field(default_factory=dict)


def coverage_matrix(
    demand_xy: np.ndarray, candidate_xy: np.ndarray, radius_m: float
) -> sparse.csr_matrix:
    """Sparse 0/1 matrix ``A[i, j] = dist(demand i, candidate j) <= radius_m`` (metres).

    Parameters
    ----------
    demand_xy, candidate_xy : numpy.ndarray
        ``(n, 2)`` coordinates in a metric CRS.
    radius_m : float
        Service radius in metres, > 0.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(n_demand, n_candidates)``, dtype float64.
    """
    radius_m = LIMITS["radius_m"].check(radius_m, name="radius_m")
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    candidate_xy = np.asarray(candidate_xy, dtype=float).reshape(-1, 2)
    tree = cKDTree(candidate_xy)
    # an object array of index lists, one per demand row (scipy-stubs also allow one point's list)
    hits: Any = tree.query_ball_point(demand_xy, r=radius_m)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = (
        np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h])
        if indptr[-1]
        else np.zeros(0, dtype=np.int64)
    )
    data = np.ones(indices.size)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(demand_xy), len(candidate_xy)))
    matrix.sort_indices()
    return matrix


def covered_weight(coverage: sparse.csr_matrix, weights: np.ndarray, chosen: np.ndarray) -> float:
    """Weight of the demand points covered by at least one chosen candidate."""
    chosen = np.asarray(chosen, dtype=np.int64)
    if chosen.size == 0:
        return 0.0
    hit = np.asarray(coverage[:, chosen].sum(axis=1)).ravel() > 0
    return float(np.asarray(weights, dtype=float)[hit].sum())


def _check(coverage: sparse.csr_matrix, weights: np.ndarray, p: int) -> np.ndarray:
    n_dem, n_cand = coverage.shape
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (n_dem,):
        raise DataError(f"weights: expected {n_dem} values, got {w.size}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise DataError("weights: every demand weight must be finite and >= 0")
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or not 1 <= p <= n_cand:
        raise OptionError(f"n={p} must be between 1 and the {n_cand} candidate sites")
    return w


def greedy(coverage: sparse.csr_matrix, weights: np.ndarray, p: int) -> np.ndarray:
    """Greedy MCLP: add the candidate with the largest marginal covered weight, ``p`` times.

    Marginal gains are kept exact by subtracting, after each pick, only the rows it newly
    covers (cheaper than a lazy heap here, and the same picks: MCLP is submodular).
    Ties go to the lowest index.

    Returns
    -------
    numpy.ndarray
        ``p`` candidate indices in the order picked.
    """
    w = _check(coverage, weights, p)
    csr = coverage.tocsr()
    csc = csr.tocsc()
    gains = np.asarray(csr.T @ w, dtype=float).ravel()
    covered = np.zeros(csr.shape[0], dtype=bool)
    chosen = np.empty(p, dtype=np.int64)
    for k in range(p):
        j = int(np.argmax(gains))
        chosen[k] = j
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        new = rows[~covered[rows]]
        if new.size:
            covered[new] = True
            gains -= np.asarray(csr[new].T @ w[new]).ravel()
        gains[j] = -np.inf
    return chosen


def rank_order(coverage: sparse.csr_matrix, weights: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Order a chosen set greedily (largest marginal weight first): rank 1 matters most."""
    chosen = np.asarray(chosen, dtype=np.int64)
    order = greedy(coverage[:, chosen], weights, chosen.size)
    return chosen[order]


def swap_search(
    coverage: sparse.csr_matrix,
    weights: np.ndarray,
    chosen: np.ndarray,
    *,
    max_swaps: int | None = None,
) -> tuple[np.ndarray, int]:
    """1-swap local search: exchange a chosen and an unchosen candidate while that gains weight.

    Each pass evaluates every (out, in) pair through sparse products and makes the best swap.

    Returns
    -------
    tuple of (numpy.ndarray, int)
        The improved set and the number of swaps made.
    """
    w = _check(coverage, weights, len(chosen))
    csr = coverage.tocsr()
    csc = csr.tocsc()
    chosen = np.array(chosen, dtype=np.int64)
    in_set = np.zeros(csr.shape[1], dtype=bool)
    in_set[chosen] = True
    count = np.asarray(csr[:, chosen].sum(axis=1)).ravel().astype(np.int64)
    tol = 1e-9 * max(float(w.sum()), 1.0)
    limit = max_swaps if max_swaps is not None else 20 * len(chosen)
    swaps = 0
    while swaps < limit:
        base = np.asarray(csr.T @ (w * (count == 0))).ravel()
        best = (tol, -1, -1)
        for pos, j in enumerate(chosen):
            rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
            only = rows[count[rows] == 1]
            loss = float(w[only].sum())
            delta = base - loss
            if only.size:
                delta = delta + np.asarray(csr[only].T @ w[only]).ravel()
            delta[in_set] = -np.inf
            k = int(np.argmax(delta))
            if delta[k] > best[0]:
                best = (float(delta[k]), pos, k)
        if best[1] < 0:
            break
        _, pos, k = best
        j = chosen[pos]
        count[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] -= 1
        count[csc.indices[csc.indptr[k] : csc.indptr[k + 1]]] += 1
        in_set[j], in_set[k] = False, True
        chosen[pos] = k
        swaps += 1
    return chosen, swaps


def brute_force(coverage: sparse.csr_matrix, weights: np.ndarray, p: int) -> tuple[tuple, float]:
    """Best set by enumerating every combination (tiny instances only, for tests)."""
    w = _check(coverage, weights, p)
    best: tuple[tuple, float] = ((), -1.0)
    for combo in combinations(range(coverage.shape[1]), p):
        value = covered_weight(coverage, w, np.array(combo))
        if value > best[1] + 1e-12:
            best = (combo, value)
    return best


def reduce_rows(coverage: sparse.csr_matrix, w: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Drop uncoverable or weightless rows and merge rows covered by the same candidates."""
    csr = coverage.tocsr()
    csr.sort_indices()
    keep = (np.diff(csr.indptr) > 0) & (w > 0)
    csr, w = csr[keep], w[keep]
    groups: dict[bytes, int] = {}
    label = np.empty(csr.shape[0], dtype=np.int64)
    for i in range(csr.shape[0]):
        key = csr.indices[csr.indptr[i] : csr.indptr[i + 1]].tobytes()
        label[i] = groups.setdefault(key, len(groups))
    first = np.unique(label, return_index=True)[1]
    merged_w = np.bincount(label, weights=w, minlength=len(groups))
    return csr[first], merged_w


@contextmanager
def _stdout_to_stderr():
    """HiGHS prints its banner on C-level stdout when first constructed; keep stdout clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _model(
    coverage: sparse.csr_matrix, w: np.ndarray, p: int, *, integer: bool
) -> tuple[highspy.HighsLp, sparse.csr_matrix, int]:
    """The (reduced) MCLP as a HiGHS model, columns ``x`` (sites) then ``y`` (demand rows)."""
    import highspy

    a_red, w_red = reduce_rows(coverage, w)
    n_cand, n_row = coverage.shape[1], a_red.shape[0]
    top = sparse.hstack([sparse.csr_matrix(np.ones((1, n_cand))), sparse.csr_matrix((1, n_row))])
    link = sparse.hstack([-a_red, sparse.identity(n_row, format="csr")])
    matrix = sparse.vstack([top, link]).tocsc()
    matrix.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = n_cand + n_row
    lp.num_row_ = 1 + n_row
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n_cand), w_red])
    lp.col_lower_ = np.zeros(n_cand + n_row)
    lp.col_upper_ = np.ones(n_cand + n_row)
    lp.row_lower_ = np.concatenate([[float(p)], np.full(n_row, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([[float(p)], np.zeros(n_row)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cand + [
            highspy.HighsVarType.kContinuous
        ] * n_row
    return lp, a_red, int(matrix.nnz)


def _highs(time_limit_s: float, threads: int | None) -> highspy.Highs:
    """A silent HiGHS with a finite positive time limit (HiGHS keeps its default, no limit,
    when handed a negative one and runs unbounded with NaN, so both are refused here)."""
    import highspy

    limit = LIMITS["time_limit_s"].check(time_limit_s, name="time_limit_s")
    with _stdout_to_stderr():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if highs.setOptionValue("time_limit", limit) != highspy.HighsStatus.kOk:
        raise OptionError(f"time_limit_s: HiGHS refused {limit:g} seconds")
    if threads:
        highs.setOptionValue("threads", int(threads))
    return highs


def _time_limit(highs: highspy.Highs) -> float:
    """The time limit HiGHS will apply, read back from it."""
    value = highs.getOptionValue("time_limit")
    return float(value[1] if isinstance(value, tuple) else value)


def lp_bound(
    coverage: sparse.csr_matrix, weights: np.ndarray, p: int, *, time_limit_s: float = 60.0
) -> tuple[float | None, str, float]:
    """Upper bound on the MCLP optimum from its LP relaxation (x in [0, 1]).

    Returns
    -------
    tuple of (float or None, str, float)
        The LP optimum (None unless solved to optimality), HiGHS's status and the seconds taken.
    """
    w = _check(coverage, weights, p)
    start = time.perf_counter()
    lp, _, _ = _model(coverage, w, p, integer=False)
    highs = _highs(time_limit_s, None)
    highs.setOptionValue("solver", "ipm")  # far faster than simplex on this LP
    highs.setOptionValue("run_crossover", "off")  # the bound needs no vertex solution
    highs.passModel(lp)
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    value = highs.getInfo().objective_function_value if status == "Optimal" else None
    return value, status, time.perf_counter() - start


def exact(
    coverage: sparse.csr_matrix,
    weights: np.ndarray,
    p: int,
    *,
    time_limit_s: float = 60.0,
    warm_start: np.ndarray | None = None,
    threads: int | None = None,
) -> Solution:
    """The MCLP integer program, built sparsely straight into HiGHS.

    ``max sum_i w_i y_i`` s.t. ``sum_j x_j = p``, ``y_i <= sum_{j covers i} x_j``,
    ``x`` binary, ``0 <= y <= 1``. Rows no candidate covers are dropped and rows with the same
    covering set merged (their weights summed); the optimum is unchanged.

    Parameters
    ----------
    time_limit_s : float
        HiGHS's time limit; on reaching it the incumbent is returned with its status and gap.
    warm_start : numpy.ndarray, optional
        A feasible set of ``p`` indices given to HiGHS as its first incumbent.
    threads : int, optional
        HiGHS thread count.

    Returns
    -------
    Solution
        ``status`` is HiGHS's model status text; ``bound`` and ``gap`` its best bound and gap.
    """
    import highspy

    w = _check(coverage, weights, p)
    start = time.perf_counter()
    lp, a_red, nnz = _model(coverage, w, p, integer=True)
    n_cand = coverage.shape[1]
    highs = _highs(time_limit_s, threads)
    highs.setOptionValue("mip_rel_gap", 1e-9)
    highs.passModel(lp)
    build_s = time.perf_counter() - start
    if warm_start is not None:
        x = np.zeros(n_cand)
        x[np.asarray(warm_start, dtype=np.int64)] = 1.0
        y = np.minimum(1.0, a_red @ x)
        sol = highspy.HighsSolution()
        sol.col_value = list(np.concatenate([x, y]))
        highs.setSolution(sol)
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    info = highs.getInfo()
    seconds = time.perf_counter() - start
    values = np.asarray(highs.getSolution().col_value, dtype=float)
    details: dict[str, object] = {
        "model_rows": int(lp.num_row_),
        "model_cols": int(lp.num_col_),
        "nonzeros": nnz,
        "build_seconds": build_s,
        "nodes": int(info.mip_node_count),
        "time_limit_s": _time_limit(highs),
        "warm_start": warm_start is not None,
    }
    if values.size != lp.num_col_ or int(info.primal_solution_status) == 0:
        fallback = greedy(coverage, w, p)
        details["note"] = f"HiGHS found no incumbent ({status}); greedy picks returned"
        return Solution(
            chosen=rank_order(coverage, w, fallback),
            objective=covered_weight(coverage, w, fallback),
            total_weight=float(w.sum()),
            solver="exact",
            status=status,
            seconds=seconds,
            bound=float(info.mip_dual_bound),
            gap=None,
            details=details,
        )
    picked = np.flatnonzero(values[:n_cand] > 0.5)
    if picked.size != p:  # numerical fuzz: keep the p largest
        picked = np.sort(np.argsort(-values[:n_cand])[:p])
    return Solution(
        chosen=rank_order(coverage, w, picked),
        objective=covered_weight(coverage, w, picked),
        total_weight=float(w.sum()),
        solver="exact",
        status=status,
        seconds=seconds,
        bound=float(info.mip_dual_bound),
        gap=float(info.mip_gap),
        details=details,
    )


def solve(
    coverage: sparse.csr_matrix,
    weights: np.ndarray,
    p: int,
    *,
    solver: str | Solver = "greedy",
    swap: bool = True,
    time_limit_s: float = 60.0,
    warm_start: bool = False,
    threads: int | None = None,
) -> Solution:
    """Choose ``p`` candidates maximising covered weight.

    Parameters
    ----------
    coverage : scipy.sparse.csr_matrix
        ``(n_demand, n_candidates)`` 0/1 coverage (see `coverage_matrix`).
    weights : numpy.ndarray
        Demand weights, >= 0.
    p : int
        Number of sites, ``1 <= p <= n_candidates``.
    solver : {"greedy", "exact"}
        Greedy (+ optional 1-swap) or the HiGHS integer program.
    swap : bool
        Greedy only: improve with 1-swap local search to convergence.
    time_limit_s : float
        Exact only: HiGHS time limit in seconds.
    warm_start : bool
        Exact only: hand HiGHS the greedy (+swap) set as its first incumbent.
    threads : int, optional
        Exact only: HiGHS threads.

    Returns
    -------
    Solution

    Raises
    ------
    OptionError
        Bad ``solver``, ``p`` or ``time_limit_s`` (exact).
    DataError
        Bad weights.
    """
    kind = Solver.get(solver)
    w = _check(coverage, weights, p)
    if kind is Solver.EXACT:
        LIMITS["time_limit_s"].check(time_limit_s, name="time_limit_s")  # before the warm start
        start = None
        if warm_start:
            start, _ = swap_search(coverage, w, greedy(coverage, w, p))
        return exact(coverage, w, p, time_limit_s=time_limit_s, warm_start=start, threads=threads)
    t0 = time.perf_counter()
    chosen = greedy(coverage, w, p)
    swaps = 0
    if swap:
        chosen, swaps = swap_search(coverage, w, chosen)
        chosen = rank_order(coverage, w, chosen)
    seconds = time.perf_counter() - t0
    objective = covered_weight(coverage, w, chosen)
    total = float(w.sum())
    # the covered weight can never exceed the weight of coverable rows
    coverable = float(w[np.diff(coverage.tocsr().indptr) > 0].sum())
    return Solution(
        chosen=chosen,
        objective=objective,
        total_weight=total,
        solver="greedy",
        status="optimal" if objective >= coverable - 1e-9 * max(total, 1) else "heuristic",
        seconds=seconds,
        bound=coverable,
        gap=(coverable - objective) / coverable if coverable > 0 else 0.0,
        details={"swaps": swaps, "swap": swap, "bound": "weight of coverable demand (trivial)"},
    )
