"""The inbox worker: each file dropped into the inbox becomes exactly one batch, across threads,
processes and crashes; a file that cannot be processed is refused with its reason and never
blocks the files behind it; symbolic links are left alone.

The last two tests run real processes on one PostgreSQL store: two `streamlit run app.py`
servers (each starts its worker) plus `competiscan watch`, and a worker killed with SIGKILL
between its commit and its move.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from competiscan.settings import load_settings
from competiscan.workbench import INBOX_WORKER, Inbox, InboxError, Workbench
from competiscan.workbench.inbox import MAX_ATTEMPTS

from actors import TESTER
from browser_helpers import BrowserThread, ROOT, chromium_missing, streamlit_server
from test_pages_support import app_env, dataframes, open_page, texts  # noqa: F401

# A sign-in configuration that is never contacted (AppTest sets the signed-in user itself).
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test",
        "client_id": "competiscan", "client_secret": "test",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POISON = b"[" * 10_000 + b"]" * 10_000     # JSON nested far deeper than the reader follows


def campaign_csv(n: int, rows: int = 3) -> bytes:
    """A small file whose pieces belong to it alone (``n`` makes them distinct)."""
    lines = ["company_name,title,channel,launch_date,content"]
    lines += [f'Chase,Offer {n}-{r},email,2024-0{1 + r % 9}-1{r % 10},'
              f'"Earn {n}% cash back, file {n} piece {r}"' for r in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def drop(inbox: Path, name: str, data: bytes, age: float = 10.0) -> Path:
    """Put a file into the inbox whole: written under a partial name, renamed in; ``age``
    seconds old, so that it is past the settle time."""
    inbox.mkdir(parents=True, exist_ok=True)
    partial = inbox / f".{hashlib.sha256(name.encode()).hexdigest()[:12]}.part"
    partial.write_bytes(data)
    then = time.time() - age
    os.utime(partial, (then, then))
    os.replace(partial, inbox / name)
    return inbox / name


def kept(folder: Path) -> list[str]:
    """The files kept in done/ or refused/ (not their reports)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".report.json"))


def claims(inbox: Path) -> list[str]:
    processing = inbox / "processing"
    return sorted(p.name for p in processing.iterdir() if p.is_dir()) if processing.is_dir() \
        else []


def waiting(inbox: Path) -> list[str]:
    return sorted(p.name for p in inbox.iterdir() if p.is_file()) if inbox.is_dir() else []


def report(inbox: Path, where: str) -> dict:
    return json.loads((inbox / f"{where}.report.json").read_text(encoding="utf-8"))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def wb(settings):
    workbench = Workbench(settings, create=True)
    yield workbench
    workbench.close()


# ------------------------------------------------------------------ one process
def test_a_file_becomes_one_batch_and_the_same_bytes_again_are_already_imported(wb):
    inbox = wb.inbox.folder
    drop(inbox, "a.csv", campaign_csv(1))
    [first] = wb.inbox.scan(INBOX_WORKER)
    assert (first.status, first.inserted, first.moved_to) == ("committed", 3, "done/a.csv")

    drop(inbox, "copy of a.csv", campaign_csv(1))
    drop(inbox, "a.csv", campaign_csv(1), age=5)     # the same name again, later
    again = wb.inbox.scan(INBOX_WORKER)
    assert [(r.status, r.batch_id) for r in again] == [("already_imported", first.batch_id)] * 2
    done = kept(inbox / "done")
    assert "a.csv" in done and "copy of a.csv" in done and len(done) == 3   # nothing overwritten
    assert any(re.fullmatch(r"a-\d{8}-\d{6}-[0-9a-f]{6}\.csv", name) for name in done)
    assert report(inbox, "done/copy of a.csv")["outcome"] == "already_imported"

    # reported, not re-sighted: one batch, and each piece seen once
    assert [b["id"] for b in wb.campaigns.batches(source="inbox")] == [first.batch_id]
    assert wb.campaigns.batch_of_file(sha(campaign_csv(1)))["id"] == first.batch_id
    for campaign_id in wb.campaigns.newest(limit=10)["id"]:
        assert len(wb.campaigns.detail(int(campaign_id)).sightings) == 1
    assert [r.status for r in wb.inbox.handled()] == ["already_imported"] * 2 + ["committed"]
    assert waiting(inbox) == [] and claims(inbox) == []


