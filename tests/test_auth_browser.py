"""Sign-in in a real browser, through a real OpenID Connect exchange with a local provider
(oidc-provider-mock): a visitor sees only the sign-in screen; signing in shows who is signed in
with the role the settings give them; signing out leads back to the sign-in screen.

One provider, one app and one chromium for the module."""

from __future__ import annotations

import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

from competiscan.settings import load_settings
from competiscan.workbench import Workbench

from actors import TESTER
from browser_helpers import app_env, chromium_missing, launch_chromium, screenshot, wait_idle
from oidc_helpers import oidc_provider, signed_in_app
from test_pages_support import csv_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "boss@example.com"
ANALYSTS = "@analysts.example"
SEEDED = [{"company_name": "Barclays", "title": "View Card balance transfer", "channel": "email",
           "launch_date": "2024-06-03", "content": "Pay 0% APR for 15 months."}]


def _missing() -> str | None:
    reason = chromium_missing()
    if reason is None and importlib.util.find_spec("oidc_provider_mock") is None:
        reason = "the oidc-provider-mock package is not installed (requirements-dev.txt)"
    return reason


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    reason = _missing()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests are required under CI: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("sign-in")
    env = app_env(folder / "store.duckdb", folder / "index", folder / "inbox")
    env.update(COMPETISCAN_ADMINS=ADMIN, COMPETISCAN_ANALYSTS=ANALYSTS)
    # A store with an upload: the app's first start then skips loading the sample file.
    seed = Workbench(load_settings(environ=env), create=True)
    seed.campaigns.ingest(TESTER, csv_of(SEEDED), "seeded.csv")
    seed.close()
    with oidc_provider(folder) as provider, signed_in_app(env, folder, provider) as base:
        yield base


class BrowserThread:
    """Chromium driven from a thread of its own, one new browser context (own cookies, so
    signed out) per call of :meth:`run`.

    Playwright's sync API allows one instance per thread, and test_browser.py keeps its own
    open on the main thread for the whole session (in the same xdist group, in either order).
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._thread.submit(self._start).result()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = launch_chromium(self._playwright)

    def run(self, steps: Callable[[Any], None]) -> None:
        """``steps(page)`` in a fresh context; its failures are raised here."""
        self._thread.submit(self._in_context, steps).result()

    def _in_context(self, steps: Callable[[Any], None]) -> None:
        context = self._browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(20_000)
            steps(page)
        finally:
            context.close()

    def close(self) -> None:
        def stop() -> None:
            self._browser.close()
            self._playwright.stop()
        self._thread.submit(stop).result()
        self._thread.shutdown()


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
