"""Report page: paste or upload a planning report, see the places it names on the map.

Thin: widgets and cached calls into :mod:`layers.report`. The report text is escaped by
:func:`layers.report.highlight_html` before it reaches ``st.markdown``; sentences, phrases
and messages go through widgets that render plain text (``st.text``, ``st.dataframe``).
"""

from __future__ import annotations

import copy

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import PlanmapError
from layers import app as ad

st.set_page_config(page_title="Planmap · 报告 Report", layout="wide")


@st.cache_resource(show_spinner="loading the gazetteer…")
def _context():
    from geo.gazetteer import load_gazetteer
    from layers.build import build_from_files
    from layers.report import PlaceMatcher, layer_index, load_rules

    gazetteer = load_gazetteer()
    rules = load_rules()
    matcher = PlaceMatcher.from_frame(gazetteer, rules=rules)
    names = dict(zip(gazetteer["id"], gazetteer["name"], strict=True))
    return gazetteer, rules, matcher, layer_index(build_from_files()), names


@st.cache_data(show_spinner="reading the report…", max_entries=4, ttl=ad.CACHE_TTL_S)
def _analyse(text: str):
    from geo.names import normalize_text
    from layers.report import extract, highlight_html

    gazetteer, rules, matcher, layer_of, names = _context()
    result = extract(text, gazetteer=gazetteer, layer_of=layer_of, rules=rules, matcher=matcher)
    marked = highlight_html(normalize_text(text), matcher, names=names)
    return result, marked


@st.cache_resource(show_spinner="building the layers…", max_entries=4, ttl=ad.CACHE_TTL_S)
def _layers(text: str):
    from layers.build import build_from_files
    from layers.report import located_ids

    result, _ = _analyse(text)
    layers = build_from_files(evidence=result.evidence(rules=_context()[1]))
    return layers, located_ids(layers)


@st.cache_resource(show_spinner=False, max_entries=8, ttl=ad.CACHE_TTL_S)
def _map(text: str, highlight: str | None):
    from layers.app import planning_map

    layers, _ = _layers(text)
    return planning_map(layers, highlight_id=highlight)


@st.cache_data(show_spinner=False, max_entries=4)
def _store_problem(store: str, version: tuple) -> str | None:
    return ad.store_problem(store)


st.title("报告 Report")
if problem := _store_problem(*ad.store_source()):
    st.warning(ad.md(ad.store_warning(problem)))
st.caption(
    "Paste or upload a report (UTF-8, UTF-16 with BOM, GB18030 or Big5; Traditional or "
    "Simplified). Places the gazetteer knows are highlighted and mapped; place-like phrases "
    "it does not know are listed at the bottom."
)

source = st.radio("Source", ["粘贴 Paste", "上传 Upload"], horizontal=True)
raw: bytes | str | None = None
where = "pasted text"
if source.startswith("粘贴"):
    raw = st.text_area("Report text", height=200, key="report_text") or None
else:
    limit = _context()[1].input.display_max_chars
    upload = st.file_uploader(
        "Report file",
        type=["txt", "text", "md"],
        key="report_file",
        help=f"A plain-text report of at most {limit:,} characters (longer ones: "
        "`planmap extract`, which streams them).",
    )
    st.caption(f"≤ {limit:,} characters")
    if upload is not None:
        raw, where = upload.getvalue(), upload.name

if raw is None:
    st.info("Paste a report or upload a text file to begin.")
    st.stop()

try:
    from layers.report import text_for_display

    text = text_for_display(raw, where=where, rules=_context()[1])
    result, marked = _analyse(text)
except PlanmapError as exc:
    from layers.app import md  # every ASCII punctuation mark escaped: shows as typed

    st.error(md(exc))
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Places found", len(result.found))
c2.metric("Unresolved phrases", len(result.unresolved))
c3.metric("Sentences", result.sentences)

left, right = st.columns([1, 1])
with left:
    st.subheader("Text")
    with st.container(height=520):
        # safe: highlight_html escaped the text (HTML and Markdown) and added only <mark>/<br>
        st.markdown(marked, unsafe_allow_html=True)

with right:
    st.subheader("Map")
    if not result.found:
        st.info("No gazetteer place is named in this text.")
        chosen = None
    else:
        labels = {p.id: f"{p.name} · {p.layer or 'no layer'} · {p.mentions}×" for p in result.found}
        chosen = st.selectbox(
            "Place", list(labels), format_func=labels.__getitem__, key="report_place"
        )
    layers, located = _layers(text)
    highlight = chosen if chosen in located else None
    if chosen and highlight is None:
        st.warning("This place has no location yet (unlocated): the map shows the others.")
    # st_folium renames the map it renders; a cached map must be handed over as a copy
    st_folium(
        copy.deepcopy(_map(text, highlight)),
        height=460,
        use_container_width=True,
        returned_objects=[],
        key="report_map",
    )
    if chosen:
        place = next(p for p in result.found if p.id == chosen)
        st.caption(f"{place.mentions} mention(s); the first sentences:")
        for sentence in place.sentences:
            st.text(sentence)

st.subheader("Not in the gazetteer")
if result.unresolved:
    st.dataframe(
        pd.DataFrame([u.to_dict() for u in result.unresolved]),
        hide_index=True,
        width="stretch",
    )
    if result.truncated_unresolved:
        st.caption("The list is truncated (see [input].max_unresolved in report_rules.toml).")
else:
    st.caption("None: every place-like phrase is in the gazetteer.")
