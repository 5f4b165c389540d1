"""OpenAIEnricher against a local OpenAI-compatible server: real HTTP through the real client.

Every test ends with the same check: each record has a complete result that says which enricher
produced it, and the counters add up.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from typing import Any, Callable, Iterator, Sequence

import pytest

from competiscan.enrich.local import LocalEnricher
from competiscan.enrich.openai_enricher import (
    PROMPT_VERSION,
    SYSTEM_PROMPT,
    EnrichRun,
    InMemoryEnrichmentCache,
    OpenAIEnricher,
)
from competiscan.model import CAMPAIGN_TYPES, ENRICHMENT_FIELDS, OFFER_FIELDS
from openai_server import OpenAIServer, answer, campaigns_of, raw_content, status

MODEL = "test-model"
MODEL_TAG = f"openai:{MODEL}:{PROMPT_VERSION}"
LOCAL_TAG = LocalEnricher.version


class RecordingLocalEnricher(LocalEnricher):
    """The real local enricher, remembering which records it was asked to enrich."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[dict[str, Any]]] = []

    def enrich_many(self, records: Sequence[dict[str, Any]], workers: int | None = None) -> list[dict[str, Any]]:
        self.calls.append(list(records))
        return super().enrich_many(records, workers)


def make_records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "content_hash": f"hash-{i}",
            "company": "Chase",
            "title": f"Card {i}",
            "subject_line": f"Offer {i}" if i % 2 else None,
            "content": f"Earn {i % 5 + 1}% cash back on groceries. Apply now.",
            "channel": "email",
            "campaign_type": "acquisition" if i % 3 else None,
        }
        for i in range(count)
    ]


def assert_complete(run: EnrichRun, records: list[dict[str, Any]]) -> None:
    assert len(run.results) == len(records)
    for result in run.results:
        assert set(ENRICHMENT_FIELDS) <= set(result)
        assert result["enriched_by"] in (MODEL_TAG, LOCAL_TAG)
    assert run.cache_hits + run.model_items + run.fallback_items == len(records)
    assert run.fallback_items == sum(r["enriched_by"] == LOCAL_TAG for r in run.results)
    assert run.message


def tags(run: EnrichRun) -> list[str]:
    return [result["enriched_by"] for result in run.results]


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def fallback() -> RecordingLocalEnricher:
    return RecordingLocalEnricher()


@pytest.fixture
def cache() -> InMemoryEnrichmentCache:
    return InMemoryEnrichmentCache()


@pytest.fixture
def make_enricher(server, fallback, cache) -> Iterator[Callable[..., OpenAIEnricher]]:
    """Build enrichers on the test server; fast defaults, any argument can be overridden."""
    made: list[OpenAIEnricher] = []

    def make(**overrides: Any) -> OpenAIEnricher:
        options: dict[str, Any] = dict(api_key="test-key", base_url=server.base_url, model=MODEL,
                                       fallback=fallback, cache=cache, timeout=5.0, max_retries=2)
        options.update(overrides)
        made.append(OpenAIEnricher(**options))
        return made[-1]

    yield make
    for enricher in made:
        enricher.close()


# ---------------------------------------------------------------------------- request and answers

def test_request_shape(server, make_enricher):
    records = make_records(3)
    run = make_enricher().enrich_many(records)

    assert len(server.requests) == 1
    body = server.requests[0]
    assert body["model"] == MODEL
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == SYSTEM_PROMPT
    campaigns = campaigns_of(body)
    assert [c["index"] for c in campaigns] == [0, 1, 2]
    # the company helps the model name the product; it is part of the content hash
    assert campaigns[1] == {"index": 1, "company": "Chase", "channel": "email", "title": "Card 1",
                            "subject_line": "Offer 1", "content": records[1]["content"]}

    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema["required"] == ["items"] and schema["additionalProperties"] is False
    item = schema["properties"]["items"]["items"]
    assert set(item["properties"]) == {"index", *ENRICHMENT_FIELDS, "product",
                                       "product_confidence"}
    assert set(item["required"]) == set(item["properties"])
    assert item["additionalProperties"] is False
    assert item["properties"]["campaign_type_predicted"]["anyOf"][0]["enum"] == list(CAMPAIGN_TYPES)
    assert "description" not in item and "description" not in schema

    assert tags(run) == [MODEL_TAG] * 3
    assert [r["summary"] for r in run.results] == ["Model summary of Card 0", "Model summary of Card 1",
                                                   "Model summary of Card 2"]
    assert [r["cash_back_pct"] for r in run.results] == [1.0, 2.0, 3.0]
    assert (run.requests_sent, run.model_items, run.fallback_items, run.failures) == (1, 3, 0, [])
    assert run.tokens_used > 0 and not run.budget_exhausted
    assert_complete(run, records)


