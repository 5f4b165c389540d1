"""Cached, shared resources for the pages: one Workbench per server process."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from ..model import Actor
from ..settings import Settings, load_settings
from ..workbench import INBOX_WORKER, InboxResult, StoreError, Workbench
from . import auth
from .data import data_changed

__all__ = ["get_settings", "get_workbench", "open_workbench", "current_actor", "LOCAL_ACTOR",
           "load_sample_on_first_start"]

log = logging.getLogger(__name__)

#: Who acts in local mode (no [auth] section in the secrets): the one local user, the person at
#: the machine, allowed everything.
LOCAL_ACTOR = Actor(name="local user", role="admin")


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Opening the campaign store…")
def get_workbench() -> Workbench:
    """The app's Workbench; on a first start with an empty store it loads the sample file.
    It starts this server process's inbox worker, once (closing the Workbench stops it)."""
    workbench = Workbench(get_settings(), create=True)
    load_sample_on_first_start(workbench)
    # Work left pending by a process that stopped, or an index of an older layout after an
    # upgrade (rebuilt from the store): the index is level with the store before any page.
    workbench.index.sync()
    workbench.inbox.start_worker(INBOX_WORKER, on_pass=_inbox_worked)
    return workbench


def _inbox_worked(results: list[InboxResult]) -> None:
    """After the worker imported something, cached reads must not hide it."""
    if any(result.status == "committed" for result in results):
        data_changed()


def load_sample_on_first_start(workbench: Workbench) -> str | None:
    """Load data/sample_campaigns.csv when the store has never received an upload.

    Once any batch exists (even one undone later) this never runs again: an analyst who removed
    the sample does not get it back.
    """
    if workbench.campaigns.has_uploads():
        return None
    path: Path = workbench.sample_file()
    if not path.is_file():
        return None
    report = workbench.campaigns.ingest(LOCAL_ACTOR, path.read_bytes(), path.name,
                                        source="sample")
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


def current_actor() -> Actor:
    """Who is using this page: with sign-in configured, the signed-in user with the role the
    settings give their email (PermissionDenied if nobody is signed in); in local mode, the
    one local user."""
    if not auth.sign_in_configured():
        return LOCAL_ACTOR
    return auth.signed_in_actor(get_settings())
