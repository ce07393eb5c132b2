"""Geocoding throughput: ``geo.geocoder.Geocoder`` against a plain ``difflib`` scan.

Query sets, all from the shipped gazetteer (or the hand-labelled seed article):
``exact`` every canonical name; ``alias`` every alias; ``fuzzy`` every name of four or more
characters with one inner character dropped (misses the exact and alias tiers, so the fuzzy
scan runs); ``seed`` every surface form of tests/fixtures/seed_labels.json (Traditional, as
the article writes them). The peer is what one would write without Planmap:
``difflib.get_close_matches(query, names + aliases, n=1)`` over the same gazetteer. Both
answer each query once per pass; refusals count as answered. Passes alternate ours/peer.

Run ``.venv/bin/python bench/bench_geocode.py [--quick]``.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

PEER = "difflib.get_close_matches"
SEED_LABELS = c.ROOT / "tests" / "fixtures" / "seed_labels.json"


def query_sets(gaz) -> dict[str, list[str]]:
    """``{set name: queries}`` (see the module docstring)."""
    names = [str(n) for n in gaz["name"]]
    aliases = [str(a) for al in gaz["aliases"] for a in al if str(a).strip()]
    fuzzy = [n[:2] + n[3:] for n in names if len(n) >= 4]
    labels = json.loads(SEED_LABELS.read_text(encoding="utf-8"))["places"]
    seed = [form for forms in labels.values() for form in forms]
    return {"exact": names, "alias": aliases, "fuzzy": fuzzy, "seed": seed}


class DifflibScan:
    """The peer: closest of every name and alias by ``difflib``, mapped back to its row."""

    def __init__(self, gaz) -> None:
        self.row_of: dict[str, int] = {}
        for row, (name, aliases) in enumerate(zip(gaz["name"], gaz["aliases"], strict=True)):
            for key in [str(name), *map(str, aliases)]:
                self.row_of.setdefault(key, row)
        self.keys = list(self.row_of)
        self.names = [str(n) for n in gaz["name"]]

    def geocode(self, query: str) -> str | None:
        hit = difflib.get_close_matches(query, self.keys, n=1, cutoff=0.6)
        return self.names[self.row_of[hit[0]]] if hit else None


def _ours(geocoder, query: str) -> str | None:
    from geo.errors import GeocodeError

    try:
        return geocoder.geocode(query).name
    except GeocodeError:
        return None


def _pass(fn, queries: list[str]) -> tuple[float, list]:
    t0 = time.perf_counter()
    out = [fn(q) for q in queries]
    return len(queries) / (time.perf_counter() - t0), out


def run(*, quick: bool = False, repeats: int | None = None, gaz=None) -> list[dict]:
    """Figures: names/s per query set, ours vs difflib, and the Geocoder's build time
    (on ``gaz``, by default the shipped gazetteer)."""
    from geo.gazetteer import load_gazetteer
    from geo.geocoder import Geocoder

    repeats = repeats or (3 if quick else 7)
    gaz = load_gazetteer() if gaz is None else gaz
    init = [c.time_once(lambda: Geocoder(gaz))[0] for _ in range(repeats)]
    geocoder, peer = Geocoder(gaz), DifflibScan(gaz)
    figures = [c.figure("geocoder_init", init, "s", note=f"{len(gaz)} gazetteer rows")]
    labels = json.loads(SEED_LABELS.read_text(encoding="utf-8"))["places"]
    truth = {form: name for name, forms in labels.items() for form in forms}
    for set_name, queries in query_sets(gaz).items():
        answers: dict[str, list] = {}

        def ours(queries=queries, answers=answers) -> float:
            rate, answers["ours"] = _pass(functools.partial(_ours, geocoder), queries)
            return rate

        def theirs(queries=queries, answers=answers) -> float:
            rate, answers["peer"] = _pass(peer.geocode, queries)
            return rate

        a, b = c.interleaved(ours, theirs, repeats)
        note = f"{len(queries)} queries"
        if set_name == "seed":
            right = [
                sum(got == truth.get(q) for got, q in zip(answers[k], queries, strict=True))
                for k in ("ours", "peer")
            ]
            note += f"; correct: ours {right[0]}, difflib {right[1]}"
        figures.append(
            c.comparison(
                f"geocode_{set_name}_vs_difflib", a, b, "names/s", peer_name=PEER, note=note
            )
        )
        if set_name == "seed":  # the whole article's names, as a time
            n = len(queries)
            figures.append(
                c.comparison(
                    "geocode_seed_total_vs_difflib",
                    [n / r for r in a],
                    [n / r for r in b],
                    "s",
                    peer_name=PEER,
                    note=f"all {n} surface forms of the seed article, one after another",
                )
            )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick)
    print(c.table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
