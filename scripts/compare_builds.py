#!/usr/bin/env python3
"""Compare two ``planmap build`` folders feature by feature.

    python scripts/compare_builds.py OLD_DIR NEW_DIR [--tol 1e-7] [--ignore-layer NAME ...]

Two builds are the same when every layer file holds the same features: the same ids, the same
properties and geometries equal within ``--tol`` degrees (every vertex, in order). A property
the old build did not have and that is empty in the new one (a column added since) is no
difference. Prints each
difference on one line and exits 1 if there is any. ``tests/test_build_unchanged.py`` runs it
against the build made before the model redesign (``tests/fixtures/luohu_build_v1``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import shape


def _features(path: Path) -> dict[str, dict]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"]["id"]: f for f in doc["features"]}


def _same_geometry(a: dict | None, b: dict | None, tol: float) -> bool:
    if a is None or b is None:
        return a is b
    ga, gb = shape(a), shape(b)
    if ga.geom_type != gb.geom_type:
        return False
    return bool(shapely.equals_exact(ga, gb, tolerance=tol))


def compare(
    old: Path, new: Path, *, tol: float = 1e-7, ignore: set[str] = frozenset()
) -> list[str]:
    """Differences between two build folders, one line each (empty when they are the same)."""
    out: list[str] = []
    old_files = {p.stem for p in old.glob("*.geojson")} - set(ignore)
    new_files = {p.stem for p in new.glob("*.geojson")} - set(ignore)
    out += [f"layer {n}: only in {old}" for n in sorted(old_files - new_files)]
    out += [f"layer {n}: only in {new}" for n in sorted(new_files - old_files)]
    for layer in sorted(old_files & new_files):
        a, b = _features(old / f"{layer}.geojson"), _features(new / f"{layer}.geojson")
        out += [f"{layer}/{i}: only in the old build" for i in sorted(set(a) - set(b))]
        out += [f"{layer}/{i}: only in the new build" for i in sorted(set(b) - set(a))]
        for fid in sorted(set(a) & set(b)):
            pa, pb = a[fid]["properties"], b[fid]["properties"]
            for key in sorted(set(pa) | set(pb)):
                if key not in pa and pb.get(key) in ("", None, 0):
                    continue  # a column added since, empty for this feature: not a change
                if pa.get(key) != pb.get(key):
                    out.append(f"{layer}/{fid}: {key}: {pa.get(key)!r} -> {pb.get(key)!r}")
            if not _same_geometry(a[fid]["geometry"], b[fid]["geometry"], tol):
                out.append(f"{layer}/{fid}: geometry differs by more than {tol:g}°")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--tol", type=float, default=1e-7, help="degrees (default 1e-7)")
    parser.add_argument("--ignore-layer", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    diffs = compare(args.old, args.new, tol=args.tol, ignore=set(args.ignore_layer))
    for line in diffs:
        print(line)
    print(f"{len(diffs)} difference(s)", file=sys.stderr)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
