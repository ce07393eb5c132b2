"""Benchmark ``layers.report``: long single-line reports, matcher throughput, streaming memory.

Run: ``.venv/bin/python bench/bench_extract.py [--quick] [--runs 3] [--out FILE]``
(``make bench`` runs it through ``bench/run.py``).

Figures (JSON written to ``--out``, default ``bench/results_extract.json``):

- ``extract_line_1mb``, ``extract_line_10mb``: ``extract_file`` on a 1 MB and a 10 MB file of
  one line without punctuation: the seed article's words with every punctuation mark, space,
  line break and status cue word removed, repeated (about 12,000 mentions per MB, none with
  a cue before it: the worst case of the old per-mention rescan). Targets: < 5 s and < 60 s.
  ``extract_line_growth`` is the slope of log time against log size between them (1 =
  linear).
- ``matcher_mb_per_s``: the trie regex over 5 MB of normalised report text, and the plain
  longest-first alternation of the same keys as the peer (on a tenth of it: it is slow).
- ``extract_5mb``: ``extract_file`` on 5 MB of the seed article's paragraphs, shuffled.
- ``extract_50mb_peak_mib`` (not with ``--quick``): ``tracemalloc`` peak while streaming
  50 MB; it should not grow with the file (pieces of ~1 MB, counts and a few sentences kept).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _common as c  # noqa: E402

from geo.gazetteer import load_gazetteer  # noqa: E402
from geo.names import HAN, normalize_text  # noqa: E402
from layers.report import PlaceMatcher, ReportRules, extract_file, load_rules  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "seed_article.txt"
TARGETS = {"extract_line_1mb": 5.0, "extract_line_10mb": 60.0}


def generate(path: Path, megabytes: float, *, seed: int = 1) -> Path:
    """Write ``megabytes`` MB of report-like UTF-8 text: seed paragraphs, shuffled."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n") if p.strip()]
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    written = 0
    with path.open("w", encoding="utf-8") as fh:
        n = 0
        while written < target:
            rng.shuffle(paragraphs)
            for p in paragraphs:
                line = f"{p} (段落{n})\n"
                fh.write(line)
                written += len(line.encode("utf-8"))
                n += 1
    return path


def line_unit(rules: ReportRules) -> str:
    """The seed article as one run of words: no punctuation, space, line break or cue."""
    unit = "".join(re.findall(f"[{HAN}0-9A-Za-z]", normalize_text(SEED.read_text("utf-8"))))
    for cue in sorted(rules.cues, key=len, reverse=True):
        unit = unit.replace(cue, "")
    return unit


def generate_line(path: Path, megabytes: float, unit: str) -> Path:
    """Write at least ``megabytes`` MB of ``unit`` repeated on one line."""
    data = unit.encode("utf-8")
    path.write_bytes(data * math.ceil(megabytes * 1_000_000 / len(data)))
    return path


def timed_extract(path: Path, matcher: PlaceMatcher, rules: ReportRules) -> tuple[float, object]:
    return c.time_once(lambda: extract_file(path, matcher=matcher, rules=rules))


def bench_lines(folder: Path, matcher, rules, *, runs: int) -> list[dict]:
    unit = line_unit(rules)
    figures, medians = [], {}
    for mb in (1, 10):
        name = f"extract_line_{mb}mb"
        path = generate_line(folder / f"line_{mb}mb.txt", mb, unit)
        times = []
        for _ in range(runs):
            elapsed, result = timed_extract(path, matcher, rules)
            times.append(elapsed)
        mentions = sum(p.mentions for p in result.found)
        print(
            f"{name}: median {sorted(times)[len(times) // 2]:6.2f} s over {runs} "
            f"(target < {TARGETS[name]:.0f} s), {path.stat().st_size / 1e6:.1f} MB, "
            f"{result.sentences} sentence(s), {mentions} mentions",
            flush=True,
        )
        figures.append(
            c.figure(
                name,
                times,
                "s",
                target=TARGETS[name],
                note=f"one line, no punctuation, {mentions} mentions, no status cue",
            )
        )
        medians[mb] = figures[-1]["median"]
        path.unlink()
    growth = math.log(medians[10] / medians[1]) / math.log(10)
    print(f"extract_line_growth: {growth:.2f} (1 = linear)")
    figures.append(
        c.figure("extract_line_growth", [growth], "exponent", note="slope of log time vs log size")
    )
    return figures


