"""Enrichment over the store (local and OpenAI through a local server), on both backends."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from openai_server import OpenAIServer, answer, status
from competiscan.enrich.openai_enricher import PROMPT_VERSION
from competiscan.enrich.runner import EnrichmentUnavailable, enrich_file
from competiscan.workbench import Workbench
from actors import TESTER

CSV = ("company_name,title,channel,launch_date,content\n"
       'Chase,Freedom,email,2024-01-15,"0% intro APR for 15 months. No annual fee."\n'
       'Citi,Double Cash,display,2024-01-20,"Earn 2% cash back on every purchase"\n'
       'Ally,Savings,email,2024-01-21,"Earn 4.20% APY with no minimums"\n'
       'Chase,Payment due,sms,2024-01-22,"Your payment is past due"\n')


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def wb(settings, server):
    s = replace(settings, openai_api_key="test-key", openai_base_url=server.base_url,
                openai_model="test-model")
    workbench = Workbench(s, create=True)
    workbench.campaigns.ingest(TESTER, CSV.encode(), "a.csv")
    yield workbench
    workbench.close()


def provenance(wb) -> dict[str, str]:
    frame = wb._store.export_frame(["title", "enriched_by"])
    return dict(zip(frame["title"], frame["enriched_by"]))


def test_local_enrichment_at_ingest_says_so(wb):
    assert set(provenance(wb).values()) == {"local-rules-2"}
    ally = wb._store.export_frame(["title", "apy_pct"]).set_index("title").loc["Savings"]
    assert ally["apy_pct"] == 4.2


EXPIRING = ("company_name,title,channel,launch_date,content\n"
            'Chase,Sapphire,email,2026-11-02,"Earn 60,000 bonus points. Offer ends January 19, '
            '2027."\n'
            'Citi,Custom Cash,display,2026-11-03,"Earn 5% cash back. Apply by 3/31/27."\n'
            'Ally,Online Savings,email,2026-11-04,"Earn 4.20% APY. Offer ends March 31."\n')


def expiries(wb) -> dict[str, object]:
    frame = wb._store.export_frame(["title", "offer_expires"])
    return {title: (None if pd.isna(value) else pd.Timestamp(value).date())
            for title, value in zip(frame["title"], frame["offer_expires"])}


def test_an_offer_end_date_is_stored_at_ingest_and_by_every_run(wb, server):
    wb.campaigns.ingest(TESTER, EXPIRING.encode(), "expiring.csv")
    dated = {"Sapphire": date(2027, 1, 19), "Custom Cash": date(2027, 3, 31)}
    got = expiries(wb)
    assert {t: got[t] for t in dated} == dated and got["Online Savings"] is None   # no year
    wb.enrichment.run(TESTER, provider="local", only_pending=False)
    assert {t: expiries(wb)[t] for t in dated} == dated
    server.script(answer(lambda items: [{**i, "offer_expires": "2027-02-28"} for i in items]))
    wb.enrichment.run(TESTER, provider="openai")
    assert set(expiries(wb).values()) == {date(2027, 2, 28)}
    # what the page reads: the campaign's detail
    campaign_id = int(wb._store.export_frame(["id", "title"]).set_index("title")["id"]["Online Savings"])
    assert wb.campaigns.detail(campaign_id).row["offer_expires"] == date(2027, 2, 28)


def test_openai_run_enriches_caches_and_never_sends_twice(wb, server):
    report = wb.enrichment.run(TESTER, provider="openai", limits={"batch_size": 2})
    assert report["by_model"] == 4 and report["requests"] == 2
    assert set(provenance(wb).values()) == {f"openai:test-model:{PROMPT_VERSION}"}
    assert wb._store.summary()["pending_index"] == 0
    # pending only: nothing left for this model and prompt
    again = wb.enrichment.run(TESTER, provider="openai")
    assert again["enriched"] == 0 and len(server.requests) == 2
    # everything again: all from the cache, zero requests
    everything = wb.enrichment.run(TESTER, provider="openai", only_pending=False)
    assert everything["cache_hits"] == 4 and len(server.requests) == 2
    # re-ingesting the same file sends nothing either
    wb.campaigns.ingest(TESTER, CSV.encode(), "again.csv")
    assert wb.enrichment.run(TESTER, provider="openai")["enriched"] == 0
    assert len(server.requests) == 2


def test_a_new_prompt_version_re_enriches_only_when_asked(wb, server):
    wb.enrichment.run(TESTER, provider="openai")
    sent = len(server.requests)
    wb.enrichment.run(TESTER, provider="openai", limits={"prompt_version": "next"})
    assert len(server.requests) > sent
    assert set(provenance(wb).values()) == {"openai:test-model:next"}


def test_server_errors_fall_back_to_local_and_say_so(wb, server):
    server.script(*[status(500)] * 20)
    report = wb.enrichment.run(TESTER, provider="openai", limits={"max_retries": 1})
    assert report["fallback"] == 4 and report["by_model"] == 0
    assert set(provenance(wb).values()) == {"local-rules-2"}
    assert wb._store.get_many([("x", "y", "z")]) == {}


def test_budget_stops_cleanly(wb, server):
    report = wb.enrichment.run(TESTER, provider="openai", limits={"batch_size": 1, "budget_requests": 1})
    assert report["budget_exhausted"] and "budget" in report["message"]
    assert len(server.requests) == 1
    values = provenance(wb).values()
    assert sum(v.startswith("openai:") for v in values) == 1
    assert all(v for v in values)


def test_background_job_reports_progress(wb):
    job_id = wb.enrichment.start_job(TESTER, provider="openai")
    deadline = time.time() + 30
    while wb._store.job(job_id)["status"] == "running" and time.time() < deadline:
        time.sleep(0.05)
    job = wb._store.job(job_id)
    assert job["status"] == "done" and job["done"] == job["total"] == 4
    assert "4 by the model" in job["message"]


def test_openai_without_key_is_a_clear_error(settings):
    workbench = Workbench(settings, create=True)
    with pytest.raises(EnrichmentUnavailable, match="OPENAI_API_KEY"):
        workbench.enrichment.run(TESTER, provider="openai")
    workbench.close()


def test_enrich_file_writes_one_object_per_record(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(CSV + 'Citi,Double Cash,display,2024-02-20,"Earn 2% cash back on every purchase"\n'
                   ",no company,email,2024-01-01,x\n")
    out = tmp_path / "out.jsonl"
    stats = enrich_file(src, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert stats["records"] == len(lines) == 5 and stats["rejected"] == 1
    first = lines[0]
    for key in ("sentiment_label", "sentiment_score", "campaign_type_predicted", "keywords",
                "intro_apr_pct", "intro_apr_months", "annual_fee_usd", "apy_pct"):
        assert key in first
    assert first["intro_apr_months"] == 15 and first["annual_fee_usd"] == 0
    assert lines[4]["launch_date"] == "2024-02-20" and lines[4]["cash_back_pct"] == 2


def test_cli_budget_flags_stop_a_model_run(wb, server, tmp_path):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPETISCAN_", "OPENAI_"))}
    env.update(COMPETISCAN_DATABASE_URL=wb.settings.database_url,
               COMPETISCAN_SEARCH_URL=wb.settings.search_url,
               OPENAI_API_KEY="test-key", OPENAI_BASE_URL=server.base_url,
               COMPETISCAN_OPENAI_MODEL="test-model")
    if wb.settings.database_url.startswith("duckdb"):
        wb.close()  # DuckDB admits one process: let the CLI open the file
    proc = subprocess.run([sys.executable, "-m", "competiscan.cli", "enrich", "--provider",
                           "openai", "--max-requests", "0", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["budget_exhausted"] and report["requests"] == 0
    assert server.requests == []


PRODUCTS = ("company_name,title,channel,launch_date,content,product\n"
            'Chase,Chase Sapphire Preferred Card,email,2026-11-02,"60,000 points",\n'
            'Citi,Premium travel card,email,2026-11-03,"Earn 3x points",\n'
            'Discover,Cash back,email,2026-11-04,"Earn 5%",it Miles\n'
            'Chase,Chase Ultimate Rewards,display,2026-11-05,"Redeem points",\n')


def products(wb) -> dict[str, tuple]:
    frame = wb._store.export_frame(["title", "product", "product_source"])
    return {t: (p if isinstance(p, str) else None, s if isinstance(s, str) else None)
            for t, p, s in zip(frame["title"], frame["product"], frame["product_source"])}


def test_products_are_linked_at_ingest_and_a_model_may_name_them(wb, server):
    wb.campaigns.ingest(TESTER, PRODUCTS.encode(), "products.csv")
    got = products(wb)
    assert got["Chase Sapphire Preferred Card"] == ("Sapphire Preferred", "catalogue")
    assert got["Cash back"] == ("it Miles", "source")          # the file named it
    assert got["Chase Ultimate Rewards"] == (None, None)        # a programme, not a product
    wb.enrichment.run(TESTER, provider="openai")
    got = products(wb)
    model = f"openai:test-model:{PROMPT_VERSION}"
    # the model's "Chase Sapphire Preferred Card" in the catalogue's spelling, with provenance
    assert got["Chase Sapphire Preferred Card"] == ("Sapphire Preferred", model)
    assert got["Premium travel card"] == ("Premium travel card", model)   # not catalogued
    assert got["Cash back"] == ("it Miles", "source")   # a model never overrides the file
    assert got["Chase Ultimate Rewards"] == (None, None)
    # a local run links from the catalogue again
    wb.enrichment.run(TESTER, provider="local", only_pending=False)
    assert products(wb)["Chase Sapphire Preferred Card"] == ("Sapphire Preferred", "catalogue")
