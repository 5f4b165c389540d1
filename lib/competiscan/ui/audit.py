"""The Audit page's parts: filters bound to the URL state and the trail as a table."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import streamlit as st

from ..model import Actor
from ..workbench import AUDIT_ACTIONS, Audit, Workbench
from .state import AuditState
from .widgets import download_csv

__all__ = ["widget_values", "state_from_widgets", "filters", "show_trail"]


def widget_values(state: AuditState) -> dict[str, Any]:
    return {"a_user": state.user or None, "a_action": state.action or None,
            "a_from": state.date_from, "a_to": state.date_to}


def state_from_widgets() -> AuditState:
    ss = st.session_state
    start, end = ss["a_from"], ss["a_to"]
    if start and end and start > end:
        start, end = end, start
    return AuditState(user=ss["a_user"] or "", action=ss["a_action"] or "", date_from=start,
                      date_to=end)


def filters(workbench: Workbench, actor: Actor, state: AuditState) -> None:
    users = sorted(set(workbench.audit.users(actor)) | ({state.user} - {""}))
    left, mid, start, end = st.columns([3, 3, 2, 2])
    left.selectbox("User", users, key="a_user", index=None, placeholder="Anyone")
    mid.selectbox("Action", AUDIT_ACTIONS, key="a_action", index=None, placeholder="Any action")
    start.date_input("From", value=None, key="a_from", format="YYYY-MM-DD")
    end.date_input("To", value=None, key="a_to", format="YYYY-MM-DD")


def show_trail(workbench: Workbench, actor: Actor, state: AuditState) -> None:
    since = datetime.combine(state.date_from, time()) if state.date_from else None
    until = (datetime.combine(state.date_to, time()) + timedelta(days=1)
             if state.date_to else None)
    entries = workbench.audit.entries(actor, user=state.user or None,
                                      action=state.action or None, since=since, until=until)
    if not entries:
        st.info("Nothing recorded for these filters.")
        return
    frame = Audit.frame(entries)
    st.caption(f"{len(frame):,} entries, newest first (times in UTC).")
    st.dataframe(frame, hide_index=True, key="audit_table", placeholder="—", column_config={
        "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
        "user": "User", "role": "Role", "action": "Action", "target": "On",
        "result": "Result", "detail": st.column_config.TextColumn("Detail", width="large")})
    download_csv(frame, "competiscan-audit.csv", key="audit_csv")
