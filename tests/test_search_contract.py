"""One contract for every search backend: same documents, same queries, same answers.

The embedded tantivy index always runs. Elasticsearch runs when COMPETISCAN_TEST_ES_URL points
at a server (each test gets its own index, deleted afterwards); otherwise its cases are skipped
with that reason. Backend-specific behaviour (files, locks, URLs) is tested at the end.
"""

from __future__ import annotations

import html
import os
import re
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

import pyarrow as pa
import pytest
import tantivy

from competiscan.search import (
    QueryError,
    SearchIndex,
    SearchRequest,
    SearchUnavailable,
    open_index,
)
from competiscan.search import embedded
from competiscan.search.elastic import ElasticIndex
from competiscan.search.embedded import EmbeddedIndex
from competiscan.model import OFFER_FIELDS, CampaignFilter

ES_URL = os.environ.get("COMPETISCAN_TEST_ES_URL")

# Ingested in two batches half a second apart, within the same second: "arrived after" must
# tell them apart.
BATCH_1 = datetime(2024, 9, 1, 10, 0, 0, 250_000)
BATCH_2 = BATCH_1 + timedelta(milliseconds=500)


def _doc(
    id: int,
    company: str,
    industry: str,
    channel: str,
    campaign_type: str | None,
    sentiment: str | None,
    day: str,
    title: str,
    content: str | None,
    subject: str = "",
    keywords: str = "",
    product: str | None = None,
    **offers: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "company": company,
        "industry": industry,
        "channel": channel,
        "campaign_type": campaign_type,
        "sentiment_label": sentiment,
        "launch_date": date.fromisoformat(day),
        "ingested_at": BATCH_1 if id <= 30 else BATCH_2,
        "title": title,
        "subject_line": subject,
        "content": content,
        "keywords": keywords,
        "product": product,
        **{name: None for name in OFFER_FIELDS},
        **offers,
    }


