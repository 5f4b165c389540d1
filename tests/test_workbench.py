"""The Workbench keeps the search index a projection of the store, on both store backends."""

from __future__ import annotations

import json
import os
import time
from datetime import date, datetime

import pytest

from competiscan.model import Actor, CampaignFilter, PermissionDenied
from competiscan.search import open_index
from competiscan.store.base import INDEX_COLUMNS
from competiscan.workbench import NotFoundError, SearchRequest, Workbench

from actors import TESTER

CSV = ("company_name,title,subject_line,campaign_type,channel,launch_date,content,keywords\n"
       'Chase,Freedom Unlimited,,acquisition,email,2024-01-15,'
       '"Earn 5% cash back on travel. 0% intro APR for 15 months. No annual fee.","cash back"\n'
       'Citi,Double Cash,,acquisition,display,2024-01-20,"Earn 2% cash back on every purchase",\n'
       'Discover,It Miles,,promotional,email,2024-02-01,"Unlimited 1.5x miles on purchases",\n')
MORE = ('company_name,title,channel,launch_date,content\n'
        'Amex,Blue Cash Preferred,email,2024-03-01,"6% cash back at U.S. supermarkets"\n')


@pytest.fixture
def wb(settings):
    workbench = Workbench(settings, create=True)
    yield workbench
    workbench.close()


def consistent(wb) -> bool:
    counts = wb.index.consistency()
    return counts.agrees and counts.store == counts.index


def test_ingest_indexes_what_it_stores_and_undo_removes_it(wb):
    first = wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    assert first.inserted == 3 and first.indexed
    assert consistent(wb)
    assert wb.searches.run(SearchRequest(query='"cash back"')).total == 2
    second = wb.campaigns.ingest(TESTER, MORE.encode(), "b.csv")
    assert wb.index.backend.count() == 4 and consistent(wb)
    wb.campaigns.undo(TESTER, second.batch_id)
    assert wb.index.backend.count() == 3 and consistent(wb)
    assert wb.searches.run(SearchRequest(query="supermarkets")).total == 0


def test_local_enrichment_runs_inside_ingestion(wb):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    chase = wb._store.export_frame(["company", "cash_back_pct", "intro_apr_months",
                                   "annual_fee_usd", "sentiment_label", "enriched_by"])
    row = chase.set_index("company").loc["Chase"]
    assert row["cash_back_pct"] == 5 and row["intro_apr_months"] == 15
    assert row["annual_fee_usd"] == 0
    assert row["sentiment_label"] in ("positive", "neutral", "negative")
    assert row["enriched_by"].startswith("local")


def test_index_failure_keeps_campaigns_pending_until_next_attempt(settings, tmp_path):
    # A real unreachable Elasticsearch (closed loopback port), then the embedded index.
    broken = Workbench(settings, index=open_index("http://127.0.0.1:9"), create=True)
    report = broken.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    assert report.status == "committed" and report.inserted == 3
    assert not report.indexed and "pending" in report.message
    assert broken._store.summary()["pending_index"] == 3
    broken._store.close()

    healed = Workbench(settings, create=True)
    assert healed._store.count() == 3
    result = healed.index.sync()
    assert result.error is None and result.indexed == 3
    assert healed._store.summary()["pending_index"] == 0
    assert consistent(healed)
    healed.close()


def test_pending_documents_come_as_tables_in_id_order_a_chunk_at_a_time(wb):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv", index=False)
    wb.campaigns.ingest(TESTER, MORE.encode(), "b.csv", index=False)
    tables = list(wb._store.pending_index_tables(chunk=3))
    assert [t.num_rows for t in tables] == [3, 1]
    docs = [doc for t in tables for doc in t.to_pylist()]
    assert [d["id"] for d in docs] == sorted(d["id"] for d in docs)
    assert list(docs[0]) == list(INDEX_COLUMNS)
    chase = next(d for d in docs if d["company"] == "Chase")
    assert chase["launch_date"] == date(2024, 1, 15) and isinstance(chase["ingested_at"], datetime)
    assert chase["cash_back_pct"] == 5 and chase["keywords"] == "cash back"
    assert wb.index.sync().indexed == 4
    assert list(wb._store.pending_index_tables()) == [] and consistent(wb)
    assert wb.searches.run(SearchRequest(query='"5% cash back"')).total == 1


def test_reindex_rebuilds_from_the_store(wb):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    wb.index.backend.clear()
    assert wb.index.backend.count() == 0
    result = wb.index.rebuild(TESTER, )
    assert result.indexed == 3 and consistent(wb)


