"""``planmap extract``: the places a report names, each with its sentences, and the
place-like phrases the gazetteer does not know."""

from __future__ import annotations

import argparse
import sys

from planmap.commands._common import district_and_gazetteer, json_for_terminal, print_table, shown


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="list every gazetteer place a report names, with its sentences",
        description=(
            "Read a report (UTF-8, UTF-16/32 with BOM, GB18030 or Big5; Traditional or "
            "Simplified) and list the places it names with the sentences that name them, then "
            "the place-like phrases the gazetteer does not know."
        ),
    )
    p.add_argument("report", help="the report, a text file")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--spec", help="spec file for the layer of each place (default: shipped)")
    p.add_argument(
        "--district",
        help="district id: its gazetteer and spec (default: the spec's district, else the default one)",
    )
    p.add_argument(
        "--sentences", type=int, default=1, help="sentences shown per place in the table"
    )
    p.set_defaults(func=run)


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _around(sentence: str, surfaces: list[str], width: int = 40) -> str:
    """The part of a sentence around the first of the place's surface forms it contains."""
    hits = [sentence.find(s) for s in surfaces if s in sentence]
    if len(sentence) <= width or not hits:
        return _short(sentence, width)
    start = max(0, min(hits) - width // 3)
    end = start + width
    return ("…" if start else "") + sentence[start:end] + ("…" if end < len(sentence) else "")


def run(args: argparse.Namespace) -> int:
    from layers.build import build_from_files
    from layers.report import extract_file, layer_index

    district, gazetteer = district_and_gazetteer(args.district, spec=args.spec)
    layers = build_from_files(args.spec, district=district.id)  # once, for the layer names
    result = extract_file(args.report, gazetteer=gazetteer, layer_of=layer_index(layers))
    if args.json:
        print(json_for_terminal(result.to_dict()))
        return 0
    rows = []
    for place in result.found:
        for i, sentence in enumerate(place.sentences[: max(args.sentences, 1)]):
            first = i == 0
            rows.append(
                [
                    place.name if first else "",
                    place.id if first else "",
                    (place.layer or "-") if first else "",
                    place.mentions if first else "",
                    _around(sentence, place.surface),
                ]
            )
    print(f"found {len(result.found)} places in {result.sentences} sentences")
    # report text reaches the terminal with its control characters escaped (bidi overrides)
    print_table(
        ["place", "id", "layer", "mentions", "sentence"], [[shown(c) for c in r] for r in rows]
    )
    print()
    print(f"unresolved: {len(result.unresolved)} place-like phrases not in the gazetteer")
    if result.unresolved:
        print_table(
            ["phrase", "count", "sentence"],
            [[shown(u.phrase), u.count, shown(_short(u.sentence))] for u in result.unresolved],
        )
    if result.truncated_unresolved:
        print("warning: more unresolved phrases than the limit; list truncated", file=sys.stderr)
    return 0
