"""The Workbench keeps the search index a projection of the store, on both store backends."""

from __future__ import annotations

import json
import os
import time
from datetime import date, datetime

import pytest

from competiscan.alerts import check_saved_searches, new_matches, request_from_saved, save_search
from competiscan.inbox import scan_inbox
from competiscan.search import SearchRequest, open_index
from competiscan.store.base import INDEX_COLUMNS
from competiscan.workbench import Workbench

CSV = ("company_name,title,subject_line,campaign_type,channel,launch_date,content,keywords\n"
       'Chase,Freedom Unlimited,,acquisition,email,2024-01-15,'
       '"Earn 5% cash back on travel. 0% intro APR for 15 months. No annual fee.","cash back"\n'
       'Citi,Double Cash,,acquisition,display,2024-01-20,"Earn 2% cash back on every purchase",\n'
       'Discover,It Miles,,promotional,email,2024-02-01,"Unlimited 1.5x miles on purchases",\n')
MORE = ('company_name,title,channel,launch_date,content\n'
        'Amex,Blue Cash Preferred,email,2024-03-01,"6% cash back at U.S. supermarkets"\n')


@pytest.fixture
def wb(settings):
    workbench = Workbench(settings)
    yield workbench
    workbench.close()


def consistent(wb) -> bool:
    counts = wb.index_consistency()
    return counts["missing_from_index"] == 0 and counts["stale_in_index"] == 0 \
        and counts["store"] == counts["index"]


def test_ingest_indexes_what_it_stores_and_undo_removes_it(wb):
    first = wb.ingest_bytes(CSV.encode(), "a.csv")
    assert first.inserted == 3 and first.indexed
    assert consistent(wb)
    assert wb.index.search(SearchRequest(query='"cash back"')).total == 2
    second = wb.ingest_bytes(MORE.encode(), "b.csv")
    assert wb.index.count() == 4 and consistent(wb)
    wb.undo_batch(second.batch_id)
    assert wb.index.count() == 3 and consistent(wb)
    assert wb.index.search(SearchRequest(query="supermarkets")).total == 0


def test_local_enrichment_runs_inside_ingestion(wb):
    wb.ingest_bytes(CSV.encode(), "a.csv")
    chase = wb.store.export_frame(["company", "cash_back_pct", "intro_apr_months",
                                   "annual_fee_usd", "sentiment_label", "enriched_by"])
    row = chase.set_index("company").loc["Chase"]
    assert row["cash_back_pct"] == 5 and row["intro_apr_months"] == 15
    assert row["annual_fee_usd"] == 0
    assert row["sentiment_label"] in ("positive", "neutral", "negative")
    assert row["enriched_by"].startswith("local")


def test_index_failure_keeps_campaigns_pending_until_next_attempt(settings, tmp_path):
    # A real unreachable Elasticsearch (closed loopback port), then the embedded index.
    broken = Workbench(settings, index=open_index("http://127.0.0.1:9"))
    report = broken.ingest_bytes(CSV.encode(), "a.csv")
    assert report.status == "committed" and report.inserted == 3
    assert not report.indexed and "pending" in report.message
    assert broken.store.summary()["pending_index"] == 3
    broken.store.close()

    healed = Workbench(settings)
    assert healed.store.count() == 3
    result = healed.sync_index()
    assert result.error is None and result.indexed == 3
    assert healed.store.summary()["pending_index"] == 0
    assert consistent(healed)
    healed.close()


def test_pending_documents_come_as_tables_in_id_order_a_chunk_at_a_time(wb):
    wb.ingest_bytes(CSV.encode(), "a.csv", index=False)
    wb.ingest_bytes(MORE.encode(), "b.csv", index=False)
    tables = list(wb.store.pending_index_tables(chunk=3))
    assert [t.num_rows for t in tables] == [3, 1]
    docs = [doc for t in tables for doc in t.to_pylist()]
    assert [d["id"] for d in docs] == sorted(d["id"] for d in docs)
    assert list(docs[0]) == list(INDEX_COLUMNS)
    chase = next(d for d in docs if d["company"] == "Chase")
    assert chase["launch_date"] == date(2024, 1, 15) and isinstance(chase["ingested_at"], datetime)
    assert chase["cash_back_pct"] == 5 and chase["keywords"] == "cash back"
    assert wb.sync_index().indexed == 4
    assert list(wb.store.pending_index_tables()) == [] and consistent(wb)
    assert wb.index.search(SearchRequest(query='"5% cash back"')).total == 1


