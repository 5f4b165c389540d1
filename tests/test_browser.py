"""The app in a real browser: drag-and-drop upload, highlighted search, a shared link opened in a
fresh browser, a campaign opened from the results, and a file dropped into the inbox showing up
on Live. One server per xdist worker serves every test here, in file order."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

from competiscan.settings import load_settings
from competiscan.workbench import Workbench

from browser_helpers import (app_env, chromium_missing, launch_chromium, screenshot,
                             streamlit_server, wait_idle)
from test_pages_support import csv_of, fixture_csv
from actors import TESTER

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# In the store before the server starts (each test stands alone, in any order).
SEEDED = [
    {"company_name": "Barclays", "title": "View Card balance transfer", "channel": "email",
     "launch_date": "2024-06-03", "content": "Pay 0% APR for 15 months on balance transfers."},
    {"company_name": "Barclays", "title": "Barclays Arrival Plus", "channel": "display",
     "launch_date": "2024-06-04", "content": "0% APR for 12 months, then 21.24% variable."},
]
UPLOADED = [
    {"company_name": "Navy Federal", "title": "Platinum card", "channel": "direct_mail",
     "launch_date": "2024-06-05", "content": "Enjoy 0% APR on transfers for 12 months."},
    {"company_name": "Navy Federal", "title": "cashRewards", "channel": "email",
     "launch_date": "2024-06-06", "content": "Earn 1.5% cash back on every purchase."},
    {"company_name": "", "title": "No company", "channel": "email",
     "launch_date": "2024-06-07", "content": "This row is rejected."},
]


# Session scope: one server per xdist worker, even when the worker interleaves other modules.
@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    reason = chromium_missing()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests are required under CI: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("browser")
    env = app_env(folder / "store.duckdb", folder / "index", folder / "inbox")
    # A store with data before the server starts: the app's first start then skips the sample.
    settings = load_settings(environ=env)
    seed = Workbench(settings, create=True)
    seed.campaigns.ingest(TESTER, fixture_csv(), "fixture.csv")
    seed.campaigns.ingest(TESTER, csv_of(SEEDED), "seeded.csv")
    seed.close()
    with streamlit_server(env) as (base, _process):
        yield base, settings.inbox


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    # Generous: the first page of a server builds its Workbench, and under a full parallel
    # run the machine is busy. These are waits for text, not timings.
    page.set_default_timeout(60_000)
    expect.set_options(timeout=30_000)
    yield page
    context.close()


MATCH_LINE = re.compile(r"(\d+) campaigns? match")


def _match_line(page) -> str:
    """The "N campaigns match · showing a–b" line, once the page has settled."""
    wait_idle(page)
    return page.get_by_text(MATCH_LINE).inner_text()


def _hit_titles(page, count: int) -> list[str]:
    """The titles of the hits on the page, once all ``count`` links have rendered."""
    links = page.locator('[data-testid="stMain"] [data-testid="stPageLink"] a')
    expect(links).to_have_count(count)
    return links.all_inner_texts()


def _search_url_shown(page) -> str:
    code = page.locator('[data-testid="stCode"]').filter(has_text="/search").first
    return code.inner_text().strip().replace("\n", "")


def test_drop_a_csv_on_the_uploader_and_read_its_report(server, page, tmp_path):
    base, _inbox = server
    path = tmp_path / "navy-federal.csv"
    path.write_bytes(csv_of(UPLOADED))
    page.goto(f"{base}/upload")
    page.get_by_text("Drop one or more files").wait_for()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_text("Column mapping").wait_for()
    page.get_by_role("button", name="Import 1 file").click()
    page.get_by_text("imported as upload").wait_for()
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.filter(has_text="New campaigns").inner_text().split()[-1] == "2"
    assert metrics.filter(has_text="Rejected rows").inner_text().split()[-1] == "1"
    page.get_by_text("company is empty").wait_for(state="attached")
    screenshot(page, "upload-report")


def test_search_highlights_hits_and_counts_facets(server, page):
    base, _inbox = server
    page.goto(f"{base}/search")
    box = page.get_by_label("Search campaigns", exact=True)
    box.fill('"0% APR"')
    box.press("Enter")
    page.get_by_text(re.compile(r"campaigns? match")).wait_for()
    company = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Company").locator("input")
    company.fill("Barclays")
    page.get_by_role("option", name="Barclays", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile("company=Barclays"))
    # every hit's line (company · channel · ...) names Barclays once the filter has applied
    page.wait_for_function("""() => {
        const meta = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
            .map(e => e.textContent).filter(t => t.includes(' · first seen '));
        return meta.length > 0 && meta.every(t => t.startsWith('Barclays ·'));
    }""")
    assert int(MATCH_LINE.search(_match_line(page)).group(1)) >= 2
    marks = page.eval_on_selector_all(".cs-snippet mark", "els => els.map(e => e.textContent)")
    assert len(marks) >= 4 and set(marks) == {"0%", "APR"}
    page.get_by_text("Breakdown").wait_for()
    facets = page.locator('[data-testid="stDataFrame"]')
    expect(facets.first).to_be_visible()
    assert facets.count() >= 2
    url = _search_url_shown(page)
    assert "q=%220%25+APR%22" in url and "company=Barclays" in url
    assert page.url == url
    screenshot(page, "search-results")


def test_a_copied_link_reproduces_the_view_in_a_fresh_browser(server, browser, page):
    base, _inbox = server
    page.goto(f"{base}/search?q=%220%25+APR%22&company=Barclays&sort=date")
    page.get_by_text(MATCH_LINE).wait_for()
    line = _match_line(page)
    url = _search_url_shown(page)
    titles = _hit_titles(page, int(MATCH_LINE.search(line).group(1)))
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.goto(url)
        other.get_by_text(MATCH_LINE).wait_for()
        assert _match_line(other) == line
        # widgets arrive after the text (their code loads on demand): expect() waits for them
        expect(other.get_by_label("Search campaigns", exact=True)).to_have_value('"0% APR"')
        sidebar = other.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_text("Barclays", exact=True)).to_have_count(1)
        assert _hit_titles(other, len(titles)) == titles  # the same hits, same (date) order
        screenshot(other, "search-shared-link")
    finally:
        fresh.close()


def test_open_a_campaign_from_the_results(server, page):
    base, _inbox = server
    page.goto(f"{base}/search?q=%220%25+APR%22&company=Barclays")
    page.get_by_text(MATCH_LINE).wait_for()
    wait_idle(page)
    link = page.locator('[data-testid="stPageLink"] a').filter(has_text="Arrival Plus").first
    link.click()
    page.wait_for_url(re.compile(r"/campaign\?id=\d+$"))
    expect(page.get_by_role("heading", name="Barclays Arrival Plus")).to_have_count(1)
    page.get_by_text("Similar campaigns").wait_for()
    wait_idle(page)
    screenshot(page, "campaign")


def test_a_file_dropped_into_the_inbox_appears_on_live(server, page):
    base, inbox = server
    page.goto(f"{base}/live?every=5")
    page.get_by_text("Arrived since you opened this page").wait_for()
    page.get_by_text("Nothing new yet").wait_for()
    inbox.mkdir(parents=True, exist_ok=True)
    dropped = inbox / "dropped.csv"
    dropped.write_bytes(csv_of([{"company_name": "Ally", "title": "Ally Bank savings drop",
                                 "launch_date": "2024-06-20", "content": "Earn 4.20% APY."}]))
    settled = time.time() - 5  # as if the copy finished a while ago: no settle wait
    os.utime(dropped, (settled, settled))
    # within one poll interval (5 s) plus the run itself; the table is a canvas, its text
    # lives in an (invisible) accessibility grid
    page.get_by_text("Ally Bank savings drop").wait_for(state="attached", timeout=60_000)
    assert (inbox / "done" / "dropped.csv").exists()
    page.get_by_text(re.compile(r"dropped\.csv")).first.wait_for()
    screenshot(page, "live-inbox")
