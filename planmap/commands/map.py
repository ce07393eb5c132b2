"""``planmap map``: one standalone HTML map (every script, style and font inside it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BASEMAPS = ["none", "osm", "cartodb_positron", "amap", "satellite"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "map", help="write a standalone HTML map that opens offline (file://) in any browser"
    )
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument(
        "--basemap",
        default="none",
        choices=BASEMAPS,
        help="background tiles; every choice but 'none' needs internet to show (default none)",
    )
    p.add_argument("--layers-dir", help="read DIR/*.geojson (e.g. from planmap build) instead")
    p.add_argument("--spec", help="spec file to build from (default: data/specs/luohu_2025.toml)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="name shown first")
    p.add_argument("--highlight", metavar="ID", help="feature id to emphasise and zoom to")
    p.set_defaults(func=run)


def read_layers_dir(folder: str | Path) -> dict:
    """Read every ``*.geojson`` of a folder as a layer named by the file stem.

    Parameters
    ----------
    folder : str or Path
        Folder of GeoJSON layers.

    Returns
    -------
    dict of str to GeoDataFrame
        In the map's layer order, then other names alphabetically.

    Raises
    ------
    DataError
        If the folder holds no GeoJSON file or one cannot be read.
    """
    import geopandas as gpd

    from geo.errors import DataError
    from layers.render import LAYERS

    files = sorted(Path(folder).glob("*.geojson"))
    if not files:
        raise DataError(f"{folder}: no *.geojson layer files")
    rank = {name: i for i, name in enumerate(LAYERS)}
    files.sort(key=lambda f: (rank.get(f.stem, len(rank)), f.stem))
    out = {}
    for f in files:
        try:
            gdf = gpd.read_file(f)
        except Exception as exc:  # pyogrio raises several types for broken files
            raise DataError(f"{f}: cannot read GeoJSON ({exc})") from exc
        out[f.stem] = gdf if gdf.crs is not None else gdf.set_crs(4326)
    return out


def run(args: argparse.Namespace) -> int:
    from layers.export import atomic_write_text
    from layers.render import make_map

    if args.layers_dir:
        layers, warnings = read_layers_dir(args.layers_dir), []
    else:
        from planmap.commands._common import build_with_progress

        layers = build_with_progress(args.spec)
        warnings = layers.warnings
    m = make_map(
        layers,
        basemap=args.basemap,
        label_lang=args.lang,
        highlight_id=args.highlight,
        embed=True,
    )
    html = m.get_root().render()
    atomic_write_text(args.out, html)
    unlocated = sum(int(g.geometry.isna().sum()) for g in layers.values())
    features = sum(len(g) for g in layers.values())
    print(
        f"wrote {args.out} ({len(html) / 1e6:.1f} MB, {len(layers)} layers, "
        f"{features - unlocated} features drawn, {unlocated} unlocated not drawn)"
    )
    if args.basemap != "none":
        print(f"note: the {args.basemap} basemap needs internet; offline the features still draw")
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0
