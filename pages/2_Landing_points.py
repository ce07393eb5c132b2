"""Landing-points page: propose the report's 100 low-altitude sites and show their coverage.

Thin: sliders and a cached call into :func:`geo.siting.site_landing_points`; the map comes from
:func:`layers.app.planning_map` with local assets. Every site is a proposal
(``status=proposed``, ``precision=schematic``): the report publishes no sites.
"""

from __future__ import annotations

import copy

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.district import default_district, district_ids, get_district
from geo.errors import PlanmapError
from geo.model import LayerGroup
from layers import app as ad
from layers.layerset import Layer, LayerSet

st.set_page_config(page_title="Planmap · 低空起降点 Landing points", layout="wide")
_chosen = st.query_params.get("district", default_district())
DISTRICT = get_district(_chosen if _chosen in district_ids() else default_district())


@st.cache_resource(show_spinner="building the layers…")
def _context_layers(district: str) -> LayerSet:
    from layers.build import build_from_files

    return build_from_files(district=district)


@st.cache_resource(show_spinner="choosing sites (maximal covering)…", max_entries=16)
def _site(district: str, n: int, radius_m: float, spacing_m: float, solver: str, allow_parks: bool):
    from geo.siting import site_landing_points

    return site_landing_points(
        district=district,
        n=n,
        radius_m=radius_m,
        spacing_m=spacing_m,
        solver=solver,
        time_limit_s=30.0,
        allow_parks=allow_parks,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def _store_problem(store: str, version: tuple) -> str | None:
    return ad.store_problem(store)


st.title("低空起降点 · Low-altitude landing points (proposal)")
if problem := _store_problem(*ad.store_source()):
    st.warning(ad.md(ad.store_warning(problem)))
st.caption(
    f"{DISTRICT.name} · {DISTRICT.name_en}: the report commits to take-off/landing points in "
    "three networks (manned, cargo, drone) but publishes no sites. These are *proposed, "
    "schematic* sites chosen to cover the most weighted demand; rules in "
    f"data/districts/{DISTRICT.id}/{DISTRICT.siting or 'siting.toml'}."
)

with st.sidebar:
    n = st.slider("站点数 Sites (N)", min_value=10, max_value=200, value=100, step=10)
    radius = st.slider("服务半径 Service radius (m)", 200, 2000, 500, step=50)
    spacing = st.slider("候选网格 Candidate spacing (m)", 100, 1000, 250, step=50)
    solver = st.radio(
        "求解 Solver", ["greedy", "exact"], horizontal=True, help="exact: HiGHS, 30 s limit"
    )
    allow_parks = st.checkbox("允许公园 Allow 梧桐山 / 仙湖植物园", value=False)

try:
    result = _site(DISTRICT.id, n, float(radius), float(spacing), solver, allow_parks)
except PlanmapError as exc:
    st.error(ad.md(ad.one_line(exc)))
    st.stop()

cov = result.coverage
c1, c2, c3, c4 = st.columns(4)
c1.metric("Sites", len(result.sites))
c2.metric("Area covered", f"{cov['area_share']:.1%}")
c3.metric("Demand covered", f"{cov['demand_share']:.1%}")
c4.metric("Solver", f"{result.solution.solver} · {result.solution.seconds:.2f} s")

proposal = gpd.GeoDataFrame(
    pd.concat([result.sites, result.service_areas, result.route], ignore_index=True),
    geometry="geometry",
    crs="EPSG:4326",
)
base = _context_layers(DISTRICT.id)
proposed = Layer(
    "low_altitude", "低空 · Proposed landing points", LayerGroup.LOW_ALTITUDE, proposal, z=40
)
shown = LayerSet(
    [base.layer(n) for n in ("context", "ports") if n in base] + [proposed],
    district=base.district,
    title=f"{len(result.sites)} 处建议起降点 · 服务半径 {radius} m · proposed, schematic",
)
m = ad.planning_map(shown)
st_folium(
    copy.deepcopy(m), key="landing_map", height=620, use_container_width=True, returned_objects=[]
)

per = pd.DataFrame(cov.get("per_network", {})).T
if not per.empty:
    st.markdown("**按网络 Per network**")
    st.dataframe(per, width="stretch")


@st.cache_data(show_spinner=False, max_entries=8)
def _sheet(key: tuple, paper: str, orientation: str, _layers: LayerSet) -> bytes:
    return ad.sheet_pdf(
        _layers,
        paper=paper,
        orientation=orientation,
        base=ad.base_of(key[0]),
        title=f"{_layers.district.name}低空起降点布局示意图（建议）",
    )


sheet_key = (DISTRICT.id, n, radius, spacing, solver, allow_parks)
sc = st.columns([1, 1, 1, 2])
sheet_paper = sc[0].selectbox("纸张 Paper", ad.SHEET_PAPERS, key="sheet_paper")
sheet_orientation = sc[1].selectbox(
    "方向 Orientation",
    ad.SHEET_ORIENTATIONS,
    format_func=lambda o: "横向 landscape" if o == "landscape" else "纵向 portrait",
    key="sheet_orientation",
)
if sc[2].button("生成 Make sheet", key="sheet_make"):
    try:
        with st.spinner("Drawing the sheet… 出图中"):
            _sheet(sheet_key, sheet_paper, sheet_orientation, shown)
        st.session_state["sheet_key"] = (sheet_key, sheet_paper, sheet_orientation)
    except PlanmapError as exc:
        st.error(ad.md(ad.one_line(exc)))
if st.session_state.get("sheet_key") == (sheet_key, sheet_paper, sheet_orientation):
    name, mime = ad.sheet_file("low_altitude_proposed", sheet_paper, sheet_orientation)
    sc[3].download_button(
        "出图 Sheet (PDF)",
        _sheet(sheet_key, sheet_paper, sheet_orientation, shown),
        file_name=name,
        mime=mime,
        key="dl_sheet",
    )
st.download_button(
    "GeoJSON · proposed sites",
    data=ad.geojson_bytes({"low_altitude": proposal}),
    file_name="low_altitude_proposed.geojson",
    mime="application/geo+json",
)
