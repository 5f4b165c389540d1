"""The Live page's polling: what the inbox workers did, and the saved searches' new matches.

The page never works the inbox: every app process runs a worker (ui/resources.py) and
``competiscan watch`` may run beside them. Each of them leaves a report per file in ``done/``
or ``refused/``, and that, with the upload history in the store, is what this page reads, so
it shows the work of every worker, whichever process did it. One poll = one rerun of the page
(streamlit-autorefresh triggers them); :func:`poll` is the whole of a tick, so tests can call
it or rerun the page instead of waiting for a timer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import streamlit as st

from ..workbench import AlertMatch, InboxResult, Workbench
from .data import alerts_changed, data_changed
from .resources import current_actor

__all__ = ["Poll", "utcnow", "poll", "record", "describe", "refused_files", "waiting_files",
           "importing_files", "inbox_batches", "LOG_SIZE"]

LOG_SIZE = 50


def utcnow() -> datetime:
    """Naive UTC, the way the store writes ingested_at."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class Poll:
    """What one poll found: files the inbox workers handled since this session last looked,
    and saved searches with new matches."""

    at: datetime
    handled: list[InboxResult] = field(default_factory=list)
    alerts: list[AlertMatch] = field(default_factory=list)
    busy: bool = False   # another session was checking alerts; this one skipped them


@st.cache_resource(show_spinner=False)
def _alert_lock(user: str) -> threading.Lock:
    """One lock per user and server: two of a user's sessions checking at once must not report
    an alert twice; other users' checks go on."""
    return threading.Lock()


def poll(workbench: Workbench, seen: set[str], since: datetime) -> Poll:
    """The files handled after ``since`` that are not in ``seen`` (which is updated), then
    the saved searches' new matches (marking them seen, so each is reported once)."""
    result = Poll(at=utcnow())
    recent = workbench.inbox.handled(limit=LOG_SIZE)
    result.handled = [r for r in reversed(recent)   # oldest first, as they happened
                      if r.moved_to not in seen and r.handled_at and r.handled_at >= since]
    seen.clear()
    seen.update(r.moved_to for r in recent)   # older ones never come back into the window
    if any(r.status == "committed" for r in result.handled):
        data_changed()   # another process's worker may have imported it
    actor = current_actor()
    lock = _alert_lock(actor.name)
    if not lock.acquire(blocking=False):
        result.busy = True
        return result
    try:
        result.alerts = workbench.searches.check_alerts(actor)
    finally:
        lock.release()
    if result.alerts:
        alerts_changed()   # Home must not show them as new any more
    return result


def describe(result: InboxResult) -> str:
    """What happened to a file, in a few words."""
    if result.status == "committed":
        return (f"{result.inserted:,} new, {result.resighted:,} re-sighted, "
                f"{result.rejected:,} rejected (upload {result.batch_id})")
    if result.status == "already_imported":
        return f"already imported (upload {result.batch_id}); nothing added"
    return result.message


def record(log: list[dict[str, Any]], found: Poll) -> None:
    """Add what a poll found to this session's log (newest first, bounded)."""
    for r in found.handled:
        log.insert(0, {"at": r.handled_at or found.at, "what": "file", "name": r.filename,
                       "status": r.status, "detail": describe(r)})
    for m in found.alerts:
        log.insert(0, {"at": found.at, "what": "alert", "name": m.name, "status": "new",
                       "detail": f"{m.total_new:,} new matching campaign"
                                 f"{'s' if m.total_new != 1 else ''}",
                       "search_id": m.search_id, "hits": [(h.id, h.title, h.company)
                                                          for h in m.hits[:5]]})
    del log[LOG_SIZE:]


def waiting_files(workbench: Workbench) -> list[str]:
    """Files in the inbox no worker has taken yet (still being written, or just arrived)."""
    return [p.name for p in workbench.inbox.pending(settle_seconds=0)]


def importing_files(workbench: Workbench) -> list[str]:
    """Files a worker is importing right now."""
    return workbench.inbox.in_progress()


def refused_files(workbench: Workbench, limit: int = 20) -> pd.DataFrame:
    """Refused files kept in inbox/refused, newest first, with the reason from their report."""
    rows = [{"file": r.filename, "refused_at": r.handled_at, "reason": r.message}
            for r in workbench.inbox.refused(limit)]
    return pd.DataFrame(rows, columns=["file", "refused_at", "reason"])


def inbox_batches(workbench: Workbench, limit: int = 20) -> pd.DataFrame:
    """Files the inbox ingested (from the upload history), newest first."""
    rows = workbench.campaigns.batches(limit=limit, source="inbox")
    columns = ["id", "created_at", "filename", "rows_read", "inserted", "resighted",
               "rejected", "status"]
    return pd.DataFrame(rows, columns=columns)