CC, BANK = "credit_cards", "banking"
DOCS: list[dict[str, Any]] = [
    _doc(1, "Chase", CC, "email", "acquisition", "positive", "2024-01-10", "Chase Freedom: 5% cash back",
         "Earn 5% cash back on rotating categories. No annual fee.", keywords="cash back, rewards",
         product="Freedom", cash_back_pct=5.0, annual_fee_usd=0.0),
    _doc(2, "Capital One", CC, "direct_mail", "acquisition", "positive", "2024-01-15", "Quicksilver cashback card",
         "Unlimited 1.5% cashback on every purchase. $200 bonus after you spend $500.", product="Quicksilver",
         cash_back_pct=1.5, bonus_amount=200.0, bonus_unit="dollars", bonus_spend_usd=500.0, annual_fee_usd=0.0),
    _doc(3, "Citi", CC, "email", "acquisition", "neutral", "2024-02-01", "Citi Simplicity",
         "0% APR on balance transfers for 21 months. Balance transfer fee 5%.", product="Simplicity",
         intro_apr_pct=0.0, intro_apr_months=21.0, balance_transfer_fee_pct=5.0),
    _doc(4, "Discover", CC, "email", "promotional", "positive", "2024-02-10", "Discover it",
         "Get 0% intro APR for 15 months on purchases.", product="Discover it", intro_apr_pct=0.0,
         intro_apr_months=15.0),
    _doc(5, "Wells Fargo", CC, "display", "acquisition", "neutral", "2024-02-20", "Reflect card",
         "Rates as low as 10% APR for qualified buyers."),
    _doc(6, "American Express", CC, "email", "acquisition", "positive", "2024-03-01", "Gold Card: 60,000 bonus points",
         "Earn 60,000 bonus points after you spend $4,000 in the first 6 months. $250 annual fee.",
         product="Gold Card", bonus_amount=60000.0, bonus_unit="points", bonus_spend_usd=4000.0, annual_fee_usd=250.0),
    _doc(7, "American Express", CC, "social", "promotional", "neutral", "2024-03-05", "Business Platinum",
         "Earn 150,000 bonus points on eligible business purchases.", keywords="business, bonus points",
         bonus_amount=150000.0, bonus_unit="points"),
    _doc(8, "Chase", CC, "email", "promotional", "positive", "2024-03-10", "Sapphire travel rewards",
         "Earn travel rewards on dining and travel. Points transfer to airline partners.", keywords="travel, rewards",
         product="Sapphire Preferred"),
    _doc(9, "Capital One", CC, "video", "brand_awareness", "positive", "2024-03-15", "What's in your wallet?",
         "Capital One. What's in your wallet?"),
    _doc(10, "Ally", BANK, "email", "acquisition", "positive", "2024-03-20", "High-yield savings",
         "Earn 4.25% APY on your savings. No monthly fees.", apy_pct=4.25),
    _doc(11, "Marcus", BANK, "search", "acquisition", "neutral", "2024-04-01", "Marcus online savings",
         "4.40% APY online savings account.", apy_pct=4.4),
    _doc(12, "Geico", "insurance", "display", "acquisition", "neutral", "2024-04-05", "Car insurance quote",
         "15 minutes could get you a better car insurance quote."),
    _doc(13, "Verizon", "telecom", "sms", "promotional", "neutral", "2024-04-10", "Unlimited data deal",
         "Switch to Verizon and get unlimited data for $30/month."),
    _doc(14, "Verizon", "telecom", "email", "retention", "positive", "2024-04-15", "Thank you for 5 years",
         "As a loyal customer, enjoy a free upgrade offer."),
    _doc(15, "Chase", BANK, "email", "educational", "neutral", "2024-04-20", "Spot e-mail scams",
         "Learn how to spot phishing e-mail scams and protect your account."),
    _doc(16, "Citi", BANK, "email", "educational", "neutral", "2024-04-25", "Email security tips",
         "Our email security tips keep your money safe."),
    _doc(17, "Discover", CC, "direct_mail", "acquisition", "positive", "2024-05-01", "Balance transfer offer",
         "#BalanceTransfer made easy: 0% intro APR for 18 months.", product="Discover it", intro_apr_pct=0.0,
         intro_apr_months=18.0),
    _doc(18, "Wells Fargo", CC, "email", "acquisition", "neutral", "2024-05-05", "Active Cash card",
         "Earn unlimited 2% cash rewards on purchases. $200 cash rewards bonus.", product="Active Cash",
         cash_back_pct=2.0, bonus_amount=200.0, bonus_unit="dollars"),
    _doc(19, "Capital One", CC, "email", "retention", "negative", "2024-05-10", "We miss you",
         "Your rewards are waiting. Come back and redeem today."),
    _doc(20, "Chase", CC, "sms", "promotional", "negative", "2024-05-15", "Limited time offers",
         "Exclusive offers just for you, this week only."),
    _doc(21, "Discover", CC, "email", "educational", "neutral", "2024-05-20", "Security alert <b>test</b>",
         'Beware of scripts like <script>alert(1)</script> in messages about rewards & "fees".'),
    _doc(22, "American Express", "travel", "email", "promotional", "positive", "2024-05-25", "Delta SkyMiles",
         "Earn 50,000 bonus miles and travel rewards.", bonus_amount=50000.0, bonus_unit="miles"),
    _doc(23, "Ally", BANK, "social", "brand_awareness", "positive", "2024-06-01", "Do it right", "Ally. Do it right."),
    _doc(24, "Geico", "insurance", "video", "brand_awareness", "positive", "2024-06-05", "The gecko",
         "Our gecko says hi."),
    _doc(25, "Verizon", "telecom", "display", "promotional", "neutral", "2024-06-10", "5G home internet",
         "Get 5G home internet with no annual contract."),
    _doc(26, "Citi", CC, "email", "promotional", "neutral", "2024-06-15", "Double Cash",
         "Earn 2% cash back: 1% when you buy, 1% as you pay.", product="Double Cash", cash_back_pct=2.0),
    _doc(27, "Capital One", CC, "email", "acquisition", "positive", "2024-06-20", "Savor",
         "Earn 3% cash back on dining and entertainment. $0 annual fee. #NoAnnualFee", product="Savor",
         cash_back_pct=3.0, annual_fee_usd=0.0),
    _doc(28, "Discover", CC, "search", "acquisition", "neutral", "2024-06-25", "No annual fee card",
         "Discover it: no annual fee and cashback match.", annual_fee_usd=0.0),
    _doc(29, "Chase", CC, "display", "acquisition", "positive", "2024-07-01", "Ink Business Cash",
         "Earn $750 bonus cash back for your business."),
    _doc(30, "Marcus", BANK, "email", "retention", "neutral", "2024-07-05", "Your CD matured",
         "Renew your CD at 4.50% APY.", apy_pct=4.5),
    _doc(31, "Wells Fargo", BANK, "direct_mail", "acquisition", "neutral", "2024-07-10", "Checking bonus",
         "Get a $300 bonus when you open a new checking account.", bonus_amount=300.0, bonus_unit="dollars"),
    _doc(32, "Chase", BANK, "email", "acquisition", "positive", "2024-07-15", "Checking offer",
         "Open Chase Total Checking and get a $200 bonus.", product="Total Checking", bonus_amount=200.0,
         bonus_unit="dollars"),
    _doc(33, "American Express", CC, "email", "acquisition", "positive", "2024-07-20", "Blue Cash Preferred",
         "Earn 6% cash back at U.S. supermarkets.", product="Blue Cash Preferred", cash_back_pct=6.0,
         annual_fee_usd=95.0),
    _doc(34, "Geico", "insurance", "email", "retention", "negative", "2024-07-25", "Policy renewal",
         "Your policy renewal is due; rates may change."),
    _doc(35, "Verizon", "telecom", "social", "acquisition", "positive", "2024-08-01", "Switch and save",
         "Switch to Verizon: get $200 off a new phone."),
    _doc(36, "Ally", BANK, "display", "promotional", "neutral", "2024-08-05", "Rewards checking",
         "Earn rewards with our checking account. Add it to your cart."),
    _doc(37, "Discover", CC, "email", "acquisition", "positive", "2024-08-10", "Discover it Miles",
         "Unlimited 1.5x miles on every purchase."),
    _doc(38, "Marcus", "investing", "email", None, None, "2024-08-15", "Investing basics",
         "Understand market volatility before you invest."),
    _doc(39, "Citi", CC, "sms", None, None, "2024-08-20", "Payment due", "Your payment is due on 08/25."),
    _doc(40, "Capital One", CC, "email", "acquisition", "positive", "2024-08-25", "Venture X",
         None, subject="Earn 75,000 bonus miles", product="Venture X", annual_fee_usd=395.0,
         bonus_amount=75000.0, bonus_unit="miles"),
]
ALL_IDS = {d["id"] for d in DOCS}


def _embedded(tmp_path) -> Iterator[SearchIndex]:
    index = open_index(str(tmp_path / "index"))
    yield index
    index.close()


