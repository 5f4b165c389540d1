"""Sign-in and roles in a real browser, through a real OpenID Connect exchange with a local
provider (oidc-provider-mock): a visitor sees only the sign-in screen; signing in shows who is
signed in with the role the settings give them; signing out leads back to the sign-in screen.
Then the roles as the app enforces them: a viewer sees no upload and no undo, and the library
refuses them both; two users each receive their own alert for the same new piece; the Audit
page lists an admin's undo under the admin's name.

One provider, one app and one chromium for the module; each sign-in is a new browser context.
The store is a PostgreSQL database of the module's own, so this process (seeding through the
library, checking what the app did) and the app's server both open it while the server runs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from competiscan.model import Actor, PermissionDenied
from competiscan.settings import load_settings
from competiscan.workbench import SearchRequest, Workbench

from actors import TESTER
from browser_helpers import BrowserThread, app_env, chromium_missing, screenshot, wait_idle
from oidc_helpers import oidc_provider, signed_in_app
from test_pages_support import csv_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The server tests/conftest.py uses; this module makes (and drops) a database of its own there.
PG_SERVER = os.environ.get("COMPETISCAN_TEST_PG_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

ADMIN = "boss@example.com"
ANALYSTS = "@analysts.example"
ANALYST = Actor("ana@analysts.example", "analyst")
SEEDED = [{"company_name": "Barclays", "title": "View Card balance transfer", "channel": "email",
           "launch_date": "2024-06-03", "content": "Pay 0% APR for 15 months."}]


def _piece(title: str, content: str) -> list[dict[str, str]]:
    return [{"company_name": "Capital One", "title": title, "channel": "email",
             "launch_date": "2024-07-01", "content": content}]


def _missing() -> str | None:
    reason = chromium_missing()
    if reason is None and importlib.util.find_spec("oidc_provider_mock") is None:
        reason = "the oidc-provider-mock package is not installed (requirements-dev.txt)"
    return reason


def _cannot_run(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests are required under CI: {reason}")
    pytest.skip(reason)


@contextmanager
def _pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; yields its URL."""
    name = f"competiscan_sign_in_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as exc:
            _cannot_run(f"PostgreSQL unavailable: {str(exc.orig).strip().splitlines()[0]}")
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sign-in")


@pytest.fixture(scope="module")
def app_environ(folder) -> Iterator[dict[str, str]]:
    """The app's environment: a PostgreSQL database, index and inbox of its own, and roles."""
    reason = _missing()
    if reason:
        _cannot_run(reason)
    with _pg_database() as url:
        env = app_env(folder / "unused.duckdb", folder / "index", folder / "inbox")
        env.update(COMPETISCAN_DATABASE_URL=url, COMPETISCAN_ADMINS=ADMIN,
                   COMPETISCAN_ANALYSTS=ANALYSTS)
        yield env


@pytest.fixture(scope="module")
def wb(app_environ) -> Iterator[Workbench]:
    """The library on the app's store: seeds data and checks what the app did."""
    workbench = Workbench(load_settings(environ=app_environ), create=True)
    # A store with an upload: the app's first start then skips loading the sample file.
    workbench.campaigns.ingest(TESTER, csv_of(SEEDED), "seeded.csv")
    yield workbench
    workbench.close()


@pytest.fixture(scope="module")
def server(folder, app_environ, wb) -> Iterator[str]:
    with oidc_provider(folder) as provider, \
            signed_in_app(app_environ, folder, provider) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server) -> Iterator[BrowserThread]:
    chromium = BrowserThread()
    yield chromium
    chromium.close()


def _sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def _sign_in(page, base: str, email: str) -> None:
    """From the sign-in screen through the provider's authorize page, as ``email``."""
    page.goto(base)
    page.get_by_role("button", name="Sign in").click()
    page.locator('input[name="sub"]').fill(email)  # the provider's form: its email is the sub
    page.get_by_role("button", name="Authorize").click()
    _sidebar(page).get_by_text("Signed in as").wait_for()


def _open(page, base: str, path: str, heading: str) -> None:
    """Go to a page of the signed-in session (the identity cookie comes along) and wait until
    its title is shown."""
    page.goto(f"{base}/{path}")
    page.get_by_role("heading", name=heading).wait_for()


def _history_batch(page):
    """The Upload page's "Upload" selectbox, which picks a batch of the upload history."""
    return page.get_by_role("combobox", name="Upload", exact=True)


