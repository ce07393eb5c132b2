"""Locating from a planner's file: ``geo.locate.locate`` on a 100,000-feature road file.

The file is synthetic (seeded): 100,000 road segments spread over Shenzhen's bounding box, about
30,000 distinct Chinese road names of three to five characters, several segments per road, in
EPSG:4547 (CGCS2000 3° Gauss–Krüger CM 114E) as a bureau writes it - a Shapefile with a GBK
``.dbf`` and no ``.cpg``, and the same as a GeoPackage. The report's roads are among them (drawn
through shipped station positions, like the tests' network), so matching finds them. Timed:
the whole call, reading included (open, encoding judged on a sample, one read of the features
near the district, CRS to WGS-84, the datum test, name look-ups, merging), with the district's
gazetteer loaded once before (it is cached per process). The target (issue 12): < 10 s.

Run ``.venv/bin/python bench/bench_locate.py [--quick] [--features N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

N_FEATURES = 100_000
#: the report's roads, drawn through these stations (as in tests/locate_files.py)
REPORT_ROADS = {
    "罗沙路": ["水贝站", "太安站", "布心站"],
    "清水河三路": ["笋岗站", "泥岗站"],
    "东门中路": ["老街站", "晒布站"],
    "东门北路": ["洪湖站", "田贝站"],
    "新秀立交桥": ["新秀站", "莲塘口岸站"],
    "翠竹路": ["翠竹站", "怡景站"],
}
_CHARS = (
    "东南西北中新文和平安康宁民华兴建设爱国红岭金田梅林福田沙头湖贝水库莲塘翠竹黄贝笋岗"
    "泥清布吉宝丹竹松柏桃李春秋山海港湾大小龙凤鹏城光明振兴友谊人民解放滨河深南"
)
_SUFFIXES = ("路", "路", "路", "大道", "街", "一路", "二路", "三路", "巷")


def synthetic_roads(n: int, *, seed: int = c.SEED):
    """``n`` road segments (GeoDataFrame in EPSG:4547) with ``DLMC`` names and ``DLDJ``."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo.gazetteer import load_gazetteer

    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = c.SHENZHEN_BBOX
    n_roads = max(1, n // 3)
    chars = np.array(list(_CHARS))
    lengths = rng.integers(2, 5, n_roads)
    stems = ["".join(rng.choice(chars, k)) for k in lengths]
    names = np.array([s + _SUFFIXES[i % len(_SUFFIXES)] for i, s in enumerate(stems)], dtype=object)
    road_of = rng.integers(0, n_roads, n)
    start = np.column_stack([rng.uniform(minx, maxx, n_roads), rng.uniform(miny, maxy, n_roads)])
    step = rng.normal(0, 0.002, (n, 2))
    a = start[road_of] + rng.normal(0, 0.004, (n, 2))
    lines = shapely.linestrings(np.stack([a, a + step], axis=1))
    gaz = load_gazetteer()
    at = {r["name"]: r.geometry for _, r in gaz.iterrows() if r["kind"] == "metro_station"}
    extra_names, extra_lines = [], []
    for name, route in REPORT_ROADS.items():
        xy = [(at[s].x, at[s].y) for s in route if at.get(s) is not None]
        extra_names.append(name)
        extra_lines.append(shapely.linestrings(xy))
    frame = gpd.GeoDataFrame(
        {
            "DLMC": np.concatenate([names[road_of][: n - len(extra_names)], extra_names]),
            "DLDJ": "主干路",
        },
        geometry=np.concatenate([lines[: n - len(extra_lines)], extra_lines]),
        crs="EPSG:4326",
    )
    return frame.to_crs("EPSG:4547")


def write_files(folder: Path, n: int) -> dict[str, Path]:
    import pyogrio

    frame = synthetic_roads(n)
    shp = folder / "roads.shp"
    pyogrio.write_dataframe(frame, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    gpkg = folder / "roads.gpkg"
    pyogrio.write_dataframe(frame, gpkg)
    return {"shapefile": shp, "gpkg": gpkg}


def run(
    *, quick: bool = False, features: int = N_FEATURES, repeats: int | None = None
) -> list[dict]:
    """Figures: seconds to locate from each file (reading included), and what was found."""
    from geo.locate import State, locate
    from geo.locate.context import Context

    repeats = repeats or (1 if quick else 3)
    context = Context.load()
    context.index  # noqa: B018 - built once, as the CLI and the app do per process
    figures = []
    with tempfile.TemporaryDirectory(prefix="planmap-bench-locate-") as tmp:
        files = write_files(Path(tmp), features)
        for kind, path in files.items():
            times, result = [], None
            for _ in range(repeats):
                dt, result = c.time_once(lambda p=path: locate(p, context=context))
                times.append(dt)
            located = len(result.by_state(State.LOCATED))
            size = os.path.getsize(path) + sum(
                os.path.getsize(p) for p in path.parent.glob(path.stem + ".*") if p != path
            ) * (kind == "shapefile")
            figures.append(
                c.figure(
                    f"locate_{features // 1000}k_{kind}",
                    times,
                    "s",
                    note=f"{result.features:,} named features read of {features:,} "
                    f"({size / 1e6:.0f} MB), {located} places located, "
                    f"{result.matched} matched; datum check: {result.check.verdict}",
                )
            )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat")
    parser.add_argument("--features", type=int, default=N_FEATURES)
    args = parser.parse_args(argv)
    print(c.table(run(quick=args.quick, features=args.features)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