def test_files_that_cannot_be_processed_are_refused_and_never_block_the_rest(settings):
    wb = Workbench(replace(settings, inbox_max_mb=0.05), create=True)   # 52 KB
    inbox = wb.inbox.folder
    long_name = "campaigns exported from the collection tool " * 5 + ".csv"
    drop(inbox, "deep.json", POISON, age=60)                   # the oldest: taken first
    drop(inbox, "huge.csv", campaign_csv(2, rows=2_000), age=50)
    drop(inbox, long_name, campaign_csv(3), age=40)
    drop(inbox, "binary.csv", bytes(range(256)) * 8, age=30)
    drop(inbox, "colours.csv", b"colour,size\nred,big\n", age=20)
    drop(inbox, "good.csv", campaign_csv(4), age=10)
    try:
        results = {r.filename: r for r in wb.inbox.scan(INBOX_WORKER)}
    finally:
        wb.close()
    assert results["good.csv"].status == "committed"
    assert {name for name, r in results.items() if r.status == "refused"} == \
        {"deep.json", "huge.csv", long_name, "binary.csv", "colours.csv"}
    assert "nested too deep" in results["deep.json"].message
    assert "more than the inbox takes" in results["huge.csv"].message
    assert "name is" in results[long_name].message
    assert "not a text file" in results["binary.csv"].message
    assert "company" in results["colours.csv"].message

    # every refused file is kept with its reason; the long name is shortened to have a report
    shortened = results[long_name].moved_to.removeprefix("refused/")
    assert len(shortened.encode()) < len(long_name.encode()) and shortened.endswith(".csv")
    assert report(inbox, f"refused/{shortened}")["file"] == long_name
    assert len(kept(inbox / "refused")) == 5 and kept(inbox / "done") == ["good.csv"]
    assert "nested too deep" in report(inbox, "refused/deep.json")["message"]
    assert waiting(inbox) == [] and claims(inbox) == []
    assert str(inbox) not in json.dumps([r.message for r in results.values()])


def test_symbolic_links_and_folders_are_left_alone(wb, tmp_path):
    inbox = wb.inbox.folder
    inbox.mkdir(parents=True)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(campaign_csv(5))
    (inbox / "link.csv").symlink_to(outside)
    (inbox / "linked folder").symlink_to(tmp_path)
    (inbox / "a folder.csv").mkdir()
    (inbox / "half.csv.part").write_bytes(campaign_csv(6))
    (inbox / ".hidden.csv").write_bytes(campaign_csv(7))
    assert wb.inbox.scan(INBOX_WORKER, settle_seconds=0) == []
    assert (inbox / "link.csv").is_symlink() and outside.read_bytes() == campaign_csv(5)
    assert not wb.campaigns.batches(source="inbox")

    (inbox / "done").rmdir()
    (inbox / "done").symlink_to(tmp_path)        # a move would land outside the inbox
    with pytest.raises(InboxError, match="done/"):
        wb.inbox.scan(INBOX_WORKER)


def test_two_workers_racing_make_one_batch_per_distinct_file(wb):
    inbox = wb.inbox.folder
    contents = {f"file{n}.csv": campaign_csv(10 + n) for n in range(8)}
    contents.update({f"copy{n}.csv": campaign_csv(10 + n) for n in range(0, 8, 2)})
    for name, data in contents.items():
        drop(inbox, name, data)
    workers = [Inbox(wb.settings, wb.campaigns, wb.audit) for _ in range(2)]
    barrier = threading.Barrier(len(workers))

    def work(worker: Inbox) -> list:
        barrier.wait()
        return worker.scan(INBOX_WORKER, settle_seconds=0)

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            results = [r for found in pool.map(work, workers) for r in found]
    finally:
        for worker in workers:
            worker.close()
    assert sorted(r.filename for r in results) == sorted(contents)     # each file once
    distinct = {sha(data) for data in contents.values()}
    batches = wb.campaigns.batches(source="inbox")
    assert len(batches) == len(distinct) == 8
    assert {wb.campaigns.batch_of_file(d)["id"] for d in distinct} == {b["id"] for b in batches}
    assert sum(b["resighted"] for b in batches) == 0
    assert sorted(r.status for r in results).count("already_imported") == 4
    assert kept(inbox / "done") == sorted(contents) and claims(inbox) == []


