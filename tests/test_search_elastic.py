"""The Elasticsearch backend without a server: request bodies, response parsing, errors.

The pure builders are checked structure by structure. The client plumbing (which requests go
where, in which order) is checked against a small loopback HTTP server that answers the way
Elasticsearch 9 does for the handful of endpoints the backend uses. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pyarrow as pa
import pytest

from competiscan.search import QueryError, SearchRequest, SearchUnavailable
from competiscan.search.base import FACET_FIELDS, FACET_SIZE, TEXT_FIELDS
from competiscan.search.elastic import (
    ANALYZER_NAME,
    DEFAULT_INDEX_NAME,
    ElasticIndex,
    build_exact_match_probe,
    build_mapping,
    build_search_body,
    parse_search_response,
    to_source,
)
from competiscan.search.query import AMOUNT_MARK_PATTERN, tokenize
from competiscan.model import CampaignFilter

CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused

BOOSTS = {"title": 3.0, "subject_line": 2.0, "content": 1.0, "keywords": 1.0}


def per_field(kind: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "bool": {
            "should": [{kind: {f: {"query": text, **extra, "boost": BOOSTS[f]}}} for f in TEXT_FIELDS],
            "minimum_should_match": 1,
        }
    }


def leaves(obj: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every (path, value) of a nested body."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from leaves(value, path + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from leaves(value, path + (i,))
    else:
        yield path, obj


def keys(obj: Any) -> set[str]:
    return {k for path, _ in leaves(obj) for k in path if isinstance(k, str)}


# --------------------------------------------------------------------------- mapping


def test_mapping_mirrors_the_embedded_analysis():
    mapping = build_mapping()
    analysis = mapping["settings"]["analysis"]
    assert analysis["char_filter"]["competiscan_amounts"] == {
        "type": "pattern_replace",
        "pattern": AMOUNT_MARK_PATTERN,
        "replacement": "j",
    }
    assert analysis["tokenizer"]["competiscan_words"] == {"type": "pattern", "pattern": r"[^\p{IsAlphabetic}\p{N}]+"}
    assert analysis["analyzer"][ANALYZER_NAME] == {
        "type": "custom",
        "char_filter": ["competiscan_amounts"],
        "tokenizer": "competiscan_words",
        "filter": ["competiscan_length", "lowercase", "asciifolding", "competiscan_stemmer"],
    }
    assert analysis["filter"]["competiscan_length"] == {"type": "length", "max": 39}
    assert analysis["filter"]["competiscan_stemmer"] == {"type": "snowball", "language": "English"}
    assert mapping["settings"]["number_of_shards"] == 1


def test_mapping_fields():
    mapping = build_mapping()["mappings"]
    props = mapping["properties"]
    assert mapping["dynamic"] == "strict"
    assert props["id"] == {"type": "long"}
    for name in TEXT_FIELDS:
        assert props[name] == {"type": "text", "analyzer": ANALYZER_NAME}
    for name in FACET_FIELDS:
        assert props[name] == {"type": "keyword"}
    assert "product" in FACET_FIELDS
    for name in ("company_key", "product_key", "channel_key", "campaign_type_key", "industry_key"):
        assert props[name] == {"type": "keyword"}
    assert props["launch_date"] == {"type": "date", "format": "strict_date"}
    assert props["ingested_at"] == {"type": "date_nanos"}
    assert props["cash_back_pct"] == props["intro_apr_months"] == {"type": "double"}
    assert props["bonus_unit"] == {"type": "keyword"}
    assert "offer_expires" not in props  # not searched, so not indexed


def test_source_of_a_document():
    doc = {
        "id": 7, "company": "Capital One", "industry": "credit_cards", "channel": "direct_mail",
        "campaign_type": None, "sentiment_label": "positive", "launch_date": date(2024, 3, 1),
        "ingested_at": datetime(2024, 9, 1, 10, 0, 0, 250_000), "title": "Venture", "subject_line": "",
        "content": None, "keywords": "miles", "cash_back_pct": None, "annual_fee_usd": 95, "apy_pct": float("nan"),
        "bonus_amount": 75000, "bonus_unit": "miles", "product": "Venture X", "offer_expires": date(2027, 1, 19),
    }
    assert to_source(doc) == {
        "id": 7, "launch_date": "2024-03-01", "ingested_at": "2024-09-01T10:00:00.250000",
        "title": "Venture", "keywords": "miles", "company": "Capital One", "product": "Venture X",
        "industry": "credit_cards", "channel": "direct_mail", "sentiment_label": "positive",
        "company_key": "capital one", "product_key": "venture x", "industry_key": "credit cards",
        "channel_key": "direct mail", "annual_fee_usd": 95.0, "bonus_amount": 75000.0, "bonus_unit": "miles",
    }


# --------------------------------------------------------------------------- search bodies


def test_body_for_a_representative_search():
    req = SearchRequest(filter=CampaignFilter(companies=("Capital One", "Chase"), products=("Venture X",), channels=("email",), campaign_types=("acquisition",), industries=("credit_cards",), sentiments=("positive",), date_from=date(2024, 1, 1), date_to=date(2024, 6, 30), offer_ranges={"intro_apr_months": (12, None), "annual_fee_usd": (0, 0), "apy_pct": (None, None)}), query='"0% APR" rewrds -business company:"capital one"', ingested_after=datetime(2024, 9, 1, 10, 0, 0, 250_000), limit=20, offset=40)
    body = build_search_body(req, fuzzy_words={"rewrds"})
    assert body["query"] == {
        "bool": {
            "must": [
                {
                    "bool": {
                        "must": [
                            {
                                "bool": {
                                    "should": [
                                        per_field("match_phrase", "0% apr"),
                                        {"constant_score": {"filter": {"range": {"intro_apr_pct": {"gte": 0.0, "lte": 0.0}}},
                                                            "boost": 0.0}},
                                    ],
                                    "minimum_should_match": 1,
                                }
                            },
                            per_field("match", "rewrds", fuzziness=1, fuzzy_transpositions=True),
                            {"term": {"company_key": "capital one"}},
                        ],
                        "must_not": [per_field("match", "business")],
                    }
                }
            ],
            "filter": [
                {"terms": {"company": ["Capital One", "Chase"]}},
                {"terms": {"product": ["Venture X"]}},
                {"terms": {"channel": ["email"]}},
                {"terms": {"campaign_type": ["acquisition"]}},
                {"terms": {"industry": ["credit_cards"]}},
                {"terms": {"sentiment_label": ["positive"]}},
                {"range": {"launch_date": {"gte": "2024-01-01", "lte": "2024-06-30"}}},
                {"range": {"ingested_at": {"gt": "2024-09-01T10:00:00.250000"}}},
                {"range": {"annual_fee_usd": {"gte": 0.0, "lte": 0.0}}},
                {"range": {"intro_apr_months": {"gte": 12.0}}},
            ],
        }
    }
    assert (body["from"], body["size"], body["track_total_hits"]) == (40, 20, True)
    assert "sort" not in body  # relevance
    assert body["aggs"] == {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in FACET_FIELDS}
    assert body["highlight"] == {
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "encoder": "html",
        "fields": {
            "content": {"fragment_size": 200, "number_of_fragments": 1},
            "title": {"number_of_fragments": 0},
            "subject_line": {"number_of_fragments": 0},
        },
    }
    assert set(body["_source"]) >= {"id", "company", "product", "channel", "campaign_type", "industry", "launch_date",
                                    "title", "bonus_unit", "intro_apr_pct", "annual_fee_usd", "cash_back_pct"}


def test_word_splits_and_or_reach_the_body():
    body = build_search_body(SearchRequest(query="cashback OR gecko"))
    assert body["query"]["bool"]["must"][0] == {
        "bool": {
            "should": [
                per_field("match", "cashback"),
                per_field("match_phrase", "cash back"),
                per_field("match", "gecko"),
            ],
            "minimum_should_match": 1,
        }
    }


def test_no_fuzziness_unless_the_index_lacks_the_word():
    assert "fuzziness" not in keys(build_search_body(SearchRequest(query="rewrds travel")))
    body = build_search_body(SearchRequest(query="rewrds travel"), fuzzy_words={"travel"})
    fuzzy = [path for path, value in leaves(body) if path[-1] == "fuzziness"]
    assert len(fuzzy) == len(TEXT_FIELDS)
    assert all(body_value == 1 for path, body_value in leaves(body) if path[-1] == "fuzziness")


def test_long_words_get_two_edits():
    body = build_search_body(SearchRequest(query="insurnce"), fuzzy_words={"insurnce"})
    assert body["query"]["bool"]["must"][0] == per_field("match", "insurnce", fuzziness=2, fuzzy_transpositions=True)


@pytest.mark.parametrize(
    "query, compiled",
    [
        ("", {"match_all": {}}),
        ("🙂", {"match_none": {}}),
        ("-business", {"bool": {"must": [{"match_all": {}}], "must_not": [per_field("match", "business")]}}),
        (
            "a OR -b",
            {
                "bool": {
                    "should": [
                        per_field("match", "a"),
                        {"bool": {"must": [{"match_all": {}}], "must_not": [per_field("match", "b")]}},
                    ],
                    "minimum_should_match": 1,
                }
            },
        ),
        ("type:brand_awareness", {"term": {"campaign_type_key": "brand awareness"}}),
    ],
)
def test_compiled_shapes(query, compiled):
    assert build_search_body(SearchRequest(query=query))["query"]["bool"]["must"] == [compiled]


def _range(field: str, **bounds: float) -> dict[str, Any]:
    return {"range": {field: bounds}}


def _selects(query: dict[str, Any]) -> dict[str, Any]:
    """A comparison selects like a filter: it scores nothing, only the query's words rank."""
    return {"constant_score": {"filter": query, "boost": 0.0}}


