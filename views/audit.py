"""Audit (admins): who did what and when — sign-ins, uploads, undos, enrichment runs, saved
searches, exports — filtered by user, action and dates, downloadable."""

import streamlit as st

from competiscan.ui import audit
from competiscan.ui.resources import current_actor, open_workbench
from competiscan.ui.state import AuditState
from competiscan.ui.urlstate import read_params, seed_widgets, show_share_link, write_params
from competiscan.ui.widgets import show_problems, user_errors
from competiscan.workbench import AUDIT_ACTIONS

wb = open_workbench()
actor = current_actor()
st.title("Audit trail")
if not actor.may("audit"):
    st.info(f"The audit trail is for admins; you are signed in as a {actor.role}.",
            icon=":material/lock:")
    st.stop()

url_state = AuditState.from_params(read_params(), AUDIT_ACTIONS)
seed_widgets("audit", audit.widget_values(url_state))
with user_errors():
    audit.filters(wb, actor, url_state)
state = audit.state_from_widgets()
write_params("audit", state.to_params())
show_problems(url_state.problems)
with user_errors():
    audit.show_trail(wb, actor, state)
show_share_link("audit", state.to_params())