def test_resighting_with_earlier_date_is_reindexed(wb):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    earlier = CSV.replace("2024-01-15", "2023-12-01")
    wb.campaigns.ingest(TESTER, earlier.encode(), "earlier.csv")
    hits = wb.searches.run(SearchRequest(query="Freedom", sort="date")).hits
    assert str(hits[0].launch_date) == "2023-12-01"
    assert consistent(wb)


def test_saved_search_reports_only_new_arrivals(wb):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    search_id = wb.searches.save(TESTER, "cash back offers", SearchRequest(query='"cash back"'))
    saved = wb.searches.get(TESTER, search_id)
    assert saved.request().query == '"cash back"'
    assert wb.searches.new_matches(saved).total_new == 0
    time.sleep(0.01)
    wb.campaigns.ingest(TESTER, MORE.encode(), "b.csv")
    assert [m.total_new for m in wb.searches.pending_alerts(TESTER)] == [1]  # not marked seen
    matches = wb.searches.check_alerts(TESTER)
    assert [(m.name, m.total_new, m.hits[0].company) for m in matches] == \
        [("cash back offers", 1, "American Express")]
    assert wb.searches.check_alerts(TESTER) == []


def test_saved_search_filters_round_trip(wb):
    from datetime import date
    req = SearchRequest(filter=CampaignFilter(channels=("email",), date_from=date(2024, 1, 1), offer_ranges={"cash_back_pct": (3.0, None)}), query="miles")
    search_id = wb.searches.save(TESTER, "x", req)
    back = wb.searches.get(TESTER, search_id).request()
    assert back.filter == req.filter and back.query == "miles"
    assert back.filter.offer_range("cash_back_pct") == (3.0, None)


def test_inbox_ingests_once_and_moves_refused_files_aside(wb):
    inbox = wb.settings.inbox
    inbox.mkdir(parents=True)
    (inbox / "good.csv").write_text(CSV)
    (inbox / "bad.csv").write_bytes(b"")
    (inbox / "notes.txt.partial").write_text("ignored")
    old = time.time() - 5
    for p in inbox.iterdir():
        os.utime(p, (old, old))
    results = {r.filename: r for r in wb.inbox.scan(TESTER)}
    assert results["good.csv"].status == "committed" and results["good.csv"].inserted == 3
    assert results["bad.csv"].status == "refused"
    assert (inbox / "done" / "good.csv").exists()
    report = json.loads((inbox / "refused" / "bad.csv.report.json").read_text())
    assert "empty" in report["message"]
    assert wb.inbox.scan(TESTER) == []                      # nothing is ingested twice
    assert wb._store.count() == 3


def test_inbox_waits_for_files_still_being_written(wb):
    inbox = wb.settings.inbox
    inbox.mkdir(parents=True)
    (inbox / "fresh.csv").write_text(CSV)
    assert wb.inbox.scan(TESTER, settle_seconds=60) == []
    assert (inbox / "fresh.csv").exists()


def test_matching_ids_is_the_whole_result_set(wb):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    page = wb.searches.run(SearchRequest(query="cash", limit=1))
    ids = wb.searches.matching_ids(SearchRequest(query="cash", limit=1))
    assert page.total == len(ids) == 2 and page.hits[0].id in ids


def test_preview_reads_the_file_and_stores_nothing(wb):
    preview = wb.campaigns.preview(CSV.encode(), "a.csv")
    assert preview.rows == 3 and preview.error is None
    assert preview.detected["company_name"] == "company" and len(preview.head) == 3
    assert wb.campaigns.preview(b"", "empty.csv").error
    assert wb.campaigns.count() == 0 and not wb.campaigns.has_uploads()


def test_a_campaign_detail_and_the_upload_history(wb):
    report = wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv", source="cli")
    [hit] = wb.searches.run(SearchRequest(query="Freedom")).hits
    detail = wb.campaigns.detail(hit.id)
    assert detail.row["title"] == "Freedom Unlimited" and len(detail.sightings) == 1
    assert [b["id"] for b in wb.campaigns.batches(source="cli")] == [report.batch_id]
    assert wb.campaigns.batches(source="inbox") == []
    from competiscan.workbench import NotFoundError
    with pytest.raises(NotFoundError):
        wb.campaigns.detail(10**9)


def test_exports_follow_the_search_and_its_filter(wb, tmp_path):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    everything = wb.searches.export_frame(TESTER)
    assert len(everything) == 3
    emails = wb.searches.export_frame(TESTER, SearchRequest(filter=CampaignFilter(
        channels=("email",))))
    assert sorted(emails["title"]) == ["Freedom Unlimited", "It Miles"]
    out = tmp_path / "cash.csv"
    assert wb.searches.export(TESTER, out, SearchRequest(query='"cash back"')) == 2
    assert out.read_text(encoding="utf-8-sig").count("\n") == 3


