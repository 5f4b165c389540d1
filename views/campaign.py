"""Campaign (/campaign?id=…): one piece, everything known about it, and its relatives."""

import streamlit as st

from competiscan.workbench import NotFoundError
from competiscan.ui import campaign
from competiscan.ui.resources import open_workbench
from competiscan.ui.urlstate import read_params
from competiscan.ui.widgets import user_errors

wb = open_workbench()
campaign_id, problem = campaign.parse_id(read_params())

if campaign_id is None:
    st.title("Campaign")
    if problem:
        st.error(problem)
    st.info("Open a campaign from Search, Home or Live; its page address carries its id "
            "(/campaign?id=123).")
    st.page_link("views/search.py", label="Search campaigns", icon=":material/search:")
    st.stop()

try:
    detail = wb.campaigns.detail(campaign_id)
except NotFoundError:
    st.title("Campaign not found")
    st.error(f"There is no campaign {campaign_id}. It may have been removed by undoing its "
             "upload, or the link is mistyped.")
    st.page_link("views/search.py", label="Search campaigns", icon=":material/search:")
    st.stop()

row, sightings = detail.row, detail.sightings
campaign.show_header(row, len(sightings))
main, side = st.columns([3, 2], gap="large")
with main:
    campaign.show_offers(row)
    campaign.show_enrichment(row)
    with st.expander("Every stored field"):
        campaign.show_fields(row)
with side:
    with user_errors(stop=False):
        campaign.show_sightings(sightings)
        campaign.show_variants(detail.variants)
    with user_errors(stop=False):
        campaign.show_similar(campaign.similar(wb, row), campaign_id)