@pytest.mark.parametrize(
    "query, compiled",
    [
        ("apr:0", _selects(_range("intro_apr_pct", gte=0.0, lte=0.0))),
        ("intro_apr_months>=15", _selects(_range("intro_apr_months", gte=15.0))),
        ("months>15", _selects(_range("intro_apr_months", gt=15.0))),
        ("months:12..21", _selects(_range("intro_apr_months", gte=12.0, lte=21.0))),
        ("fee<95", _selects(_range("annual_fee_usd", lt=95.0))),
        ("fee:0", _selects(_range("annual_fee_usd", gte=0.0, lte=0.0))),
        ("bonus >= 60k", _selects(_range("bonus_amount", gte=60000.0))),
        ("cashback>=2", _selects(_range("cash_back_pct", gte=2.0))),
        ("spend<=$4,000", _selects(_range("bonus_spend_usd", lte=4000.0))),
        ("bonus_points>=60000", _selects(
            {"bool": {"filter": [_range("bonus_amount", gte=60000.0), {"term": {"bonus_unit": "points"}}]}})),
        ('product:"Venture X"', {"term": {"product_key": "venture x"}}),
        ("-fee:0", {"bool": {"must": [{"match_all": {}}],
                             "must_not": [_selects(_range("annual_fee_usd", gte=0.0, lte=0.0))]}}),
    ],
)
def test_offer_comparisons_compile_to_ranges(query, compiled):
    body = build_search_body(SearchRequest(query=query))
    assert body["query"]["bool"]["must"] == [compiled]
    assert "sort" in body  # no words: newest first, as in the embedded index


