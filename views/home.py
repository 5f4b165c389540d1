"""Home: what is in the store, the newest pieces, saved-search alerts, and the way in."""

import streamlit as st

from competiscan.ui import data
from competiscan.ui.labels import md_escape
from competiscan.ui.resources import current_actor, open_workbench
from competiscan.ui.search import saved_search_params
from competiscan.ui.widgets import campaign_link, campaign_table, user_errors

st.title("Competiscan")
st.caption("Competitors' marketing, searchable and comparable.")

links = st.columns(5)
for col, (page, label, icon, what) in zip(links, [
        ("views/search.py", "Search", ":material/search:", "Find pieces and offers"),
        ("views/trends.py", "Trends", ":material/trending_up:", "Volume, share of voice"),
        ("views/competitors.py", "Competitors", ":material/groups:", "Profiles, comparisons"),
        ("views/upload.py", "Upload", ":material/upload_file:", "Add campaign files"),
        ("views/live.py", "Live", ":material/sensors:", "What is arriving now")]):
    with col.container(border=True):
        st.page_link(page, label=label, icon=icon)
        st.caption(what)

# Opened after the header so the first paint does not wait for the store.
wb = open_workbench()
actor = current_actor()
with user_errors():
    summary = data.summary(wb)
if not summary["campaigns"]:
    st.info("The store is empty. Upload campaign files (CSV, JSON, JSON Lines, XLSX or "
            "Parquet) on the Upload page, or drop them into the inbox folder shown on Live.")
    st.stop()

cols = st.columns(4)
cols[0].metric("Campaigns", f"{summary['campaigns']:,}")
cols[1].metric("Companies", f"{summary['companies']:,}")
cols[2].metric("Channels", f"{summary['channels']:,}")
cols[3].metric("Industries", f"{summary['industries']:,}")
st.write(f"Seen in market from **{summary['first_date']}** to **{summary['last_date']}**.")
last = summary["last_upload"]
if last:
    st.write(f"Last upload: **{md_escape(last['filename'])}** at "
             f"{last['created_at']:%Y-%m-%d %H:%M} UTC — {last['inserted']:,} new, "
             f"{last['resighted']:,} re-sighted, {last['rejected']:,} rejected.")
if summary["pending_index"]:
    st.warning(f"{summary['pending_index']:,} campaigns are stored but not yet searchable; "
               "they are indexed on the next upload or with `competiscan reindex`.")

newest, side = st.columns([3, 2], gap="large")
with newest:
    st.subheader("Newest pieces")
    campaign_table(data.newest(wb, 10), key="home_newest")
with side:
    st.subheader("Saved-search alerts")
    with user_errors(stop=False):
        matches = data.pending_alerts(wb, actor)
        saved = wb.searches.saved(actor)
        if not saved:
            st.caption("No saved search yet. Run a search and choose “Save this search”: new "
                       "matching pieces will be reported here and on Live.")
        elif not matches:
            st.caption(f"No new match for your {len(saved)} saved search"
                       f"{'es' if len(saved) != 1 else ''} since they were last checked on Live.")
        by_id = {search.id: search for search in saved}
        # the alert check is cached: a search deleted since then has nothing to link to
        for match in (m for m in matches if m.search_id in by_id):
            with st.container(border=True):
                params = saved_search_params(by_id[match.search_id])
                st.page_link("views/search.py", query_params=params, icon=":material/bookmark:",
                             label=f"{md_escape(match.name)} — {match.total_new:,} new")
                for hit in match.hits[:3]:
                    campaign_link(hit.id, f"{hit.title or '(untitled)'} — {hit.company}")