def _embedded_tables(tmp_path) -> Iterator[SearchIndex]:
    """The embedded index fed Arrow tables, as the store hands pending documents to it
    (``add_tables``: documents built column-wise as JSON): the same contract must hold."""
    index = open_index(str(tmp_path / "index"))
    index.add = lambda docs: index.add_tables([pa.Table.from_pylist(list(docs))])  # type: ignore[method-assign]
    yield index
    index.close()


def _elastic(tmp_path) -> Iterator[SearchIndex]:
    index = ElasticIndex(ES_URL, index_name=f"competiscan-test-{uuid.uuid4().hex[:10]}")
    yield index
    index._client.indices.delete(index=index.index_name, ignore_unavailable=True)
    index.close()


@pytest.fixture(
    params=[
        pytest.param(_embedded, id="embedded"),
        pytest.param(_embedded_tables, id="embedded-tables"),
        pytest.param(
            _elastic,
            id="elasticsearch",
            marks=pytest.mark.skipif(not ES_URL, reason="COMPETISCAN_TEST_ES_URL not set"),
        ),
    ]
)
def empty_index(request, tmp_path) -> Iterator[SearchIndex]:
    """An empty index, once per backend."""
    yield from request.param(tmp_path)


@pytest.fixture
def index(empty_index) -> SearchIndex:
    """An index holding DOCS."""
    assert empty_index.add(DOCS) == len(DOCS)
    return empty_index


def ids(index: SearchIndex, query: str = "", **kw: Any) -> set[int]:
    """Ids of every hit; ``kw`` are CampaignFilter fields, or SearchRequest's own."""
    own = {k: kw.pop(k) for k in list(kw) if k in ("sort", "ingested_after", "offset")}
    result = index.search(SearchRequest(query=query, limit=100, filter=CampaignFilter(**kw), **own))
    found = {h.id for h in result.hits}
    assert result.total == len(found)
    return found


def literal_ids(index: SearchIndex, query: str) -> set[int]:
    """Ids of the hits that match the words as written: a phrase that names an offer also
    finds the offer worded otherwise, and those hits score zero."""
    return {h.id for h in index.search(SearchRequest(query=query, limit=100)).hits if h.score > 0}


# --------------------------------------------------------------------------- documents


def test_count_and_ids(index):
    assert index.count() == 40
    assert index.ids() == ALL_IDS
    assert index.ping()
    assert index.describe()


def test_upsert_replaces_by_id(index):
    assert index.add([dict(DOCS[0], title="Zebra card", content="Stripes everywhere.")]) == 1
    assert index.count() == 40
    assert ids(index, "zebra") == {1}
    assert ids(index, '"rotating categories"') == set()
    # The same id twice in one batch: the last one wins.
    index.add([dict(DOCS[1], content="quokka okapi"), dict(DOCS[1], content="wombat okapi")])
    assert ids(index, "okapi") == {2}
    assert ids(index, "wombat") == {2}
    assert ids(index, "quokka") == set()


def test_delete_counts_what_was_there(index):
    assert index.delete([1, 2, 999]) == 2
    assert index.count() == 38
    assert index.ids() == ALL_IDS - {1, 2}
    assert index.delete([]) == 0
    assert ids(index, "cashback") == {26, 27, 28, 29, 33}


def test_clear(index):
    index.clear()
    assert index.count() == 0
    assert index.ids() == set()
    assert index.search(SearchRequest()).total == 0
    index.add(DOCS[:3])
    assert index.count() == 3


def test_empty_index_answers(empty_index):
    result = empty_index.search(SearchRequest(query="rewards"))
    assert (result.total, result.hits) == (0, [])
    assert empty_index.ids() == set()


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    "query, expected",
    [
        ('"0% APR"', {3}),  # not "0% intro APR", not "10% APR"
        ('"10% APR"', {5}),
        ('"0% intro APR"', {4, 17}),
        ('"5% cash back"', {1}),
        ("5% cash back", {1}),
        ('"$200 bonus"', {2, 32}),
        ("$200", {2, 18, 32, 35}),
        ('"$4,000"', {6}),
        ('"4.50% APY"', {30}),
        ("4.50%", {30}),
        ("50%", set()),  # not inside "4.50%"
        ("1.5x", {37}),
    ],
)
def test_amounts_and_percentages(index, query, expected):
    assert literal_ids(index, query) == expected


CASH_BACK = {1, 2, 26, 27, 28, 29, 33}


@pytest.mark.parametrize("query", ["cashback", '"cash back"', "cash back", "Cash-Back", '"CASHBACK"'])
def test_cash_back_both_ways(index, query):
    assert ids(index, query) == CASH_BACK


@pytest.mark.parametrize(
    "query, expected",
    [
        ('"balance transfer"', {3, 17}),
        ("balancetransfer", {3, 17}),
        ("email", {15, 16}),
        ("e-mail", {15, 16}),
        ('"no annual fee"', {1, 27, 28}),
        ("noannualfee", {1, 27, 28}),
    ],
)
def test_word_splits(index, query, expected):
    assert literal_ids(index, query) == expected


