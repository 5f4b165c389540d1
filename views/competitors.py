"""Competitors: one company's profile, or 2–5 companies side by side with their positioning.

Mode, companies, period and filters live in the URL, so the address is a link to the view.
"""

import streamlit as st

from competiscan.workbench import MAX_COMPARED, MIN_COMPARED
from competiscan.ui import competitors, data
from competiscan.ui.resources import open_workbench
from competiscan.ui.state import CompetitorsState
from competiscan.ui.urlstate import read_params, seed_widgets, show_share_link, write_params
from competiscan.ui.widgets import show_problems, user_errors

wb = open_workbench()
url_state = CompetitorsState.from_params(read_params())
seed_widgets("competitors", competitors.widget_values(url_state))

st.title("Competitors")
if not data.summary(wb)["campaigns"]:
    st.info("The store is empty: upload campaign files first.")
    st.page_link("views/upload.py", label="Go to Upload", icon=":material/upload_file:")
    st.stop()

competitors.controls(wb, url_state)
state = competitors.state_from_widgets()
show_problems(url_state.problems)

with user_errors():
    if state.mode == "profile":
        if state.companies:
            competitors.show_profile(wb, state)
        else:
            st.info("Choose a company to see its volume, channel mix, campaign types, offers, "
                    "tone and latest pieces.")
    elif not MIN_COMPARED <= len(state.companies) <= MAX_COMPARED:
        st.info(f"Choose {MIN_COMPARED} to {MAX_COMPARED} companies to compare them on the same "
                "measures and axes.")
    else:
        competitors.show_comparison(wb, state)
# Read after the comparison drew the positioning axes, so the link carries them too.
state = competitors.state_from_widgets()
write_params("competitors", state.to_params())
show_share_link("competitors", state.to_params())
