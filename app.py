"""Competiscan — Streamlit entry point and router. Run: streamlit run app.py"""

import streamlit as st

from competiscan.ui.resources import get_workbench
from competiscan.ui.widgets import user_errors

st.set_page_config(page_title="Competiscan", page_icon="🔎", layout="wide")

pages = {
    "": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Analyse": [
        st.Page("pages/search.py", title="Search", icon=":material/search:", url_path="search"),
        st.Page("pages/trends.py", title="Trends", icon=":material/trending_up:",
                url_path="trends"),
        st.Page("pages/competitors.py", title="Competitors", icon=":material/groups:",
                url_path="competitors"),
    ],
    "Collect": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:",
                url_path="upload"),
        st.Page("pages/live.py", title="Live", icon=":material/sensors:", url_path="live"),
    ],
    # Reached from links only (/campaign?id=…): it has nothing to show without an id.
    "Record": [st.Page("pages/campaign.py", title="Campaign", icon=":material/article:",
                       url_path="campaign", visibility="hidden")],
}
page = st.navigation(pages)
# A store that cannot be opened (locked by another process, unreachable server) is a message
# on every page, not a traceback.
with user_errors():
    get_workbench()
page.run()
