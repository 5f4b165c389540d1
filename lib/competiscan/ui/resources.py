"""Cached, shared resources for the pages: one Workbench per server process."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from ..settings import Settings, load_settings
from ..store import StoreError
from ..workbench import Workbench

__all__ = ["get_settings", "get_workbench", "open_workbench", "SAMPLE_FILE",
           "load_sample_on_first_start"]

log = logging.getLogger(__name__)

SAMPLE_FILE = "sample_campaigns.csv"


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Opening the campaign store…")
def get_workbench() -> Workbench:
    """The app's Workbench; on a first start with an empty store it loads the sample file."""
    workbench = Workbench(get_settings())
    load_sample_on_first_start(workbench)
    return workbench


def load_sample_on_first_start(workbench: Workbench) -> str | None:
    """Load data/sample_campaigns.csv when the store has never received an upload.

    Once any batch exists (even one undone later) this never runs again: an analyst who removed
    the sample does not get it back.
    """
    if workbench.store.batches(limit=1):
        return None
    path: Path = workbench.settings.data_dir / SAMPLE_FILE
    if not path.is_file():
        return None
    report = workbench.ingest_bytes(path.read_bytes(), path.name, source="sample")
    log.info("loaded sample data: %s inserted", report.inserted)
    return report.status


def open_workbench() -> Workbench:
    """The Workbench for a page; a store that cannot be opened (locked by another process,
    server unreachable) ends the page with a message instead of a traceback."""
    try:
        return get_workbench()
    except StoreError as exc:
        st.error(f"The campaign store cannot be opened: {exc}", icon=":material/error:")
        st.stop()