def test_an_offer_phrase_is_the_literal_phrase_or_its_terms_scoring_zero():
    body = build_search_body(SearchRequest(query='"$200 bonus after you spend $500"'))
    assert body["query"]["bool"]["must"] == [{
        "bool": {
            "should": [
                per_field("match_phrase", "$200 bonus after you spend $500"),
                {"constant_score": {"filter": {"bool": {"filter": [
                    {"bool": {"filter": [_range("bonus_amount", gte=200.0, lte=200.0),
                                         {"term": {"bonus_unit": "dollars"}}]}},
                    _range("bonus_spend_usd", gte=500.0, lte=500.0),
                ]}}, "boost": 0.0}},
            ],
            "minimum_should_match": 1,
        }
    }]
    assert "sort" not in body and "highlight" in body  # words: by relevance, highlighted
    split = build_search_body(SearchRequest(query='"no annual fee"'))["query"]["bool"]["must"][0]
    assert split["bool"]["should"] == [
        {"bool": {"should": [per_field("match_phrase", "no annual fee"), per_field("match", "noannualfee")],
                  "minimum_should_match": 1}},
        {"constant_score": {"filter": _range("annual_fee_usd", gte=0.0, lte=0.0), "boost": 0.0}},
    ]


def test_offer_values_in_the_body_are_numbers_and_our_units():
    body = build_search_body(SearchRequest(query='"60,000 points" bonus_miles>1 "$200 bonus" -"0% APR" fee<=95'))
    for path, value in leaves(body["query"]):
        if isinstance(value, str):
            assert (path[-1] == "query" and path[-3] in ("match", "match_phrase")) or (
                path[-2:] == ("term", "bonus_unit") and value in ("points", "miles", "dollars")), path
        elif "range" in path:
            assert isinstance(value, float) and path[-1] in ("gt", "gte", "lt", "lte"), path