def _pick_upload(page, batch_id: int, filename: str) -> None:
    """Choose one batch in the Upload page's history."""
    _history_batch(page).click()
    page.get_by_role("option", name=f"{batch_id} — {filename} (committed)").click()
    expect(_history_batch(page)).to_have_value(f"{batch_id} — {filename} (committed)")


def _table(page, column: str):
    """The st.dataframe with a column headed ``column``."""
    return page.locator('[data-testid="stDataFrame"]').filter(
        has=page.locator('[role="columnheader"]', has_text=re.compile(rf"^{re.escape(column)}$")))


def _rows(page, column: str, having: str) -> list[dict[str, str]]:
    """The shown rows of that table as {column header: cell text}, read from the grid's
    accessible table (the grid itself is drawn on a canvas), once a row shows ``having``."""
    table = _table(page, column)
    table.locator('[role="row"]').filter(has_text=having).first.wait_for(state="attached")
    headers = table.locator('[role="columnheader"]').all_inner_texts()
    return [dict(zip(headers, cells)) for row in table.locator('[role="row"]').all()
            if (cells := row.locator('[role="gridcell"]').all_inner_texts())]


# ------------------------------------------------------------------------------ sign-in
def test_a_visitor_sees_only_the_sign_in_screen(server, browser):
    def steps(page):
        page.goto(f"{server}/search?q=apr")
        page.get_by_role("button", name="Sign in").wait_for()
        expect(page.get_by_text("Competitors' marketing, searchable and comparable.")
               ).to_be_visible()
        wait_idle(page)
        # no page ran and there is no navigation: no search box, no sidebar
        expect(page.get_by_label("Search campaigns")).to_have_count(0)
        expect(_sidebar(page)).to_have_count(0)
        expect(page.get_by_text("Local mode")).to_have_count(0)
        screenshot(page, "sign-in-screen")
    browser.run(steps)


@pytest.mark.parametrize("email, role", [(ADMIN, "admin"), ("ana@analysts.example", "analyst"),
                                         ("visitor@elsewhere.test", "viewer")])
def test_the_sidebar_shows_who_signed_in_and_their_role(server, browser, email, role):
    def steps(page):
        _sign_in(page, server, email)
        expect(_sidebar(page).get_by_text("Signed in as")).to_have_text(
            f"Signed in as {email} ({role})")
        expect(_sidebar(page).get_by_role("button", name="Sign out")).to_be_visible()
        page.get_by_text("Newest pieces").wait_for()  # the home page ran for them
        expect(page.get_by_text("Local mode")).to_have_count(0)
        if role == "admin":
            wait_idle(page)
            screenshot(page, "signed-in")
    browser.run(steps)


def test_sign_out_leads_back_to_the_sign_in_screen(server, browser):
    def steps(page):
        _sign_in(page, server, ADMIN)
        _sidebar(page).get_by_role("button", name="Sign out").click()
        # Streamlit ends the provider's session too (its end-session page), then comes back
        page.get_by_role("button", name="End session").click()
        page.get_by_role("button", name="Sign in").wait_for()
        page.goto(f"{server}/upload")  # the cookie is gone: no page without signing in again
        page.get_by_role("button", name="Sign in").wait_for()
        expect(page.get_by_text("Signed in as")).to_have_count(0)
    browser.run(steps)


# ------------------------------------------------------------------------------ roles
def test_a_viewer_sees_no_upload_or_undo_and_the_library_refuses_them(server, browser, wb):
    viewer = Actor("vera@elsewhere.test", "viewer")   # on neither role list
    kept = wb.campaigns.ingest(ANALYST, csv_of(_piece("Quicksilver kept", "1.5% cash back")),
                               "kept.csv").batch_id

    def steps(page):
        _sign_in(page, server, viewer.name)
        expect(_sidebar(page).get_by_text("Signed in as")).to_have_text(
            f"Signed in as {viewer.name} (viewer)")
        # the pages a viewer may open are there; the Admin section is not
        expect(_sidebar(page).get_by_role("link", name="Upload")).to_be_visible()
        expect(_sidebar(page).get_by_role("link", name="Audit")).to_have_count(0)
        expect(_sidebar(page).get_by_text("Admin", exact=True)).to_have_count(0)

        _open(page, server, "upload", "Upload campaigns")
        page.get_by_text("Uploading needs the analyst role; you are signed in as a viewer"
                         ).wait_for()
        _pick_upload(page, kept, "kept.csv")
        page.get_by_text("Only an admin, or the analyst who uploaded it, can undo this upload."
                         ).wait_for()
        assert {"Upload": str(kept), "By": ANALYST.name, "File": "kept.csv"}.items() <= next(
            row for row in _rows(page, "By", "kept.csv") if row["Upload"] == str(kept)).items()
        expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
        expect(page.get_by_role("button", name="Undo this upload…")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile(r"^Import"))).to_have_count(0)
        screenshot(page, "upload-as-viewer")

        # The Audit page is not among a viewer's pages; its link says whose page it is.
        page.goto(f"{server}/audit")
        page.get_by_text("The audit trail is for admins; you are signed in as a viewer.").wait_for()
        expect(_table(page, "Action")).to_have_count(0)
    browser.run(steps)

    # The library refuses them whatever a page shows, and records the refusals.
    with pytest.raises(PermissionDenied, match="analyst role"):
        wb.campaigns.ingest(viewer, csv_of(_piece("Viewer's own", "2% cash back")), "mine.csv")
    with pytest.raises(PermissionDenied):
        wb.campaigns.undo(viewer, kept)
    assert wb.campaigns.batch(kept)["status"] == "committed"
    admin = Actor(ADMIN, "admin")
    refused = {(entry.action, entry.result)
               for entry in wb.audit.entries(admin, user=viewer.name)}
    assert {("upload", "refused"), ("undo", "refused")} <= refused


