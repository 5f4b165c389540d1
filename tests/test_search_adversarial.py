"""Hostile and broken input: a normal result or a QueryError with a message, never anything else.

Every input goes through the embedded index (a real search over a few documents) and through
the Elasticsearch body builder (the body must serialise and must not contain query syntax).
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime

import pytest

from competiscan.model import CampaignFilter
from competiscan.search import QueryError, SearchRequest, SearchResult, open_index
from competiscan.search.elastic import build_search_body
from competiscan.search.query import MAX_QUERY_LENGTH

ADVERSARIAL: list[str] = [
    # unbalanced and stray syntax
    '"', '""', '"""', '"0% APR', 'cash "back', "(", ")", "((", "))", ")(", "(()", "())", "()", "( )",
    "((((((((((a", "a))))))))))", "(a OR (b AND (c", '"(" ")"',
    # lone and repeated operators
    "AND", "OR", "NOT", "-", "--", "- -", "OR OR", "AND AND AND", "NOT NOT", "a OR", "OR a", "a AND OR b",
    "NOT -", "-NOT", "-(", "-()", '-""', "a -", "- a", "--a", "-\"", "a NOT OR b",
    # field syntax
    "company:", "company:\"", 'company:""', "company:(chase)", ":", "::", ":chase", "type:", "channel:-",
    "title:x", "_id:1", "_exists_:title", "company:chase:citi", "COMPANY:CHASE", 'company:"unclosed',
    # offer comparisons, broken
    "fee:", "fee:0..", "fee>=", "bonus >= ", 'apr:"', "fee:1,2,3", "fee:" + "9" * 400, "apr:0..0..0", ">=5",
    "fee<>5", "fee:$", "fee:%", "fee:.", "fee:..", "apr:0%%", "fee>=-1", "bonus:5kk", "fee=>5", "apy:4.5.5",
    "cashback>=2 OR", "(fee:0", "-fee:0 -", 'fee:"', 'fee:"abc"', "FEE:0", "aprr:0", "x<5", "https://a.b:80",
    # regex, wildcard, Lucene and ES syntax
    "/.*/", "/[a-z]+/", "rew*", "*", "?", "re?ards", "rewards~", "rewards~2", "rewards^10", "a^", "{", "}", "[", "]",
    "[1 TO 5]", "{a TO b}", "\\", "\\\\", '\\"', "a && b || !c", "+a +b", "{!lucene}x", "*:*",
    '{"query": {"match_all": {}}}', "query_string", "<script>alert(1)</script>", "&amp; &lt;",
    # SQL and shell
    "'; DROP TABLE campaigns;--", "' OR '1'='1", "1; SELECT * FROM campaigns", "$(rm -rf /)", "`id`", "%00",
    "%", "%%%", "$", "$$$", "$%", "0%", "100%", "$0", "$-1", "1e308", "NaN", "Infinity", "null", "None", "-0",
    # unicode
    "🙂", "🙂🙂🙂 rewards", "👩‍👩‍👧‍👦", "🇺🇸", "é", "e\u0301", "\u200b", "\u200e\u200f", "\ufeffrewards", "ｒｅｗａｒｄｓ",
    "рекламa", "报价", "مكافآت", "\ud800", "\udfff rewards", "\x00", "a\x00b", "\x1b[31mred", "\t\n\r",
    "x" * 39, "x" * 40, "x" * 200, "a" * MAX_QUERY_LENGTH,
    # many terms and deep nesting under the length limit
    " ".join(["a"] * 100), " OR ".join(["a"] * 100), "(" * 400 + "a" + ")" * 400, "-" * 999 + "a",
    "NOT " * 200 + "a", '"' * 999,
]

ADVERSARIAL_REQUESTS: list[SearchRequest] = [
    SearchRequest(limit=0),
    SearchRequest(limit=1000),
    SearchRequest(offset=9_999, limit=1),
    SearchRequest(offset=5_000),
    SearchRequest(filter=CampaignFilter(companies=("'; DROP TABLE campaigns;--", "🙂", ""))),
    SearchRequest(filter=CampaignFilter(channels=("<script>",), campaign_types=("*",), industries=("\\",), sentiments=("\x00",))),
    SearchRequest(filter=CampaignFilter(date_from=date(1900, 1, 1), date_to=date(2200, 12, 31))),
    SearchRequest(filter=CampaignFilter(offer_ranges={"annual_fee_usd": (-1e308, 1e308)})),
    SearchRequest(filter=CampaignFilter(date_from="2024-01-01", companies="Chase", channels=None)),
    SearchRequest(filter=CampaignFilter(offer_ranges={"cash_back_pct": ("1", None)})),
    SearchRequest(ingested_after=datetime(1970, 1, 1)),
    SearchRequest(ingested_after=datetime(2200, 1, 1)),
    SearchRequest(query="rewards", sort="date", facets=False, highlight=False),
    # request errors
    SearchRequest(limit=-1),
    SearchRequest(limit=10**9),
    SearchRequest(offset=-1),
    SearchRequest(offset=10**9),
    SearchRequest(sort="'; DROP"),
    SearchRequest(limit="20"),
    SearchRequest(offset=1.5),
    SearchRequest(ingested_after=date(2024, 1, 1)),
    SearchRequest(query=None),
    SearchRequest(query=b"rewards"),
    SearchRequest(filter={"companies": ("Chase",)}),
]