def test_offer_comparison_errors_come_before_the_network():
    index = ElasticIndex(CLOSED_PORT_URL, timeout=2)
    with pytest.raises(QueryError, match="Unknown field 'aprr'"):
        index.search(SearchRequest(query="aprr:0"))


def test_sorting_by_date_and_browsing():
    by_date = [{"launch_date": {"order": "desc"}}, {"id": {"order": "desc"}}]
    assert build_search_body(SearchRequest(query="x", sort="date"))["sort"] == by_date
    browse = build_search_body(SearchRequest())
    assert browse["sort"] == by_date  # no words: newest first
    assert "highlight" not in browse


def test_facets_and_highlight_can_be_left_out():
    body = build_search_body(SearchRequest(query="x", facets=False, highlight=False))
    assert "aggs" not in body and "highlight" not in body


@pytest.mark.parametrize(
    "query",
    [
        'title:"x" AND {!lucene} *:* /.*/ _exists_:title',
        "query_string simple_query_string regexp wildcard",
        "a~2 b^3 c* [1 TO 5] {a TO b} \\\\ ::",
        "'; DROP TABLE campaigns;--",
        "<script>alert(1)</script>",
    ],
)
def test_user_text_only_ever_is_a_value(query):
    body = build_search_body(SearchRequest(query=query), fuzzy_words=set(tokenize(query)))
    assert not keys(body) & {"query_string", "simple_query_string", "regexp", "wildcard", "prefix", "script"}
    texts = [(path, value) for path, value in leaves(body["query"]) if isinstance(value, str)]
    assert texts  # every string in the query part comes from the user...
    for path, value in texts:  # ...and sits where a match query takes a value
        assert path[-1] == "query" and path[-3] in ("match", "match_phrase"), path


def test_bad_requests_raise_query_error_offline():
    with pytest.raises(QueryError, match="limit is 1,000"):
        build_search_body(SearchRequest(query="x" * 5000))
    with pytest.raises(QueryError, match="must be a CampaignFilter"):
        build_search_body(SearchRequest(filter={"offer_ranges": {"bonus_unit": (1, None)}}))


def test_exact_match_probe():
    assert build_exact_match_probe("rewrds") == {
        "size": 0,
        "terminate_after": 1,
        "track_total_hits": True,
        "query": per_field("match", "rewrds"),
    }


# --------------------------------------------------------------------------- responses


ES_RESPONSE: dict[str, Any] = {
    "took": 5,
    "timed_out": False,
    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    "hits": {
        "total": {"value": 1234, "relation": "eq"},
        "max_score": 7.25,
        "hits": [
            {
                "_index": DEFAULT_INDEX_NAME,
                "_id": "21",
                "_score": 7.25,
                "_source": {
                    "id": 21, "company": "Discover", "channel": "email", "campaign_type": "educational",
                    "industry": "credit_cards", "launch_date": "2024-05-20", "title": "Security alert <b>test</b>",
                    "content": "Beware of <script>alert(1)</script>", "product": "Discover it",
                    "intro_apr_pct": 0.0, "intro_apr_months": 15.0,
                },
                "highlight": {
                    "content": ["Beware of &lt;script&gt;<mark>alert</mark>(1)&lt;&#x2F;script&gt;"],
                    "title": ["Security <mark>alert</mark> &lt;b&gt;test&lt;&#x2F;b&gt;"],
                },
            },
            {
                "_index": DEFAULT_INDEX_NAME,
                "_id": "40",
                "_score": 3.5,
                "_source": {
                    "id": 40, "company": "Capital One", "channel": "email", "campaign_type": None,
                    "industry": "credit_cards", "launch_date": "2024-08-25", "title": "Venture <X>",
                    "annual_fee_usd": 395.0, "bonus_amount": 75000.0, "bonus_unit": "miles",
                },
                "highlight": {"title": ["<mark>Venture</mark> &lt;X&gt;"]},
            },
            {
                "_index": DEFAULT_INDEX_NAME,
                "_id": "7",
                "_score": 1.0,
                "_source": {
                    "id": 7, "company": "American Express", "channel": "social", "campaign_type": "promotional",
                    "industry": "credit_cards", "launch_date": "2024-03-05", "title": "Business & <Platinum>",
                    "content": "Earn 150,000 bonus points & more <b>now</b>", "bonus_unit": "points",
                },
            },
        ],
    },
    "aggregations": {
        "company": {
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": 0,
            "buckets": [
                {"key": "Discover", "doc_count": 600},
                {"key": "Capital One", "doc_count": 600},
                {"key": "American Express", "doc_count": 34},
            ],
        },
        "channel": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                    "buckets": [{"key": "email", "doc_count": 1200}, {"key": "social", "doc_count": 34}]},
        "campaign_type": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []},
        "industry": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                     "buckets": [{"key": "credit_cards", "doc_count": 1234}]},
        "product": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                    "buckets": [{"key": "Discover it", "doc_count": 1}]},
        "sentiment_label": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []},
    },
}


