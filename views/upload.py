"""Upload: drop files, check the column mapping, import, read the report, undo an upload."""

import streamlit as st

from competiscan.ui import upload
from competiscan.ui.enrichment import enrichment_panel
from competiscan.ui.labels import md_escape
from competiscan.ui.resources import current_actor, open_workbench

wb = open_workbench()
actor = current_actor()

st.title("Upload campaigns")
st.caption("CSV (any delimiter and encoding), JSON, JSON Lines, Excel (.xlsx) or Parquet. "
           "Required: a company column and some text (title or content); everything else is "
           "optional. A piece seen again in another file is stored once and re-sighted; the "
           "same file imported twice is recognised and adds nothing.")

if actor.may("upload"):
    # A new key after each import empties the drop zone, so the same files are not imported
    # twice.
    generation = st.session_state.setdefault("upload_generation", 0)
    files = st.file_uploader("Drop one or more files", type=upload.ACCEPTED_TYPES,
                             accept_multiple_files=True, key=f"upload_files:{generation}")

    jobs = []
    for preview in upload.previews(wb, files or []):
        with st.expander(f"{preview.name} — {upload.file_size(preview.size)}", expanded=True):
            if preview.error:
                st.error(f"This file cannot be read: {md_escape(preview.error)}",
                         icon=":material/block:")
                continue
            st.caption(f"{preview.rows:,} rows, {len(preview.columns)} columns. First rows:")
            # an empty cell of the file stays empty
            st.dataframe(preview.head, hide_index=True, key=f"head:{preview.file_id}",
                         placeholder="")
            st.markdown("**Column mapping** — detected from the headers; correct any that are "
                        "wrong, or ignore a column.")
            mapping = upload.mapping_editor(preview)
            problems = upload.mapping_problems(mapping)
            for problem in problems:
                st.error(problem)
            if not problems:
                jobs.append((preview, mapping))

    if files:
        # The button says what it will do; with nothing importable it says why not.
        label = (f"Import {len(jobs)} file{'s' if len(jobs) != 1 else ''}" if jobs else
                 "Nothing to import yet")
        if not jobs:
            st.caption("Fix the problems shown above (or remove the files that cannot be "
                       "read) to import.")
        if st.button(label, type="primary", disabled=not jobs, key="upload_import",
                     icon=":material/upload:"):
            st.session_state["upload_reports"] = upload.import_files(wb, jobs)
            st.session_state["upload_generation"] = generation + 1
            st.rerun()
    elif not st.session_state.get("upload_reports"):
        st.info("Drag files onto the box above (or click Upload to pick them). You will see a "
                "preview and the detected column mapping before anything is imported.")
else:
    st.info(f"Uploading needs the analyst role; you are signed in as a {actor.role}. Ask an "
            "admin to give you the analyst role, or send the files to an analyst.",
            icon=":material/lock:")

for n, report in enumerate(st.session_state.get("upload_reports", [])):
    upload.show_report(report, key=str(n))

st.header("Upload history")
upload.show_history(wb)

st.header("Enrichment")
enrichment_panel(wb)
