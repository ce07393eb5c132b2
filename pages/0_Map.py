"""The map page: a district's planning map, offline. Thin: widgets + cached calls into
layers.app. Started through ``streamlit_app.py`` (``make run``; ``.streamlit/config.toml`` turns
on static serving, which the map's local Leaflet/plugin files need).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from geo.district import default_district, district_ids, get_district
from geo.errors import PlanmapError
from geo.model import Status
from layers import app as ad
from layers.layerset import LayerSet

MAP_KEY = "planmap_map"

# the district comes from the URL (?district=futian) so a choice survives a reload
_ids = district_ids()
_chosen = st.query_params.get("district", default_district())
DISTRICT = get_district(_chosen if _chosen in _ids else default_district())
st.set_page_config(page_title=DISTRICT.texts.app_title, layout="wide")
# the map needs the width more than Streamlit's default margins do
st.markdown(
    "<style>[data-testid='stMainBlockContainer']{padding:2.2rem 1.5rem 2rem 1.5rem}</style>",
    unsafe_allow_html=True,
)


# -- cached calls ---------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _gazetteer(district: str):
    from geo.gazetteer import load_gazetteer

    return load_gazetteer(district)


@st.cache_data(show_spinner=False, max_entries=4, ttl=ad.CACHE_TTL_S)
def _view(src: tuple) -> LayerSet:
    district, spec_text, spec_name, upload_name, upload_bytes, store, _stamp = src
    upload = (upload_name, upload_bytes) if upload_bytes is not None else None
    return ad.build_view(
        district=district,
        spec_text=spec_text,
        spec_name=spec_name,
        store_path=store,
        upload=upload,
    )


@st.cache_data(show_spinner=False, max_entries=8, ttl=ad.CACHE_TTL_S)
def _shown(src: tuple, names: tuple, statuses: tuple) -> LayerSet:
    return ad.filter_layers(_view(src), names=names, statuses=statuses)


@st.cache_resource(show_spinner=False, max_entries=4, ttl=ad.CACHE_TTL_S)
def _searcher(src: tuple) -> ad.Searcher:
    view = _view(src)
    return ad.Searcher(view, _gazetteer(view.district.id))


@st.cache_resource(show_spinner=False, max_entries=4)
def _base(district: str):
    return ad.base_of(district)


@st.cache_resource(show_spinner=False, max_entries=8, ttl=ad.CACHE_TTL_S)
def _map(src, names, statuses, basemap, lang, highlight, draw, basemaps_version=None):
    return ad.planning_map(
        _shown(src, names, statuses),
        basemap=basemap,
        label_lang=lang,
        highlight_id=highlight,
        draw=draw,
        base=_base(src[0]),
    )


@st.cache_data(show_spinner=False, max_entries=8, ttl=ad.CACHE_TTL_S)
def _sheet(src, names, statuses, highlight, paper, orientation, lang) -> bytes:
    return ad.sheet_pdf(
        _shown(src, names, statuses),
        paper=paper,
        orientation=orientation,
        base=_base(src[0]),
        highlight=highlight,
        lang=lang,
    )


@st.cache_data(show_spinner=False, max_entries=8, ttl=ad.CACHE_TTL_S)
def _drawable(src: tuple) -> bool:
    """Whether the upload's layers draw (raises if not). Only the answer is kept: caching the
    trial map itself would hold a second map per upload beside the one shown."""
    ad.planning_map(_view(src), base=_base(src[0]))
    return True


@st.cache_data(show_spinner=False, max_entries=8, ttl=ad.CACHE_TTL_S)
def _table(src, names, statuses):
    return ad.feature_table(_shown(src, names, statuses))


@st.cache_data(show_spinner=False, max_entries=4)
def _store_problem(store: str, version: tuple) -> str | None:
    return ad.store_problem(store)


# -- sidebar: data ----------------------------------------------------------------------------

sb = st.sidebar
sb.title(DISTRICT.texts.sidebar_title)
sb.caption(DISTRICT.texts.caption)
if len(_ids) > 1:
    picked = sb.selectbox(
        "区 District",
        _ids,
        index=_ids.index(DISTRICT.id),
        format_func=lambda i: f"{get_district(i).name} · {get_district(i).name_en}",
        key="district",
    )
    if picked != DISTRICT.id:
        st.query_params["district"] = picked
        st.rerun()

uploaded = sb.file_uploader(
    "上传 Upload a spec (.toml) or a GeoJSON layer",
    type=["toml", "geojson", "json"],
    key="upload",
    help="A spec replaces the district's shipped spec; a GeoJSON file is shown as an extra layer "
    f"({ad.UPLOAD_LIMITS}).",
)
sb.caption(ad.md(ad.UPLOAD_LIMITS))
store_path, stamp = ad.store_source()
base_src = (DISTRICT.id, None, "", "", None, store_path, stamp)
src: tuple = base_src  # the cache key of the build: an upload fills the None and "" slots
upload_error = None
if uploaded is not None:
    data = uploaded.getvalue()
    try:
        if uploaded.name.lower().endswith(".toml"):
            src = (
                DISTRICT.id,
                ad.read_spec_text(data, name=uploaded.name),
                uploaded.name,
                "",
                None,
                *src[5:],
            )
        else:
            src = (DISTRICT.id, None, "", uploaded.name, data, *src[5:])
        with st.spinner("Building the uploaded layers…"):
            # build and draw it once here, so a file that breaks either is a message
            _drawable(src)
    except Exception as exc:  # a bad upload is a message, never a traceback
        upload_error = ad.one_line(exc)
        src = base_src

try:
    with st.spinner("Building the planning layers…"):
        view = _view(src)
except PlanmapError as exc:
    st.error(ad.md(ad.one_line(exc)))
    st.stop()

# -- sidebar: filters, search, display ---------------------------------------------------------

layer_names = list(view)
if st.session_state.get("layer_set") != layer_names:
    # a new spec or upload brings new layers: show them all (a keyed multiselect would keep
    # the old selection and hide the uploaded layer)
    st.session_state["layer_set"] = layer_names
    st.session_state["layers"] = layer_names
names = tuple(
    sb.multiselect(
        "图层 Layers",
        layer_names,
        format_func=lambda n: ad.layer_short_label(n, view),
        key="layers",
    )
)
statuses = tuple(
    sb.multiselect(
        "状态 Status",
        ad.STATUSES,
        default=ad.STATUSES,
        format_func=lambda s: str(Status.get(s).label),
        key="statuses",
    )
)
shown = _shown(src, names, statuses)

query = sb.text_input(
    "搜索 Search a place",
    key="search",
    placeholder="莲塘口岸 · 蓮塘口岸 · Liantang Port · lian tang kou an",
)
highlight = None
if query.strip():
    hits = _searcher(src).search(query)
    if not hits:
        sb.warning("No place matches that name. 未找到。")
    else:
        pick = sb.selectbox(
            "Matches 匹配",
            range(len(hits)),
            format_func=lambda i: f"{hits[i].name} · {hits[i].name_en} ({hits[i].score:g})",
            key="search_pick",
        )
        hit = hits[pick]
        visible = hit.layer in shown and hit.id in set(shown[hit.layer]["id"])
        if not hit.layer:
            sb.info(ad.md(f"{hit.name} is in the gazetteer but in no layer of this spec."))
        elif not hit.on_map:
            sb.info(
                ad.md(f"{hit.name} is named by the report but not located yet: draw it on the map.")
            )
        elif not visible:
            sb.info(ad.md(f"{hit.name} is hidden by the layer/status filters."))
        else:
            highlight = hit.id
            sb.caption(ad.md(f"Selected: {hit.name} · {hit.name_en} · {hit.id}"))

lang = sb.radio(
    "标注 Labels",
    ["zh", "en"],
    format_func=lambda v: "中文" if v == "zh" else "English",
    horizontal=True,
    key="lang",
)
basemap_labels, basemap_notes = ad.basemap_options()
basemap = sb.selectbox(
    "底图 Basemap",
    list(basemap_labels),
    format_func=lambda k: basemap_labels.get(k, ""),
    key="basemap",
    help="Online basemaps need the network; with none the planning layers still draw. "
    "Add your own tiles with `planmap basemap add NAME FILE.mbtiles`.",
)
for note in basemap_notes:
    sb.caption(ad.md(note))

# -- main: map and the places to locate -------------------------------------------------------

st.subheader(view.district.texts.map_heading if view.district else DISTRICT.texts.map_heading)
store_problem = _store_problem(store_path, stamp)
if store_problem:
    st.warning(ad.md(ad.store_warning(store_problem)))
if upload_error:
    st.error(ad.md(upload_error))
elif uploaded is not None:
    st.success(ad.md(f"Showing {uploaded.name}"))
upload_notes = ad.upload_notes(view, src[3])
for note in upload_notes:
    st.warning(ad.md(note))
build_warnings = ad.other_warnings(view, store_problem, *upload_notes)
if build_warnings:
    with st.expander(f"Build warnings ({len(build_warnings)})"):
        for w in build_warnings:
            st.text(w)

missing = ad.unlocated_table(shown)
map_col, side_col = st.columns([4, 1])
with map_col, st.spinner("Drawing the map…"):
    m = _map(
        src, names, statuses, basemap, lang, highlight, not missing.empty, ad.basemaps_version()
    )
    # st_folium renames the elements of the map it renders, and a renamed map renders
    # broken the next time: hand it a copy of the cached one, never the cached one
    out = st_folium(
        copy.deepcopy(m),
        key=MAP_KEY,
        height=680,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
    )
with side_col:
    places = ad.place_summary(shown)
    st.markdown(f"**地图上 On the map: {places.drawn} of {places.total} places**")
    st.markdown(f"**未定位 Unlocated places ({len(places.unlocated)})**")
    st.caption("Named by the report; no source locates them yet.")
    if places.unlocated.empty:
        st.caption("None among the layers shown.")
    else:
        for title, group in places.unlocated.groupby("title", sort=False):
            st.caption(ad.md(f"{title} ({len(group)})"))
            st.dataframe(
                group.assign(place=group["name"] + " · " + group["name_en"])[["place"]],
                hide_index=True,
                height=min(36 * len(group) + 38, 180),
                column_config={"place": "地名 Place"},
                key=f"unlocated_{group['layer'].iloc[0]}",
            )
    if not places.area_only.empty:
        st.markdown(f"**仅区域 Area only ({len(places.area_only)})**")
        st.caption("Drawn as the area a source puts them in, not their extent.")
        st.dataframe(
            places.area_only.assign(
                place=places.area_only["name"] + " · " + places.area_only["name_en"]
            )[["place", "title"]],
            hide_index=True,
            column_config={"place": "地名 Place", "title": "图层 Layer"},
            key="area_only",
        )
    if not missing.empty:
        with st.container(border=True):
            st.markdown("**定位 Locate one by drawing it**")
            labels = dict(
                zip(missing["id"], missing["name"] + " · " + missing["name_en"], strict=True)
            )
            target = st.selectbox(
                "Place 地名", list(labels), format_func=lambda k: labels.get(k, ""), key="locate_id"
            )
            note = st.text_input("Note 说明 (why here?)", key="locate_note")
            drawing = (out or {}).get("last_active_drawing")
            if drawing:
                kind = (drawing.get("geometry") or {}).get("type", "shape")
                st.caption(f"Drawn: {kind}. Save it as the location of the place above.")
            else:
                st.caption("Draw a point, line or polygon with the toolbar at the map's top left.")
            if st.button("保存 Save location", disabled=not drawing, key="locate_save"):
                try:
                    ad.save_drawing(target, drawing, note=note, basemap=basemap)
                except PlanmapError as exc:
                    st.error(ad.md(ad.one_line(exc)))
                else:
                    st.session_state["flash"] = f"Saved the location of {labels[target]}."
                    st.rerun()
    if "flash" in st.session_state:
        st.success(ad.md(st.session_state.pop("flash")))

# -- table and downloads ----------------------------------------------------------------------

table = _table(src, names, statuses)
st.markdown(f"**要素 Features shown ({len(table)})**")
st.dataframe(
    table[
        [
            "name",
            "name_en",
            "layer",
            "kind",
            "status",
            "precision",
            "source",
            "mentions",
            "on_map",
            "id",
        ]
    ],
    hide_index=True,
    key="features",
    column_config={"name": "名称", "name_en": "Name", "on_map": "On map"},
)

stem = Path(src[2] or src[3] or view.district.spec).stem
cols = st.columns(5)
cols[0].download_button(
    "GeoJSON (all)",
    functools.partial(ad.geojson_bytes, shown),
    file_name=f"{stem}.geojson",
    mime="application/geo+json",
    on_click="ignore",
    key="dl_geojson",
)
one = cols[1].selectbox(
    "Layer",
    list(shown) or [""],
    format_func=lambda n: ad.layer_label(n, view) if n else "—",
    label_visibility="collapsed",
    key="dl_layer",
)
cols[1].download_button(
    "GeoJSON (layer)",
    functools.partial(ad.geojson_bytes, shown, [one]),
    file_name=f"{one or 'layer'}.geojson",
    mime="application/geo+json",
    on_click="ignore",
    disabled=not one,
    key="dl_layer_geojson",
)
cols[2].download_button(
    "GeoPackage",
    functools.partial(ad.gpkg_bytes, shown),
    file_name=f"{stem}.gpkg",
    mime="application/geopackage+sqlite3",
    on_click="ignore",
    disabled=not shown,
    key="dl_gpkg",
)
cols[3].download_button(
    "CSV",
    functools.partial(ad.csv_bytes, shown),
    file_name=f"{stem}.csv",
    mime="text/csv",
    on_click="ignore",
    disabled=not shown,
    key="dl_csv",
)
map_name, map_mime = ad.map_file(stem, basemap)
cols[4].download_button(
    "HTML map (offline)",
    functools.partial(ad.map_html, shown, basemap=basemap, label_lang=lang, base=_base(src[0])),
    file_name=map_name,
    mime=map_mime,
    on_click="ignore",
    key="dl_html",
)
st.caption("Downloads are in WGS-84 lon/lat (EPSG:4326), the features shown above.")

# -- print sheet (出图) -------------------------------------------------------------------------

st.markdown(
    "**出图 Sheet** · a print-ready 规划示意图 (PDF) of the layers, filters and search shown"
)
sc = st.columns([1, 1, 1, 2])
sheet_paper = sc[0].selectbox("纸张 Paper", ad.SHEET_PAPERS, key="sheet_paper")
sheet_orientation = sc[1].selectbox(
    "方向 Orientation",
    ad.SHEET_ORIENTATIONS,
    format_func=lambda o: "横向 landscape" if o == "landscape" else "纵向 portrait",
    key="sheet_orientation",
)
sheet_key = (
    src, names, statuses, highlight, sheet_paper, sheet_orientation, "en" if lang == "en" else "both"
)  # fmt: skip
if sc[2].button("生成 Make sheet", key="sheet_make", disabled=not shown):
    try:
        with st.spinner("Drawing the sheet… 出图中"):
            _sheet(*sheet_key)
        st.session_state["sheet_key"] = sheet_key
    except PlanmapError as exc:
        st.error(ad.md(ad.one_line(exc)))
if st.session_state.get("sheet_key") == sheet_key:
    sheet_name, sheet_mime = ad.sheet_file(stem, sheet_paper, sheet_orientation)
    sc[3].download_button(
        "出图 Sheet (PDF)",
        _sheet(*sheet_key),
        file_name=sheet_name,
        mime=sheet_mime,
        on_click="ignore",
        key="dl_sheet",
    )
