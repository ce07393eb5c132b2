"""Benchmark ``layers.report``: matcher throughput on 5 MB and peak memory on a 50 MB file.

Run: ``.venv/bin/python bench/bench_extract.py [--mb-small 5] [--mb-large 50] [--keep]``.

It generates the texts in a temporary folder (the seed article repeated, with its
paragraphs shuffled so sentences differ), then reports:

- the trie regex matcher against a plain longest-first alternation of the same keys, on 5 MB
  of normalised text (MB/s, and that both find the same mentions);
- ``extract_file`` on the 5 MB and 50 MB files: wall time and ``tracemalloc`` peak. Memory
  should not grow with the file: the reader streams ~1 M-character chunks and keeps only counts
  and a few sentences per place.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.gazetteer import load_gazetteer  # noqa: E402
from geo.names import normalize_text  # noqa: E402
from layers.report import PlaceMatcher, extract_file, load_rules  # noqa: E402


def generate(path: Path, megabytes: float, *, seed: int = 1) -> Path:
    """Write ``megabytes`` MB of report-like UTF-8 text: seed paragraphs, shuffled."""
    source = (ROOT / "tests" / "fixtures" / "seed_article.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in source.split("\n") if p.strip()]
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


def bench_matcher(text: str, matcher: PlaceMatcher) -> None:
    mb = len(text.encode("utf-8")) / 1e6
    t0 = time.perf_counter()
    trie = matcher.find(text)
    t_trie = time.perf_counter() - t0
    print(f"trie regex : {len(trie):7d} mentions in {t_trie:6.2f} s = {mb / t_trie:6.1f} MB/s")
    # The plain alternation (keys escaped, longest first), over a 1/10 slice: it is slow.
    plain = re.compile("|".join(re.escape(k) for k in sorted(matcher.keys, key=len, reverse=True)))
    part = text[: len(text) // 10]
    t0 = time.perf_counter()
    n_plain = sum(1 for _ in plain.finditer(part.lower()))
    t_plain = time.perf_counter() - t0
    n_trie = len(matcher.find(part))
    print(
        f"alternation: {n_plain:7d} mentions in {t_plain:6.2f} s = {mb / 10 / t_plain:6.1f} MB/s "
        f"(on {mb / 10:.1f} MB; trie finds {n_trie} there, boundaries checked)"
    )


def bench_extract(path: Path, gazetteer, matcher: PlaceMatcher, rules, *, traced: bool) -> None:
    mb = path.stat().st_size / 1e6
    if not traced:  # tracemalloc slows Python down; time without it
        t0 = time.perf_counter()
        extract_file(path, gazetteer=gazetteer, matcher=matcher, rules=rules)
        elapsed = time.perf_counter() - t0
        print(f"extract {mb:5.1f} MB: {elapsed:6.1f} s = {mb / elapsed:5.2f} MB/s (untraced)")
        return
    tracemalloc.start()
    t0 = time.perf_counter()
    result = extract_file(path, gazetteer=gazetteer, matcher=matcher, rules=rules)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"extract {mb:5.1f} MB: {elapsed:6.1f} s = {mb / elapsed:5.2f} MB/s, "
        f"peak traced memory {peak / 2**20:6.1f} MiB, {result.sentences} sentences, "
        f"{len(result.found)} places, {len(result.unresolved)} unresolved"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb-small", type=float, default=5)
    parser.add_argument("--mb-large", type=float, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    rules = load_rules()
    gazetteer = load_gazetteer()
    matcher = PlaceMatcher(gazetteer, rules=rules)
    print(f"{len(matcher.keys)} keys, pattern {len(matcher.pattern.pattern)} characters")
    folder = Path(tempfile.mkdtemp(prefix="planmap-bench-"))
    small = generate(folder / "small.txt", args.mb_small)
    text = normalize_text(small.read_text(encoding="utf-8"))
    bench_matcher(text, matcher)
    del text
    bench_extract(small, gazetteer, matcher, rules, traced=False)
    bench_extract(small, gazetteer, matcher, rules, traced=True)
    large = generate(folder / "large.txt", args.mb_large)
    bench_extract(large, gazetteer, matcher, rules, traced=True)
    if args.keep:
        print(f"files kept in {folder}")
    else:
        for f in (small, large):
            f.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