def test_stemming(index):
    assert ids(index, "offer") == {14, 17, 20, 32}
    assert ids(index, "offers") == {14, 17, 20, 32}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("bonus points", {6, 7}),
        ("bonus AND points", {6, 7}),
        ('"bonus points" -business', {6}),
        ('"bonus points" NOT business', {6}),
        ("APY OR checking", {10, 11, 30, 31, 32, 36}),
        ("rewards -travel", {1, 18, 19, 21, 36}),
        ("(miles OR points) -business", {6, 8, 22, 37, 40}),
        ("-rewards -cash -card", ALL_IDS - {1, 2, 5, 6, 8, 18, 19, 21, 22, 26, 27, 28, 29, 33, 36}),
        ("travel rewards OR gecko", {8, 22, 24}),
    ],
)
def test_boolean(index, query, expected):
    assert ids(index, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ('company:"capital one"', {2, 9, 19, 27, 40}),
        ("company:CAPITAL-ONE", {2, 9, 19, 27, 40}),
        ('company:"capital one" rewards', {19}),
        ("channel:sms", {13, 20, 39}),
        ("channel:direct_mail", {2, 17, 31}),
        ('channel:"direct mail"', {2, 17, 31}),
        ("type:brand_awareness", {9, 23, 24}),
        ("industry:telecom -channel:email", {13, 25, 35}),
        ("company:chase OR company:citi", {1, 8, 15, 20, 29, 32, 3, 16, 26, 39}),
        ("company:nobody", set()),
    ],
)
def test_field_filters_in_the_query(index, query, expected):
    assert ids(index, query) == expected


def test_typos_match_fuzzily(index):
    assert ids(index, "rewrds") == ids(index, "rewards") == {1, 8, 18, 19, 21, 22, 36}
    assert ids(index, "insurnce") == {12}  # 8 letters: two edits allowed
    assert ids(index, "gekco") == {24}  # a transposition is one edit


def test_words_with_an_exact_match_are_not_fuzzy(index):
    assert ids(index, "cart") == {36}  # not every "card"
    assert 36 not in ids(index, "card")
    assert ids(index, "zzzzzz") == set()
    assert ids(index, "apx") == set()  # short words are never fuzzy


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"companies": ("Chase",)}, {1, 8, 15, 20, 29, 32}),
        ({"companies": ("Chase", "Citi")}, {1, 8, 15, 20, 29, 32, 3, 16, 26, 39}),
        ({"channels": ("sms",)}, {13, 20, 39}),
        ({"campaign_types": ("brand_awareness",)}, {9, 23, 24}),
        ({"industries": ("insurance",)}, {12, 24, 34}),
        ({"sentiments": ("negative",)}, {19, 20, 34}),
        ({"date_from": date(2024, 3, 1), "date_to": date(2024, 3, 15)}, {6, 7, 8, 9}),
        ({"date_from": date(2024, 8, 15)}, {38, 39, 40}),
        ({"date_to": date(2024, 1, 15)}, {1, 2}),
        ({"offer_ranges": {"intro_apr_months": (12, None)}}, {3, 4, 17}),
        ({"offer_ranges": {"cash_back_pct": (3, None)}}, {1, 27, 33}),
        ({"offer_ranges": {"annual_fee_usd": (0, 0)}}, {1, 2, 27, 28}),
        ({"offer_ranges": {"apy_pct": (4.3, 4.5)}}, {11, 30}),
        ({"offer_ranges": {"apy_pct": (None, None)}}, ALL_IDS),
        ({"ingested_after": BATCH_1}, set(range(31, 41))),
        ({"ingested_after": BATCH_2}, set()),
        ({"ingested_after": BATCH_1 - timedelta(microseconds=1)}, ALL_IDS),
        ({"companies": ("Nobody",)}, set()),
    ],
)
def test_filters(index, filters, expected):
    assert ids(index, **filters) == expected


def test_filters_combine_with_the_query(index):
    assert ids(index, "cash back", companies=("Capital One",)) == {2, 27}
    assert ids(index, "cashback", offer_ranges={"cash_back_pct": (3, None)}, channels=("email",)) == {1, 27, 33}


# --------------------------------------------------------------------------- facets, sorting, paging


def test_facets_count_the_whole_result(index):
    result = index.search(SearchRequest(query="cashback", limit=1))
    assert result.total == 7
    assert len(result.hits) == 1
    assert result.facets["company"] == {"Capital One": 2, "Chase": 2, "American Express": 1, "Citi": 1, "Discover": 1}
    assert list(result.facets["company"]) == ["Capital One", "Chase", "American Express", "Citi", "Discover"]
    assert result.facets["channel"] == {"email": 4, "direct_mail": 1, "display": 1, "search": 1}
    assert result.facets["campaign_type"] == {"acquisition": 6, "promotional": 1}
    assert result.facets["industry"] == {"credit_cards": 7}
    assert result.facets["sentiment_label"] == {"positive": 5, "neutral": 2}


def test_facets_skip_missing_values_and_follow_filters(index):
    result = index.search(SearchRequest(limit=0))
    assert result.total == 40 and result.hits == []
    assert sum(result.facets["campaign_type"].values()) == 38
    assert sum(result.facets["company"].values()) == 40
    filtered = index.search(SearchRequest(filter=CampaignFilter(industries=("insurance",))))
    assert filtered.facets["company"] == {"Geico": 3}


def test_no_facets_when_not_asked(index):
    result = index.search(SearchRequest(query="cashback", facets=False))
    assert result.facets == {}
    assert result.total == 7


def test_sort_by_date_newest_first(index):
    result = index.search(SearchRequest(query="cashback", sort="date"))
    assert [h.id for h in result.hits] == [33, 29, 28, 27, 26, 2, 1]
    assert [h.launch_date for h in result.hits] == sorted((h.launch_date for h in result.hits), reverse=True)


