"""Locate page: upload your own GIS data, see what it locates, accept or reject each, save.

Thin: widgets and cached calls into :mod:`layers.app.locate` (the same reading, datum check
and matching as ``planmap locate``). File names and names from the file reach markdown only
through :func:`layers.app.md`; tables are plain text. The only file written is the user store,
when the planner presses Save.
"""

from __future__ import annotations

import streamlit as st

from geo.district import default_district, district_ids, get_district
from geo.errors import DatumTrapError, PlanmapError
from layers import app as ad
from layers.app import locate as al

st.set_page_config(page_title="Planmap · 定位 Locate", layout="wide")
_chosen = st.query_params.get("district", default_district())
DISTRICT = get_district(_chosen if _chosen in district_ids() else default_district())
DATUMS = {
    "auto": "WGS-84, checked",
    "wgs84": "WGS-84",
    "gcj02": "GCJ-02 (AMap, Tencent)",
    "bd09": "BD-09 (Baidu)",
}


@st.cache_resource(show_spinner="reading the file…", max_entries=2, ttl=ad.CACHE_TTL_S)
def _locate(
    files: tuple, district: str, layer: str, name_field: str, crs: str, datum: str, licence: str
):
    return al.locate_upload(
        list(files),
        district=district,
        layer=layer or None,
        name_field=name_field or None,
        crs=crs or None,
        datum=None if datum == "auto" else datum,
        licence=licence,
    )


st.title("定位 Locate · from your own GIS data")
st.caption(
    ad.md(
        f"{DISTRICT.name} · {DISTRICT.name_en}: a Shapefile (with its .shx, .dbf, .prj), "
        "GeoPackage, GeoJSON, KML/KMZ, FlatGeobuf, DXF, CSV, a zipped FileGDB or an "
        "OpenStreetMap extract. Places the report names are matched to the file's features; "
        "nothing is saved until you press Save."
    )
)
uploads = st.file_uploader(
    "GIS file(s) · 上传数据",
    accept_multiple_files=True,
    key="locate_files",
    help=f"At most {ad.MAX_UPLOAD_MB} MB per file (the server's upload limit).",
)
st.caption(f"≤ {ad.MAX_UPLOAD_MB} MB per file")
with st.expander("选项 Options", expanded=False):
    c1, c2, c3 = st.columns(3)
    layer = c1.text_input("Layer", key="locate_layer", help="for a file with several layers")
    name_field = c2.text_input("Name field", key="locate_name_field")
    crs = c3.text_input("CRS", key="locate_crs", help="e.g. EPSG:4547, cgcs2000-gk, xian80-gk")
    licence = st.text_input("Licence of the data", key="locate_licence")
datum = st.radio(
    "坐标系 Datum of the lon/lat",
    list(DATUMS),
    format_func=DATUMS.get,
    horizontal=True,
    key="locate_datum",
)
if not uploads:
    st.info("Upload a file to see which of the report's places it locates.")
    st.stop()

files = tuple((f.name, f.getvalue()) for f in uploads)
try:
    result = _locate(files, DISTRICT.id, layer, name_field, crs, datum, licence)
except DatumTrapError as exc:
    st.warning(ad.md(ad.one_line(exc)))
    st.info(ad.md(f"Choose the datum above ({exc.check.best.value} fits); nothing is saved yet."))
    st.stop()
except PlanmapError as exc:
    st.error(ad.md(ad.one_line(exc)))
    st.stop()

st.caption(
    ad.md(
        f"{result.label}: layer {result.layer}, name field {result.name_field}, "
        f"{result.features:,} named features, {result.crs.name}, datum {result.datum.value}"
    )
)
for note in result.notes:
    st.caption(ad.md(note))
if not result.matched:
    st.warning(ad.md(result.empty_message()))
    st.stop()

store_problem = ad.store_problem()
if store_problem:  # the matches are still shown; saving into a broken store is refused
    st.warning(ad.md(ad.store_warning(store_problem)))
store = None if store_problem else al.UserStore()
st.dataframe(al.upload_table(result, store), width="stretch", hide_index=True)
confirm, choose = al.to_confirm(result), al.to_choose(result)
with st.form("locate_decisions"):
    accepted = [
        p.place_id
        for p in confirm
        if st.checkbox(
            ad.md(f"{p.name} ← {p.options[0].describe()}"), value=True, key=f"accept_{p.place_id}"
        )
    ]
    picks = {}
    for p in choose:
        labels = al.choice_labels(p)
        picks[p.place_id] = st.selectbox(
            ad.md(f"{p.name}: {len(p.options)} candidates, choose one"),
            range(len(labels)),
            format_func=labels.__getitem__,
            key=f"pick_{p.place_id}",
        )
    replace = st.checkbox("Replace locations already in my store", key="locate_replace")
    submitted = st.form_submit_button("保存 Save")
if submitted:
    try:
        saved, done = al.save_decisions(result, accepted=accepted, picks=picks, replace=replace)
    except PlanmapError as exc:
        st.error(ad.md(ad.one_line(exc)))
    else:
        st.success(ad.md(f"saved {saved} location(s); the map shows them with the file as source"))
        for d in done.of(al.Action.IN_STORE):
            st.caption(ad.md(f"{d.proposal.name}: {d.reason}"))
