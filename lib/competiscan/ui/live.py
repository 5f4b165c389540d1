"""The Live page's polling: ingest the inbox, check saved searches, remember what was seen.

One poll = one rerun of the page (streamlit-autorefresh triggers them). :func:`poll` is the
whole side effect of a tick, so tests can call it or rerun the page instead of waiting for a
timer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import streamlit as st

from ..workbench import AlertMatch, InboxResult, Workbench
from .data import data_changed
from .resources import current_actor

__all__ = ["Poll", "utcnow", "poll", "record", "refused_files", "waiting_files",
           "inbox_batches"]

LOG_SIZE = 50


def utcnow() -> datetime:
    """Naive UTC, the way the store writes ingested_at."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class Poll:
    """What one poll found: files taken from the inbox and saved searches with new matches."""

    at: datetime
    ingested: list[InboxResult] = field(default_factory=list)
    alerts: list[AlertMatch] = field(default_factory=list)
    busy: bool = False   # another session was polling; this one skipped the inbox


@st.cache_resource(show_spinner=False)
def _poll_lock() -> threading.Lock:
    """One lock per server: two sessions polling at once must not ingest a file twice or
    report an alert twice."""
    return threading.Lock()


def poll(workbench: Workbench) -> Poll:
    """Ingest what waits in the inbox, then take the saved searches' new matches (marking them
    seen, so each is reported once)."""
    result = Poll(at=utcnow())
    lock = _poll_lock()
    if not lock.acquire(blocking=False):
        result.busy = True
        return result
    try:
        actor = current_actor()
        result.ingested = workbench.inbox.scan(actor)
        if result.ingested:
            data_changed()
        result.alerts = workbench.searches.check_alerts(actor)
    finally:
        lock.release()
    return result


def record(log: list[dict[str, Any]], found: Poll) -> None:
    """Add what a poll found to this session's log (newest first, bounded)."""
    for r in found.ingested:
        log.insert(0, {"at": found.at, "what": "file", "name": r.filename, "status": r.status,
                       "detail": (f"{r.inserted:,} new, {r.resighted:,} re-sighted, "
                                  f"{r.rejected:,} rejected" if r.status == "committed"
                                  else r.message)})
    for m in found.alerts:
        log.insert(0, {"at": found.at, "what": "alert", "name": m.name, "status": "new",
                       "detail": f"{m.total_new:,} new matching campaign"
                                 f"{'s' if m.total_new != 1 else ''}",
                       "search_id": m.search_id, "hits": [(h.id, h.title, h.company)
                                                          for h in m.hits[:5]]})
    del log[LOG_SIZE:]


def waiting_files(workbench: Workbench) -> list[str]:
    """Files in the inbox not taken yet (still being written, or arrived since the poll)."""
    return [p.name for p in workbench.inbox.pending(settle_seconds=0)]


def refused_files(workbench: Workbench, limit: int = 20) -> pd.DataFrame:
    """Refused files kept in inbox/refused, newest first, with the reason from their report."""
    folder = workbench.inbox.folder / "refused"
    rows = []
    if folder.is_dir():
        files = sorted((p for p in folder.iterdir()
                        if p.is_file() and not p.name.endswith(".report.json")),
                       key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
        for path in files:
            report = path.with_name(path.name + ".report.json")
            reason = ""
            if report.is_file():
                try:
                    reason = json.loads(report.read_text(encoding="utf-8")).get("message", "")
                except (OSError, ValueError):
                    reason = "(its report cannot be read)"
            rows.append({"file": path.name, "refused_at": datetime.fromtimestamp(
                path.stat().st_mtime, timezone.utc).replace(tzinfo=None), "reason": reason})
    return pd.DataFrame(rows, columns=["file", "refused_at", "reason"])


def inbox_batches(workbench: Workbench, limit: int = 20) -> pd.DataFrame:
    """Files the inbox ingested (from the upload history), newest first."""
    rows = workbench.campaigns.batches(limit=limit, source="inbox")
    columns = ["id", "created_at", "filename", "rows_read", "inserted", "resighted",
               "rejected", "status"]
    return pd.DataFrame(rows, columns=columns)