def test_analytics_read_through_the_workbench_with_one_filter(wb):
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    wb.campaigns.ingest(TESTER, MORE.encode(), "b.csv")
    email = CampaignFilter(channels=("email",))
    counts = wb.analytics.counts(("company",), email).set_index("company")["n"].to_dict()
    assert counts == {"Chase": 1, "Discover": 1, "American Express": 1}
    rows = wb.analytics.trend_rows("company", "month", email)
    assert sum(r["count"] for r in rows) == 3
    cash = CampaignFilter(offer_ranges={"cash_back_pct": (3, None)})
    assert set(wb.analytics.counts(("company",), cash)["company"]) == {
        "Chase", "American Express"}
    assert wb.searches.run(SearchRequest(filter=cash)).total == 2


def test_roles_are_enforced_by_the_workbench_itself(wb, tmp_path):
    from competiscan.model import Actor, PermissionDenied
    viewer, analyst = Actor("vera@example.com", "viewer"), Actor("ana@example.com", "analyst")
    with pytest.raises(PermissionDenied, match="vera@example.com is a viewer and may not "
                                               "upload campaign files; that needs the analyst"):
        wb.campaigns.ingest(viewer, CSV.encode(), "a.csv")
    assert wb.campaigns.count() == 0
    report = wb.campaigns.ingest(analyst, CSV.encode(), "a.csv")
    with pytest.raises(PermissionDenied):
        wb.campaigns.undo(viewer, report.batch_id)
    with pytest.raises(PermissionDenied):
        wb.enrichment.run(viewer)
    with pytest.raises(PermissionDenied):
        wb.inbox.scan(viewer)
    with pytest.raises(PermissionDenied):
        wb.index.rebuild(analyst)
    # a viewer still reads, exports and keeps saved searches of their own
    assert wb.searches.run(SearchRequest(query="cash")).total == 2
    assert len(wb.searches.export_frame(viewer)) == 3
    assert wb.searches.save(viewer, "mine", SearchRequest(query="cash"))
    assert wb.campaigns.count() == 3


def test_every_filter_field_reaches_every_analysis(wb):
    """Sentiment and offer-term bounds are not columns of the offer rows: the offer analyses
    must still apply them (through the campaigns the rows belong to)."""
    wb.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    wb.campaigns.ingest(TESTER, MORE.encode(), "b.csv")
    cash = CampaignFilter(offer_ranges={"cash_back_pct": (3, None)})
    summary = wb.analytics.offer_summary("month", cash)
    assert set(summary["company"]) == {"Chase", "American Express"}
    labels = set(wb._store.export_frame(["sentiment_label"])["sentiment_label"])
    for label in labels:
        by_label = CampaignFilter(sentiments=(label,))
        expected = wb.analytics.counts(("company",), by_label)["company"].tolist()
        shown = set(wb.analytics.offer_summary("month", by_label)["company"])
        assert shown <= set(expected)
        assert wb.analytics.offer_changes("month", by_label) is not None
        assert isinstance(wb.analytics.current_offers(by_label), list)


# ------------------------------------------------------------------------------ a team
ANA = Actor("ana@example.com", "analyst")
BOB = Actor("bob@example.com", "analyst")
VERA = Actor("vera@example.com", "viewer")
ADA = Actor("ada@example.com", "admin")


def test_two_analysts_each_get_their_own_alert_for_the_same_new_piece(wb):
    wb.campaigns.ingest(ANA, CSV.encode(), "a.csv")
    shared = wb.searches.save(ANA, "cash back", SearchRequest(query='"cash back"'), shared=True)
    private = wb.searches.save(BOB, "miles", SearchRequest(query="miles"))
    assert [s.name for s in wb.searches.saved(BOB)] == ["cash back", "miles"]
    assert [s.name for s in wb.searches.saved(ANA)] == ["cash back"]   # Bob's is his own
    time.sleep(0.01)
    wb.campaigns.ingest(ANA, MORE.encode(), "b.csv")
    for user in (ANA, BOB):
        [match] = wb.searches.check_alerts(user)
        assert (match.search_id, match.total_new) == (shared, 1)
        assert wb.searches.check_alerts(user) == []     # taken, for this user only
    assert [m.total_new for m in wb.searches.pending_alerts(VERA)] == [1]  # Vera not yet
    with pytest.raises(NotFoundError):
        wb.searches.get(ANA, private)


