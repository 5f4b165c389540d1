"""Competiscan — Streamlit entry point and router. Run: streamlit run app.py

The page scripts live in views/, not pages/: a folder named pages/ beside the entry script puts
Streamlit in its legacy multipage mode until this router has run once in the process, so a
shared link opened first after a restart (/search?q=...) would bypass the router.

Sign-in comes before the router: with an [auth] section in the secrets no page runs for a
visitor who has not signed in (see docs/sign-in.md).
"""

import streamlit as st

from competiscan.ui import auth
from competiscan.ui.resources import current_actor

st.set_page_config(page_title="Competiscan", page_icon="🔎", layout="wide")
auth.require_sign_in()
actor = current_actor()
auth.show_session(actor)

pages = {
    "": [st.Page("views/home.py", title="Home", icon=":material/home:", default=True)],
    "Analyse": [
        st.Page("views/search.py", title="Search", icon=":material/search:", url_path="search"),
        st.Page("views/trends.py", title="Trends", icon=":material/trending_up:",
                url_path="trends"),
        st.Page("views/competitors.py", title="Competitors", icon=":material/groups:",
                url_path="competitors"),
    ],
    "Collect": [
        st.Page("views/upload.py", title="Upload", icon=":material/upload_file:",
                url_path="upload"),
        st.Page("views/live.py", title="Live", icon=":material/sensors:", url_path="live"),
    ],
    # Reached from links only (/campaign?id=…): it has nothing to show without an id.
    "Record": [st.Page("views/campaign.py", title="Campaign", icon=":material/article:",
                       url_path="campaign", visibility="hidden")],
}
# Listed for admins only; reachable by anyone, so a link says whose page it is instead of
# "Page not found".
pages["Admin"] = [st.Page("views/audit.py", title="Audit", icon=":material/policy:",
                          url_path="audit",
                          visibility="visible" if actor.may("audit") else "hidden")]
st.navigation(pages).run()
