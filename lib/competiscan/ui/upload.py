"""The Upload page's parts: file preview, column mapping, import with progress, reports, history.

Files are read once for the preview (kept in session_state by upload id); the import hands the
bytes and the analyst's mapping to ``Workbench.ingest_bytes``, which checks and writes
all-or-nothing and indexes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from ..workbench import (FORMATS, MAPPABLE_FIELDS, FilePreview, IngestReport, StoreError,
                         Workbench, to_csv_bytes)
from .data import data_changed
from .labels import field_label, md_escape
from .resources import current_actor
from .widgets import user_errors

__all__ = ["Preview", "ACCEPTED_TYPES", "file_size", "previews", "mapping_editor",
           "mapping_problems", "import_files", "show_report", "show_history", "IGNORE"]

ACCEPTED_TYPES: list[str] = sorted(ext.lstrip(".") for ext in FORMATS)
IGNORE = "ignore"
# Headers of the rejected rows and warnings of a report (the data keeps the report's names).
_ISSUE_COLUMNS = {"kind": "Issue", "row": "Row", "column": "Column", "value": "Value",
                  "reason": "Reason"}


@dataclass
class Preview:
    """A file the analyst dropped: its bytes (kept for the import) and what the Workbench read
    of it for the preview."""

    file_id: str
    data: bytes = field(repr=False)
    read: FilePreview = field(default_factory=lambda: FilePreview(name="", size=0))

    @property
    def name(self) -> str:
        return self.read.name

    @property
    def size(self) -> int:
        return self.read.size

    @property
    def columns(self) -> list[str]:
        return self.read.columns

    @property
    def head(self) -> pd.DataFrame:
        return self.read.head

    @property
    def rows(self) -> int:
        return self.read.rows

    @property
    def detected(self) -> dict[str, str]:
        return self.read.detected

    @property
    def error(self) -> str | None:
        return self.read.error


def file_size(size: int) -> str:
    """Bytes as people read them: 254 bytes, 12 KB, 3.4 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024**2:
        return f"{size / 1024:,.0f} KB"
    return f"{size / 1024**2:,.1f} MB"


def _read_preview(workbench: Workbench, uploaded: Any) -> Preview:
    data = uploaded.getvalue()
    return Preview(file_id=uploaded.file_id, data=data,
                   read=workbench.campaigns.preview(data, uploaded.name))


def previews(workbench: Workbench, uploaded_files: list[Any]) -> list[Preview]:
    """One preview per uploaded file, read once per upload and kept for this session."""
    cache: dict[str, Preview] = st.session_state.setdefault("upload_previews", {})
    current = {f.file_id for f in uploaded_files}
    for stale in set(cache) - current:
        del cache[stale]
    for uploaded in uploaded_files:
        if uploaded.file_id not in cache:
            cache[uploaded.file_id] = _read_preview(workbench, uploaded)
    return [cache[f.file_id] for f in uploaded_files]


def _field_option(value: str) -> str:
    return "— ignore this column —" if value == IGNORE else f"{field_label(value)} ({value})"


def mapping_editor(preview: Preview) -> dict[str, str]:
    """One selectbox per column (labelled with the column's name), seeded with the detected
    field; returns {column: field} without the ignored columns."""
    options = [IGNORE, *MAPPABLE_FIELDS]
    mapping: dict[str, str] = {}
    grid = st.columns(3)
    for i, column in enumerate(preview.columns):
        sample = next((str(v) for v in preview.head[column] if v not in (None, "")), "")
        detected = preview.detected.get(column, IGNORE)
        with grid[i % 3]:
            chosen = st.selectbox(
                column, options, index=options.index(detected), format_func=_field_option,
                key=f"map:{preview.file_id}:{i}",
                help=f"First value: {sample[:120]}" if sample else "No value in the first rows")
        if chosen != IGNORE:
            mapping[column] = chosen
    return mapping


def mapping_problems(mapping: dict[str, str]) -> list[str]:
    """What stops a mapping from being imported, in the analyst's words."""
    problems = []
    fields = list(mapping.values())
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        problems.append("Each field can take one column; mapped twice: "
                        + ", ".join(field_label(f) for f in twice) + ".")
    if "company" not in fields:
        problems.append("Map a column to Company.")
    if "title" not in fields and "content" not in fields:
        problems.append("Map a column to Title or Content (some text is required).")
    return problems


def import_files(workbench: Workbench, jobs: list[tuple[Preview, dict[str, str]]]
                 ) -> list[IngestReport]:
    """Import each file with its mapping, showing progress; the store's caches are refreshed."""
    reports = []
    bar = st.progress(0.0, text="Starting the import…")
    for n, (preview, mapping) in enumerate(jobs):
        bar.progress(n / len(jobs), text=f"Importing {preview.name} ({n + 1} of {len(jobs)}): "
                                         "checking, enriching, storing and indexing…")
        try:
            reports.append(workbench.campaigns.ingest(current_actor(), preview.data,
                                                      preview.name, source="upload",
                                                      mapping=mapping))
        except StoreError as exc:  # e.g. the store is locked: the file is refused, not lost
            reports.append(IngestReport(filename=preview.name, status="refused",
                                        message=str(exc)))
    bar.progress(1.0, text="Import finished.")
    data_changed()
    return reports