def test_parse_search_response():
    result = parse_search_response(ES_RESPONSE)
    assert result.total == 1234
    assert [h.id for h in result.hits] == [21, 40, 7]
    first = result.hits[0]
    assert (first.score, first.company, first.channel, first.campaign_type, first.industry, first.launch_date) == (
        7.25, "Discover", "email", "educational", "credit_cards", date(2024, 5, 20),
    )
    assert first.title == "Security alert <b>test</b>"
    assert first.snippet == "Beware of &lt;script&gt;<mark>alert</mark>(1)&lt;&#x2F;script&gt;"
    assert result.hits[1].snippet == "<mark>Venture</mark> &lt;X&gt;"  # no content: the title
    assert result.hits[1].campaign_type is None
    assert result.hits[2].snippet == "Earn 150,000 bonus points &amp; more &lt;b&gt;now&lt;/b&gt;"  # escaped here
    assert result.facets["company"] == {"Capital One": 600, "Discover": 600, "American Express": 34}
    assert list(result.facets["company"]) == ["Capital One", "Discover", "American Express"]
    assert result.facets["campaign_type"] == {}
    assert result.facets["product"] == {"Discover it": 1}
    assert set(result.facets) == set(FACET_FIELDS)


def test_parse_response_products_offers_and_titles():
    first, second, third = parse_search_response(ES_RESPONSE).hits
    assert (first.product, first.offers) == ("Discover it", {"intro_apr_pct": 0.0, "intro_apr_months": 15.0})
    assert first.title_html == "Security <mark>alert</mark> &lt;b&gt;test&lt;&#x2F;b&gt;"
    assert (second.product, second.offers) == (
        None, {"annual_fee_usd": 395.0, "bonus_amount": 75000.0, "bonus_unit": "miles"})
    assert third.offers == {}  # a unit without a bonus is no offer term
    assert third.title_html == "Business &amp; &lt;Platinum&gt;"  # no highlight: escaped here


def test_parse_response_sorted_by_date_without_aggregations():
    resp = json.loads(json.dumps(ES_RESPONSE))
    del resp["aggregations"]
    for hit in resp["hits"]["hits"]:
        hit["_score"] = None
        hit["sort"] = [1716163200000, hit["_source"]["id"]]
    result = parse_search_response(resp)
    assert result.facets == {}
    assert [h.score for h in result.hits] == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- no server


def test_without_a_server_everything_says_where_and_what_to_do():
    index = ElasticIndex(CLOSED_PORT_URL, timeout=2)
    assert index.ping() is False
    assert index.describe() == f"Elasticsearch at {CLOSED_PORT_URL}, index {DEFAULT_INDEX_NAME}"
    for call in (
        lambda: index.search(SearchRequest(query="rewards")),
        index.count,
        index.ids,
        lambda: index.add([{"id": 1, "launch_date": date(2024, 1, 1)}]),
        lambda: index.delete([1]),
        index.clear,
    ):
        with pytest.raises(SearchUnavailable, match=r"Cannot reach Elasticsearch at http://127\.0\.0\.1:9 .*Start the server"):
            call()
    index.close()