def test_without_words_relevance_means_newest_first(index):
    result = index.search(SearchRequest(limit=3))
    assert [h.id for h in result.hits] == [40, 39, 38]


def test_relevance_puts_title_matches_first(index):
    hits = index.search(SearchRequest(query="cash")).hits
    assert {h.id for h in hits} == {1, 18, 26, 27, 29, 33}
    assert hits[-1].id == 27  # the only one without "cash" in its title
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score > 0 for h in hits)


def test_pagination(index):
    pages = [index.search(SearchRequest(query="cashback", sort="date", limit=3, offset=o)) for o in (0, 3, 6, 9)]
    assert [[h.id for h in p.hits] for p in pages] == [[33, 29, 28], [27, 26, 2], [1], []]
    assert {p.total for p in pages} == {7}


def test_hit_fields(index):
    [hit] = index.search(SearchRequest(query='"What\'s in your wallet"')).hits
    assert (hit.id, hit.company, hit.channel, hit.campaign_type, hit.industry, hit.launch_date, hit.title) == (
        9, "Capital One", "video", "brand_awareness", CC, date(2024, 3, 15), "What's in your wallet?",
    )
    [servicing] = index.search(SearchRequest(query="payment")).hits
    assert servicing.campaign_type is None


# --------------------------------------------------------------------------- offers


# The same offers as some of DOCS, worded otherwise (what a saved "0% APR" search once missed).
REWORDED: list[dict[str, Any]] = [
    _doc(41, "Citi", CC, "email", "acquisition", "positive", "2024-09-01", "Diamond Preferred",
         "0% introductory APR on balance transfers for 21 months.", product="Diamond Preferred",
         intro_apr_pct=0.0, intro_apr_months=21.0, offer_expires=date(2024, 12, 31)),
    _doc(42, "Bank of America", CC, "direct_mail", "acquisition", "positive", "2024-09-02", "Customized Cash Rewards",
         "Annual fee: $0. Earn 3% in the category of your choice.", product="Customized Cash Rewards",
         annual_fee_usd=0.0, cash_back_pct=3.0),
    _doc(43, "Chase", CC, "email", "acquisition", "positive", "2024-09-03", "Sapphire Preferred",
         "Earn 60,000 points after you spend $4,000 on purchases in the first 3 months.",
         product="Sapphire Preferred", bonus_amount=60000.0, bonus_unit="points", bonus_spend_usd=4000.0,
         bonus_window_months=3.0),
    _doc(44, "Citi", CC, "display", "acquisition", "neutral", "2024-09-04", "Custom Cash",
         "Get a $200 cash bonus after spending $1,500.", product="Custom Cash", bonus_amount=200.0,
         bonus_unit="dollars", bonus_spend_usd=1500.0),
]


@pytest.fixture
def offers_index(index) -> SearchIndex:
    """DOCS and the REWORDED offers."""
    index.add(REWORDED)
    return index


@pytest.mark.parametrize(
    "query, literal, reworded",
    [
        ('"0% APR"', {3}, {4, 17, 41}),
        ('"0% intro APR"', {4, 17}, {3, 41}),
        ('"0% introductory APR"', {41}, {3, 4, 17}),
        ('"no annual fee"', {1, 27, 28}, {2, 42}),
        ('"$0 annual fee"', {27}, {1, 2, 28, 42}),
        ('"$200 bonus"', {2, 32}, {18, 44}),  # dollars only: no 200-point bonus
        ('"60,000 bonus points"', {6}, {43}),
        ('"60,000 points"', {43}, {6}),
        ('"5% cash back"', {1}, set()),
        ('"3% cash back"', {27}, {42}),
        ('"4.50% APY"', {30}, set()),
        ('"0% APR for 21 months"', set(), {3, 41}),  # both terms must hold: not 15 or 18 months
        ('"cash back"', CASH_BACK, set()),  # names no offer term: words only
    ],
)
def test_a_phrase_that_names_an_offer_finds_it_worded_otherwise(offers_index, query, literal, reworded):
    result = offers_index.search(SearchRequest(query=query, limit=100))
    assert {h.id for h in result.hits} == literal | reworded
    assert result.total == len(literal | reworded)
    # The literal matches first, then the re-worded ones.
    assert {h.id for h in result.hits[: len(literal)]} == literal
    assert all(h.score > 0 for h in result.hits[: len(literal)])
    assert all(h.score == 0 for h in result.hits[len(literal):])


