"""Live page: each poll shows what the inbox worker did and reports saved-search matches (with
a toast); the page lists what arrived since it was opened. AppTest never ticks the autorefresh
timer, so a rerun stands for one poll; nor does it wait for the worker's timer, so a test runs
the worker's pass itself (:func:`_work_inbox`). More in test_inbox_worker.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

from competiscan.workbench import INBOX_WORKER, SearchRequest, Workbench

from actors import TESTER
from competiscan.ui.resources import LOCAL_ACTOR

from test_pages_support import app_env, csv_of, dataframes, open_page, texts  # noqa: F401


def _drop(inbox: Path, name: str, data: bytes) -> Path:
    """Put a file in the inbox as a finished write (older than the inbox's settle time)."""
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(data)
    old = time.time() - 10
    os.utime(path, (old, old))
    return path


def _work_inbox(workbench: Workbench) -> None:
    """One pass of the inbox worker, now. The app's own worker (a thread polling every few
    seconds) is stopped first, so that the test decides when files are taken."""
    workbench.inbox.close()
    workbench.inbox.scan(INBOX_WORKER)


def test_a_file_dropped_in_the_inbox_appears_on_the_next_poll(app_env):
    inbox = app_env.settings.inbox
    at = open_page("live")
    assert any("Nothing new yet" in t for t in texts(at.info))
    assert str(inbox) in [c.value for c in at.code]
    _drop(inbox, "drop.csv", csv_of([{"company_name": "Ally", "title": "Ally high-yield savings",
                                      "content": "Earn 4.20% APY", "launch_date": "2024-06-10"}]))
    _work_inbox(app_env)
    at.run()
    fresh = next(f for f in dataframes(at) if "title" in f.columns)
    assert list(fresh["title"]) == ["Ally high-yield savings"]
    assert (inbox / "done" / "drop.csv").exists() and not (inbox / "drop.csv").exists()
    assert any("drop\\.csv" in t and "1 new" in t for t in texts(at.markdown))
    assert any("drop" in t.value for t in at.toast)


def test_a_saved_search_match_is_toasted_once(app_env):
    app_env.searches.save(LOCAL_ACTOR, "APY offers", SearchRequest(query="APY"))
    at = open_page("live")
    assert not at.toast
    _drop(app_env.settings.inbox, "apy.csv", csv_of([{
        "company_name": "Marcus", "title": "Marcus savings", "launch_date": "2024-06-11",
        "content": "Online savings with 4.40% APY"}]))
    _work_inbox(app_env)
    at.run()
    toasts = [t.value for t in at.toast]
    assert any("APY offers" in t and "1 new" in t for t in toasts)
    assert any(p.proto.label.startswith("Marcus savings") for p in at.get("page_link"))
    at.run()
    assert not any("APY offers" in t.value for t in at.toast)  # reported once


def test_a_refused_file_is_listed_with_its_reason(app_env):
    at = open_page("live")
    _drop(app_env.settings.inbox, "bad.csv", b"colour,size\nred,big\n")
    _work_inbox(app_env)
    at.run()
    refused = next(f for f in dataframes(at) if "reason" in f.columns)
    assert list(refused["file"]) == ["bad.csv"] and "company" in refused["reason"][0]
    assert any("bad\\.csv" in t and ":material/block:" in t for t in texts(at.markdown))


def test_interval_and_pause_come_from_the_url(app_env):
    at = open_page("live", {"every": "30", "paused": "1"})
    assert at.selectbox(key="live_every").value == 30
    assert at.toggle(key="live_paused").value is True
    assert any("Paused" in t for t in texts(at.caption))
    at.toggle(key="live_paused").set_value(False).run()
    assert dict(at.query_params) == {"every": "30"}
