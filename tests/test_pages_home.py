"""Home page: what is in the store, newest pieces, saved-search alerts, links to every page."""

from __future__ import annotations

from competiscan.workbench import SearchRequest

from test_pages_support import (app_env, csv_of, dataframes, open_page, page_links,  # noqa: F401
                                texts)
from actors import TESTER
from competiscan.ui.resources import LOCAL_ACTOR


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_home_shows_the_store_and_links_to_every_page(app_env):
    at = open_page("home")
    summary = app_env._store.summary()
    assert _metric(at, "Campaigns") == f"{summary['campaigns']:,}"
    assert _metric(at, "Companies") == f"{summary['companies']:,}"
    body = " ".join(texts(at.markdown))
    assert f"from **{summary['first_date']}** to **{summary['last_date']}**" in body
    assert "fixture\\.csv" in body  # the last upload, its name escaped
    targets = {p.page for p in page_links(at)}
    assert {"search", "trends", "competitors", "upload", "live"} <= targets
    newest = dataframes(at)[0]
    expected = app_env._store.newest(limit=10)
    assert list(newest["title"]) == list(expected["title"])
    assert newest["id"].str.startswith("campaign?id=").all()
    assert any("No saved search yet" in t for t in texts(at.caption))


def test_home_reports_new_matches_of_saved_searches(app_env):
    app_env.searches.save(LOCAL_ACTOR, "Supermarket cash back", SearchRequest(query="supermarkets"))
    app_env.campaigns.ingest(TESTER, csv_of([{
        "company_name": "American Express", "title": "Blue Cash Preferred", "channel": "email",
        "launch_date": "2024-06-03", "content": "6% cash back at U.S. supermarkets"}]), "b.csv")
    at = open_page("home")
    alert = next(p for p in page_links(at) if "Supermarket" in p.label)
    assert alert.page == "search" and "1 new" in alert.label
    assert "q=supermarkets" in alert.query_string
    assert any(p.page == "campaign" and "Blue Cash Preferred" in p.label
               for p in page_links(at))


def test_an_empty_store_says_what_to_do_next(app_env):
    for batch in app_env._store.batches():
        app_env.campaigns.undo(TESTER, batch["id"])
    at = open_page("home")
    assert any("The store is empty" in t for t in texts(at.info))
    assert not at.metric