def test_offer_phrases_combine_with_words_filters_and_negation(offers_index):
    assert ids(offers_index, '"0% APR" company:citi') == {3, 41}
    assert ids(offers_index, '"0% APR" transfers') == {3, 17, 41}
    assert ids(offers_index, '"0% APR"', channels=("direct_mail",)) == {17}
    assert ids(offers_index, '"no annual fee" -company:chase') == {2, 27, 28, 42}
    assert ids(offers_index, 'company:citi -"0% APR"') == {16, 26, 39, 44}
    assert ids(offers_index, '"0% APR" OR "4.50% APY"') == {3, 4, 17, 41, 30}
    by_date = offers_index.search(SearchRequest(query='"0% APR"', sort="date")).hits
    assert [h.id for h in by_date] == [41, 17, 4, 3]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("apr:0", {3, 4, 17, 41}),
        ("intro_apr:0", {3, 4, 17, 41}),
        ("intro_apr_months>=15", {3, 4, 17, 41}),
        ("months>15", {3, 17, 41}),
        ("months:16..21", {3, 17, 41}),
        ("apr_months:..15", {4}),
        ("bonus>=60000", {6, 7, 40, 43}),
        ("bonus >= 60k", {6, 7, 40, 43}),
        ("bonus_points>=60,000", {6, 7, 43}),
        ("bonus_miles>0", {22, 40}),
        ("bonus_dollars:200", {2, 18, 32, 44}),
        ("spend<=$1,500", {2, 44}),
        ("bonus_months:3", {43}),
        ("fee:0", {1, 2, 27, 28, 42}),
        ("annual_fee<100", {1, 2, 27, 28, 33, 42}),
        ("fee>0", {6, 33, 40}),
        ("cashback>=2", {1, 18, 26, 27, 33, 42}),
        ("cash_back>3%", {1, 33}),
        ("apy>4.25", {11, 30}),
        ("apy_pct>=4.4", {11, 30}),
        ("bt_fee:5", {3}),
        ("fee:0 cashback>=3", {1, 27, 42}),
        ("fee:0 company:chase", {1}),
        ("cashback>=5 OR apy>=4.5", {1, 30, 33}),
        ("company:citi -apr:0", {16, 26, 39, 44}),
        ("fee:0 rewards", {1, 42}),
        ('apr:"0%"', {3, 4, 17, 41}),
    ],
)
def test_offer_terms_as_fields_and_ranges(offers_index, query, expected):
    assert ids(offers_index, query) == expected


def test_offer_comparisons_without_words_list_newest_first(offers_index):
    assert [h.id for h in offers_index.search(SearchRequest(query="apr:0")).hits] == [41, 17, 4, 3]


def test_comparisons_select_and_only_words_rank(offers_index):
    hits = offers_index.search(SearchRequest(query='"60,000 points" OR bonus>=100000')).hits
    assert [h.id for h in hits][:1] == [43] and {h.id for h in hits} == {43, 6, 7}
    assert hits[0].score > 0 and all(h.score == 0 for h in hits[1:])
    ranked = offers_index.search(SearchRequest(query="cash fee:0")).hits
    assert {h.id for h in ranked} == {1, 27, 42}
    assert ranked[-1].id == 27 and all(h.score > 0 for h in ranked)  # "cash" in the body only


@pytest.mark.parametrize(
    "query, message",
    [
        ("aprr:0", r"Unknown field 'aprr' in 'aprr:0'\. Compare offer terms with apr, .*fee.*cashback"),
        ("bonus>=lots", r"bonus is compared with a number"),
        ("months:21..12", r"runs from 21 down to 12; swap them"),
    ],
)
def test_offer_comparison_errors(index, query, message):
    with pytest.raises(QueryError, match=message):
        index.search(SearchRequest(query=query))


def test_products_filter_facet_and_hits(offers_index):
    assert ids(offers_index, 'product:"Sapphire Preferred"') == {8, 43}
    assert ids(offers_index, "product:venture-x") == {40}
    assert ids(offers_index, "product:nothing") == set()
    assert ids(offers_index, products=("Sapphire Preferred", "Venture X")) == {8, 40, 43}
    assert ids(offers_index, "rewards", products=("Freedom",)) == {1}
    chase = offers_index.search(SearchRequest(query="company:chase"))
    assert chase.facets["product"] == {"Sapphire Preferred": 2, "Freedom": 1, "Total Checking": 1}
    [venture] = offers_index.search(SearchRequest(query="product:venture-x")).hits
    assert venture.product == "Venture X"
    assert venture.offers == {"annual_fee_usd": 395.0, "bonus_amount": 75000.0, "bonus_unit": "miles"}
    [plain] = offers_index.search(SearchRequest(query="gecko")).hits
    assert (plain.product, plain.offers) == (None, {})


def test_hits_carry_their_offer_terms(offers_index):
    hits = {h.id: h for h in offers_index.search(SearchRequest(query='"0% APR"')).hits}
    assert hits[4].offers == {"intro_apr_pct": 0.0, "intro_apr_months": 15.0}
    assert hits[41].offers == {"intro_apr_pct": 0.0, "intro_apr_months": 21.0}  # the expiry is not indexed
    [gold] = offers_index.search(SearchRequest(query="product:\"gold card\"")).hits
    assert gold.offers == {"bonus_amount": 60000.0, "bonus_unit": "points", "bonus_spend_usd": 4000.0,
                           "annual_fee_usd": 250.0}


# --------------------------------------------------------------------------- snippets


def _only_marks(snippet: str) -> bool:
    return "<" not in snippet.replace("<mark>", "").replace("</mark>", "")


def _text(snippet: str) -> str:
    """What the reader sees. Backends may escape more than needed (Elasticsearch escapes "/")."""
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


def test_snippets_escape_user_text(index):
    [hit] = index.search(SearchRequest(query="alert")).hits
    assert hit.id == 21
    assert "&lt;script&gt;" in hit.snippet
    assert "<mark>alert</mark>" in hit.snippet
    assert "&amp;" in hit.snippet
    assert _only_marks(hit.snippet)
    assert _text(hit.snippet) == DOCS[20]["content"]  # short: shown whole
    assert hit.title == "Security alert <b>test</b>"  # the title is plain text, for the page to escape


def test_snippets_without_a_match_in_the_content_are_escaped_too(index):
    [hit] = index.search(SearchRequest(filter=CampaignFilter(companies=("Discover",)), query="security")).hits
    assert _only_marks(hit.snippet)
    assert hit.snippet.startswith("<mark>Security</mark> alert &lt;b&gt;test")
    assert _text(hit.snippet) == "Security alert <b>test</b>"