DOCS = [
    {
        "id": i, "company": company, "industry": "credit_cards", "channel": "email",
        "campaign_type": "acquisition", "sentiment_label": "positive", "launch_date": date(2024, 1, i),
        "ingested_at": datetime(2024, 2, 1), "title": title, "subject_line": "", "content": content,
        "keywords": "rewards", "cash_back_pct": 5.0 if i == 1 else None,
    }
    for i, (company, title, content) in enumerate(
        [
            ("Chase", "5% cash back", "Earn 5% cash back. <script>alert(1)</script> 🙂"),
            ("Capital One", "0% intro APR", "0% APR for 15 months; $200 bonus & rewards."),
            ("Citi", "报价 рекламa", "Unicode text: é e\u0301 ｒｅｗａｒｄｓ مكافآت"),
        ],
        start=1,
    )
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = open_index(str(tmp_path_factory.mktemp("adversarial") / "index"))
    idx.add(DOCS)
    yield idx
    idx.close()


def _check_embedded(index, req: SearchRequest) -> None:
    try:
        result = index.search(req)
    except QueryError as exc:
        assert str(exc).strip()
        return
    assert isinstance(result, SearchResult)
    assert result.total >= len(result.hits)
    for hit in result.hits:
        assert "<" not in hit.snippet.replace("<mark>", "").replace("</mark>", "")


def _check_elastic(req: SearchRequest) -> None:
    try:
        body = build_search_body(req, fuzzy_words={"rewrds", "xxxx"})
    except QueryError as exc:
        assert str(exc).strip()
        return
    json.dumps(body)  # it serialises
    assert not _keys(body) & {"query_string", "simple_query_string", "regexp", "wildcard", "prefix", "script"}


def _keys(obj: object) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _keys(v)}
    return set()


@pytest.mark.parametrize("query", ADVERSARIAL, ids=lambda q: repr(q)[:40])
def test_adversarial_queries_on_embedded(index, query):
    _check_embedded(index, SearchRequest(query=query))


@pytest.mark.parametrize("query", ADVERSARIAL, ids=lambda q: repr(q)[:40])
def test_adversarial_queries_through_the_elastic_builder(query):
    _check_elastic(SearchRequest(query=query))


@pytest.mark.parametrize("req", ADVERSARIAL_REQUESTS, ids=lambda r: repr(r)[13:60])
def test_adversarial_requests(index, req):
    _check_embedded(index, req)
    _check_elastic(req)


def test_ten_kilobytes_is_refused_with_the_limit():
    with pytest.raises(QueryError, match="10,240 characters long; the limit is 1,000"):
        build_search_body(SearchRequest(query="rewards " * 1280))


def test_deep_nesting_is_refused_with_the_position(index):
    with pytest.raises(QueryError, match=r"nested more than 20 levels deep \(at character 21\)"):
        index.search(SearchRequest(query="(" * 400 + "a"))


def test_stray_syntax_still_finds_the_words(index):
    assert {h.id for h in index.search(SearchRequest(query='rewards) AND "')).hits} == {1, 2, 3}
    assert {h.id for h in index.search(SearchRequest(query="(bonus OR")).hits} == {2}
    assert {h.id for h in index.search(SearchRequest(query="/.*/ 🙂 bonus ~")).hits} == {2}
    assert index.search(SearchRequest(query="🙂")).total == 0
    assert {h.id for h in index.search(SearchRequest(query="报价")).hits} == {3}


FUZZ_ALPHABET = ['"', "(", ")", "-", ":", "*", "~", "^", "\\", "/", " ", " ", " ", "OR", "AND", "NOT", "company:",
                 "type:", "rewards", "cash", "back", "0%", "$200", "🙂", "é", "\x00", "{", "}", "[", "]", "'", ";"]


def test_random_fuzz(index):
    rng = random.Random(20261128)
    for _ in range(400):
        query = "".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(1, 25)))
        req = SearchRequest(query=query)
        _check_embedded(index, req)
        _check_elastic(req)