def test_passwords_stay_out_of_messages():
    index = ElasticIndex("http://elastic:s3cret@127.0.0.1:9", timeout=2)
    assert "s3cret" not in index.describe() and "elastic:***@127.0.0.1:9" in index.describe()
    with pytest.raises(SearchUnavailable) as caught:
        index.count()
    assert "s3cret" not in str(caught.value)


def test_query_errors_come_before_the_network():
    index = ElasticIndex(CLOSED_PORT_URL, timeout=2)
    with pytest.raises(QueryError):
        index.search(SearchRequest(query="(" * 50 + "x"))


# --------------------------------------------------------------------------- a stand-in server


class FakeElasticsearch(ThreadingHTTPServer):
    """Answers like Elasticsearch 9 for the endpoints the backend uses; records every request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, Any]] = []
        self.index_exists = False
        self.missing_words: set[str] = set()
        self.status_for_search = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeElasticsearch

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _body(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if not raw:
            return None
        if self.path.split("?")[0].endswith(("_bulk", "_msearch")):
            return [json.loads(line) for line in raw.splitlines() if line.strip()]
        return json.loads(raw)

    def _answer(self, status: int, payload: Any = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        path = self.path.split("?")[0]
        body = self._body()
        self.server.requests.append((self.command, path, body))
        srv = self.server
        if self.command == "HEAD" and path == "/":
            self._answer(200)
        elif self.command == "HEAD":
            self._answer(200 if srv.index_exists else 404)
        elif self.command == "PUT" and path.count("/") == 1 and not path.startswith("/_"):
            srv.index_exists = True
            self._answer(200, {"acknowledged": True, "shards_acknowledged": True, "index": path[1:]})
        elif self.command == "PUT" and path.endswith("/_mapping") and srv.index_exists:
            self._answer(200, {"acknowledged": True})
        elif path.endswith("/_msearch"):
            words = [b["query"]["bool"]["should"][0]["match"]["title"]["query"] for b in body[1::2]]
            self._answer(200, {"took": 1, "responses": [
                {"took": 1, "timed_out": False, "hits": {"total": {"value": 0 if w in srv.missing_words else 1,
                                                                    "relation": "eq"}, "hits": []}, "status": 200}
                for w in words]})
        elif path.endswith("/_search"):
            if srv.status_for_search != 200:
                self._answer(srv.status_for_search, {"error": {"type": "security_exception", "reason": "nope"},
                                                     "status": srv.status_for_search})
            else:
                self._answer(200, ES_RESPONSE)
        elif path.endswith("/_bulk"):
            items = []
            for action in body:
                op, meta = next(iter(action.items()))
                if op in ("index", "delete"):
                    found = op == "index" or meta["_id"] != "999"
                    items.append({op: {"_index": meta["_index"], "_id": meta["_id"], "status": 200 if found else 404,
                                       "result": ("created" if op == "index" else "deleted") if found else "not_found"}})
            self._answer(200, {"took": 3, "errors": any(i[next(iter(i))]["status"] >= 300 for i in items), "items": items})
        elif path.endswith("/_refresh"):
            self._answer(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
        elif path.endswith("/_count"):
            self._answer(200, {"count": 40, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}})
        else:
            self._answer(404, {"error": {"type": "not_found", "reason": path}, "status": 404})

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle


@pytest.fixture
def fake_es() -> Iterator[FakeElasticsearch]:
    server = FakeElasticsearch()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_search_probes_typos_then_sends_the_built_body(fake_es):
    fake_es.missing_words = {"rewrds"}
    index = ElasticIndex(fake_es.url, timeout=5)
    req = SearchRequest(filter=CampaignFilter(companies=("Discover",)), query="rewrds cash -business")
    result = index.search(req)
    assert result.total == 1234 and [h.id for h in result.hits] == [21, 40, 7]
    calls = [(method, path) for method, path, _ in fake_es.requests]
    assert calls == [
        ("HEAD", f"/{DEFAULT_INDEX_NAME}"),
        ("PUT", f"/{DEFAULT_INDEX_NAME}"),
        ("POST", "/_msearch"),
        ("POST", f"/{DEFAULT_INDEX_NAME}/_search"),
    ]
    assert fake_es.requests[1][2] == build_mapping()
    probes = fake_es.requests[2][2]
    assert probes == [
        {"index": DEFAULT_INDEX_NAME}, build_exact_match_probe("business"),
        {"index": DEFAULT_INDEX_NAME}, build_exact_match_probe("cash"),
        {"index": DEFAULT_INDEX_NAME}, build_exact_match_probe("rewrds"),
    ]
    assert fake_es.requests[3][2] == build_search_body(req, fuzzy_words={"rewrds"})
    # The index is created once.
    index.search(SearchRequest(query="apr"))
    assert [c for c in fake_es.requests if c[0] == "PUT"] == fake_es.requests[1:2]


def test_an_existing_index_gets_the_newer_fields_once(fake_es):
    fake_es.index_exists = True  # created by an older version, without products
    index = ElasticIndex(fake_es.url, timeout=5)
    index.search(SearchRequest(query="apr"))
    index.search(SearchRequest(query="fee:0"))
    calls = [(method, path) for method, path, _ in fake_es.requests]
    assert calls[:2] == [("HEAD", f"/{DEFAULT_INDEX_NAME}"), ("PUT", f"/{DEFAULT_INDEX_NAME}/_mapping")]
    assert fake_es.requests[1][2] == {"properties": build_mapping()["mappings"]["properties"]}
    assert [c for c in calls if c[1].endswith("_mapping")] == calls[1:2]


def test_add_and_delete_use_bulk_and_refresh(fake_es):
    fake_es.index_exists = True
    index = ElasticIndex(fake_es.url, timeout=5)
    docs = [
        {"id": 1, "company": "Chase", "industry": "banking", "channel": "email", "campaign_type": None,
         "sentiment_label": None, "launch_date": date(2024, 1, 1), "ingested_at": datetime(2024, 1, 2),
         "title": "One", "subject_line": "", "content": "First", "keywords": ""},
        {"id": 2, "company": "Citi", "industry": "banking", "channel": "sms", "campaign_type": "retention",
         "sentiment_label": "neutral", "launch_date": date(2024, 1, 3), "ingested_at": datetime(2024, 1, 4),
         "title": "Two", "subject_line": "", "content": None, "keywords": ""},
    ]
    assert index.add(docs) == 2
    bulk = next(body for method, path, body in fake_es.requests if path.endswith("/_bulk"))
    assert bulk == [
        {"index": {"_index": DEFAULT_INDEX_NAME, "_id": "1"}}, to_source(docs[0]),
        {"index": {"_index": DEFAULT_INDEX_NAME, "_id": "2"}}, to_source(docs[1]),
    ]
    assert fake_es.requests[-1][1] == f"/{DEFAULT_INDEX_NAME}/_refresh"
    assert index.delete([1, 999]) == 1
    assert index.count() == 40


def test_add_tables_sends_the_documents_add_sends(fake_es):
    # Elasticsearch takes the default add_tables: each Arrow row as the dict add would get.
    fake_es.index_exists = True
    index = ElasticIndex(fake_es.url, timeout=5)
    docs = [
        {"id": 7, "company": "Chase", "launch_date": date(2024, 1, 1), "ingested_at": datetime(2024, 1, 2, 3, 4, 5),
         "title": "Seven", "content": "0% APR", "cash_back_pct": 1.5},
        {"id": 8, "company": "Citi", "launch_date": date(2024, 1, 3), "ingested_at": None,
         "title": "Eight", "content": None, "cash_back_pct": None},
    ]
    assert index.add_tables([pa.Table.from_pylist(docs[:1]), pa.Table.from_pylist(docs[1:])]) == 2
    bulk = next(body for method, path, body in fake_es.requests if path.endswith("/_bulk"))
    assert bulk == [
        {"index": {"_index": DEFAULT_INDEX_NAME, "_id": "7"}}, to_source(docs[0]),
        {"index": {"_index": DEFAULT_INDEX_NAME, "_id": "8"}}, to_source(docs[1]),
    ]


def test_refused_credentials_say_so(fake_es):
    fake_es.index_exists = True
    fake_es.status_for_search = 401
    index = ElasticIndex("http://elastic:s3cret@" + fake_es.url.removeprefix("http://"), timeout=5)
    with pytest.raises(SearchUnavailable, match=r"refused to search \(401\): check the user name") as caught:
        index.search(SearchRequest(query="apr"))
    assert "s3cret" not in str(caught.value)
