"""App interaction: server-side time of a Streamlit rerun, through ``streamlit.testing``.

``AppTest`` runs ``streamlit_app.py`` in this process (no browser: the map is rendered to its
HTML but not drawn). Timed: ``.run()`` after a widget change.
- ``app_first_run_cold``: the first run of the first session (spec built, map rendered;
  Streamlit's caches live in the process, so only this one is cold; n = 1).
- ``app_first_run``: the first run of a new session once the server's caches are warm.
- ``app_rerun_filter_cached``: the status filter toggled between two sets already seen (the
  cached ``_shown``/``_map`` answer).
- ``app_rerun_filter_new``: a status set not seen before (layers filtered, map rendered).
- ``app_rerun_search``: a place typed into the search box, a different one each time (the
  geocoder is cached after the first search; the highlighted map is new each time).

Run ``.venv/bin/python bench/bench_app.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

APP = c.ROOT / "streamlit_app.py"
STATUSES = ["existing", "under_construction", "planned", "proposed"]
SEED_LABELS = c.ROOT / "tests" / "fixtures" / "seed_labels.json"
NAMES = [
    "app_first_run_cold",
    "app_first_run",
    "app_rerun_filter_cached",
    "app_rerun_filter_new",
    "app_rerun_search",
]


def _timed_run(at) -> float:
    t0 = time.perf_counter()
    at.run()
    dt = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"the app raised: {at.exception[0].message}"[:300])
    return dt


def _search_queries() -> list[str]:
    labels = json.loads(SEED_LABELS.read_text(encoding="utf-8"))["places"]
    return [forms[0] for forms in labels.values()]


def run(*, quick: bool = False, repeats: int | None = None) -> list[dict]:
    """Figures: first run, cached and new filter reruns, search reruns (seconds)."""
    repeats = repeats or (3 if quick else 7)
    if not APP.exists():
        return [c.missing(n, "s", "streamlit_app.py does not exist yet") for n in NAMES]
    try:
        from streamlit.testing.v1 import AppTest
    except ImportError as exc:
        return [c.missing(n, "s", f"streamlit.testing: {exc}") for n in NAMES]
    old = os.environ.get("PLANMAP_USER_DIR")
    with tempfile.TemporaryDirectory(prefix="planmap-bench-") as tmp:
        os.environ["PLANMAP_USER_DIR"] = tmp
        try:
            return _measure(AppTest, repeats)
        except Exception as exc:  # the app may be mid-change by another engineer
            reason = f"{type(exc).__name__}: {exc}"[:300]
            return [c.missing(n, "s", reason) for n in NAMES]
        finally:
            if old is None:
                os.environ.pop("PLANMAP_USER_DIR", None)
            else:
                os.environ["PLANMAP_USER_DIR"] = old


def _measure(app_test, repeats: int) -> list[dict]:
    # Streamlit's caches live in the process: only the first session starts cold
    cold = _timed_run(app_test.from_file(str(APP), default_timeout=180))
    first = []
    for _ in range(max(1, repeats // 2)):
        at = app_test.from_file(str(APP), default_timeout=180)
        first.append(_timed_run(at))
    statuses = at.multiselect(key="statuses")
    # two sets toggled (after one unmeasured visit each, they are cached)
    a, b = STATUSES, STATUSES[:3]
    for value in (b, a):
        statuses.set_value(value)
        _timed_run(at)
    cached = []
    for i in range(repeats):
        at.multiselect(key="statuses").set_value(b if i % 2 == 0 else a)
        cached.append(_timed_run(at))
    # sets not seen before (14 non-empty subsets remain besides a and b)
    fresh_sets = [list(s) for r in (1, 2, 3) for s in combinations(STATUSES, r) if list(s) != b]
    new = []
    for value in fresh_sets[:repeats]:
        at.multiselect(key="statuses").set_value(value)
        new.append(_timed_run(at))
    at.multiselect(key="statuses").set_value(a)
    _timed_run(at)
    queries = _search_queries()
    at.text_input(key="search").set_value(queries[0])
    first_search = _timed_run(at)  # builds the geocoder (cached from then on)
    search = []
    for q in queries[1 : repeats + 1]:
        at.text_input(key="search").set_value(q)
        search.append(_timed_run(at))
    return [
        c.figure(
            "app_first_run_cold",
            [cold],
            "s",
            note="AppTest: the first session's first run (spec built, map rendered)",
        ),
        c.figure(
            "app_first_run",
            first,
            "s",
            note="AppTest: a new session's first run, the server's caches warm",
        ),
        c.figure(
            "app_rerun_filter_cached",
            cached,
            "s",
            note="status filter toggled between two sets already shown",
        ),
        c.figure(
            "app_rerun_filter_new",
            new,
            "s",
            note="a status set not shown before: filter + map render",
        ),
        c.figure(
            "app_rerun_search",
            search,
            "s",
            note=f"a new place in the search box each time (first search, geocoder built: "
            f"{first_search:.2f} s)",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    print(c.table(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
