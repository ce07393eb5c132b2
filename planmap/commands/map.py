"""``planmap map``: one standalone HTML map (every script, style and font inside it)."""

from __future__ import annotations

import argparse
import sys

from planmap.commands._common import (
    add_district,
    add_report,
    add_spec,
    check_out,
    layers_from_args,
)


def register(sub: argparse._SubParsersAction) -> None:
    from layers.map import Basemap

    p = sub.add_parser(
        "map", help="write a standalone HTML map that opens offline (file://) in any browser"
    )
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument(
        "--basemap",
        default="context",
        metavar="NAME",
        help=f"background: {', '.join(Basemap.values())} or one from `planmap basemap list`; "
        "context (default) is the shipped 街道/parks/river, offline; an MBTiles one is written "
        "beside the HTML",
    )
    p.add_argument(
        "--layers-dir", help="draw a published build folder (planmap build --out DIR) instead"
    )
    add_district(p)
    add_spec(p)
    add_report(p)
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="name shown first")
    p.add_argument("--highlight", metavar="ID", help="feature id to emphasise and zoom to")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layers.export import atomic_write_text
    from layers.map import basemap_info, make_map, page_html
    from layers.map.tiles import for_page, page_folder

    check_out(args.out, folder=False)
    info = basemap_info(args.basemap)  # an unknown or broken basemap fails before the build
    layers = layers_from_args(args)
    base = None
    if info.name == "context" and layers.district is not None:
        from geo.gazetteer import load_gazetteer
        from layers.base import context_base

        base = context_base(load_gazetteer(layers.district), layers.district)
    if info.mbtiles:
        info = for_page(info, args.out)
    m = make_map(
        layers,
        basemap=info,
        label_lang=args.lang,
        highlight_id=args.highlight,
        embed=True,
        base=base,
    )
    html = page_html(m)
    atomic_write_text(args.out, html)
    unlocated = sum(int(g.geometry.isna().sum()) for g in layers.values())
    features = sum(len(g) for g in layers.values())
    print(
        f"wrote {args.out} ({len(html) / 1e6:.1f} MB, {len(layers)} layers, "
        f"{features - unlocated} features drawn, {unlocated} unlocated not drawn)"
    )
    if info.mbtiles:
        folder = page_folder(args.out, info.name)
        print(f"wrote the {info.name} tiles to {folder} (keep the folder beside the HTML)")
    elif info.online:
        print(f"note: the {info.name} basemap needs the network; offline the features still draw")
    if info.kind == "tianditu":
        print("note: the page holds your 天地图 key (tk) in its tile URLs; share it accordingly")
    for w in layers.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0
