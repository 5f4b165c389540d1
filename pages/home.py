"""Home: what is in the store, from the store."""

import streamlit as st

from competiscan.ui.resources import get_workbench

wb = get_workbench()
summary = wb.store.summary()

st.title("Competiscan")
st.caption("Competitors' marketing, searchable and comparable.")

if not summary["campaigns"]:
    st.info("The store is empty. Upload campaign files (CSV, JSON, JSON Lines, XLSX or Parquet) "
            "or drop them into the inbox folder to get started.")
    st.stop()

cols = st.columns(4)
cols[0].metric("Campaigns", f"{summary['campaigns']:,}")
cols[1].metric("Companies", f"{summary['companies']:,}")
cols[2].metric("Channels", f"{summary['channels']:,}")
cols[3].metric("Industries", f"{summary['industries']:,}")
st.write(f"Seen in market from **{summary['first_date']}** to **{summary['last_date']}**.")
last = summary["last_upload"]
if last:
    st.write(f"Last upload: **{last['filename']}** at {last['created_at']:%Y-%m-%d %H:%M} UTC — "
             f"{last['inserted']:,} new, {last['resighted']:,} re-sighted, "
             f"{last['rejected']:,} rejected.")
if summary["pending_index"]:
    st.warning(f"{summary['pending_index']:,} campaigns are stored but not yet searchable; "
               "they are indexed on the next upload or with `competiscan reindex`.")

st.subheader("Newest pieces")
st.dataframe(wb.store.newest(limit=10), hide_index=True, width="stretch")