def bench_matcher(text: str, matcher: PlaceMatcher) -> dict:
    mb = len(text.encode("utf-8")) / 1e6
    t_trie, trie = c.time_once(lambda: matcher.find(text))
    print(f"trie regex : {len(trie):7d} mentions in {t_trie:6.2f} s = {mb / t_trie:6.1f} MB/s")
    # The plain alternation (keys escaped, longest first), over a 1/10 slice: it is slow.
    plain = re.compile("|".join(re.escape(k) for k in sorted(matcher.keys, key=len, reverse=True)))
    part = text[: len(text) // 10]
    t_plain, n_plain = c.time_once(lambda: sum(1 for _ in plain.finditer(part.lower())))
    print(
        f"alternation: {n_plain:7d} mentions in {t_plain:6.2f} s = {mb / 10 / t_plain:6.1f} MB/s "
        f"(on {mb / 10:.1f} MB; trie finds {len(matcher.find(part))} there, boundaries checked)"
    )
    return {
        "name": "matcher_mb_per_s",
        "median": mb / t_trie,
        "unit": "MB/s",
        "n": 1,
        "peer": "longest-first alternation",
        "peer_median": mb / 10 / t_plain,
        "ratio": (mb / t_trie) / (mb / 10 / t_plain),
        "note": "higher is better",
    }


def bench_file(path: Path, matcher: PlaceMatcher, rules, *, traced: bool, name: str) -> dict:
    mb = path.stat().st_size / 1e6
    if not traced:  # tracemalloc slows Python down; time without it
        elapsed, _ = timed_extract(path, matcher, rules)
        print(f"extract {mb:5.1f} MB: {elapsed:6.1f} s = {mb / elapsed:5.2f} MB/s (untraced)")
        return c.figure(name, [elapsed], "s", note=f"{mb:.0f} MB of shuffled seed paragraphs")
    tracemalloc.start()
    t0 = time.perf_counter()
    result = extract_file(path, matcher=matcher, rules=rules)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"extract {mb:5.1f} MB: {elapsed:6.1f} s = {mb / elapsed:5.2f} MB/s, "
        f"peak traced memory {peak / 2**20:6.1f} MiB, {result.sentences} sentences, "
        f"{len(result.found)} places, {len(result.unresolved)} unresolved"
    )
    return c.figure(name, [peak / 2**20], "MiB", note=f"tracemalloc peak streaming {mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each, no 50 MB file")
    parser.add_argument("--runs", type=int, default=3, help="runs of each single-line figure")
    parser.add_argument("--mb-small", type=float, default=5)
    parser.add_argument("--mb-large", type=float, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results_extract.json")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    rules = load_rules()
    matcher = PlaceMatcher.from_frame(load_gazetteer(), rules=rules)
    print(f"{len(matcher.keys)} keys, pattern {len(matcher.pattern.pattern)} characters")
    folder = Path(tempfile.mkdtemp(prefix="planmap-bench-"))
    figures = bench_lines(folder, matcher, rules, runs=1 if args.quick else args.runs)
    small = generate(folder / "small.txt", args.mb_small)
    figures.append(bench_matcher(normalize_text(small.read_text(encoding="utf-8")), matcher))
    figures.append(bench_file(small, matcher, rules, traced=False, name="extract_5mb"))
    files = [small]
    if not args.quick:
        large = generate(folder / "large.txt", args.mb_large)
        files.append(large)
        figures.append(bench_file(large, matcher, rules, traced=True, name="extract_50mb_peak_mib"))
    for f in figures:
        f["source"] = "bench/bench_extract.py" + (" --quick" if args.quick else "")
    args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    if args.keep:
        print(f"files kept in {folder}")
    else:
        for f in files:
            f.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