def test_prompt_states_types_terms_and_rules():
    for name in (*CAMPAIGN_TYPES, *OFFER_FIELDS):
        assert name in SYSTEM_PROMPT
    for example in ('"0% intro APR for 15 months" -> 0 and 15', "60000, points, 4000, 3",
                    '"$95 annual fee" -> 95', '"no annual fee" -> 0', "19.24 and 29.24", "-> 4.5",
                    "highest"):
        assert example in SYSTEM_PROMPT


def test_batches_of_batch_size(server, make_enricher):
    records = make_records(25)
    run = make_enricher(batch_size=10).enrich_many(records)

    assert sorted(len(campaigns_of(body)) for body in server.requests) == [5, 10, 10]
    assert run.requests_sent == 3 and run.model_items == 25
    assert_complete(run, records)


def test_answers_are_matched_by_index_not_position(server, make_enricher):
    server.default = answer(lambda items: list(reversed(items)))
    records = make_records(4)
    run = make_enricher().enrich_many(records)

    assert [r["summary"] for r in run.results] == [f"Model summary of Card {i}" for i in range(4)]
    assert_complete(run, records)


def test_concurrency_is_bounded(server, make_enricher):
    server.default = answer(delay=0.15)
    records = make_records(16)
    run = make_enricher(batch_size=2, max_concurrency=3).enrich_many(records)

    assert len(server.requests) == 8
    assert server.max_in_flight == 3
    assert run.model_items == 16
    assert_complete(run, records)


def test_progress_is_reported_in_the_callers_thread(make_enricher):
    calls: list[tuple[int, int, int]] = []
    records = make_records(25)
    make_enricher(batch_size=10, max_concurrency=1).enrich_many(
        records, progress=lambda done, total: calls.append((done, total, threading.get_ident())))

    assert [(done, total) for done, total, _ in calls] == [(0, 25), (10, 25), (20, 25), (25, 25)]
    assert {thread for _, _, thread in calls} == {threading.get_ident()}


def test_no_records_sends_nothing(server, make_enricher):
    run = make_enricher().enrich_many([])
    assert run.results == [] and run.requests_sent == 0 and server.requests == []


# ---------------------------------------------------------------------------- cache

def test_cached_text_is_not_sent_again(server, make_enricher, cache):
    records = make_records(12)
    first = make_enricher(batch_size=5).enrich_many(records)
    assert len(server.requests) == 3 and len(cache) == 12

    second = make_enricher(batch_size=5).enrich_many(records)
    assert len(server.requests) == 3
    assert (second.requests_sent, second.cache_hits, second.model_items) == (0, 12, 0)
    assert second.results == first.results
    assert_complete(second, records)


def test_new_prompt_version_sends_again(server, make_enricher):
    records = make_records(4)
    make_enricher().enrich_many(records)
    run = make_enricher(prompt_version="next").enrich_many(records)

    assert len(server.requests) == 2
    assert run.cache_hits == 0 and tags(run) == [f"openai:{MODEL}:next"] * 4


def test_an_offer_end_date_is_a_date_also_from_the_cache(server, make_enricher, cache):
    server.script(answer(_change(0, offer_expires="2027-01-19")))
    records = make_records(2)
    first = make_enricher().enrich_many(records)
    assert first.results[0]["offer_expires"] == date(2027, 1, 19)
    assert first.results[1]["offer_expires"] is None
    again = make_enricher().enrich_many(records)
    assert again.cache_hits == 2 and again.results == first.results
    assert "offer_expires" in SYSTEM_PROMPT


def test_an_offer_end_date_that_is_no_date_falls_back(server, make_enricher, fallback):
    server.script(answer(_change(0, offer_expires="January 19")))
    run = make_enricher().enrich_many(make_records(2))
    assert tags(run) == [LOCAL_TAG, MODEL_TAG]
    assert any("offer_expires" in failure for failure in run.failures)