def test_a_dead_workers_claims_are_taken_over_and_a_live_ones_are_not(wb):
    """Claims are folders processing/<worker>~<attempt>~<nonce>/<name>; a worker is alive
    while it holds the flock on processing/<worker>.lock."""
    inbox = wb.inbox.folder
    processing = inbox / "processing"
    processing.mkdir(parents=True)
    drop(inbox, "committed.csv", campaign_csv(20))
    [done_before] = wb.inbox.scan(INBOX_WORKER)

    def claim(owner: str, attempt: int, name: str, data: bytes) -> None:
        folder = processing / f"{owner}~{attempt}~0123abcd"
        folder.mkdir()
        (folder / name).write_bytes(data)

    (processing / "deadhost-11-aaaa.lock").touch()                    # nobody holds it
    claim("deadhost-11-aaaa", 1, "committed again.csv", campaign_csv(20))   # its batch is in
    claim("deadhost-12-bbbb", 1, "never committed.csv", campaign_csv(21))   # no lock file at all
    claim("deadhost-11-aaaa", MAX_ATTEMPTS, "crashes.csv", campaign_csv(22))
    live = os.open(processing / "livehost-13-cccc.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(live, fcntl.LOCK_EX)
    claim("livehost-13-cccc", 1, "in progress.csv", campaign_csv(23))
    try:
        results = {r.filename: r for r in wb.inbox.scan(INBOX_WORKER)}
        assert set(results) == {"committed again.csv", "never committed.csv", "crashes.csv"}
        assert (results["committed again.csv"].status, results["committed again.csv"].batch_id) \
            == ("already_imported", done_before.batch_id)
        assert results["never committed.csv"].status == "committed"
        assert results["crashes.csv"].status == "refused"
        assert f"stopped {MAX_ATTEMPTS} times" in results["crashes.csv"].message
        assert claims(inbox) == ["livehost-13-cccc~1~0123abcd"]
        assert not (processing / "deadhost-11-aaaa.lock").exists()    # cleared with its claims
    finally:
        os.close(live)                                                # the live worker dies
    [taken] = wb.inbox.scan(INBOX_WORKER)
    assert (taken.filename, taken.status) == ("in progress.csv", "committed")
    assert claims(inbox) == [] and len(wb.campaigns.batches(source="inbox")) == 3


def test_a_store_that_does_not_answer_leaves_the_file_claimed_for_the_next_pass(wb,
                                                                                monkeypatch):
    inbox = wb.inbox.folder
    drop(inbox, "first.csv", campaign_csv(30), age=20)
    drop(inbox, "second.csv", campaign_csv(31), age=10)

    def down(*_args, **_kwargs):
        raise ConnectionError("connection refused")

    monkeypatch.setattr(wb.campaigns, "ingest", down)
    monkeypatch.setattr(wb.campaigns, "batch_of_file", down)
    [paused] = wb.inbox.scan(INBOX_WORKER)
    assert (paused.filename, paused.status) == ("first.csv", "retry")
    assert len(claims(inbox)) == 1 and waiting(inbox) == ["second.csv"]   # the pass stopped
    assert kept(inbox / "refused") == []
    monkeypatch.undo()
    assert [(r.filename, r.status) for r in wb.inbox.scan(INBOX_WORKER)] == \
        [("first.csv", "committed"), ("second.csv", "committed")]
    assert claims(inbox) == []


def test_the_background_worker_starts_once_and_stops_with_the_workbench(settings):
    wb = Workbench(replace(settings, inbox_poll_seconds=0.2), create=True)
    passes: list = []
    try:
        wb.inbox.start_worker(INBOX_WORKER, on_pass=passes.extend)
        wb.inbox.start_worker(INBOX_WORKER, on_pass=passes.extend)
        threads = [t for t in threading.enumerate() if t.name == "competiscan-inbox-worker"]
        assert len(threads) == 1
        drop(wb.inbox.folder, "bg.csv", campaign_csv(40))
        deadline = time.monotonic() + 30
        while not passes and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [(r.filename, r.status) for r in passes] == [("bg.csv", "committed")]
    finally:
        wb.close()
    assert not threads[0].is_alive()
    assert not any((wb.inbox.folder / "processing").glob("*.lock"))


# ------------------------------------------------------------------ the Live page
@pytest.fixture
def app_wb(app_env):
    """The app's Workbench with its background worker stopped: the test works the inbox
    itself when it chooses (AppTest cannot wait for the worker's timer)."""
    app_env.inbox.close()
    return app_env


def test_live_shows_what_the_worker_did_and_never_imports_itself(app_wb):
    inbox = app_wb.inbox.folder
    at = open_page("live")
    drop(inbox, "drop.csv", campaign_csv(80))
    at.run()
    assert any("Waiting to be taken: drop\\.csv" in t for t in texts(at.caption))
    assert not app_wb.campaigns.batches(source="inbox")          # the page read, nothing more
    app_wb.inbox.scan(INBOX_WORKER)                               # the worker's pass
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    fresh = next(f for f in dataframes(at) if "title" in f.columns)
    assert sorted(fresh["title"]) == ["Offer 80-0", "Offer 80-1", "Offer 80-2"]
    assert any("drop\\.csv" in t and "3 new" in t for t in texts(at.markdown))
    assert [t.value for t in at.toast] == ["drop\\.csv: imported"]
    imported = next(f for f in dataframes(at) if "rows_read" in f.columns)
    assert list(imported["filename"]) == ["drop.csv"]
    at.run()
    assert not at.toast                                           # reported once


def test_live_lists_refused_files_with_their_reason(app_wb):
    drop(app_wb.inbox.folder, "bad.csv", b"colour,size\nred,big\n", age=20)
    drop(app_wb.inbox.folder, "deep.json", POISON, age=10)
    app_wb.inbox.scan(INBOX_WORKER)
    at = open_page("live")
    refused = next(f for f in dataframes(at) if "reason" in f.columns)
    assert list(refused["file"]) == ["deep.json", "bad.csv"]
    assert "nested too deep" in refused["reason"][0] and "company" in refused["reason"][1]


def test_live_shows_the_inbox_folder_to_admins_only(app_wb):
    folder = str(app_wb.inbox.folder)
    assert folder in [c.value for c in open_page("live").code]   # local mode: an admin
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "visitor@elsewhere.test", "sub": "visitor"}
    at.run()
    at.switch_page("views/live.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Signed in as visitor@elsewhere.test (viewer)" in t for t in texts(at.sidebar.text))
    shown = texts(at.code) + texts(at.markdown) + texts(at.caption) + texts(at.info)
    assert shown and not any(folder in t for t in shown)


