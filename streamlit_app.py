"""Planmap, the app planners browse: ``streamlit run streamlit_app.py`` (``make run``).

This file only names the pages (so the page list reads 规划图 · Map, not the file's name);
each page lays out widgets and calls ``layers.app`` through Streamlit's caches.
"""

from __future__ import annotations

import streamlit as st

# no icons: Streamlit fetches Material icons from fonts.gstatic.com, which an offline
# network does not reach (the browser tests block every request off localhost)
PAGES = [
    st.Page("pages/0_Map.py", title="规划图 · Map", default=True),
    st.Page("pages/1_Report.py", title="报告 · Report"),
    st.Page("pages/2_Landing_points.py", title="低空起降点 · Landing points"),
    st.Page("pages/3_Locate.py", title="定位 · Locate from your data"),
]

st.navigation(PAGES).run()