def test_only_model_answers_are_cached(server, make_enricher, cache):
    server.script(answer(lambda items: [i for i in items if i["index"] != 1]))
    records = make_records(3)
    first = make_enricher().enrich_many(records)
    assert tags(first) == [MODEL_TAG, LOCAL_TAG, MODEL_TAG]
    assert len(cache) == 2

    second = make_enricher().enrich_many(records)
    assert [c["title"] for c in campaigns_of(server.requests[-1])] == ["Card 1"]
    assert (second.cache_hits, second.model_items) == (2, 1)
    assert tags(second) == [MODEL_TAG] * 3


def test_same_text_twice_in_a_run_is_sent_once(server, make_enricher):
    records = make_records(2) + make_records(2)
    run = make_enricher().enrich_many(records)

    assert [c["title"] for c in campaigns_of(server.requests[0])] == ["Card 0", "Card 1"]
    assert run.results[0] == run.results[2] and run.results[0] is not run.results[2]
    assert run.model_items == 4
    assert_complete(run, records)


def test_records_without_content_hash_are_keyed_by_their_text(server, make_enricher):
    records = [{**r, "content_hash": None} for r in make_records(1) * 2]
    make_enricher().enrich_many(records)
    run = make_enricher().enrich_many(records)

    assert len(campaigns_of(server.requests[0])) == 1 and len(server.requests) == 1
    assert run.cache_hits == 2


def test_in_memory_cache_keeps_its_own_copies():
    cache = InMemoryEnrichmentCache()
    result = {"summary": "a", "extracted_keywords": ["x"]}
    cache.put_many({("h", "m", "v1"): result})
    result["extracted_keywords"].append("changed")

    got = cache.get_many([("h", "m", "v1"), ("h", "m", "v2")])
    assert got == {("h", "m", "v1"): {"summary": "a", "extracted_keywords": ["x"]}}
    got[("h", "m", "v1")]["summary"] = "changed"
    assert cache.get_many([("h", "m", "v1")])[("h", "m", "v1")]["summary"] == "a"


# ---------------------------------------------------------------------------- retries and failures

def test_rate_limits_then_success_ends_enriched(server, make_enricher):
    server.script(status(429, retry_after_ms=20), status(429, retry_after_ms=20), status(429, retry_after_ms=20))
    records = make_records(3)
    run = make_enricher(max_retries=3).enrich_many(records)

    assert len(server.requests) == 4
    assert run.requests_sent == 1 and tags(run) == [MODEL_TAG] * 3 and run.failures == []
    assert_complete(run, records)


def test_server_errors_are_retried(server, make_enricher):
    server.script(status(500), status(503))
    records = make_records(3)
    run = make_enricher(max_retries=2).enrich_many(records)

    assert len(server.requests) == 3
    assert tags(run) == [MODEL_TAG] * 3
    assert_complete(run, records)


def test_persistent_server_error_falls_back_locally(server, make_enricher, fallback):
    server.default = status(500)
    records = make_records(4)
    run = make_enricher(batch_size=2, max_retries=1).enrich_many(records)

    assert len(server.requests) == 4  # two batches, each tried twice
    assert tags(run) == [LOCAL_TAG] * 4
    assert len(fallback.calls) == 1 and fallback.calls[0] == records
    assert len(run.failures) == 2 and all("InternalServerError" in f for f in run.failures)
    assert_complete(run, records)


def test_timeout_falls_back_locally_and_quickly(server, make_enricher):
    server.default = answer(delay=5)
    records = make_records(3)
    started = time.monotonic()
    run = make_enricher(timeout=0.5, max_retries=1).enrich_many(records)

    assert time.monotonic() - started < 4
    assert tags(run) == [LOCAL_TAG] * 3
    assert run.failures == ["batch 1 (3 campaigns): request failed: APITimeoutError: Request timed out."]
    assert_complete(run, records)


def test_invalid_json_content_falls_back_locally(server, make_enricher):
    server.script(raw_content('{"items": [ not json'))
    records = make_records(3)
    run = make_enricher().enrich_many(records)

    assert tags(run) == [LOCAL_TAG] * 3
    assert len(run.failures) == 1 and "not the expected JSON" in run.failures[0]
    assert_complete(run, records)


def test_content_without_items_falls_back_locally(server, make_enricher):
    server.script(raw_content('{"answers": []}'))
    records = make_records(2)
    run = make_enricher().enrich_many(records)

    assert tags(run) == [LOCAL_TAG] * 2 and "items" in run.failures[0]
    assert_complete(run, records)


def _change(position: int, **changes: Any) -> Callable[[list[dict]], list[dict]]:
    return lambda items: [{**item, **changes} if item["index"] == position else item for item in items]