def test_two_users_each_receive_their_alert_for_the_same_new_piece(server, browser, wb):
    first = Actor("alba@analysts.example", "analyst")
    second = Actor("bruno@elsewhere.test", "viewer")
    name = "Zephyr cash back"
    # the analyst's search, shared: both see it; then a piece it matches arrives
    wb.searches.save(ANALYST, name, SearchRequest(query="zephyr"), shared=True)
    wb.campaigns.ingest(ANALYST, csv_of(_piece("Zephyr Rewards card", "5% cash back, zephyr")),
                        "zephyr.csv")
    alert = f"{name} — 1 new"

    def first_user(page):
        _sign_in(page, server, first.name)
        page.get_by_text("Saved-search alerts").wait_for()
        page.get_by_role("link", name=alert).wait_for()
        expect(page.get_by_role("link", name="Zephyr Rewards card — Capital One")).to_be_visible()
        # Live reports it (shown once its check has marked it seen for this user only)
        _open(page, server, "live", "Live")
        page.get_by_text(f"{name} — 1 new matching campaign").wait_for()
    browser.run(first_user)

    assert wb.searches.pending_alerts(first) == []
    waiting = wb.searches.pending_alerts(second)
    assert [(match.name, match.total_new) for match in waiting] == [(name, 1)]

    def second_user(page):
        _sign_in(page, server, second.name)
        page.get_by_text("Saved-search alerts").wait_for()
        page.get_by_role("link", name=alert).wait_for()
        expect(page.get_by_role("link", name="Zephyr Rewards card — Capital One")).to_be_visible()
        screenshot(page, "alert-for-a-second-user")
    browser.run(second_user)


def test_the_audit_page_lists_an_admins_undo_under_their_name(server, browser, wb):
    admin = Actor(ADMIN, "admin")
    batch = wb.campaigns.ingest(ANALYST, csv_of(_piece("Venture undone", "75,000 miles")),
                                "undone.csv").batch_id

    def steps(page):
        _sign_in(page, server, admin.name)
        _open(page, server, "upload", "Upload campaigns")
        _pick_upload(page, batch, "undone.csv")
        page.get_by_role("button", name="Undo this upload…").click()
        page.get_by_role("button", name="Yes, undo it").click()
        page.get_by_text(f"Upload {batch} undone: 1 campaign removed.").wait_for()

        _sidebar(page).get_by_role("link", name="Audit").click()  # the Admin section
        page.get_by_role("heading", name="Audit trail").wait_for()
        page.get_by_text(re.compile(r"entries, newest first")).wait_for()
        undos = [(row["User"], row["Role"], row["On"], row["Result"])
                 for row in _rows(page, "Action", "undone.csv") if row["Action"] == "undo"]
        # newest first: the admin's undo heads the list
        assert undos[:1] == [(admin.name, "admin", f"upload {batch} (undone.csv)", "ok")]
        screenshot(page, "audit-undo")
    browser.run(steps)

    entries = wb.audit.entries(admin, action="undo", user=admin.name)
    assert [(e.user, e.role, e.target, e.result) for e in entries] == [
        (admin.name, "admin", f"upload {batch} (undone.csv)", "ok")]
    assert entries[0].detail["uploaded_by"] == ANALYST.name
    assert wb.campaigns.batch(batch)["status"] == "undone"

