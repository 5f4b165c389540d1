"""Live: what the inbox workers imported and refused, files waiting, and saved-search alerts,
since the page opened. The page reads; the workers (one per app process, and `competiscan
watch`) do the importing."""

import streamlit as st
from streamlit_autorefresh import st_autorefresh

from competiscan.ui import live
from competiscan.ui.labels import md_escape
from competiscan.ui.resources import current_actor, open_workbench
from competiscan.ui.state import LIVE_INTERVALS, LiveState
from competiscan.ui.urlstate import read_params, seed_widgets, write_params
from competiscan.ui.widgets import campaign_link, campaign_table, show_problems, user_errors

wb = open_workbench()
url_state = LiveState.from_params(read_params())
seed_widgets("live", {"live_every": url_state.every, "live_paused": url_state.paused})
# "Since the page opened" is per session: a new visitor starts a fresh view.
opened_at = st.session_state.setdefault("live_opened_at", live.utcnow())
log = st.session_state.setdefault("live_log", [])
seen_files = st.session_state.setdefault("live_seen_files", set())

st.title("Live")
controls = st.columns([2, 2, 3], vertical_alignment="bottom")
controls[0].selectbox("Check every", LIVE_INTERVALS, key="live_every",
                      format_func=lambda s: f"{s} seconds")
controls[1].toggle("Pause", key="live_paused")
if controls[2].button("Clear the list", icon=":material/clear_all:",
                      help="Start counting arrivals from now"):
    st.session_state["live_opened_at"] = opened_at = live.utcnow()
    log.clear()
state = LiveState(every=st.session_state["live_every"], paused=st.session_state["live_paused"])
write_params("live", state.to_params())
show_problems(url_state.problems)

if state.paused:
    st.caption("Paused: nothing is checked until you switch Pause off.")
else:
    st_autorefresh(interval=state.every * 1000, key="live_tick")

with user_errors():
    found = live.poll(wb, seen_files, since=opened_at)
live.record(log, found)
TOAST = {"committed": ("imported", ":material/move_to_inbox:"),
         "already_imported": ("already imported", ":material/content_copy:")}
for result in found.handled:
    said, icon = TOAST.get(result.status, ("refused", ":material/block:"))
    st.toast(f"{md_escape(result.filename)}: {said}", icon=icon)
for match in found.alerts:
    st.toast(f"Saved search “{md_escape(match.name)}”: {match.total_new:,} new",
             icon=":material/notifications:", duration="long")

st.caption(f"Checked at {found.at:%H:%M:%S} UTC"
           + (" (another window was checking alerts at the same moment)" if found.busy
              else "")
           + f" · showing what arrived since {opened_at:%Y-%m-%d %H:%M:%S} UTC.")

arrived, side = st.columns([3, 2], gap="large")
with arrived:
    st.subheader("Arrived since you opened this page")
    with user_errors(stop=False):
        fresh = wb.campaigns.newest(limit=200, since=opened_at)
        if fresh.empty:
            st.info("Nothing new yet. Upload files or drop them into the inbox folder: they "
                    "appear here within one check.")
        else:
            st.caption(f"{len(fresh):,} campaign{'s' if len(fresh) != 1 else ''}"
                       + (" (the newest 200)" if len(fresh) == 200 else ""))
            campaign_table(fresh, key="live_fresh")

with side:
    st.subheader("Alerts")
    alert_events = [e for e in log if e["what"] == "alert"]
    if not alert_events:
        st.caption("No new match of a saved search in this session. Save a search on the "
                   "Search page to be alerted here.")
    for event in alert_events:
        with st.container(border=True):
            st.markdown(f":material/notifications: **{md_escape(event['name'])}** — "
                        f"{md_escape(event['detail'])} · {event['at']:%H:%M:%S} UTC")
            for hit_id, title, company in event["hits"]:
                campaign_link(hit_id, f"{title or '(untitled)'} — {company}")

    st.subheader("Inbox")
    st.caption("Files dropped into the inbox folder are imported once, in the background, and "
               "moved to done/ (or refused/, with a report saying why).")
    if current_actor().may("audit"):   # a server path is for admins only
        st.code(str(wb.inbox.folder), language=None)
    importing = live.importing_files(wb)
    if importing:
        st.caption("Being imported: " + ", ".join(md_escape(w) for w in importing))
    waiting = live.waiting_files(wb)
    if waiting:
        st.caption("Waiting to be taken: " + ", ".join(md_escape(w) for w in waiting))
    files = [e for e in log if e["what"] == "file"]
    for event in files:
        icon = {"committed": ":material/check_circle:",
                "already_imported": ":material/content_copy:"}.get(event["status"],
                                                                   ":material/block:")
        st.markdown(f"{icon} **{md_escape(event['name'])}** — {md_escape(event['detail'])} · "
                    f"{event['at']:%H:%M:%S} UTC")
    with st.expander("Imported from the inbox"):
        batches = live.inbox_batches(wb)
        if batches.empty:
            st.caption("Nothing yet.")
        else:
            st.dataframe(batches, hide_index=True, key="live_batches", placeholder="—")
    refused = live.refused_files(wb)
    if not refused.empty:
        with st.expander(f"Refused files ({len(refused)})"):
            st.dataframe(refused, hide_index=True, key="live_refused", placeholder="—")
