"""Competitive analytics on a hand-made fixture, on DuckDB and PostgreSQL alike.

The fixture (25 pieces, three companies, ten ISO weeks from Monday 2024-01-01) goes in through
the real ingestion path; offer terms and sentiment, which enrichment would add, are put on the
prepared pieces before ``write_batch``. Every expected figure below is worked out by hand from
the table in ``PIECES`` (week w starts on 2024-01-01 + 7w):

    weekly counts   w0 w1 w2 w3 w4 w5 w6 w7 w8 w9
    Acme             1  1  1  1  1  1  1  1  6  1
    Beta             2  0  1  0  1  0  1  0  1  0
    Cobalt           0  1  0  1  0  1  0  0  0  1
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from competiscan.analytics import (ALL_SCOPE, GENEROSITY_FORMULA, UNKNOWN, AnalyticsError,
                                   AnalyticsQueries, CampaignFilter, compare, forecast_volume,
                                   offer_changes, offer_summary, offers,
                                   positioning, share_of_voice, trends, volume_anomalies,
                                   volume_series)
from competiscan.ingest.pipeline import prepare_bytes
from competiscan.model import OFFER_FIELD_TYPES, FilterError

# title, company, industry, channel, campaign_type, launch_date, est_spend_usd, sentiment,
# offer terms
PIECES: list[tuple] = [
    ("A1", "Acme", "credit_cards", "email", "acquisition", "2024-01-02", 1000, 0.5,
     {"intro_apr_months": 15, "intro_apr_pct": 0.0, "annual_fee_usd": 0.0}),
    ("A2", "Acme", "credit_cards", "email", "promotional", "2024-01-09", 1000, 0.3,
     {"cash_back_pct": 1.5}),
    ("A3", "Acme", "credit_cards", "direct_mail", "acquisition", "2024-01-16", None, 0.1,
     {"intro_apr_months": 15, "bonus_amount": 20000.0, "bonus_unit": "points"}),
    ("A4", "Acme", "credit_cards", "email", "retention", "2024-01-23", 500, None, {}),
    ("A5", "Acme", "credit_cards", "email", "acquisition", "2024-01-30", None, None,
     {"intro_apr_months": 18}),
    ("A6", "Acme", "credit_cards", "social", "brand_awareness", "2024-02-06", None, None, {}),
    ("A7", "Acme", "credit_cards", "email", "acquisition", "2024-02-13", None, None,
     {"intro_apr_months": 18, "annual_fee_usd": 0.0}),
    ("A8", "Acme", "credit_cards", "email", "promotional", "2024-02-20", None, None,
     {"cash_back_pct": 2.0}),
    ("A9", "Acme", "credit_cards", "email", "acquisition", "2024-03-01", None, 0.7,
     {"intro_apr_months": 21}),
    ("A10", "Acme", "credit_cards", "email", "acquisition", "2024-03-02", None, None,
     {"intro_apr_months": 21}),
    ("A11", "Acme", "credit_cards", "email", "acquisition", "2024-02-26", None, None,
     {"bonus_amount": 60000.0, "bonus_unit": "points"}),
    ("A12", "Acme", "credit_cards", "email", "acquisition", "2024-02-27", None, None, {}),
    ("A13", "Acme", "credit_cards", "email", "acquisition", "2024-02-28", None, None, {}),
    ("A14", "Acme", "credit_cards", "email", "acquisition", "2024-02-29", None, None, {}),
    ("A15", "Acme", "credit_cards", "email", "retention", "2024-03-05", None, None, {}),
    ("B1", "Beta", "credit_cards", "social", "acquisition", "2024-01-03", 2000, -0.2,
     {"intro_apr_months": 12, "annual_fee_usd": 95.0, "bonus_amount": 50000.0,
      "bonus_unit": "points"}),
    ("B2", "Beta", "credit_cards", "email", "promotional", "2024-01-05", 3000, 0.4,
     {"cash_back_pct": 3.0}),
    ("B3", "Beta", "credit_cards", "social", "acquisition", "2024-01-17", None, None,
     {"intro_apr_months": 12}),
    ("B4", "Beta", "credit_cards", "display", "brand_awareness", "2024-02-01", None, None, {}),
    ("B5", "Beta", "credit_cards", "social", "acquisition", "2024-02-14", None, None,
     {"intro_apr_months": 15, "annual_fee_usd": 0.0}),
    ("B6", "Beta", "credit_cards", "email", "retention", "2024-02-28", None, None, {}),
    ("C1", "Cobalt", "banking", "email", "acquisition", "2024-01-10", 1500, 0.6,
     {"apy_pct": 4.5}),
    ("C2", "Cobalt", "banking", "", "educational", "2024-01-24", None, None, {}),
    ("C3", "Cobalt", "banking", "email", "acquisition", "2024-02-07", None, None,
     {"apy_pct": 4.25, "bonus_amount": 200.0}),                  # a bonus with no unit
    ("C4", "Cobalt", "banking", "email", "promotional", "2024-03-06", None, None,
     {"apy_pct": 4.75}),
]

PRODUCT_OF = {"Acme": "Acme Card", "Beta": "Beta Card", "Cobalt": "Cobalt Savings"}

WEEK = [date(2024, 1, 1) + pd.Timedelta(weeks=w).to_pytimedelta() for w in range(10)]
JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def _csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["company_name", "industry", "channel", "campaign_type", "title", "content",
                     "launch_date", "est_spend_usd"])
    for title, company, industry, channel, ctype, day, spend, *_ in PIECES:
        writer.writerow([company, industry, channel, ctype, title, f"{company} piece {title}",
                         day, "" if spend is None else spend])
    return out.getvalue().encode()


@pytest.fixture
def ids(store) -> dict[str, int]:
    """Load the fixture through ingestion; returns title -> campaign id."""
    prepared = prepare_bytes(_csv(), "fixture.csv", source="test", aliases={}, industries={})
    assert prepared.report.status == "committed", prepared.report.to_dict()
    pieces = prepared.batch.pieces
    pieces = pieces.to_pandas() if isinstance(pieces, pa.Table) else pieces
    by_title = {p[0]: p for p in PIECES}
    titles = pieces["title"].tolist()
    pieces["sentiment_score"] = pd.array([by_title[t][7] for t in titles], dtype="Float64")
    for term, kind in OFFER_FIELD_TYPES.items():
        values = [by_title[t][8].get(term) for t in titles]
        # Integer terms must stay integers: PostgreSQL's COPY refuses "15.0" for INTEGER.
        pieces[term] = (pd.array(values, dtype="Int64") if kind is int else
                        pd.array(values, dtype="string") if kind is str else
                        pd.Series(values, dtype=object) if kind is date else
                        pd.array(values, dtype="Float64"))
    # One product per company here; tests/test_offer_products.py has companies with several.
    pieces["product"] = pieces["company"].map(PRODUCT_OF)
    pieces["product_confidence"] = 1.0
    pieces["product_source"] = "source"
    prepared.batch.pieces = pieces
    store.write_batch(prepared.batch)
    frame = store.export_frame(["id", "title"])
    return dict(zip(frame["title"], frame["id"].astype(int)))


def _by(rows: list[dict], *keys: str) -> dict:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


# ------------------------------------------------------------------------------ trends
def test_weekly_trends_fill_every_week_and_company_with_shares(store, ids):
    rows = trends(store, by="company", interval="week")
    assert len(rows) == 10 * 3
    assert set(rows[0]) == {"period", "key", "count", "share"}
    got = _by(rows, "period", "key")
    acme = [got[(w.isoformat(), "Acme")]["count"] for w in WEEK]
    beta = [got[(w.isoformat(), "Beta")]["count"] for w in WEEK]
    cobalt = [got[(w.isoformat(), "Cobalt")]["count"] for w in WEEK]
    assert acme == [1, 1, 1, 1, 1, 1, 1, 1, 6, 1]
    assert beta == [2, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert cobalt == [0, 1, 0, 1, 0, 1, 0, 0, 0, 1]
    assert got[("2024-01-01", "Acme")]["share"] == pytest.approx(1 / 3)
    assert got[("2024-01-01", "Beta")]["share"] == pytest.approx(2 / 3)
    assert got[("2024-01-01", "Cobalt")]["share"] == 0.0
    assert got[("2024-02-26", "Acme")]["share"] == pytest.approx(6 / 7)
    assert all(date.fromisoformat(r["period"]).weekday() == 0 for r in rows)  # Mondays


def test_monthly_trends_by_type_alias_and_filters(store, ids):
    rows = trends(store, by="type", interval="month", filters=CampaignFilter(companies=["Acme"]))
    got = _by(rows, "period", "key")
    # Acme Jan: A1 A3 A5 acquisition, A2 promotional, A4 retention
    assert got[("2024-01-01", "acquisition")]["count"] == 3
    assert got[("2024-01-01", "acquisition")]["share"] == pytest.approx(3 / 5)
    assert got[("2024-01-01", "brand_awareness")]["count"] == 0
    # Feb: A7 A11-A14 acquisition (5), A6 brand, A8 promotional
    assert got[("2024-02-01", "acquisition")]["count"] == 5
    assert got[("2024-03-01", "retention")]["count"] == 1
    assert {r["period"] for r in rows} == {"2024-01-01", "2024-02-01", "2024-03-01"}


def test_trends_date_range_pads_empty_weeks_and_keeps_asked_companies(store, ids):
    rows = trends(store, interval="week", filters=CampaignFilter(
        companies=["Cobalt", "Nobody"], date_from="2023-12-27", date_to=date(2024, 1, 14)))
    got = _by(rows, "period", "key")
    # Monday 2023-12-25 starts the week of date_from; Nobody has no piece but was asked for.
    assert sorted({r["period"] for r in rows}) == ["2023-12-25", "2024-01-01", "2024-01-08"]
    assert got[("2023-12-25", "Cobalt")]["count"] == 0
    assert got[("2024-01-08", "Cobalt")]["count"] == 1
    assert got[("2024-01-08", "Cobalt")]["share"] == 1.0
    assert got[("2024-01-08", "Nobody")] == {"period": "2024-01-08", "key": "Nobody",
                                             "count": 0, "share": 0.0}


def test_trends_by_channel_labels_missing_channel(store, ids):
    rows = trends(store, by="channel", interval="month", filters=CampaignFilter(companies=["Cobalt"]))
    got = _by(rows, "period", "key")
    assert got[("2024-01-01", UNKNOWN)]["count"] == 1         # C2 has no channel
    assert got[("2024-01-01", "email")]["share"] == pytest.approx(0.5)
    assert got[("2024-03-01", "email")]["count"] == 1


def test_hopping_windows_four_weeks_moving_weekly(store, ids):
    rows = trends(store, interval="week", window=4, step=1)
    got = _by(rows, "period", "key")
    # complete windows end at w3..w9: 7 windows, anchored on the last week
    assert sorted({r["period"] for r in rows}) == [w.isoformat() for w in WEEK[:7]]
    last = got[("2024-02-12", "Acme")]                      # w6..w9
    assert last["period_end"] == "2024-03-10"
    assert last["count"] == 9                               # 1 + 1 + 6 + 1
    assert last["share"] == pytest.approx(9 / 12)           # Beta 2, Cobalt 1
    assert got[("2024-01-01", "Beta")]["count"] == 3        # w0..w3: 2 + 0 + 1 + 0
    moving_2 = trends(store, interval="week", window=4, step=2)
    assert sorted({r["period"] for r in moving_2}) == ["2024-01-01", "2024-01-15",
                                                       "2024-01-29", "2024-02-12"]


def test_period_over_period_change(store, ids):
    frame = volume_series(store, "company", "week").frame
    row = frame[(frame["key"] == "Acme") & (frame["period"] == WEEK[8])].iloc[0]
    assert (row["change"], row["change_pct"]) == (5, 500.0)
    beta = frame[frame["key"] == "Beta"].set_index("period")
    assert math.isnan(beta.loc[WEEK[0], "change"])          # nothing before the first week
    assert (beta.loc[WEEK[1], "change"], beta.loc[WEEK[1], "change_pct"]) == (-2, -100.0)
    assert beta.loc[WEEK[2], "change"] == 1
    assert math.isnan(beta.loc[WEEK[2], "change_pct"])      # up from zero: no percentage


def test_weighted_by_spend_reports_missing(store, ids):
    series = volume_series(store, "company", "month", weight="est_spend_usd")
    assert series.missing == 19                             # 6 of 25 pieces carry a spend
    frame = series.frame.set_index(["period", "key"])
    assert frame.loc[(JAN, "Acme"), "weighted"] == 2500     # A1 + A2 + A4
    assert frame.loc[(JAN, "Acme"), "missing"] == 2         # A3, A5
    assert frame.loc[(JAN, "Acme"), "share"] == pytest.approx(2500 / 9000)
    assert frame.loc[(JAN, "Beta"), "share"] == pytest.approx(5000 / 9000)
    assert frame.loc[(FEB, "Acme"), "weighted"] == 0
    assert frame.loc[(FEB, "Acme"), "missing"] == 7
    assert frame.loc[(FEB, "Acme"), "share"] == 0.0
    rows = trends(store, interval="month", weight="est_spend_usd")
    assert _by(rows, "period", "key")[("2024-01-01", "Cobalt")]["weighted"] == 1500


# ------------------------------------------------------------------------------ share of voice
def test_share_of_voice_overall_and_within_channel(store, ids):
    overall = share_of_voice(store, interval="month").frame.set_index(["period", "key"])
    assert set(overall["scope"]) == {ALL_SCOPE}
    assert overall.loc[(JAN, "Acme"), "share"] == pytest.approx(0.5)
    assert overall.loc[(FEB, "Acme"), "share"] == pytest.approx(7 / 11)
    assert overall.loc[(MAR, "Beta"), "count"] == 0

    within = share_of_voice(store, within="channel", interval="month").frame \
        .set_index(["period", "scope", "key"])
    assert within.loc[(JAN, "email", "Acme"), "share"] == pytest.approx(4 / 6)
    assert within.loc[(FEB, "email", "Acme"), "share"] == pytest.approx(6 / 8)
    assert within.loc[(JAN, "social", "Beta"), "share"] == 1.0
    assert within.loc[(JAN, "social", "Acme"), "share"] == 0.0     # Acme is in social in Feb
    assert (FEB, "social", "Cobalt") not in within.index            # never in social


def test_share_of_voice_within_industry(store, ids):
    frame = share_of_voice(store, within="industry", interval="month").frame \
        .set_index(["period", "scope", "key"])
    assert frame.loc[(JAN, "credit_cards", "Acme"), "share"] == pytest.approx(5 / 8)
    assert frame.loc[(JAN, "banking", "Cobalt"), "share"] == 1.0


# ------------------------------------------------------------------------------ offers
def test_offer_summary_best_and_typical(store, ids):
    summary = offer_summary(store, "month", ids_per_period=5) \
        .set_index(["company", "period", "label"])
    jan = summary.loc[("Acme", JAN, "intro_apr_months")]
    assert (jan["best"], jan["typical"], jan["n"], jan["best_n"]) == (18, 15, 3, 1)
    assert jan["best_ids"] == [ids["A5"]]
    assert jan["better"] == "higher"
    mar = summary.loc[("Acme", MAR, "intro_apr_months")]
    assert mar["best_ids"] == [ids["A10"], ids["A9"]]        # most recently seen first
    assert mar["period_end"] == date(2024, 3, 31)
    beta = summary.loc[("Beta", JAN, "intro_apr_months")]
    assert (beta["best"], beta["best_n"], beta["best_ids"]) == (12, 2, [ids["B3"], ids["B1"]])
    assert summary.loc[("Beta", JAN, "annual_fee_usd"), "best"] == 95
    assert summary.loc[("Acme", FEB, "bonus_amount_points"), "best"] == 60000
    assert summary.loc[("Acme", FEB, "bonus_amount_points"), "unit"] == "points"
    assert summary.loc[("Cobalt", FEB, "apy_pct"), "best"] == 4.25
    unitless = summary.loc[("Cobalt", FEB, "bonus_amount")]
    assert (unitless["unit"], unitless["best"], unitless["best_ids"]) == ("", 200, [ids["C3"]])
    assert ("Cobalt", MAR, "intro_apr_months") not in summary.index


def test_offer_changes_feed(store, ids):
    changes = offer_changes(store, "month")
    got = {(r.company, r.label, r.period): r for r in changes.itertuples()}
    assert set(got) == {
        ("Acme", "cash_back_pct", FEB), ("Acme", "bonus_amount_points", FEB),
        ("Acme", "intro_apr_months", MAR), ("Beta", "intro_apr_months", FEB),
        ("Beta", "annual_fee_usd", FEB), ("Cobalt", "apy_pct", FEB),
        ("Cobalt", "apy_pct", MAR)}
    intro = got[("Acme", "intro_apr_months", MAR)]
    assert (intro.previous_period, intro.previous_best, intro.best) == (FEB, 18, 21)
    assert intro.improved and intro.best_ids == [ids["A10"], ids["A9"]]
    fee = got[("Beta", "annual_fee_usd", FEB)]
    assert (fee.previous_best, fee.best, fee.improved) == (95, 0, True)   # lower is better
    assert fee.best_ids == [ids["B5"]]
    assert not got[("Cobalt", "apy_pct", FEB)].improved                    # 4.5 -> 4.25
    assert got[("Cobalt", "apy_pct", MAR)].improved


def test_current_offers_with_ids(store, ids):
    rows = offers(store)
    assert [r["company"] for r in rows] == ["Acme", "Beta", "Cobalt"]
    acme = {t["label"]: t for t in rows[0]["terms"]}
    assert rows[0]["as_of"] == "2024-03-06"                 # the latest sighting in the store
    assert (acme["intro_apr_months"]["value"], acme["intro_apr_months"]["id"]) == (21, ids["A10"])
    assert (acme["annual_fee_usd"]["value"], acme["annual_fee_usd"]["id"]) == (0, ids["A7"])
    assert acme["annual_fee_usd"]["ids"] == [ids["A7"], ids["A1"]]
    assert acme["bonus_amount_points"]["unit"] == "points"
    assert acme["cash_back_pct"]["value"] == 2.0
    assert acme["intro_apr_pct"]["id"] == ids["A1"]
    assert list(acme) == ["intro_apr_months", "intro_apr_pct", "bonus_amount_points",
                          "cash_back_pct", "annual_fee_usd"]


def test_current_offers_window_and_unknown_company(store, ids):
    rows = offers(store, CampaignFilter(companies=("Cobalt", "Nobody")), window_days=30)
    got = _by(rows, "company")
    assert got["Nobody"]["terms"] == []
    assert got["Cobalt"]["since"] == "2024-02-06"
    bonus, apy = got["Cobalt"]["terms"]                          # in OFFER_TERMS order
    assert (apy["value"], apy["typical"], apy["pieces"], apy["id"]) == (4.75, 4.5, 2, ids["C4"])
    assert (bonus["label"], bonus["unit"], bonus["id"]) == ("bonus_amount", None, ids["C3"])
    beta = {t["label"]: t["value"] for t in offers(store, CampaignFilter(companies="Beta"), window_days=30)[0]["terms"]}
    assert beta == {"intro_apr_months": 15, "annual_fee_usd": 0}     # B1-B3 are too old
    old = offers(store, CampaignFilter(companies="Beta"), as_of="2024-01-31", window_days=30)[0]
    assert {t["label"]: t["value"] for t in old["terms"]}["annual_fee_usd"] == 95


def test_sentiment_query_counts_scored_pieces_only(store, ids):
    frame = AnalyticsQueries(store).sentiment(["company"], "month", CampaignFilter()) \
        .set_index(["period", "company"])
    assert frame.loc[(JAN, "Acme"), "n"] == 3                     # A1 A2 A3; A4 A5 unscored
    assert frame.loc[(JAN, "Acme"), "mean_score"] == pytest.approx(0.3)
    assert frame.loc[(JAN, "Beta"), "mean_score"] == pytest.approx(0.1)
    assert (FEB, "Acme") not in frame.index                      # no scored piece in February


# ------------------------------------------------------------------------------ comparison
def test_compare_two_companies_on_the_same_axes(store, ids):
    result = compare(store, ["Acme", "Beta"], interval="month")
    volume = result.volume.set_index(["period", "company"])["count"]
    assert volume.to_dict() == {(JAN, "Acme"): 5, (JAN, "Beta"): 3, (FEB, "Acme"): 7,
                                (FEB, "Beta"): 3, (MAR, "Acme"): 3, (MAR, "Beta"): 0}
    sov = result.share_of_voice.set_index(["period", "company"])["share"]
    assert sov[(JAN, "Acme")] == pytest.approx(0.5)          # of all three companies
    assert sov[(FEB, "Beta")] == pytest.approx(3 / 11)
    assert sov[(MAR, "Beta")] == 0.0
    channels = result.channel_mix.set_index(["company", "channel"])
    assert channels.loc[("Acme", "email"), "count"] == 13
    assert channels.loc[("Acme", "email"), "share"] == pytest.approx(13 / 15)
    assert channels.loc[("Acme", "display"), "count"] == 0
    assert channels.loc[("Beta", "social"), "share"] == pytest.approx(0.5)
    types = result.type_mix.set_index(["company", "campaign_type"])["count"]
    assert (types[("Acme", "acquisition")], types[("Beta", "brand_awareness")]) == (10, 1)
    sentiment = result.sentiment.set_index(["period", "company"])
    assert sentiment.loc[(JAN, "Acme"), "mean_score"] == pytest.approx(0.3)
    assert sentiment.loc[(FEB, "Acme"), "n"] == 0
    assert math.isnan(sentiment.loc[(FEB, "Acme"), "mean_score"])
    best = result.best_offers.set_index(["company", "label"])["best"]
    assert (best[("Acme", "intro_apr_months")], best[("Beta", "cash_back_pct")]) == (21, 3.0)
    position = result.positioning.frame.set_index("company")
    assert position.loc["Acme", "share_of_voice"] == pytest.approx(15 / 25)
    assert position.loc["Beta", "volume"] == 6
    assert position.loc["Acme", "sentiment"] == pytest.approx(0.4)
    assert position.loc["Beta", "sentiment"] == pytest.approx(0.1)


def test_compare_weighted_by_spend(store, ids):
    result = compare(store, ["Acme", "Cobalt"], interval="month", weight="est_spend_usd")
    sov = result.share_of_voice.set_index(["period", "company"])
    assert sov.loc[(JAN, "Acme"), "share"] == pytest.approx(2500 / 9000)   # Beta spent 5000
    assert sov.loc[(JAN, "Acme"), "missing"] == 2
    assert sov.loc[(FEB, "Cobalt"), "share"] == 0.0                     # no spend stated
    position = result.positioning.frame.set_index("company")
    assert position.loc["Cobalt", "volume"] == 1500
    assert position.loc["Cobalt", "share_of_voice"] == pytest.approx(1500 / 9000)
    assert position.loc["Acme", "missing"] == 12


def test_generosity_follows_the_documented_formula(store, ids):
    # The market is all three companies (each one product: no piece names one). Acme v Beta:
    # intro months 21 v 15 and bonus points 60k v 50k go to Acme (100 v 0), cash back 2 v 3 to
    # Beta (0 v 100), annual fee 0 v 0 is a tie (50 each); intro APR % only Acme states and
    # APY and the unitless bonus only Cobalt: not scored, so Cobalt's generosity is blank.
    result = positioning(store, ["Acme", "Beta", "Cobalt"], x="share_of_voice", y="generosity")
    frame = result.frame.set_index("company")
    assert frame.loc["Acme", "generosity"] == pytest.approx((100 + 100 + 0 + 50) / 4)
    assert frame.loc["Beta", "generosity"] == pytest.approx((0 + 0 + 100 + 50) / 4)
    assert math.isnan(frame.loc["Cobalt", "generosity"])
    assert frame["generosity_products"].to_dict() == {"Acme": 1, "Beta": 1, "Cobalt": 0}
    assert frame["generosity_terms"].to_dict() == {"Acme": 4, "Beta": 4, "Cobalt": 0}
    assert (result.x, result.y) == ("share_of_voice", "generosity")
    cells = compare(store, ["Acme", "Beta"]).generosity.set_index(["company", "label"])
    assert cells["percentile"].dropna().to_dict() == {
        ("Acme", "annual_fee_usd"): 50.0, ("Acme", "bonus_amount_points"): 100.0,
        ("Acme", "cash_back_pct"): 0.0, ("Acme", "intro_apr_months"): 100.0,
        ("Beta", "annual_fee_usd"): 50.0, ("Beta", "bonus_amount_points"): 0.0,
        ("Beta", "cash_back_pct"): 100.0, ("Beta", "intro_apr_months"): 0.0}
    assert math.isnan(cells.loc[("Acme", "intro_apr_pct"), "percentile"])
    assert cells.loc[("Acme", "intro_apr_pct"), "market_products"] == 1
    assert "(N − 1)" in GENEROSITY_FORMULA
    # The market is every company the filters keep: within banking only Cobalt is left, so
    # the compared credit-card companies have no campaign and no score there.
    banking = positioning(store, ["Acme", "Cobalt"], filters=CampaignFilter(
        industries=("banking",))).frame.set_index("company")
    assert banking.loc["Acme", "volume"] == 0 and math.isnan(banking.loc["Acme", "generosity"])
    assert banking.loc["Cobalt", "share_of_voice"] == 1.0


def test_compare_needs_two_to_five_companies(store, ids):
    with pytest.raises(AnalyticsError, match="2 to 5"):
        compare(store, ["Acme"])
    with pytest.raises(AnalyticsError, match="2 to 5"):
        compare(store, ["A", "B", "C", "D", "E", "F"])
    with pytest.raises(AnalyticsError, match="Unknown measure"):
        positioning(store, ["Acme", "Beta"], x="reach")


# ------------------------------------------------------------------------------ anomalies
def test_spike_against_a_flat_baseline(store, ids):
    report = volume_anomalies(store, "week")
    (spike,) = report.anomalies
    assert (spike.company, spike.period, spike.kind, spike.count) == ("Acme", WEEK[8], "spike", 6)
    # baseline w0..w7 is all ones: MAD 0 and mean deviation 0, so the scale is its floor, 1
    assert (spike.median, spike.scale, spike.z) == (1.0, 1.0, 5.0)
    assert spike.piece_ids == [ids[t] for t in ("A11", "A12", "A13", "A14", "A9", "A10")]
    scores = report.scores.set_index(["company", "period"])
    # Beta w8 against w0..w7 = 2,0,1,0,1,0,1,0: median 0.5, MAD 0.5 -> 0.74, floored to 1
    assert scores.loc[("Beta", WEEK[8]), "z"] == pytest.approx(0.5)
    assert scores.loc[("Acme", WEEK[9]), "z"] == 0.0
    # Cobalt's history starts at its first piece (w1), so w9 is its first scored week
    assert math.isnan(scores.loc[("Cobalt", WEEK[8]), "z"])
    assert scores.loc[("Cobalt", WEEK[9]), "z"] == pytest.approx(1.0)
    assert volume_anomalies(store, "week", threshold=5.5).anomalies == []


# ------------------------------------------------------------------------------ forecast
def test_forecast_uses_complete_weeks_and_backtests(store, ids):
    report = forecast_volume(store, ["Acme"], horizon=4, method="naive")
    assert report.through == date(2024, 3, 3)               # w9 is cut short on Wed 03-06
    (acme,) = report.forecasts
    assert report.history["count"].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 6]
    assert report.history["period"].tolist() == WEEK[:9]
    assert report.forecast["period"].tolist() == [date(2024, 3, 4), date(2024, 3, 11),
                                                  date(2024, 3, 18), date(2024, 3, 25)]
    assert acme.values == report.forecast["value"].tolist() == [6.0] * 4
    # origins w4..w8, horizon 4: 4+4+3+2+1 = 14 points; the four forecasts of w8 (from
    # origins w5..w8, all saying 1) miss its 6 by 5, every other one is exact
    assert (acme.backtest.origins, acme.backtest.points) == (5, 14)
    assert acme.backtest.mae == pytest.approx(20 / 14)
    assert acme.backtest.mape == pytest.approx(100 * (4 * 5 / 6) / 14)
    assert acme.backtest.naive_mae == acme.backtest.mae
    auto = forecast_volume(store, horizon=8)
    assert [f.company for f in auto.forecasts] == ["Acme", "Beta", "Cobalt"]
    assert all(len(f.values) == 8 and f.backtest.mae is not None for f in auto.forecasts)
    # Cobalt's history starts at its first piece, w1
    assert auto.history.groupby("company")["period"].min().to_dict() == {
        "Acme": WEEK[0], "Beta": WEEK[0], "Cobalt": WEEK[1]}
    # Weekly counts of 0 to 2 (and Acme's one spike) are far too irregular to forecast: no
    # forecast is drawable, each says why, and the chart's frame is empty.
    assert [f.drawable for f in auto.forecasts] == [False, False, False]
    assert all("limit" in f.refusal or "worse" in f.refusal for f in auto.forecasts)
    assert auto.refused == auto.forecasts and auto.to_frame().empty
    # ... and its WAPE: the 14 tested weeks are ten 1s and four times w8's 6
    assert acme.backtest.wape == pytest.approx(100 * 20 / (10 * 1 + 4 * 6))
    assert "above the 50% limit" in acme.refusal
    assert {"lower_80", "upper_80", "lower_95", "upper_95"} <= set(report.forecast.columns)
    # A company asked for without a single piece is left out, not forecast at zero
    named = forecast_volume(store, ["Cobalt", "Nobody"], horizon=2, method="naive")
    assert [f.company for f in named.forecasts] == ["Cobalt"]
    assert set(named.history["company"]) == {"Cobalt"}
    assert named.history["period"].tolist() == WEEK[1:9]


# ------------------------------------------------------------------------------ input errors
def test_bad_arguments_say_what_to_use(store, ids):
    with pytest.raises(AnalyticsError, match="Cannot group by 'colour'"):
        trends(store, by="colour")
    with pytest.raises(AnalyticsError, match="Unknown interval"):
        trends(store, interval="fortnight")
    with pytest.raises(AnalyticsError, match="Unknown weight"):
        trends(store, weight="content")
    with pytest.raises(FilterError, match="not a date"):
        CampaignFilter(date_from="last tuesday")
    with pytest.raises(FilterError, match="after date_to"):
        CampaignFilter(date_from="2024-02-01", date_to="2024-01-01")


def test_values_travel_as_parameters(store, ids):
    hostile = "Acme' OR '1'='1"
    assert all(r["count"] == 0 for r in trends(store, filters=CampaignFilter(companies=[hostile])))
    assert offers(store, CampaignFilter(companies=[hostile]))[0]["terms"] == []


def test_empty_store_gives_empty_answers(store):
    assert trends(store) == []
    assert offers(store) == []
    assert volume_anomalies(store).anomalies == []
    assert forecast_volume(store).forecasts == []
    assert offer_changes(store).empty
    assert volume_series(store, filters=CampaignFilter(companies=("X",))).frame.empty
    empty = compare(store, ["X", "Y"])
    assert empty.volume.empty and empty.best_offers.empty
    assert empty.positioning.frame["volume"].tolist() == [0, 0]