# ------------------------------------------------------------------ the command
def cli_env(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPETISCAN_", "OPENAI_"))}
    env.update(COMPETISCAN_DATABASE_URL=database_url, COMPETISCAN_SEARCH_URL=str(folder / "index"),
               COMPETISCAN_INBOX=str(folder / "inbox"), **extra)
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "competiscan.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_watch_once_works_the_inbox_once_and_says_what_it_did(tmp_path):
    env = cli_env(f"duckdb:///{tmp_path / 'store.duckdb'}", tmp_path)
    inbox = tmp_path / "inbox"
    empty = cli(env, "watch", "--once")
    assert empty.returncode == 0 and "nothing waiting" in empty.stderr
    drop(inbox, "a.csv", campaign_csv(50), age=20)
    drop(inbox, "bad.json", POISON, age=10)
    proc = cli(env, "watch", "--once")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert re.match(r"a\.csv: imported as upload \d+: 3 new, 0 re-sighted, 0 rejected -> "
                    r"done/a\.csv$", lines[0])
    assert lines[1].startswith("bad.json: refused: it is nested too deep")
    drop(inbox, "b.csv", campaign_csv(50))
    as_json = cli(env, "watch", "--once", "--json")
    [result] = json.loads(as_json.stdout)
    assert (result["filename"], result["status"], result["moved_to"]) == \
        ("b.csv", "already_imported", "done/b.csv")


def test_watch_runs_until_sigterm_and_finishes_cleanly(tmp_path):
    env = cli_env(f"duckdb:///{tmp_path / 'store.duckdb'}", tmp_path,
                  COMPETISCAN_INBOX_POLL_SECONDS="0.2")
    inbox = tmp_path / "inbox"
    watcher = subprocess.Popen([sys.executable, "-m", "competiscan.cli", "watch", "--json"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        drop(inbox, "a.csv", campaign_csv(60))
        wait_for(lambda: kept(inbox / "done") == ["a.csv"], 60, watcher)
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert json.loads(out.splitlines()[0])["status"] == "committed"
    assert not list((inbox / "processing").iterdir())     # its lock file went with it


def wait_for(condition, timeout: float, *processes: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"{process.args} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s")
        time.sleep(0.1)


# ------------------------------------------------------------------ processes on PostgreSQL
@pytest.fixture
def pg_url(pg_database_url):
    from conftest import _reset_pg
    _reset_pg(pg_database_url)
    return pg_database_url


def test_a_worker_killed_between_commit_and_move_leaves_no_second_batch(pg_url, tmp_path):
    env = cli_env(pg_url, tmp_path)
    inbox = tmp_path / "inbox"
    drop(inbox, "a.csv", campaign_csv(70))
    crashed = subprocess.run([sys.executable, str(ROOT / "tests" / "inbox_crash_worker.py")],
                             env=env, capture_output=True, text=True, timeout=120)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    wb = Workbench(load_settings(environ=env))
    try:
        [batch] = wb.campaigns.batches(source="inbox")          # it committed ...
        assert [c.split("~")[1] for c in claims(inbox)] == ["1"]   # ... and never moved the file
        assert waiting(inbox) == [] and kept(inbox / "done") == []

        restarted = cli(env, "watch", "--once", "--json")
        assert restarted.returncode == 0, restarted.stderr
        [result] = json.loads(restarted.stdout)
        assert (result["filename"], result["status"], result["batch_id"]) == \
            ("a.csv", "already_imported", batch["id"])
        assert [b["id"] for b in wb.campaigns.batches(source="inbox")] == [batch["id"]]
        assert kept(inbox / "done") == ["a.csv"]
        assert report(inbox, "done/a.csv")["attempt"] == 2
        assert not list((inbox / "processing").iterdir())       # claim and dead lock cleared
        assert wb.campaigns.count() == 3
    finally:
        wb.close()


@pytest.mark.slow
@pytest.mark.browser
def test_two_app_servers_and_a_watcher_import_each_distinct_file_once(pg_url, tmp_path):
    reason = chromium_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"this test needs a browser to open the app servers: {reason}")
        pytest.skip(reason)
    env = cli_env(pg_url, tmp_path, COMPETISCAN_INBOX_POLL_SECONDS="0.5")
    inbox = tmp_path / "inbox"
    seed = Workbench(load_settings(environ=env), create=True)
    seed.campaigns.ingest(TESTER, campaign_csv(0), "seed.csv")   # no sample load on start
    seed.close()

    # 20 files: 14 distinct, 5 byte-identical copies of some of them, 1 poison
    files = {f"distinct-{n:02d}.csv": campaign_csv(100 + n) for n in range(14)}
    files.update({f"copy-{n}.csv": campaign_csv(100 + n) for n in range(5)})
    files["poison.json"] = POISON

    with streamlit_server(env) as (first, _p1), streamlit_server(env) as (second, _p2):
        # A first page view starts that server's worker. Chromium runs in a thread of its own:
        # test_browser.py may hold this thread's Playwright for the whole session.
        browser = BrowserThread()
        try:
            for base in (first, second):
                browser.run(lambda page, base=base: (
                    page.goto(f"{base}/live?paused=1"),
                    page.get_by_text("Arrived since you opened this page").wait_for(
                        timeout=60_000)))
        finally:
            browser.close()
        watcher = subprocess.Popen([sys.executable, "-m", "competiscan.cli", "watch"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            time.sleep(1)
            for name, data in files.items():
                drop(inbox, name, data, age=0)
            wait_for(lambda: len(kept(inbox / "done")) + len(kept(inbox / "refused")) == 20
                     and not claims(inbox), 180, watcher, _p1, _p2)
        finally:
            watcher.send_signal(signal.SIGTERM)
            _out, err = watcher.communicate(timeout=60)
        assert watcher.returncode == 0, err

    wb = Workbench(load_settings(environ=env))
    try:
        distinct = {sha(data) for name, data in files.items() if name != "poison.json"}
        batches = wb.campaigns.batches(source="inbox")
        assert len(batches) == len(distinct) == 14                       # one per content
        assert {wb.campaigns.batch_of_file(d)["id"] for d in distinct} == \
            {b["id"] for b in batches}
        assert sum(b["inserted"] for b in batches) == 14 * 3
        assert sum(b["resighted"] for b in batches) == 0                 # no re-sighting
        assert wb.campaigns.count() == 15 * 3
    finally:
        wb.close()
    reports = {name: report(inbox, f"done/{name}") for name in kept(inbox / "done")}
    assert sorted(reports) == sorted(n for n in files if n != "poison.json")
    by_content: dict[str, list[str]] = {}
    for name, body in reports.items():
        by_content.setdefault(body["sha256"], []).append(body["outcome"])
    assert all(sorted(outcomes) == ["already_imported"] * (len(outcomes) - 1) + ["committed"]
               for outcomes in by_content.values())
    assert kept(inbox / "refused") == ["poison.json"]
    assert "nested too deep" in report(inbox, "refused/poison.json")["message"]
    # the three workers raced for the files (each polls every 0.5 s; a file takes longer)
    assert len({body["worker"] for body in reports.values()}) >= 2
    assert waiting(inbox) == [] and claims(inbox) == []

    # the servers are gone; a last pass clears the locks they left and finds nothing to do
    last = cli(env, "watch", "--once")
    assert last.returncode == 0 and "nothing waiting" in last.stderr
    assert not list((inbox / "processing").iterdir())
