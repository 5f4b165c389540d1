"""Model enrichment from the app: start a background job and watch its progress."""

from __future__ import annotations

import streamlit as st

from ..workbench import Workbench
from .data import data_changed
from .labels import md_escape
from .resources import current_actor

__all__ = ["enrichment_panel"]


@st.fragment(run_every=2)
def _job_progress(workbench: Workbench) -> None:
    """Polled every 2 s while shown; the job runs in a server thread, not in this session."""
    job = workbench.enrichment.latest_job()
    if job is None:
        st.caption("No model enrichment has run yet.")
        return
    done, total = int(job["done"] or 0), int(job["total"] or 0)
    if job["status"] == "running":
        st.progress(done / total if total else 0.0,
                    text=f"Enriching with the model: {done:,} of {total:,} campaigns")
        return
    if st.session_state.get("enrich_job_seen") != job["id"]:
        st.session_state["enrich_job_seen"] = job["id"]
        data_changed()  # the job rewrote enrichment columns: cached reads are stale
    text = md_escape(job["message"] or "")
    if job["status"] == "failed":
        st.error(f"The last model enrichment failed: {text}", icon=":material/error:")
    elif job["status"] == "stopped":
        st.warning(text, icon=":material/pause_circle:")
    else:
        st.success(text, icon=":material/check_circle:")
    if job.get("finished_at"):
        st.caption(f"Finished {job['finished_at']:%Y-%m-%d %H:%M} UTC.")


def enrichment_panel(workbench: Workbench) -> None:
    """Every campaign is enriched locally as it is stored; this adds the model's pass."""
    settings = workbench.settings
    if not workbench.enrichment.model_available:
        st.info("Every campaign is enriched by local rules as it is stored (offer terms, "
                "sentiment, campaign type, keywords). Set OPENAI_API_KEY (and optionally "
                "OPENAI_BASE_URL) to add a language model's pass with one-line summaries.",
                icon=":material/info:")
        return
    where = settings.openai_base_url or "OpenAI"
    st.caption(f"Model: {md_escape(settings.openai_model)} at {md_escape(where)}. Answers are "
               "cached by text, model and prompt version: the same text is never sent twice, "
               "and items the model gets wrong keep their local result.")
    job = workbench.enrichment.latest_job()
    running = job is not None and job["status"] == "running"
    allowed = current_actor().may("enrich")
    if not allowed:
        st.caption("Running the model needs the analyst role.")
    if st.button("Enrich new campaigns with the model", disabled=running or not allowed,
                 key="enrich_openai", icon=":material/auto_awesome:"):
        workbench.enrichment.start_job(current_actor(), provider="openai")
        data_changed()
    _job_progress(workbench)
