"""``planmap sheet``: a print-ready planning sheet (规划示意图) as PDF, SVG or PNG.

Title block, legend in the web map's styles, north arrow, a scale bar true on paper, the
coordinate-system note, sources and licences, an inset and the places not drawn; drawn from
the same build as every other command (``--district``, ``--spec``, ``--report`` or
``--layers-dir``).
"""

from __future__ import annotations

import argparse
import sys

from planmap.commands._common import add_district, add_report, add_spec, layers_from_args

#: the steps of layers.sheet.compose, then the save
_STEPS = ("extent", "base", "layers", "labels", "legend", "furniture", "saving")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sheet",
        help="write a print-ready planning sheet (规划示意图): PDF, SVG or PNG with title, "
        "legend, north arrow, scale bar and sources",
    )
    p.add_argument("--out", required=True, help="FILE.pdf, FILE.svg or FILE.png")
    p.add_argument("--paper", default="A3", help="A4, A3 (default), A2, A1 or A0")
    p.add_argument("--orientation", default="landscape", help="landscape (default) or portrait")
    p.add_argument(
        "--scale",
        metavar="1:N",
        help="the map's scale (default: the largest standard scale at which the extent fits)",
    )
    p.add_argument(
        "--extent",
        metavar="WHAT",
        help="what the map must show: district (default), a layer's name, or "
        "minx,miny,maxx,maxy in lon/lat",
    )
    p.add_argument(
        "--layers",
        nargs="+",
        metavar="NAME",
        help="layers to draw (default: the layers shown at first on the web map)",
    )
    p.add_argument("--status", nargs="+", metavar="STATUS", help="statuses to draw (default: all)")
    p.add_argument(
        "--layers-dir", help="draw a published build folder (planmap build --out DIR) instead"
    )
    add_district(p)
    add_spec(p)
    add_report(p)
    p.add_argument("--title", help="图名 (default: <district>规划示意图)")
    p.add_argument("--producer", default="Planmap", help="编制单位 (default: Planmap)")
    p.add_argument("--dpi", type=int, default=200, help="PNG resolution (default 200)")
    p.add_argument(
        "--lang", default="both", help="zh, en or both (default): the sheet's texts; map labels "
        "are Chinese unless en",
    )  # fmt: skip
    p.add_argument("--no-inset", action="store_true", help="leave out the 区位图 inset")
    p.set_defaults(func=run)


def _names(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from geo.errors import OptionError
    from geo.model import Status
    from layers.sheet import SheetOptions, check_out, cjk_font, compose, paper, parse_scale, save
    from layers.sheet.render import LANGS

    # every option is checked before the (slow) build
    check_out(args.out)
    paper(args.paper, args.orientation)
    if args.scale is not None:
        parse_scale(args.scale)
    if str(args.lang).strip().lower() not in LANGS:
        raise OptionError(f"--lang {args.lang!r} is not one of: {', '.join(LANGS)}")
    if not 50 <= args.dpi <= 1200:
        raise OptionError(f"--dpi {args.dpi} is outside 50 … 1200")
    names = _names(args.layers)
    if names is not None and not names:
        raise OptionError("--layers: no layer named (the selection is empty)")
    statuses = None
    if args.status is not None:
        statuses = [Status.get(s, name="--status").value for s in _names(args.status) or []]
        if not statuses:
            raise OptionError("--status: no status named (the selection is empty)")
    cjk_font()

    layers = layers_from_args(args)
    if names is None:
        names = [layer.name for layer in layers.layers if layer.visible]
    unknown = [n for n in names if n not in layers]
    if unknown:
        raise OptionError(f"--layers {unknown[0]!r} is not one of: {', '.join(layers)}")
    chosen = layers.select(names=names, statuses=statuses)

    base = None
    if chosen.district is not None:
        from geo.gazetteer import load_gazetteer
        from layers.base import context_base

        base = context_base(load_gazetteer(chosen.district), chosen.district)
    options = SheetOptions(
        paper=args.paper,
        orientation=args.orientation,
        scale=args.scale,
        extent=args.extent,
        title=args.title,
        producer=args.producer,
        lang=args.lang,
        dpi=args.dpi,
        inset=not args.no_inset,
    )
    with tqdm(total=len(_STEPS), desc="drawing the sheet", unit="step", file=sys.stderr) as bar:

        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update()

        sheet = compose(chosen, options, base=base, progress=step)
        step("saving")
        save(sheet, args.out, dpi=args.dpi)
    unlocated = 0 if sheet.unlocated is None else len(sheet.unlocated)
    print(
        f"wrote {args.out} ({sheet.layout.paper}, {sheet.ratio}, {sheet.drawn} features drawn, "
        f"{unlocated} unlocated not drawn)"
    )
    for w in layers.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0