def test_snippets_highlight_phrases_amounts_and_typos(index):
    # A phrase is marked word by word (tantivy) or as one span (Elasticsearch's highlighter).
    hit = index.search(SearchRequest(query='"0% APR"')).hits[0]
    assert hit.id == 3
    assert re.search(r"<mark>0%(</mark> <mark>| )APR</mark>", hit.snippet)
    assert "<mark>" in index.search(SearchRequest(filter=CampaignFilter(companies=("Ally",)), query="rewrds")).hits[0].snippet
    [dollars] = index.search(SearchRequest(query='"$300 bonus"')).hits
    assert re.search(r"<mark>\$300(</mark> <mark>| )bonus</mark>", dollars.snippet)


def test_snippet_falls_back_to_title_and_subject(index):
    [hit] = index.search(SearchRequest(query="venture")).hits  # no content at all
    assert hit.snippet == "<mark>Venture</mark> X"
    [hit] = index.search(SearchRequest(query="75,000")).hits
    assert "<mark>75,000</mark>" in hit.snippet


def test_titles_are_highlighted_too(index):
    hits = {h.id: h for h in index.search(SearchRequest(query="cash")).hits}
    assert hits[1].title_html == "Chase Freedom: 5% <mark>cash</mark> back"
    assert hits[27].title_html == "Savor"  # matched in the body only
    [alert] = index.search(SearchRequest(query="alert")).hits
    assert "<mark>alert</mark>" in alert.title_html and _only_marks(alert.title_html)
    assert _text(alert.title_html) == "Security alert <b>test</b>"
    [phrase] = index.search(SearchRequest(query='"bonus points" -business')).hits
    assert re.fullmatch(r"Gold Card: 60,000 <mark>bonus(</mark> <mark>| )points</mark>", phrase.title_html)


def test_no_highlight_when_not_asked(index):
    hits = index.search(SearchRequest(query="rewards", highlight=False)).hits
    assert hits and all("<mark>" not in h.snippet for h in hits)
    assert all(_only_marks(h.snippet) for h in hits)
    browse = index.search(SearchRequest(filter=CampaignFilter(companies=("Discover",)))).hits
    assert all(h.snippet and "<mark>" not in h.snippet and _only_marks(h.snippet) for h in browse)
    assert all(_text(h.title_html) == h.title and "<mark>" not in h.title_html for h in hits + browse)
    [alert] = index.search(SearchRequest(query="alert", highlight=False)).hits
    assert alert.title_html == "Security alert &lt;b&gt;test&lt;/b&gt;"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "request_, message",
    [
        (SearchRequest(query="a" * 1001), "limit is 1,000"),
        (SearchRequest(sort="newest"), "Unknown sort"),
        (SearchRequest(limit=-1), "limit must be"),
        (SearchRequest(offset=-5), "offset must be"),
        (SearchRequest(offset=9_990, limit=20), "first 10,000 hits"),
        (SearchRequest(filter={"companies": ("Chase",)}), "must be a CampaignFilter"),
    ],
)
def test_bad_requests_raise_query_error(index, request_, message):
    with pytest.raises(QueryError, match=message):
        index.search(request_)


# --------------------------------------------------------------------------- backend specifics


def test_open_index_picks_the_backend_by_url(tmp_path):
    assert isinstance(open_index(str(tmp_path / "a")), EmbeddedIndex)
    assert isinstance(open_index((tmp_path / "b").as_uri()), EmbeddedIndex)
    assert (tmp_path / "b").is_dir()
    assert isinstance(open_index("http://127.0.0.1:9"), ElasticIndex)
    assert isinstance(open_index("https://127.0.0.1:9"), ElasticIndex)
    with pytest.raises(SearchUnavailable, match="Unknown search URL scheme 'ftp'"):
        open_index("ftp://example.invalid/index")


def test_embedded_index_persists_across_opens(tmp_path):
    with open_index(str(tmp_path / "index")) as first:
        first.add(DOCS)
    with open_index(str(tmp_path / "index")) as second:
        assert second.count() == 40
        assert ids(second, "cashback") == CASH_BACK


def test_embedded_sees_another_handles_writes(tmp_path):
    reader = open_index(str(tmp_path / "index"))
    writer = open_index(str(tmp_path / "index"))  # as the CLI would, in its own process
    assert reader.count() == 0
    writer.add(DOCS[:5])
    deadline = time.monotonic() + 10
    while reader.count() != 5 and time.monotonic() < deadline:  # tantivy watches for commits
        time.sleep(0.05)
    assert reader.count() == 5


def test_embedded_writer_lock_becomes_search_unavailable(tmp_path, monkeypatch):
    index = open_index(str(tmp_path / "index"))
    other_process = tantivy.Index.open(str(tmp_path / "index"))  # stands in for the CLI writing
    held = other_process.writer()
    monkeypatch.setattr(embedded, "LOCK_WAIT_SECONDS", 0.3)
    with pytest.raises(SearchUnavailable, match="being written by another process"):
        index.add(DOCS[:1])
    held.rollback()
    held.wait_merging_threads()  # releases the lock
    assert index.add(DOCS[:1]) == 1
    assert index.search(SearchRequest(query="freedom")).total == 1


def test_embedded_refuses_a_folder_with_another_schema(tmp_path):
    (tmp_path / "index").mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=True)
    tantivy.Index(builder.build(), str(tmp_path / "index"))
    with pytest.raises(SearchUnavailable, match="schema does not match.*delete the folder, then run `competiscan reindex`"):
        open_index(str(tmp_path / "index"))