def test_reindex_rebuilds_from_the_store(wb):
    wb.ingest_bytes(CSV.encode(), "a.csv")
    wb.index.clear()
    assert wb.index.count() == 0
    result = wb.reindex()
    assert result.indexed == 3 and consistent(wb)


def test_resighting_with_earlier_date_is_reindexed(wb):
    wb.ingest_bytes(CSV.encode(), "a.csv")
    earlier = CSV.replace("2024-01-15", "2023-12-01")
    wb.ingest_bytes(earlier.encode(), "earlier.csv")
    hits = wb.index.search(SearchRequest(query="Freedom", sort="date")).hits
    assert str(hits[0].launch_date) == "2023-12-01"
    assert consistent(wb)


def test_saved_search_reports_only_new_arrivals(wb):
    wb.ingest_bytes(CSV.encode(), "a.csv")
    search_id = save_search(wb, "cash back offers", SearchRequest(query='"cash back"'))
    row = wb.store.saved_search(search_id)
    assert request_from_saved(row).query == '"cash back"'
    assert new_matches(wb, row).total_new == 0
    time.sleep(0.01)
    wb.ingest_bytes(MORE.encode(), "b.csv")
    matches = check_saved_searches(wb)
    assert [(m.name, m.total_new, m.hits[0].company) for m in matches] == \
        [("cash back offers", 1, "American Express")]
    assert check_saved_searches(wb) == []


def test_saved_search_filters_round_trip(wb):
    from datetime import date
    req = SearchRequest(query="miles", channels=("email",), date_from=date(2024, 1, 1),
                        offer_ranges={"cash_back_pct": (3.0, None)})
    search_id = save_search(wb, "x", req)
    back = request_from_saved(wb.store.saved_search(search_id))
    assert back.channels == ("email",) and back.date_from == date(2024, 1, 1)
    assert back.offer_ranges == {"cash_back_pct": (3.0, None)}


def test_inbox_ingests_once_and_moves_refused_files_aside(wb):
    inbox = wb.settings.inbox
    inbox.mkdir(parents=True)
    (inbox / "good.csv").write_text(CSV)
    (inbox / "bad.csv").write_bytes(b"")
    (inbox / "notes.txt.partial").write_text("ignored")
    old = time.time() - 5
    for p in inbox.iterdir():
        os.utime(p, (old, old))
    results = {r.filename: r for r in scan_inbox(wb)}
    assert results["good.csv"].status == "committed" and results["good.csv"].inserted == 3
    assert results["bad.csv"].status == "refused"
    assert (inbox / "done" / "good.csv").exists()
    report = json.loads((inbox / "refused" / "bad.csv.report.json").read_text())
    assert "empty" in report["message"]
    assert scan_inbox(wb) == []                      # nothing is ingested twice
    assert wb.store.count() == 3


def test_inbox_waits_for_files_still_being_written(wb):
    inbox = wb.settings.inbox
    inbox.mkdir(parents=True)
    (inbox / "fresh.csv").write_text(CSV)
    assert scan_inbox(wb, settle_seconds=60) == []
    assert (inbox / "fresh.csv").exists()


def test_matching_ids_is_the_whole_result_set(wb):
    wb.ingest_bytes(CSV.encode(), "a.csv")
    page = wb.index.search(SearchRequest(query="cash", limit=1))
    ids = wb.index.matching_ids(SearchRequest(query="cash", limit=1))
    assert page.total == len(ids) == 2 and page.hits[0].id in ids
