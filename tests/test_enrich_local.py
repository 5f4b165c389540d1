"""The local enricher: accuracy on hand-labelled marketing pieces, and each rule on its own.

tests/data/labelled_campaigns.jsonl holds pieces written by hand like real copy from banks,
card issuers, insurers, telecoms, retailers, airlines and brokers, over all seven channels, each
with gold labels: sentiment_label, campaign_type (null for servicing messages, which are no
campaign type) and every offer term it states ("offers"; absent terms are left out).

Labelling conventions (the extractor follows the same ones, see competiscan.enrich.offers):
the first intro APR mentioned; a regular APR list or range as min/max; the largest bonus in the
unit first mentioned, with its spend and window (days as months, 90 → 3); the highest cash-back
rate and the highest APY; "no annual fee" as 0; "% off" is never cash back.

Offer terms are scored per field value: a predicted value is a true positive when it equals the
gold value (within 1e-6 for numbers), any other predicted value is a false positive, and a gold
value not predicted is a false negative. The thresholds below are what the rules reach, so a
change that makes them worse fails here.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from competiscan.enrich import LocalEnricher, extract_offers
from competiscan.enrich.campaign_type import predict_campaign_type
from competiscan.enrich import keywords as keywords_module
from competiscan.enrich.keywords import (STOP_WORDS, KeywordExtractor,
                                        _build_phrase_index, terms_of)
from competiscan.enrich.local import INPUT_FIELDS, PARALLEL_MIN_RECORDS, _enrich_chunk, record_text
from competiscan.enrich.memo import Memo
from competiscan.enrich.offers import INTRO_NOTE_FIELD, offer_values
from competiscan.enrich.sentiment import label_for, score_sentiment, vader_compound
from competiscan.model import CAMPAIGN_TYPES, ENRICHMENT_FIELDS, OFFER_FIELDS, SENTIMENT_LABELS

LABELLED = Path(__file__).parent / "data" / "labelled_campaigns.jsonl"

OFFER_F1_MIN = 0.98
SENTIMENT_ACCURACY_MIN = 0.87
CAMPAIGN_TYPE_ACCURACY_MIN = 0.95
# Servicing messages get a best-guess type; its confidence must say it is a guess.
SERVICING_CONFIDENCE_MAX = 0.3


def _load_labelled() -> list[dict[str, Any]]:
    with LABELLED.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def labelled() -> list[dict[str, Any]]:
    return _load_labelled()


@pytest.fixture(scope="module")
def enriched(labelled: list[dict[str, Any]]) -> list[dict[str, Any]]:
    records = [
        {key: piece[key] for key in ("title", "subject_line", "content", "channel")} | {"campaign_type": None}
        for piece in labelled
    ]
    return LocalEnricher().enrich_many(records)


def _same(predicted: Any, gold: Any) -> bool:
    if isinstance(gold, str) or isinstance(predicted, str):
        return predicted == gold
    return abs(float(predicted) - float(gold)) <= 1e-6


def _offer_counts(labelled: list[dict[str, Any]], enriched: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    counts = {field: Counter() for field in OFFER_FIELDS}
    for piece, result in zip(labelled, enriched):
        for field in OFFER_FIELDS:
            gold = piece["offers"].get(field)
            predicted = result[field]
            if predicted is not None and gold is not None and _same(predicted, gold):
                counts[field]["tp"] += 1
                continue
            if predicted is not None:
                counts[field]["fp"] += 1
            if gold is not None:
                counts[field]["fn"] += 1
    return counts


def _f1(counts: Counter[str]) -> tuple[float, float, float]:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def test_labelled_set_is_broad_enough(labelled: list[dict[str, Any]]) -> None:
    types = Counter(piece["campaign_type"] for piece in labelled)
    assert len(labelled) >= 150
    assert all(types[t] >= 20 for t in CAMPAIGN_TYPES), types
    assert sum(1 for piece in labelled if piece["offers"]) >= 60
    assert {piece["channel"] for piece in labelled} == {
        "email", "direct_mail", "social", "display", "search", "video", "sms"
    }
    assert set(Counter(piece["sentiment_label"] for piece in labelled)) == set(SENTIMENT_LABELS)
    assert all(set(piece["offers"]) <= set(OFFER_FIELDS) for piece in labelled)


def test_accuracy_on_labelled_set(labelled: list[dict[str, Any]], enriched: list[dict[str, Any]]) -> None:
    counts = _offer_counts(labelled, enriched)
    total = sum(counts.values(), Counter())
    sentiment_hits = sum(piece["sentiment_label"] == result["sentiment_label"] for piece, result in zip(labelled, enriched))
    typed = [(piece, result) for piece, result in zip(labelled, enriched) if piece["campaign_type"] is not None]
    type_hits = sum(piece["campaign_type"] == result["campaign_type_predicted"] for piece, result in typed)
    sentiment_accuracy = sentiment_hits / len(labelled)
    type_accuracy = type_hits / len(typed)

    lines = [f"{'field':<26}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'f1':>7}"]
    for field in (*OFFER_FIELDS, None):
        row = counts[field] if field else total
        precision, recall, f1 = _f1(row)
        lines.append(
            f"{field or 'ALL OFFER TERMS':<26}{row['tp']:>5}{row['fp']:>5}{row['fn']:>5}"
            f"{precision:>11.3f}{recall:>8.3f}{f1:>7.3f}"
        )
    lines.append(f"sentiment accuracy      {sentiment_accuracy:.3f}  ({sentiment_hits}/{len(labelled)})")
    lines.append(f"campaign type accuracy  {type_accuracy:.3f}  ({type_hits}/{len(typed)})")
    print("\n" + "\n".join(lines))

    assert _f1(total)[2] >= OFFER_F1_MIN
    assert sentiment_accuracy >= SENTIMENT_ACCURACY_MIN
    assert type_accuracy >= CAMPAIGN_TYPE_ACCURACY_MIN


def test_servicing_messages_get_a_low_confidence_guess(
    labelled: list[dict[str, Any]], enriched: list[dict[str, Any]]
) -> None:
    servicing = [result for piece, result in zip(labelled, enriched) if piece["campaign_type"] is None]
    assert servicing
    for result in servicing:
        assert result["campaign_type_predicted"] in CAMPAIGN_TYPES
        assert result["campaign_type_confidence"] <= SERVICING_CONFIDENCE_MAX


# --- offer terms, one phrasing at a time ---------------------------------------------------

OFFER_CASES: list[tuple[str, dict[str, Any]]] = [
    ("0% intro APR for 15 months", {"intro_apr_pct": 0, "intro_apr_months": 15}),
    ("0% intro APR for 18 billing cycles", {"intro_apr_pct": 0, "intro_apr_months": 18}),
    ("0% Intro APR on purchases for 15 months", {"intro_apr_pct": 0, "intro_apr_months": 15}),
    ("Intro APR of 0% for 21 months on balance transfers", {"intro_apr_pct": 0, "intro_apr_months": 21}),
    ("15 months of 0% intro APR", {"intro_apr_pct": 0, "intro_apr_months": 15}),
    ("0% APR", {"intro_apr_pct": 0, "intro_apr_months": None}),
    ("2.99% intro APR for 12 months", {"intro_apr_pct": 2.99, "intro_apr_months": 12}),
    ("19.24%–29.24% variable APR", {"regular_apr_min_pct": 19.24, "regular_apr_max_pct": 29.24}),
    ("19.24%-29.24% variable APR", {"regular_apr_min_pct": 19.24, "regular_apr_max_pct": 29.24}),
    ("19.24% - 29.24% Variable APR", {"regular_apr_min_pct": 19.24, "regular_apr_max_pct": 29.24}),
    ("19.24% to 29.24% variable APR", {"regular_apr_min_pct": 19.24, "regular_apr_max_pct": 29.24}),
    ("a variable APR of 18.74% to 29.74%", {"regular_apr_min_pct": 18.74, "regular_apr_max_pct": 29.74}),
    ("17.24%, 23.74%, or 28.99% variable APR", {"regular_apr_min_pct": 17.24, "regular_apr_max_pct": 28.99}),
    ("APR of 21.24%", {"regular_apr_min_pct": 21.24, "regular_apr_max_pct": 21.24}),
    ("Auto loan rates as low as 5.99% APR", {"regular_apr_min_pct": 5.99, "regular_apr_max_pct": None}),
    ("Your APR will increase from 21.99% to 24.99%", {"regular_apr_min_pct": 24.99, "regular_apr_max_pct": 24.99}),
    (
        "0% intro APR for 15 months, then 19.24%–29.24% variable APR. Penalty APR up to 29.99%.",
        {"intro_apr_pct": 0, "intro_apr_months": 15, "regular_apr_min_pct": 19.24, "regular_apr_max_pct": 29.24},
    ),
    (
        "Earn 60,000 bonus points after you spend $4,000 in the first 3 months",
        {"bonus_amount": 60000, "bonus_unit": "points", "bonus_spend_usd": 4000, "bonus_window_months": 3},
    ),
    ("Earn 60k points", {"bonus_amount": 60000, "bonus_unit": "points"}),
    ("Earn 75,000 miles", {"bonus_amount": 75000, "bonus_unit": "miles"}),
    (
        "Earn 130,000 Hilton Honors bonus points after you spend $3,000 in purchases in the first 6 months",
        {"bonus_amount": 130000, "bonus_unit": "points", "bonus_spend_usd": 3000, "bonus_window_months": 6},
    ),
    (
        "$200 cash bonus after $500 in 90 days",
        {"bonus_amount": 200, "bonus_unit": "dollars", "bonus_spend_usd": 500, "bonus_window_months": 3},
    ),
    (
        "Get a $400 bonus after you receive $5,000 in direct deposits within 120 days",
        {"bonus_amount": 400, "bonus_unit": "dollars", "bonus_window_months": 4},
    ),
    ("Get $300 when you open a checking account", {"bonus_amount": 300, "bonus_unit": "dollars"}),
    (
        "Earn $200 cash back after you spend $500 on purchases in the first 3 months",
        {"bonus_amount": 200, "bonus_unit": "dollars", "bonus_spend_usd": 500, "bonus_window_months": 3},
    ),
    ("Earn up to 5% cash back on rotating categories", {"cash_back_pct": 5}),
    ("Earn 3% on dining, 1% on everything else with cash back rewards", {"cash_back_pct": 3}),
    ("Earn 3% on dining, 1% on everything else", {"cash_back_pct": 3}),
    ("5% cash back", {"cash_back_pct": 5}),
    ("2% cashback on every purchase", {"cash_back_pct": 2}),
    ("unlimited 1.5% cash back", {"cash_back_pct": 1.5}),
    ("no annual fee", {"annual_fee_usd": 0}),
    ("No Annual Fee, ever!", {"annual_fee_usd": 0}),
    ("$95 annual fee", {"annual_fee_usd": 95}),
    ("annual fee of $550", {"annual_fee_usd": 550}),
    ("Annual fee: $695", {"annual_fee_usd": 695}),
    ("$0 intro annual fee for the first year, then $95", {"annual_fee_usd": 95}),
    ("3% balance transfer fee (min $5)", {"balance_transfer_fee_pct": 3}),
    ("intro balance transfer fee of 3%", {"balance_transfer_fee_pct": 3}),
    ("Balance transfer fee: either $5 or 5% of the amount of each transfer", {"balance_transfer_fee_pct": 5}),
    ("no balance transfer fee", {"balance_transfer_fee_pct": 0}),
    ("4.50% APY", {"apy_pct": 4.5}),
    ("APY of 4.35%", {"apy_pct": 4.35}),
    ("4.50% Annual Percentage Yield (APY)", {"apy_pct": 4.5}),
    ("4.35% APY on balances of $5,000 or more, 0.25% APY below", {"apy_pct": 4.35}),
]


@pytest.mark.parametrize(("text", "expected"), OFFER_CASES, ids=[text[:40] for text, _ in OFFER_CASES])
def test_offer_phrasing(text: str, expected: dict[str, Any]) -> None:
    terms = extract_offers(text)
    for field, gold in expected.items():
        if gold is None:
            assert terms[field] is None, field
        else:
            assert terms[field] is not None and _same(terms[field], gold), (field, terms[field])
    unexpected = {f: v for f, v in terms.items() if f in OFFER_FIELDS and f not in expected and v is not None}
    assert unexpected == {}


def test_offer_terms_are_typed() -> None:
    terms = extract_offers("Earn 60,000 bonus points after you spend $4,000 in the first 3 months. 0% intro APR for 15 months.")
    assert set(OFFER_FIELDS) <= set(terms)
    assert isinstance(terms["bonus_amount"], float) and isinstance(terms["bonus_spend_usd"], float)
    assert isinstance(terms["bonus_window_months"], int) and isinstance(terms["intro_apr_months"], int)
    assert terms["bonus_unit"] == "points"


def test_intro_annual_fee_keeps_its_wording() -> None:
    terms = extract_offers("$0 intro annual fee for the first year, then $95.")
    assert terms[INTRO_NOTE_FIELD] == "$0 intro annual fee for the first year"
    assert INTRO_NOTE_FIELD not in extract_offers("$95 annual fee")


TRAPS: list[tuple[str, str]] = [
    ("5% off everything this weekend", "a discount is not cash back"),
    ("Take an extra 20% off with code FLASH", "a discount is not cash back"),
    ("Save 15% on car insurance when you bundle", "a saving is not an APR"),
    ("Call us 24/7 at 1-800-555-0100", "hours and phone numbers are not bonuses"),
    ("Contribution limits for 2025 have changed", "a year is not a bonus"),
    ("$5 minimum opening deposit", "a minimum is not a bonus"),
    ("Renters insurance starting at $5/month", "a price is not a bonus"),
    ("Earn 3X points on dining and 2X miles on travel", "earn rates are not bonuses"),
    ("Your 42,300 points will expire on March 3", "a balance is not a bonus"),
    ("Get a 3% match on every dollar you transfer", "a match is not cash back"),
    ("Keep your credit utilization below 30%", "advice is not an offer"),
    ("No foreign transaction fees", "not the annual fee"),
    ("Invest with 0.00% expense ratio index funds", "an expense ratio is not an APR"),
]


@pytest.mark.parametrize(("text", "why"), TRAPS, ids=[why for _, why in TRAPS])
def test_offer_trap(text: str, why: str) -> None:
    terms = extract_offers(text)
    assert {f: v for f, v in terms.items() if v is not None} == {}, why


def test_apy_and_apr_are_not_confused() -> None:
    assert extract_offers("Earn 4.50% APY")["regular_apr_min_pct"] is None
    assert extract_offers("Earn 4.50% APY")["intro_apr_pct"] is None
    assert extract_offers("19.99% variable APR")["apy_pct"] is None
    both = extract_offers("Card APR of 19.99%. Savings earn 4.00% APY.")
    assert (both["regular_apr_min_pct"], both["apy_pct"]) == (19.99, 4.0)


EXPIRY_CASES: list[tuple[str, date | None]] = [
    ("Offer ends January 19, 2027", date(2027, 1, 19)),
    ("Offer expires 1/19/2027", date(2027, 1, 19)),
    ("Apply by March 31, 2026", date(2026, 3, 31)),
    ("Offer valid through 12/31/26.", date(2026, 12, 31)),
    ("Sale ends 01/19/27", date(2027, 1, 19)),
    ("Expires: Jan 19, 2027", date(2027, 1, 19)),
    ("Now through Sunday, Feb. 1st, 2026.", date(2026, 2, 1)),
    ("Offer ends 19 January 2027 at 11:59 p.m. ET", date(2027, 1, 19)),
    ("Offer ends at 11:59 pm ET on 1/19/2027", date(2027, 1, 19)),
    ("Open a new checking account by 4/30/2026 and get $300 when you set up direct deposit.",
     date(2026, 4, 30)),
    ("Ends 2026-03-31.", date(2026, 3, 31)),
    ("Offer ends March 31", None),                                  # no year: not guessed
    ("Offer ends February 30, 2026", None),                         # no such day
    ("Your 42,300 points will expire on March 3, 2026", None),      # a balance, not the offer
    ("Member since 2019. Call 1-800-555-0100.", None),
    ("Card expires 01/27", None),
    ("Earn $2025 by 12/31", None),
]


@pytest.mark.parametrize(("text", "expected"), EXPIRY_CASES, ids=[t[:40] for t, _ in EXPIRY_CASES])
def test_offer_end_date(text: str, expected: date | None) -> None:
    assert extract_offers(text)["offer_expires"] == expected
    # the local enricher's fast path (no other offer term) finds it too
    values = offer_values(text, text.lower())
    assert values[OFFER_FIELDS.index("offer_expires")] == expected
    assert values == tuple(map(extract_offers(text).get, OFFER_FIELDS))


def test_an_offer_end_date_is_a_date_column_on_the_ingest_path() -> None:
    table = pa.table({"title": ["Sapphire", "Other"], "subject_line": [None, None],
                      "content": ["Offer ends January 19, 2027.", "Thank you."],
                      "channel": ["email", "sms"]})
    enriched = LocalEnricher().enrich_arrow(table)
    assert enriched.schema.field("offer_expires").type == pa.date32()
    assert enriched["offer_expires"].to_pylist() == [date(2027, 1, 19), None]


@pytest.mark.parametrize("text", ["", "   ", "Thank you."])
def test_offers_of_text_without_terms(text: str) -> None:
    assert extract_offers(text) == dict.fromkeys(OFFER_FIELDS)


# --- sentiment ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("No annual fee, ever!", "positive"),
        ("0% intro APR for 15 months", "positive"),
        ("Get $300 when you open a checking account.", "positive"),
        ("Your payment is past due", "negative"),
        ("Your card was declined", "negative"),
        ("Fraud alert", "negative"),
        ("We've detected unusual activity on your account", "negative"),
        ("We're raising your APR", "negative"),
        ("Your rewards are expiring", "negative"),
        ("APR stands for annual percentage rate. It is the yearly cost of borrowing on your card.", "neutral"),
        ("Learn how a balance transfer works and which fees to expect.", "neutral"),
        ("Your statement for May is ready to view.", "neutral"),
    ],
)
def test_sentiment_examples(text: str, label: str) -> None:
    assert score_sentiment(text)[0] == label


def test_sentiment_score_range_and_label_thresholds() -> None:
    for text in ("!!!!! BEST DEAL EVER, FREE FREE FREE !!!!!", "fraud fraud scam declined past due!!!", ""):
        label, score = score_sentiment(text)
        assert -1.0 <= score <= 1.0
        assert label == label_for(score)


VADER_EXAMPLES = [
    "VADER is smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "Sentiment analysis has never been this good!",
    "Without a doubt, excellent idea.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "It was the bomb, kind of the shit??",
]


def test_fast_port_matches_vader_exactly(labelled: list[dict[str, Any]]) -> None:
    analyzer = SentimentIntensityAnalyzer()
    words = list(analyzer.lexicon)[:2000] + [
        "not", "no", "very", "but", "kind", "of", "least", "never", "so", "this", "or", "nor", "at",
        "without", "doubt", "isn't", "don't", "the", "bomb", "shit", "sort", "just", "enough", "to",
        "die", "for", "yeah", "right", "bad", "ass", "kiss", "death", "beating", "heart", "bus", "stop",
    ]
    rng = random.Random(0)
    generated = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) + rng.choice(["", "!", "??"]) for _ in range(500)]
    texts = [piece["content"] for piece in labelled] + VADER_EXAMPLES + generated + [t.upper() for t in generated[:50]]
    for text in texts:
        assert round(vader_compound(text), 4) == analyzer.polarity_scores(text)["compound"], text


# --- campaign type ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("title", "content", "channel", "expected"),
    [
        ("Apply now", "You're pre-approved. Open an account today and earn a sign-up bonus.", "direct_mail", "acquisition"),
        ("Switch to us", "Switch to our network and bring your number.", "display", "acquisition"),
        ("Flash sale", "Take 30% off everything. Limited time, sale ends Sunday.", "email", "promotional"),
        ("Activate your bonus", "Activate your 5% bonus categories this quarter.", "email", "promotional"),
        ("Bundle and save", "Bundle home and auto and save more.", "display", "promotional"),
        ("Thank you", "Thank you for being a loyal customer. Happy anniversary!", "email", "retention"),
        ("We miss you", "It's been a while. Come back and renew your membership.", "email", "retention"),
        ("As a valued customer", "As a valued customer, your loyalty rewards are waiting.", "email", "retention"),
        ("5 tips", "Tips and a guide on how to build your credit score.", "social", "educational"),
        ("Webinar", "Join our webinar to learn how retirement accounts work.", "video", "educational"),
        ("Protect yourself", "Protect yourself from scams: we will never ask for your password.", "sms", "educational"),
        ("Proud sponsor", "We're proud to sponsor the city marathon and support our community.", "video", "brand_awareness"),
        ("Our values", "Serving families since 1922. Our members are the mission.", "display", "brand_awareness"),
    ],
)
def test_campaign_type_cues(title: str, content: str, channel: str, expected: str) -> None:
    predicted, confidence = predict_campaign_type(title, None, content, channel)
    assert predicted == expected
    assert 0.0 < confidence <= 1.0


@pytest.mark.parametrize(
    "content",
    [
        "Your payment of $45.00 is due on 06/15.",
        "Your card was declined for a purchase today.",
        "Fraud alert: we've detected unusual activity. Reply YES or NO.",
    ],
)
def test_servicing_message_is_a_low_confidence_guess(content: str) -> None:
    predicted, confidence = predict_campaign_type(None, None, content, "sms")
    assert predicted in CAMPAIGN_TYPES
    assert 0.0 <= confidence <= SERVICING_CONFIDENCE_MAX


@pytest.mark.parametrize("args", [(None, None, None, None), ("", "", "", ""), ("!!!", None, "$$$ 100%", "fax")])
def test_campaign_type_of_empty_or_odd_input(args: tuple[Any, ...]) -> None:
    predicted, confidence = predict_campaign_type(*args)
    assert predicted in CAMPAIGN_TYPES
    assert 0.0 <= confidence <= 1.0


# --- keywords -----------------------------------------------------------------------------

CORPUS = [
    "Earn cash back on every purchase with no annual fee.",
    "Pay 0% intro APR on a balance transfer. Balance transfer fee applies.",
    "Our travel card earns bonus miles on flights and hotels.",
    "Tips to improve your credit score and pay down debt.",
    "Proud sponsor of the city marathon.",
    "Get a $300 bonus when you open a checking account with direct deposit.",
]


def test_domain_phrases_are_single_terms() -> None:
    terms = terms_of("Cashback, cash back and cash-back on a balance transfer with no annual fee.")
    assert terms.count("cash_back") == 3
    assert "balance_transfer" in terms and "annual_fee" in terms
    assert "cash" not in terms and "back" not in terms


def test_bigrams_do_not_span_stop_words_or_punctuation() -> None:
    terms = terms_of("Apply for the card today. Savings grow fast.")
    assert "card" in terms and "savings grow" in terms and "grow fast" in terms
    assert "card savings" not in terms and "the" not in terms


def test_keywords_unfitted_use_the_batch() -> None:
    extractor = KeywordExtractor()
    keywords = extractor.extract(CORPUS, k=3)
    assert not extractor.fitted
    assert len(keywords) == len(CORPUS) and all(len(k) <= 3 for k in keywords)
    assert "cash back" in keywords[0]
    assert "balance transfer" in keywords[1]
    assert "sponsor" in keywords[4]


def test_keywords_fitted_rank_rare_words_first() -> None:
    extractor = KeywordExtractor().fit(CORPUS * 5 + ["Cash back cash back cash back."])
    assert extractor.fitted
    [keywords] = extractor.extract(["Earn cash back on groceries at the supermarket."], k=2)
    # "groceries" and "supermarket" never occur in the fitted corpus: the most distinctive.
    assert set(keywords) == {"groceries", "supermarket"} or "groceries supermarket" in keywords


@pytest.mark.parametrize("text", [
    "Earn 60k bonus points after you spend $4,000 in 3 months.",
    "Earn 80K Bonus Points. Plus 2x miles on travel and 5X points on dining.",
    "Get $200 when you open an account. Fees from $15/mo or $15 /mo. Support 24/7.",
    "Book by the 1st. 401k plans for the U.S. market. Save 60 k points.",
])
def test_keywords_are_never_letters_or_pieces_of_amounts(text: str) -> None:
    fragments = {"k", "x", "mo", "st", "u", "s"}
    terms = terms_of(text)
    for keywords in KeywordExtractor().extract([text, "Cash back on groceries."], k=10):
        for keyword in keywords:
            assert len(keyword) > 1 and not set(keyword.split()) & fragments, keyword
    assert all(not any(ch.isdigit() for ch in term) for term in terms), terms
    assert not any(term.startswith("k ") or term.endswith(" k") for term in terms), terms


def test_an_amount_leaves_the_words_around_it() -> None:
    terms = terms_of("Earn 60k bonus points on travel-heavy spending.")
    assert "bonus_points" in terms and "earn" in terms and "travel-heavy spending" in terms
    assert "earn bonus_points" not in terms   # the amount between them is a break
    assert terms_of("COVID-19 relief") == ["covid", "relief"]   # no "covid-" left over


def test_keywords_of_empty_texts() -> None:
    assert KeywordExtractor().extract(["", "the and of", "Cash back"], k=5) == [[], [], ["cash back"]]


def _reference_terms(text: str) -> list[str]:
    """terms_of as first written: the whole text at once, no memo (the reference for the fast
    version, which works token by token)."""
    low = re.sub(r"[^a-z_\s-]+", " | ", re.sub(r"[^\s-]*\d[^\s-]*", " | ", text.lower()))
    tokens = [t if t[0] != "-" and t[-1] != "-" else t.strip("-") or "-" for t in low.split()]
    index = _build_phrase_index()
    joined: list[str] = []
    i = 0
    while i < len(tokens):
        for rest, term in index.get(tokens[i], []):
            if tuple(tokens[i + 1 : i + 1 + len(rest)]) == rest:
                joined.append(term)
                i += 1 + len(rest)
                break
        else:
            joined.append(tokens[i])
            i += 1
    kept = [word if word not in STOP_WORDS | {"|", "-", "--"} else "" for word in joined]
    return [word for word in kept if word] + [f"{a} {b}" for a, b in zip(kept, kept[1:]) if a and b]


ODD_TEXTS = [
    "Earn 60k bonus points, 2x miles, $4,000/mo, 24/7, 1st year, COVID-19 --- -cash back-",
    "Apply -", "now", "Cash-back—on (cash back) & cash\tback; credit\ncard, credit  cards.",
    "Sign up bonus: sign-up bonus/signup bonus… pre approved? pre-approved!",
    "ΣΟΦΟΣ ΟΔΟΣ. Café crème à 5€ – naïve résumé", "Don’t miss 20%off $300-bonus -- --- - x-",
    "THE BOMB!!! kind of great, sort of bad. It isn't bad; it's not good", "\u2003em\u2003space\x1cseparated\x1ftext",
    "emoji 💘 love 😁 cash back", "", "   ", "-", "...", "the and of", "Cashback, cash back and cash-back.",
]


def test_terms_match_the_plain_version_also_when_memos_overflow(
    labelled: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [record_text(piece) for piece in labelled] + ODD_TEXTS
    assert [terms_of(text) for text in texts] == [_reference_terms(text) for text in texts]
    # Tiny memos, emptied again and again, give the same terms.
    monkeypatch.setattr(keywords_module, "_PHRASE_TOKENS_LIMIT", 3)
    for memo in (keywords_module._KEPT_OF_TOKEN, keywords_module._WORDS_OF_TOKEN):
        monkeypatch.setattr(memo, "limit", 5)
        memo.clear()
    keywords_module._PHRASE_TOKENS.clear()
    assert [terms_of(text) for text in texts] == [_reference_terms(text) for text in texts]


def test_memo_computes_once_and_stays_bounded() -> None:
    calls: list[str] = []
    memo = Memo(lambda key: calls.append(key) or key.upper(), limit=2)
    assert list(map(memo.__getitem__, "abab")) == ["A", "B", "A", "B"]
    assert calls == ["a", "b"]
    assert memo["c"] == "C" and len(memo) == 1


# --- the enricher -------------------------------------------------------------------------

def test_shared_words_give_what_each_analysis_gives_alone(labelled: list[dict[str, Any]]) -> None:
    # The enricher splits each text once for all analyses; the result must be what each
    # analysis computes from the record on its own.
    records = [{key: piece[key] for key in ("title", "subject_line", "content", "channel")} for piece in labelled]
    rng = random.Random(1)
    for _ in range(300):
        title, subject, content = (rng.choice(ODD_TEXTS + [None]) for _ in range(3))
        records.append({"title": title, "subject_line": subject, "content": content, "channel": rng.choice(["sms", None])})
    results = LocalEnricher().enrich_many(records)
    texts = [record_text(record) for record in records]
    keywords = KeywordExtractor().extract(texts, 5)
    for record, text, result, record_keywords in zip(records, texts, results, keywords):
        label, score = score_sentiment(text)
        expected_type = predict_campaign_type(record["title"], record["subject_line"], record["content"], record["channel"])
        offers = extract_offers(text)
        assert (result["sentiment_label"], result["sentiment_score"]) == (label, round(score, 4)), record
        assert (result["campaign_type_predicted"], result["campaign_type_confidence"]) == expected_type, record
        assert {f: result[f] for f in OFFER_FIELDS} == {f: offers[f] for f in OFFER_FIELDS}, record
        assert result["extracted_keywords"] == record_keywords, record


def test_identical_pieces_are_analysed_once_with_the_same_results() -> None:
    records = _records(30) * 3
    inputs = [tuple(map(record.get, INPUT_FIELDS)) for record in records]
    # Every record analysed, keywords ranked against all 90 (what grouping must reproduce).
    expected = _enrich_chunk(inputs, KeywordExtractor())
    results = LocalEnricher().enrich_many(records)
    assert [tuple(result[field] for field in ENRICHMENT_FIELDS) for result in results] == expected
    results[0]["extracted_keywords"].append("changed")
    assert "changed" not in results[30]["extracted_keywords"]
    table = pa.Table.from_pylist(records).select(list(INPUT_FIELDS))
    arrow = LocalEnricher().enrich_arrow(table).to_pylist()
    assert [row["extracted_keywords"] for row in arrow] == [", ".join(row[4]) or None for row in expected]
    assert [row["sentiment_score"] for row in arrow] == [row[1] for row in expected]


def test_enrich_arrow_matches_enrich_many() -> None:
    records = _records(40) + [{"title": None, "subject_line": "  ", "content": None, "channel": None}]
    table = pa.Table.from_pylist(records).select(list(INPUT_FIELDS))
    enricher = LocalEnricher()
    arrow = enricher.enrich_arrow(table).to_pylist()
    for a, b in zip(arrow, enricher.enrich_many(records)):
        assert a == {**{k: v for k, v in b.items() if k != "enriched_by"},
                     "extracted_keywords": ", ".join(b["extracted_keywords"]) or None}
    assert enricher.enrich_arrow(table.slice(0, 0)).num_rows == 0


def _records(n: int) -> list[dict[str, Any]]:
    pieces = _load_labelled()
    return [
        {key: pieces[i % len(pieces)][key] for key in ("title", "subject_line", "content", "channel", "campaign_type")}
        for i in range(n)
    ]


def test_enrich_many_returns_exactly_the_enrichment_fields() -> None:
    enricher = LocalEnricher()
    assert (enricher.name, enricher.version) == ("local", "local-rules-2")
    records = _records(3) + [{"title": None, "subject_line": None, "content": None, "channel": None, "campaign_type": None}]
    results = enricher.enrich_many(records)
    assert len(results) == len(records)
    for record, result in zip(records, results):
        assert set(result) == {*ENRICHMENT_FIELDS, "enriched_by"}
        assert result["enriched_by"] == "local-rules-2"
        assert result["summary"] is None
        assert result["sentiment_label"] in SENTIMENT_LABELS and -1 <= result["sentiment_score"] <= 1
        assert result["campaign_type_predicted"] in CAMPAIGN_TYPES
        assert 0 <= result["campaign_type_confidence"] <= 1
        assert isinstance(result["extracted_keywords"], list)
        assert all(isinstance(k, str) for k in result["extracted_keywords"])
        offers = extract_offers(record_text(record))
        assert {f: result[f] for f in OFFER_FIELDS} == {f: offers[f] for f in OFFER_FIELDS}
    assert enricher.enrich_many([]) == []


def test_enrich_many_with_a_fitted_extractor() -> None:
    extractor = KeywordExtractor().fit(piece["content"] for piece in _load_labelled())
    [result] = LocalEnricher(keywords=extractor).enrich_many(_records(1))
    assert result["extracted_keywords"]


@pytest.mark.slow
def test_large_batch_in_a_pool_matches_serial() -> None:
    # Distinct pieces (identical ones would be analysed once), so that the pool gets many chunks.
    records = [{**record, "content": f"{record['content']} Ref {i}."} for i, record in enumerate(_records(PARALLEL_MIN_RECORDS))]
    enricher = LocalEnricher()
    parallel = enricher.enrich_many(records, workers=2)
    serial = enricher.enrich_many(records[:500], workers=1)
    assert len(parallel) == len(records)
    # Keywords are ranked against the batch (a sample of it in the pool), everything else is
    # computed per record and must be identical.
    for a, b in zip(parallel, serial):
        assert {k: v for k, v in a.items() if k != "extracted_keywords"} == {
            k: v for k, v in b.items() if k != "extracted_keywords"
        }


def test_early_enrichment_of_an_upload_equals_enriching_its_pieces(tmp_path) -> None:
    # A large upload starts enriching its accepted rows before dedupe has picked the pieces;
    # what the pieces get must be what enriching the pieces afterwards gives them. Rejected
    # rows (no date) come first and in between, and re-sightings and duplicates follow, so
    # every position shifts between rows, accepted rows and pieces.
    from competiscan.enrich.apply import EarlyEnrichment, enrich_table
    from competiscan.generate import generate_campaigns, write_campaigns
    from competiscan.ingest import prepare_bytes

    frame = generate_campaigns(PARALLEL_MIN_RECORDS + 4_000, seed=21)
    bad = frame.iloc[::500].assign(launch_date="whenever")
    frame = pd.concat([bad.iloc[:3], frame.iloc[:9_000], bad.iloc[3:], frame.iloc[9_000:]])
    path = tmp_path / "upload.csv"
    write_campaigns(frame, path)
    data = path.read_bytes()
    fitted = KeywordExtractor().fit(record_text(r) for r in _records(200))

    early = EarlyEnrichment(LocalEnricher(keywords=fitted))
    started = prepare_bytes(data, path.name, source="t", aliases={}, industries={}, enrich=early)
    assert early._started is not None            # the early path ran
    plain = prepare_bytes(data, path.name, source="t", aliases={}, industries={})
    assert started.report.rejected_count == len(bad) and plain.report.duplicates > 0
    expected = enrich_table(LocalEnricher(keywords=fitted), plain.batch.pieces)
    got = started.batch.pieces
    assert got.num_rows < plain.report.rows_read - len(bad)   # re-sightings collapsed
    assert got.drop_columns(["enriched_at"]).equals(expected.drop_columns(["enriched_at"]))

