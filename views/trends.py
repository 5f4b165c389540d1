"""Trends: volume, share of voice, sentiment and offer terms over time; anomalies; forecasts.

The view, its options and the filters live in the URL, so the address is a link to the chart.
"""

import streamlit as st

from competiscan.ui import data, trends
from competiscan.ui.resources import open_workbench
from competiscan.ui.state import TrendsState
from competiscan.ui.urlstate import read_params, seed_widgets, show_share_link, write_params
from competiscan.ui.widgets import show_problems, user_errors

wb = open_workbench()
url_state = TrendsState.from_params(read_params())
seed_widgets("trends", trends.widget_values(url_state))

st.title("Trends")
trends.controls(wb, url_state)
state = trends.state_from_widgets()
write_params("trends", state.to_params())
show_problems(url_state.problems)

if not data.summary(wb)["campaigns"]:
    st.info("The store is empty: upload campaign files first.")
    st.page_link("views/upload.py", label="Go to Upload", icon=":material/upload_file:")
    st.stop()

with user_errors():
    trends.show_view(wb, state)
show_share_link("trends", state.to_params())