def _older_layout_index(path) -> None:
    """A folder holding a Competiscan index of an older layout (before products and bonus
    units were indexed), with one document."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_bytes_field("title_text", stored=True)
    builder.add_integer_field("sort_key", fast=True)
    builder.add_integer_field("ingested_at_us", fast=True)
    path.mkdir()
    old = tantivy.Index(builder.build(), str(path))
    writer = old.writer()
    writer.add_document(tantivy.Document(id=1, sort_key=1, ingested_at_us=1))
    writer.commit()
    writer.wait_merging_threads()


def test_embedded_index_of_an_older_layout_asks_for_a_rebuild_which_replaces_it(tmp_path):
    _older_layout_index(tmp_path / "index")
    app = open_index(str(tmp_path / "index"))  # opens: the store can still be read and rebuilt
    assert app.outdated
    for call in (lambda: app.search(SearchRequest(query="cash")), app.count, app.ids, lambda: app.add(DOCS[:1])):
        with pytest.raises(SearchUnavailable, match="built by an older version of Competiscan and must be "
                                                    "rebuilt: run `competiscan reindex`"):
            call()
    cli = open_index(str(tmp_path / "index"))  # the rebuild, run by another process
    cli.clear()
    assert not cli.outdated and cli.count() == 0
    cli.add(DOCS)
    assert ids(cli, "fee:0") == {1, 2, 27, 28}
    assert not app.outdated  # the other handle opens the rebuilt index
    deadline = time.monotonic() + 10
    while app.count() != len(DOCS) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ids(app, 'product:"venture x"') == {40}


def test_embedded_accepts_pandas_values(tmp_path):
    pd = pytest.importorskip("pandas")
    index = open_index(str(tmp_path / "index"))
    doc = dict(DOCS[0], launch_date=pd.Timestamp("2024-01-10"), ingested_at=pd.Timestamp(BATCH_2),
               annual_fee_usd=float("nan"), id=pd.array([1])[0])
    index.add([doc])
    assert ids(index, "freedom", ingested_after=BATCH_1) == {1}
    assert ids(index, offer_ranges={"annual_fee_usd": (None, 100)}) == set()


def _stored(index: EmbeddedIndex) -> dict[int, dict[str, Any]]:
    """Every document as tantivy holds it: stored fields and the fast fields sorting and
    filtering read."""
    index._index.reload()
    searcher = index._index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs or 1).hits
    addresses = [address for _, address in hits]
    fast = {name: searcher.fast_field_values(name, addresses) for name in ("sort_key", "ingested_at_us")}
    return {
        doc["id"][0]: {**doc, **{name: values[i] for name, values in fast.items()}}
        for i, doc in enumerate(searcher.doc(a).to_dict() for a in addresses)
    }


def test_table_documents_equal_dict_documents(tmp_path):
    # What add_tables builds in SQL is what add builds in Python, value for value, for the
    # awkward values too: JSON specials in text, blank and whitespace-only strings, NaN and
    # infinite offers, integer-typed offers, missing columns, a naive and an aware timestamp.
    awkward = [
        dict(DOCS[0], id=101, title='Quote " backslash \\ tab\t new\nline \u2028 é 漢字 😀',
             content="$1,000.50 at 1,2,3% — 0% APR", keywords="  ", subject_line=" ",
             offer_expires=date(2027, 1, 19), product='Card "Ü" \\ 漢字'),
        dict(DOCS[1], id=102, title="", content="x", cash_back_pct=float("nan"),
             annual_fee_usd=float("inf"), intro_apr_months=15, sentiment_label=""),
        dict(DOCS[2], id=103, ingested_at=datetime(2024, 9, 1, 12, 0, 0, 1, tzinfo=timezone.utc)),
        dict(DOCS[3], id=104, ingested_at=None, company="Ünïcode Bank", launch_date=date(1999, 12, 31),
             product="", bonus_unit="miles", bonus_amount=5000),
    ]
    by_dicts, by_tables = EmbeddedIndex(tmp_path / "a"), EmbeddedIndex(tmp_path / "b")
    by_dicts.add(DOCS + awkward)
    by_tables.add_tables([pa.Table.from_pylist(DOCS[:20]), pa.Table.from_pylist(DOCS[20:] + awkward[:2]),
                          pa.Table.from_pylist(awkward[2:3]), pa.Table.from_pylist([]),
                          pa.Table.from_pylist(awkward[3:]).drop_columns(["keywords", "apy_pct"])])
    expected = _stored(by_dicts)
    expected[104].pop("keywords", None)
    assert _stored(by_tables) == expected
    for query in ("$1,000.50", '"1,2,3%"', "0% APR", "backslash", "漢字", "tab", "line"):
        assert ids(by_tables, query) == ids(by_dicts, query), query
    assert ids(by_tables, offer_ranges={"annual_fee_usd": (0, None)}) == ids(
        by_dicts, offer_ranges={"annual_fee_usd": (0, None)})
    for query in ('product:"card ü 漢字"', "bonus_miles>0", '"0% APR"'):
        assert ids(by_tables, query) == ids(by_dicts, query), query
    # A second feed replaces documents by id, as add does.
    by_tables.add_tables([pa.Table.from_pylist([dict(DOCS[0], title="Replaced zebra")])])
    assert by_tables.count() == len(DOCS) + len(awkward)
    assert ids(by_tables, "zebra") == {1}