def _drop_field(position: int, name: str) -> Callable[[list[dict]], list[dict]]:
    return lambda items: [{k: v for k, v in item.items() if not (item["index"] == position and k == name)}
                          for item in items]


@pytest.mark.parametrize("transform, reason", [
    (_change(1, sentiment_score=7), "sentiment_score"),
    (_change(1, sentiment_label="ecstatic"), "sentiment_label"),
    (_change(1, campaign_type_predicted="spam"), "campaign_type_predicted"),
    (_change(1, campaign_type_confidence=1.5), "campaign_type_confidence"),
    (_change(1, cash_back_pct=150), "cash_back_pct"),
    (_change(1, intro_apr_months=99), "intro_apr_months"),
    (_change(1, annual_fee_usd=-95), "annual_fee_usd"),
    (_change(1, bonus_unit="coins"), "bonus_unit"),
    (_change(1, regular_apr_min_pct=29.99, regular_apr_max_pct=19.99), "reversed"),
    (_drop_field(1, "summary"), "summary"),
    (lambda items: [i for i in items if i["index"] != 1], "missing"),
    (_change(1, index=99), "missing"),
    (lambda items: items + [dict(items[1], summary="again")], "more than once"),
    (lambda items: items[:1] + ["not an object"] + items[2:], "missing"),
], ids=["score", "label", "type", "confidence", "percent", "months", "fee", "unit", "apr-range",
        "no-summary", "dropped", "bad-index", "duplicate", "not-object"])
def test_invalid_items_fall_back_one_by_one(server, make_enricher, fallback, transform, reason):
    server.script(answer(transform))
    records = make_records(3)
    run = make_enricher().enrich_many(records)

    assert tags(run) == [MODEL_TAG, LOCAL_TAG, MODEL_TAG]
    assert fallback.calls == [[records[1]]]
    assert len(run.failures) == 1 and run.failures[0].startswith("record 1: ") and reason in run.failures[0]
    assert (run.model_items, run.fallback_items) == (2, 1)
    assert_complete(run, records)


def test_summary_is_kept_to_one_line(server, make_enricher):
    server.script(answer(_change(0, summary="Chase offers\n 60,000 points\tto new cardholders ")))
    run = make_enricher().enrich_many(make_records(1))
    assert run.results[0]["summary"] == "Chase offers 60,000 points to new cardholders"


def test_refused_key_stops_sending(server, make_enricher):
    server.default = status(401, retry_after_ms=None)
    records = make_records(6)
    run = make_enricher(batch_size=2, max_concurrency=1).enrich_many(records)

    assert len(server.requests) == 1
    assert tags(run) == [LOCAL_TAG] * 6
    assert "AuthenticationError" in run.failures[0] and "check the API key" in run.message
    assert_complete(run, records)


# ---------------------------------------------------------------------------- budget

def test_request_budget_stops_sending(server, make_enricher):
    records = make_records(25)
    run = make_enricher(batch_size=10, max_concurrency=4, budget_requests=1).enrich_many(records)

    assert len(server.requests) == 1 and run.requests_sent == 1
    assert (run.model_items, run.fallback_items) == (len(campaigns_of(server.requests[0])), 25 - run.model_items)
    assert run.budget_exhausted
    assert "request budget of 1 stopped the run" in run.message
    assert run.failures == []
    assert_complete(run, records)


def test_token_budget_stops_sending(server, make_enricher):
    records = make_records(6)
    run = make_enricher(batch_size=2, max_concurrency=1, budget_tokens=1).enrich_many(records)

    assert len(server.requests) == 1
    assert tags(run) == [MODEL_TAG] * 2 + [LOCAL_TAG] * 4
    assert run.budget_exhausted and "token budget of 1 stopped the run" in run.message
    assert_complete(run, records)


def test_budget_left_over_is_not_exhausted(server, make_enricher):
    run = make_enricher(batch_size=2, budget_requests=2).enrich_many(make_records(4))
    assert run.requests_sent == 2 and not run.budget_exhausted and "budget" not in run.message


@pytest.mark.parametrize("options", [dict(batch_size=0), dict(max_concurrency=0), dict(budget_requests=-1)])
def test_invalid_settings_are_refused(make_enricher, options):
    with pytest.raises(ValueError):
        make_enricher(**options)


def test_answers_are_json_serialisable_for_the_store(make_enricher):
    run = make_enricher().enrich_many(make_records(2))
    assert json.loads(json.dumps(run.results)) == run.results
