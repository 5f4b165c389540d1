"""Scores with a meaning: generosity as a market percentile, positioning on the market's scale,
and forecasts that say how sure they are (prediction intervals, refusal when too unsure).

The percentile of a product on a term is ``100 · (B + T/2) / (N − 1)``: B of the N − 1 other
products of the market that state the term have a worse value, T the same one.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from competiscan.analytics import (CampaignFilter, compare, forecast_series, generosity_scores,
                                   positioning)
from competiscan.analytics.compare import market_percentiles
from competiscan.analytics.forecast import MAX_FORECAST_ERROR_PCT
from competiscan.ingest.pipeline import prepare_bytes
from competiscan.model import OFFER_FIELD_TYPES

from actors import TESTER
from test_pages_support import app_env, chart_specs, csv_of, open_page, texts  # noqa: F401


def _best(rows: list[tuple]) -> pd.DataFrame:
    """(company, product, label, better, best) rows as best_offers gives them per product."""
    frame = pd.DataFrame(rows, columns=["company", "product", "label", "better", "best"])
    unit = frame["label"].str.extract(r"^bonus_amount_(\w+)$")[0].fillna("")
    term = [label if not u else "bonus_amount" for label, u in zip(frame["label"], unit)]
    return frame.assign(term=term, unit=unit)


# ------------------------------------------------------------------------------ percentiles
def test_a_product_beating_three_of_four_others_is_at_75():
    cash = [(c, None, "cash_back_pct", "higher", v)
            for c, v in zip("ABCDE", [1.0, 2.0, 3.0, 4.0, 5.0])]
    fees = [(c, None, "annual_fee_usd", "lower", v)
            for c, v in zip("ABCDE", [550.0, 250.0, 95.0, 0.0, 695.0])]
    pct, stating = market_percentiles(_best(cash + fees))
    assert pct[:5].tolist() == [0.0, 25.0, 50.0, 75.0, 100.0]
    # the lowest fee beats the four others; 95 beats 550, 250 and 695: 3 of 4
    assert pct[5:].tolist() == [25.0, 50.0, 75.0, 100.0, 0.0]
    assert stating.tolist() == [5] * 10


def test_ties_count_half():
    # 60k beats 20k and ties with another 60k: (1 + 1/2) / 2 others
    bonus = [("A", None, "bonus_amount_points", "higher", 60000.0),
             ("B", None, "bonus_amount_points", "higher", 60000.0),
             ("C", None, "bonus_amount_points", "higher", 20000.0)]
    pct, _ = market_percentiles(_best(bonus))
    assert pct.tolist() == [75.0, 75.0, 0.0]
    everyone_equal = [(c, None, "annual_fee_usd", "lower", 0.0) for c in "ABCD"]
    assert market_percentiles(_best(everyone_equal))[0].tolist() == [50.0] * 4


def test_a_term_only_one_product_states_is_not_scored():
    cells, generosity = generosity_scores(_best([("A", None, "apy_pct", "higher", 4.5)]))
    assert math.isnan(cells["percentile"][0]) and cells["market_products"][0] == 1
    assert generosity.empty
    _, asked = generosity_scores(_best([("A", None, "apy_pct", "higher", 4.5)]), ["A"])
    assert math.isnan(asked.loc["A", "generosity"])
    assert (asked.loc["A", "products"], asked.loc["A", "terms"]) == (0, 0)
    assert market_percentiles(_best([]))[0].size == 0


def test_generosity_is_the_mean_over_products_and_terms_with_what_it_rests_on():
    market = _best([
        ("Chase", "Sapphire", "bonus_amount_points", "higher", 60000.0),   # beats 2 of 3
        ("Chase", "Freedom", "cash_back_pct", "higher", 5.0),              # beats 1 of 1: 100
        ("Chase", None, "annual_fee_usd", "lower", 0.0),                   # ties 1 of 1: 50
        ("Amex", "Gold", "bonus_amount_points", "higher", 75000.0),
        ("Amex", "Gold", "annual_fee_usd", "lower", 0.0),
        ("Citi", "Premier", "bonus_amount_points", "higher", 20000.0),
        ("Citi", "Double Cash", "cash_back_pct", "higher", 2.0),
        ("Citi", "Double Cash", "bonus_amount_points", "higher", 20000.0),
        ("Citi", "Double Cash", "bonus_amount_miles", "higher", 1.0),    # a unit of its own
    ])
    cells, generosity = generosity_scores(market, ["Chase", "Amex"])
    assert set(cells["company"]) == {"Chase", "Amex"}
    chase = generosity.loc["Chase"]
    assert chase["generosity"] == pytest.approx((100 * 2 / 3 + 100 + 50) / 3)
    # the pieces naming no product are one product of their own
    assert (chase["products"], chase["terms"]) == (3, 3)
    _, everyone = generosity_scores(market)
    assert math.isnan(market_percentiles(market)[0][-1])
    assert everyone.loc["Citi", "terms"] == 2          # the miles bonus is not scored


# ------------------------------------------------------------------------------ the market
# (company, industry, bonus points, annual fee): Chase is a close rival of Amex, behind it on
# both terms, and ahead of most of the market.
ISSUERS = [("Chase", "credit_cards", 60000, 95.0), ("Amex", "credit_cards", 75000, 0.0),
           ("Citi", "credit_cards", 20000, 0.0), ("Capital One", "credit_cards", 30000, 0.0),
           ("Discover", "credit_cards", 40000, 550.0),
           ("Wells Fargo", "credit_cards", 50000, 250.0), ("Delta", "travel", 100000, None)]


@pytest.fixture
def market(store) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["company_name", "industry", "channel", "title", "content", "launch_date"])
    for company, industry, *_ in ISSUERS:
        writer.writerow([company, industry, "email", f"{company} card", f"{company} offer",
                         "2024-03-01"])
    prepared = prepare_bytes(out.getvalue().encode(), "market.csv", source="test", aliases={},
                             industries={})
    pieces = prepared.batch.pieces
    pieces = pieces.to_pandas() if isinstance(pieces, pa.Table) else pieces
    terms = {company: {"bonus_amount": float(bonus), "bonus_unit": "points",
                       "annual_fee_usd": fee} for company, _i, bonus, fee in ISSUERS}
    for term, kind in OFFER_FIELD_TYPES.items():
        values = [terms[c].get(term) for c in pieces["company"]]
        pieces[term] = (pd.array(values, dtype="string") if kind is str else
                        pd.array(values, dtype="Float64") if kind is float else
                        pd.array(values, dtype="Int64") if kind is int else
                        pd.Series(values, dtype=object))
    prepared.batch.pieces = pieces
    store.write_batch(prepared.batch)


def test_a_close_rival_is_scored_against_the_market_not_zero(store, market):
    cards = CampaignFilter(industries=("credit_cards",))
    result = compare(store, ["Chase", "Amex"], "month", cards)
    frame = result.positioning.frame.set_index("company")
    # Min-max over the two would give Chase 0.00. Against the six card issuers, its 60k points
    # beat 4 of the 5 others (80) and its $95 fee beats Discover's and Wells Fargo's (40).
    assert frame.loc["Chase", "generosity"] == pytest.approx((80 + 40) / 2)
    # Amex: the biggest bonus (100); no fee, level with Citi and Capital One: (3 + 2/2) / 5
    assert frame.loc["Amex", "generosity"] == pytest.approx((100 + 80) / 2)
    assert (frame.loc["Chase", "generosity_products"], frame.loc["Chase", "generosity_terms"]) \
        == (1, 2)
    cells = result.generosity.set_index(["company", "label"])
    assert cells.loc[("Chase", "bonus_amount_points"), "market_products"] == 6
    assert result.positioning.explain("generosity", "Chase").startswith(
        "Generosity 60: on average Chase's products' offer terms beat 60% of the market's "
        "products offering the same term")
    # The whole store's market adds Delta's 100k points: Chase now beats 4 of 6 on the bonus.
    anywhere = positioning(store, ["Chase", "Amex"]).frame.set_index("company")
    assert anywhere.loc["Chase", "generosity"] == pytest.approx((100 * 4 / 6 + 40) / 2)


def test_positioning_measures_are_read_against_the_market(store, market):
    position = compare(store, ["Chase", "Amex"], "month",
                       CampaignFilter(industries=("credit_cards",))).positioning
    assert len(position.market) == 6                  # every card issuer, not the two compared
    assert position.market_median("volume") == 1.0
    assert position.frame.set_index("company").loc["Chase", "share_of_voice"] == \
        pytest.approx(1 / 6)
    sentence = position.explain("share_of_voice", "Chase")
    assert sentence == ("Share of voice 16.7%: Chase had 16.7% of all the market's campaigns in "
                        "this range, ahead of 50% of the market's other 5 companies (market "
                        "median 16.7%).")
    assert position.explain("sentiment", "Chase").startswith("Sentiment blank")


# ------------------------------------------------------------------------------ forecasts
def test_prediction_interval_from_back_test_errors_by_hand():
    y = [10, 12, 10, 14, 10, 12, 10, 16, 10, 12, 10, 14, 10]
    fit = forecast_series(y, horizon=1, backtest_weeks=8, method="naive")
    # The eight one-step errors (actual - previous week): 2 -2 6 -6 2 -2 4 -4, sorted
    # -6 -4 -2 -2 2 2 4 6. The 10% quantile sits 0.7 of the way from the 1st to the 2nd
    # (-4.6), the 90% one 0.3 from the 7th to the 8th (4.6); 2.5%: -5.65, 97.5%: 5.65.
    assert fit.values == [10.0]
    assert fit.bands[80] == (pytest.approx([5.4]), pytest.approx([14.6]))
    assert fit.bands[95] == (pytest.approx([4.35]), pytest.approx([15.65]))
    assert fit.drawable and fit.backtest.wape == pytest.approx(100 * 28 / 94)


def test_interval_contains_the_back_test_spread_and_widens_with_the_horizon():
    rng = np.random.default_rng(11)
    y = np.round(30 + rng.normal(0, 4, 40))
    horizon, weeks = 4, 12
    fit = forecast_series(y, horizon=horizon, backtest_weeks=weeks)
    # The back-test again, origin by origin: each origin's forecast is a fit on the weeks
    # before it, so the same method on the series cut there.
    scaled = []
    for origin in range(len(y) - weeks, len(y)):
        ahead = forecast_series(y[:origin], horizon=horizon, backtest_weeks=weeks,
                                method=fit.method).values
        scaled += [(y[origin + h] - ahead[h]) / math.sqrt(h + 1)
                   for h in range(min(horizon, len(y) - origin))]
    scaled = np.asarray(scaled)
    assert len(scaled) == fit.backtest.points
    (lo80, hi80), (lo95, hi95) = ((fit.bands[level][0][0] - fit.values[0],
                                   fit.bands[level][1][0] - fit.values[0]) for level in (80, 95))
    assert lo95 <= lo80 < 0 < hi80 <= hi95
    inside80 = np.mean((scaled >= lo80 - 1e-9) & (scaled <= hi80 + 1e-9))
    inside95 = np.mean((scaled >= lo95 - 1e-9) & (scaled <= hi95 + 1e-9))
    assert inside80 >= 0.75 and inside95 >= 0.9
    width = [fit.bands[95][1][h] - fit.bands[95][0][h] for h in range(horizon)]
    assert width[3] == pytest.approx(2 * width[0])            # sqrt(4) times the first week's


def test_a_forecast_worse_than_naive_is_refused():
    rng = np.random.default_rng(1)
    # A year of noise, then a flat 20: last year's same weeks are a poor guide now.
    y = np.concatenate([rng.integers(0, 40, 52), [20] * 20])
    fit = forecast_series(y, horizon=4, method="seasonal_naive")
    assert fit.backtest.wape < MAX_FORECAST_ERROR_PCT          # refused for being worse only
    assert not fit.drawable
    assert fit.refusal.startswith("its back-test error (9.62 pieces a week) is worse than "
                                  "repeating the last week (0.00)")
    assert fit.method_name == "Seasonal naive (same week a year earlier)"


def test_a_forecast_above_the_error_threshold_is_refused():
    sparse = forecast_series([0, 0, 3, 0, 0, 1, 0, 0, 4, 0, 0, 0, 2, 0, 0, 5, 0, 1], horizon=4)
    assert sparse.backtest.mae < sparse.backtest.naive_mae      # better than naive, still...
    assert sparse.backtest.wape > MAX_FORECAST_ERROR_PCT
    assert not sparse.drawable
    assert f"above the {MAX_FORECAST_ERROR_PCT:.0f}% limit" in sparse.refusal
    short = forecast_series([3, 4, 5], horizon=4)
    assert short.refusal.startswith("too little history") and short.bands == {}
    steady = forecast_series([20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21], horizon=4)
    assert steady.drawable and steady.refusal == ""
    assert steady.method_name in {"Naive (last week repeated)", "Exponential smoothing",
                                  "Damped trend (Holt)"}


# ------------------------------------------------------------------------------ the pages
def test_a_refused_forecast_shows_why_and_no_chart(app_env):
    # The fixture's Citi has a few pieces a month: far too irregular week to week.
    report = app_env.analytics.forecast(("Citi",), horizon=8)
    [citi] = report.forecasts
    assert not citi.drawable
    at = open_page("trends", {"view": "forecast", "company": ["Citi"]})
    assert chart_specs(at) == []
    [warning] = texts(at.warning)
    assert warning.startswith("No forecast is drawn")
    assert "Citi" in warning and citi.refusal.split(":")[0][:30] in warning.replace("\\", "")
    assert any(f"at most {MAX_FORECAST_ERROR_PCT:.0f}% of the actual volume" in t
               for t in texts(at.caption))


def test_a_steady_forecast_is_drawn_with_its_interval(app_env):
    weeks = pd.date_range("2024-01-01", "2024-06-23", freq="W-MON")
    rows = [{"company_name": "Steady Bank", "industry": "banking", "channel": "email",
             "title": f"Steady {w:%F} {k}",
             "content": f"Steady Bank savings note {w:%F} number {k}",
             "launch_date": f"{w:%F}"}
            for i, w in enumerate(weeks) for k in range(10 + (i % 3) - 1)]
    assert app_env.campaigns.ingest(TESTER, csv_of(rows), "steady.csv").status == "committed"
    at = open_page("trends", {"view": "forecast", "company": ["Steady Bank"]})
    assert not at.warning
    [spec] = chart_specs(at)
    bands = [t for t in spec["data"] if t.get("fill") == "tonexty"]
    assert [t["name"] for t in bands] == ["Steady Bank: 95% interval",
                                          "Steady Bank: 80% interval"]
    assert {t.get("name") for t in spec["data"]} >= {"Steady Bank", "Steady Bank: forecast"}


def test_comparison_explains_each_score_beside_its_formula(app_env):
    at = open_page("competitors", {"mode": "compare", "company": ["Chase", "Citi"]})
    body = " ".join(texts(at.markdown)).replace("\\", "")
    assert "pct(p, t) = 100 · (B + T/2) / (N − 1)" in body
    assert "Share of voice" in body and "ahead of" in body
    assert "Generosity" in body and ("on average Chase's products' offer terms beat" in body
                                     or "Generosity blank: none of Chase's" in body)
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    chart = next(s for t, s in specs.items() if t.startswith("Generosity against"))
    assert chart["layout"]["yaxis"]["range"] == [-5, 105]
    assert any(shape.get("line", {}).get("dash") == "dot"
               for shape in chart["layout"].get("shapes", []))