def show_report(report: IngestReport, key: str) -> None:
    """Counts, the message and every rejected row (downloadable) of one imported file."""
    with st.container(border=True):
        if report.status == "committed":
            st.success(f"**{md_escape(report.filename)}** imported as upload "
                       f"{report.batch_id}.", icon=":material/check_circle:")
        else:
            st.error(f"**{md_escape(report.filename)}** was not imported: "
                     f"{md_escape(report.message)}", icon=":material/block:")
        if report.status == "committed" and report.message:
            st.warning(md_escape(report.message))
        cols = st.columns(5)
        cols[0].metric("Rows read", f"{report.rows_read:,}")
        cols[1].metric("New campaigns", f"{report.inserted:,}")
        cols[2].metric("Re-sighted", f"{report.resighted:,}",
                       help="Pieces already in the store, seen again: their last-seen date moved.")
        cols[3].metric("Duplicates in file", f"{report.duplicates:,}",
                       help="Rows repeating another row of the file (same piece, same date).")
        cols[4].metric("Rejected rows", f"{report.rejected_count:,}")
        issues = report.issues_frame()
        if not issues.empty:
            label = report.row_label
            st.caption(f"Rejected rows and warnings ({label} numbers as in your file). Fix the "
                       "rejected rows and upload the file again: rows already imported are "
                       "recognised and only re-sighted.")
            st.dataframe(issues.rename(columns={"row": label}), hide_index=True, height=240,
                         placeholder="—", key=f"issues:{key}",
                         column_config={**_ISSUE_COLUMNS, label: label.capitalize()})
            st.download_button("Download the rejected rows and warnings (CSV)",
                               to_csv_bytes(issues),
                               file_name=f"{report.filename}.issues.csv", mime="text/csv",
                               icon=":material/download:", on_click="ignore",
                               key=f"issues_csv:{key}")
        if report.mapping:
            st.caption("Columns used: " + ", ".join(
                f"{md_escape(column)} → {field_label(fld)}"
                for column, fld in report.mapping.items()))


def _undo_confirmation(workbench: Workbench, batch: dict[str, Any]) -> None:
    batch_id = int(batch["id"])
    if st.session_state.get("undo_pending") != batch_id:
        if st.button("Undo this upload…", key=f"undo_ask:{batch_id}", icon=":material/undo:"):
            st.session_state["undo_pending"] = batch_id
            st.rerun()
        return
    st.warning(f"Undo upload {batch_id} (**{md_escape(batch['filename'])}**)? The "
               f"{batch['inserted']:,} campaigns it added are removed, unless another upload "
               "also saw them; its sightings go and first/last-seen dates are recomputed. "
               "This cannot be reversed (upload the file again to restore it).")
    yes, no = st.columns(2)
    if yes.button("Yes, undo it", type="primary", key=f"undo_yes:{batch_id}"):
        with user_errors():
            result = workbench.campaigns.undo(current_actor(), batch_id)
        st.session_state.pop("undo_pending", None)
        data_changed()
        st.session_state["upload_flash"] = (
            f"Upload {batch_id} undone: {result.deleted:,} campaign"
            f"{'s' if result.deleted != 1 else ''} removed."
            + (f" The search index could not be updated ({result.error}); run "
               "`competiscan reindex`." if result.error else ""))
        st.rerun()
    if no.button("Cancel", key=f"undo_no:{batch_id}"):
        st.session_state.pop("undo_pending", None)
        st.rerun()


def show_history(workbench: Workbench) -> None:
    """Past uploads; pick one to see its stored report or undo it after a confirmation."""
    flash = st.session_state.pop("upload_flash", None)
    if flash:
        st.success(flash, icon=":material/undo:")
    batches = workbench.campaigns.batches(limit=200)
    if not batches:
        st.info("No uploads yet. Drop a file above, or put one in the inbox folder (see Live).")
        return
    frame = pd.DataFrame(batches)
    st.dataframe(frame, hide_index=True, height=min(38 + 35 * len(frame), 320), placeholder="—",
                 column_config={
                     "id": "Upload", "created_at": st.column_config.DatetimeColumn(
                         "When (UTC)", format="YYYY-MM-DD HH:mm"), "uploaded_by": "By",
                     "source": "Source", "filename": "File", "file_format": "Format",
                     "rows_read": "Rows", "inserted": "New", "resighted": "Re-sighted",
                     "duplicates": "Duplicates", "rejected": "Rejected", "status": "Status",
                     "undone_at": st.column_config.DatetimeColumn("Undone at (UTC)",
                                                                  format="YYYY-MM-DD HH:mm")},
                 key="history_table")
    by_id = {int(b["id"]): b for b in batches}
    chosen = st.selectbox("Upload", list(by_id), key="history_batch",
                          format_func=lambda i: f"{i} — {by_id[i]['filename']} "
                                                f"({by_id[i]['status']})")
    with user_errors(stop=False):
        detail = workbench.campaigns.batch(chosen)
        stored = detail.get("report") or {}
        rejected = pd.DataFrame(stored.get("rejected_rows") or [])
        total = stored.get("rejected_total", len(rejected))
        if not rejected.empty:
            st.caption(f"{total:,} rejected rows" + (
                f" (the first {len(rejected):,} are kept)" if total > len(rejected) else ""))
            st.dataframe(rejected, hide_index=True, height=200, key="history_rejected",
                         placeholder="—", column_config=_ISSUE_COLUMNS)
            st.download_button("Download its rejected rows (CSV)", to_csv_bytes(rejected),
                               file_name=f"upload-{chosen}-rejected.csv", mime="text/csv",
                               icon=":material/download:", on_click="ignore",
                               key="history_rejected_csv")
        actor = current_actor()
        own = detail.get("uploaded_by") == actor.name
        if detail["status"] == "committed" and (actor.may("undo") or
                                                 (own and actor.may("undo_own"))):
            _undo_confirmation(workbench, detail)
        elif detail["status"] == "committed":
            st.caption("Only an admin, or the analyst who uploaded it, can undo this upload.")
        else:
            st.caption(f"Undone at {detail['undone_at']:%Y-%m-%d %H:%M} UTC.")