def test_only_the_owner_or_an_admin_changes_a_saved_search(wb):
    search_id = wb.searches.save(ANA, "mine", SearchRequest(query="cash"), shared=True)
    with pytest.raises(PermissionDenied, match="ana@example.com's saved search"):
        wb.searches.delete(BOB, search_id)
    with pytest.raises(PermissionDenied, match="needs the analyst role"):
        wb.searches.save(VERA, "team", SearchRequest(query="cash"), shared=True)
    wb.searches.change(ANA, search_id, name="renamed", shared=False)
    assert wb.searches.get(ANA, search_id).name == "renamed"
    wb.searches.delete(ADA, search_id)
    assert wb.searches.saved(ANA) == []


def test_a_saved_search_that_ended_in_the_past_is_refused_and_relative_ranges_move(wb):
    from datetime import timedelta
    from competiscan.model import FilterError
    past = SearchRequest(query="cash", filter=CampaignFilter(date_from=date(2024, 1, 1),
                                                             date_to=date(2024, 3, 31)))
    with pytest.raises(FilterError, match="ends on 2024-03-31, in the past.*last 7, 30 or 90"):
        wb.searches.save(ANA, "q1", past)
    search_id = wb.searches.save(ANA, "recent", past, last_days=30)
    saved = wb.searches.get(ANA, search_id)
    request = saved.request(today=date(2026, 12, 7))
    assert request.filter.date_from == date(2026, 12, 7) - timedelta(days=29)
    assert request.filter.date_to is None
    with pytest.raises(FilterError, match="not 14"):
        wb.searches.save(ANA, "fortnight", past, last_days=14)


def test_the_same_file_again_adds_nothing_and_names_its_upload(wb):
    first = wb.campaigns.ingest(ANA, CSV.encode(), "a.csv")
    again = wb.campaigns.ingest(BOB, CSV.encode(), "a-copy.csv")
    assert again.status == "refused" and again.duplicate_of == first.batch_id
    assert f"already imported as upload {first.batch_id}" in again.message
    assert len(wb.campaigns.batches()) == 1
    assert wb._store.summary()["campaigns"] == 3
    wb.campaigns.undo(ANA, first.batch_id)          # undone: the file may come in anew
    assert wb.campaigns.ingest(BOB, CSV.encode(), "a.csv").status == "committed"


def test_analysts_undo_their_own_uploads_admins_anyones_and_the_trail_says_who(wb):
    mine = wb.campaigns.ingest(ANA, CSV.encode(), "a.csv")
    theirs = wb.campaigns.ingest(BOB, MORE.encode(), "b.csv")
    assert [b["uploaded_by"] for b in wb.campaigns.batches()] == [BOB.name, ANA.name]
    with pytest.raises(PermissionDenied, match="undo another person's upload"):
        wb.campaigns.undo(ANA, theirs.batch_id)
    wb.campaigns.undo(ANA, mine.batch_id)
    wb.campaigns.undo(ADA, theirs.batch_id)
    with pytest.raises(PermissionDenied):
        wb.audit.entries(ANA)
    trail = [(e.user, e.action, e.result) for e in wb.audit.entries(ADA, action="undo")]
    assert trail == [(ADA.name, "undo", "ok"), (ANA.name, "undo", "ok"),
                     (ANA.name, "undo", "refused")]
    [upload] = wb.audit.entries(ADA, action="upload", user=BOB.name)
    assert upload.detail["file"] == "b.csv" and upload.detail["inserted"] == 1
    assert upload.detail["sha256"] and upload.detail["bytes"] == len(MORE.encode())


def test_exports_and_enrichment_runs_are_in_the_trail(wb, tmp_path):
    wb.campaigns.ingest(ANA, CSV.encode(), "a.csv")
    wb.searches.export(VERA, tmp_path / "x.csv", SearchRequest(query="cash"))
    wb.enrichment.run(ANA, "local", only_pending=False)
    with pytest.raises(PermissionDenied):
        wb.enrichment.run(VERA, "local")
    [export] = wb.audit.entries(ADA, action="export")
    assert (export.user, export.target, export.detail["rows"]) == (VERA.name, "cash", 2)
    runs = wb.audit.entries(ADA, action="enrich")
    assert [(e.user, e.result) for e in runs] == [(VERA.name, "refused"), (ANA.name, "ok")]
    assert runs[1].detail["enriched"] == 3 and runs[1].detail["requests"] == 0


def test_a_sign_in_is_recorded_once_however_many_tabs_reuse_it(wb):
    for _tab in range(3):
        wb.audit.sign_in(ANA, issued_at=1_765_000_000)
    wb.audit.sign_in(ANA, issued_at=1_765_086_400)      # signed in again the next day
    assert len(wb.audit.entries(ADA, action="sign_in")) == 2
