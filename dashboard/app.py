"""Streamlit entry of ``airtwin dashboard``: three pages over one results folder.

Run through ``airtwin dashboard --results DIR`` (which sets ``AIRTWIN_RESULTS``), or directly:
``AIRTWIN_RESULTS=DIR streamlit run dashboard/app.py``.
"""

import streamlit as st

from dashboard import data, ui

st.set_page_config(page_title="airtwin dashboards", page_icon=":material/flight_land:",
                   layout="wide")

pages = [
    st.Page("views/planner.py", title="Planner", icon=":material/groups:", url_path="planner",
            default=True),
    st.Page("views/engineer.py", title="Engineer", icon=":material/speed:", url_path="engineer"),
    st.Page("views/stakeholder.py", title="Stakeholder", icon=":material/visibility:",
            url_path="stakeholder"),
]
page = st.navigation(pages)

idx = ui.results()
with st.sidebar:
    st.caption(f"Results folder: `{idx.root}`")
    counts = [(len(idx.runs), "run"), (len(idx.sweeps), "sweep"), (len(idx.loadtests), "load test"),
              (len(idx.services), "service log"), (len(idx.benches), "bench file"),
              (len(idx.frame_sets), "frame folder")]
    found = ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for n, what in counts if n)
    st.caption(f"Found: {found or 'nothing yet'}")
    if st.button("Rescan folder", icon=":material/refresh:"):
        data.index.clear()
        st.rerun()

page.run()
