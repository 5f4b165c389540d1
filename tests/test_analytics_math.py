"""The pure-Python parts of analytics, checked against hand-computed values (no store)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from competiscan.analytics import (OFFER_TERMS, AnalyticsError, forecast_series,
                                   generosity_scores, robust_z)
from competiscan.analytics.forecast import forecast_matrix
from competiscan.analytics.periods import bucket_end, bucket_start, period_starts
from competiscan.analytics.series import changes, dense, hop, series_from_counts, shares
from competiscan.model import CampaignFilter
from competiscan.store.analytics_sql import NUMERIC_OFFER_TERMS


def test_buckets_are_iso_weeks_months_and_quarters():
    assert bucket_start(date(2024, 1, 7), "week") == date(2024, 1, 1)      # Sunday -> Monday
    assert bucket_start(date(2024, 1, 8), "week") == date(2024, 1, 8)
    assert bucket_start(date(2021, 1, 1), "week") == date(2020, 12, 28)    # ISO week 53
    assert bucket_start(date(2024, 8, 19), "quarter") == date(2024, 7, 1)
    assert bucket_end(date(2024, 2, 1), "month") == date(2024, 2, 29)
    assert bucket_end(date(2024, 10, 1), "quarter") == date(2024, 12, 31)
    assert period_starts(date(2023, 11, 15), date(2024, 2, 3), "month") == [
        date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1)]
    with pytest.raises(AnalyticsError):
        bucket_start(date(2024, 1, 1), "hour")


def test_grid_hop_share_and_change():
    periods = [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)]
    raw = pd.DataFrame({"key": ["a", "a", "b", "z"],
                        "period": [periods[0], periods[2], periods[1], periods[1]],
                        "count": [2, 4, 3, 9]})
    grid = dense([raw["key"]], raw["period"].tolist(), {"count": raw["count"]},
                 [("a",), ("b",)], periods)["count"]     # "z" is not a group: left out
    assert grid.tolist() == [[2, 0, 4], [0, 3, 0]]
    ends, windows = hop(grid, window=2, step=1)
    assert ends.tolist() == [1, 2]
    assert windows.tolist() == [[2, 4], [3, 3]]
    assert shares(windows, np.array([0, 0])).ravel().tolist() == pytest.approx(
        [0.4, 4 / 7, 0.6, 3 / 7])
    assert shares(windows, np.array([0, 1])).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    change, pct = changes(windows)
    assert change[:, 1].tolist() == [2, 0] and np.isnan(change[:, 0]).all()
    assert pct[:, 1].tolist() == [100.0, 0.0]
    assert hop(grid, window=4, step=1)[1].shape == (2, 0)
    assert hop(grid, window=1, step=2)[0].tolist() == [0, 2]   # anchored on the last week
    with pytest.raises(AnalyticsError):
        hop(grid, window=0, step=1)


def test_series_from_counts_fills_zeros_and_orders_by_period_scope_key():
    periods = [date(2024, 1, 1), date(2024, 1, 8)]
    raw = pd.DataFrame({"channel": ["email", "email", "sms"], "company": ["B", "A", "A"],
                        "period": [periods[0], periods[1], periods[1]], "n": [2, 1, 3]})
    series = series_from_counts(raw, "company", "channel", "week",
                                CampaignFilter(companies=("A", "B", "C")))
    frame = series.frame
    assert (series.by, series.within, series.window) == ("company", "channel", 1)
    assert list(frame.columns) == ["period", "period_end", "scope", "key", "count", "share",
                                   "change", "change_pct"]
    # every (scope, key) x week, the companies asked for included; C has no campaign at all
    assert frame[["period", "scope", "key", "count"]].values.tolist() == [
        [periods[0], "email", "A", 0], [periods[0], "email", "B", 2],
        [periods[0], "email", "C", 0], [periods[0], "sms", "A", 0],
        [periods[0], "sms", "B", 0], [periods[0], "sms", "C", 0],
        [periods[1], "email", "A", 1], [periods[1], "email", "B", 0],
        [periods[1], "email", "C", 0], [periods[1], "sms", "A", 3],
        [periods[1], "sms", "B", 0], [periods[1], "sms", "C", 0]]
    assert frame["share"].tolist() == [0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]
    assert frame["change"].tolist()[6:] == [1, -2, 0, 3, 0, 0]
    assert frame["change_pct"].tolist()[7] == -100.0
    assert frame["period_end"].tolist()[0] == date(2024, 1, 7)


def test_robust_z_with_and_without_mad():
    # median 3, |deviations| 2 1 0 1 2 -> MAD 1 -> scale 1.4826
    assert robust_z(10, [1, 2, 3, 4, 5]) == pytest.approx((7 / 1.4826, 3, 1.4826))
    # median 10 and MAD 0; mean |deviation| = 60/7, scale 1.2533 * 60/7
    z, median, scale = robust_z(40, [10, 10, 10, 10, 10, 30, 50])
    assert (median, scale) == (10, pytest.approx(1.2533 * 60 / 7))
    assert z == pytest.approx(30 / (1.2533 * 60 / 7))
    # a flat baseline: the scale floor of one piece
    assert robust_z(3, [1, 1, 1, 1]) == (2.0, 1.0, 1.0)


def test_naive_backtest_by_hand():
    y = [10, 12, 14, 16, 18, 20, 22, 24, 26, 28]
    fit = forecast_series(y, horizon=2, backtest_weeks=3, method="naive")
    # origins 7, 8, 9: (24, 26) from 22, (26, 28) from 24, (28) from 26
    assert (fit.backtest.origins, fit.backtest.points) == (3, 5)
    assert fit.backtest.mae == pytest.approx((2 + 4 + 2 + 4 + 2) / 5)
    assert fit.backtest.mape == pytest.approx(
        100 * np.mean([2 / 24, 4 / 26, 2 / 26, 4 / 28, 2 / 28]))
    assert fit.values == [28, 28]


def test_auto_prefers_the_trend_on_a_trend_and_naive_on_a_constant():
    trend = forecast_series([10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32], horizon=3,
                            backtest_weeks=4)
    assert trend.method == "holt"
    assert trend.backtest.mae < trend.backtest.naive_mae
    assert trend.values[0] > 32 and set(trend.params) == {"alpha", "beta", "phi"}
    flat = forecast_series([5] * 10, horizon=4)
    assert (flat.method, flat.values, flat.backtest.mae) == ("naive", [5.0] * 4, 0.0)


def test_seasonal_naive_repeats_last_season_and_short_series_fall_back():
    season = np.tile([0, 0, 0, 10], 14)[:52]
    y = np.concatenate([season, season])
    fit = forecast_series(y, horizon=4, method="seasonal_naive")
    assert fit.values == y[52:56].tolist()
    assert fit.backtest.mae == 0.0
    short = forecast_series([3, 4], horizon=2, method="seasonal_naive")
    assert (short.method, short.values) == ("naive", [4.0, 4.0])
    assert "needs more history" in short.note
    with pytest.raises(AnalyticsError):
        forecast_series([1, 2, 3], horizon=0)


def test_generosity_scores_directions():
    best = pd.DataFrame({
        "company": ["A", "B", "C", "A", "B", "A", "B"],
        "label": ["annual_fee_usd"] * 3 + ["apy_pct"] * 2 + ["cash_back_pct"] * 2,
        "term": ["annual_fee_usd"] * 3 + ["apy_pct"] * 2 + ["cash_back_pct"] * 2,
        "better": ["lower"] * 3 + ["higher"] * 4,
        "best": [0.0, 95.0, 550.0, 4.0, 5.0, 2.0, 2.0],
    })
    cells, generosity = generosity_scores(best, ["A", "B", "C"])
    fee = cells[cells["label"] == "annual_fee_usd"].set_index("company")["percentile"]
    assert fee.to_dict() == {"A": 100.0, "B": 50.0, "C": 0.0}        # the lowest fee is best
    apy = cells[cells["label"] == "apy_pct"].set_index("company")["percentile"]
    assert apy.to_dict() == {"A": 0.0, "B": 100.0}                    # the highest APY is
    cash = cells[cells["label"] == "cash_back_pct"].set_index("company")["percentile"]
    assert cash.to_dict() == {"A": 50.0, "B": 50.0}                   # a tie is half-way
    assert generosity["generosity"].to_dict() == pytest.approx(
        {"A": 50.0, "B": (50 + 100 + 50) / 3, "C": 0.0})
    assert generosity["terms"].to_dict() == {"A": 3, "B": 3, "C": 1}


def test_all_companies_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(3)
    y = rng.poisson(6, size=(3, 30)).astype(float)
    y[1, :7] = 0                     # a company that starts late
    y[2, 10:] += np.arange(20)       # one with a trend
    starts = [0, 7, 0]
    together = forecast_matrix(y, starts, ["a", "b", "c"], horizon=5, backtest_weeks=6)
    for row, start, fit in zip(y, starts, together):
        alone = forecast_series(row[start:], horizon=5, backtest_weeks=6)
        assert (fit.method, fit.params, fit.backtest) == (alone.method, alone.params,
                                                          alone.backtest)
        assert fit.values == pytest.approx(alone.values)
        assert fit.candidates == alone.candidates
        assert (fit.refusal, set(fit.bands)) == (alone.refusal, set(alone.bands))
        for level, (low, high) in fit.bands.items():
            assert np.allclose(low, alone.bands[level][0])
            assert np.allclose(high, alone.bands[level][1])


def test_every_numeric_offer_term_has_a_best_direction():
    assert set(OFFER_TERMS) == set(NUMERIC_OFFER_TERMS)
    assert set(OFFER_TERMS.values()) == {"max", "min"}


def test_best_and_median_from_value_counts_match_the_raw_values():
    """PostgreSQL's offer statistics are read off counts of distinct values: best and median
    (percentile_cont semantics: the mean of the two middle values of an even count) must equal
    those of the values themselves."""
    from competiscan.store.analytics_sql import _stats_from_counts
    rng = np.random.default_rng(3)
    raw = pd.DataFrame({"company": rng.choice(["A", "B", "C"], 2000),
                        "measure": rng.choice([2, 12], 2000),      # 2: max is best, 12: min
                        "value": rng.choice([0.0, 1.5, 3.0, 95.0, 250.0], 2000)})
    raw = raw.iloc[:1999]   # an odd total somewhere
    counted = raw.groupby(["company", "measure", "value"], as_index=False).size() \
        .rename(columns={"size": "k"}).sample(frac=1, random_state=1)   # any order
    got = _stats_from_counts(counted, ["company", "measure"], highest=[2]) \
        .set_index(["company", "measure"]).sort_index()
    g = raw.groupby(["company", "measure"])["value"]
    expected_best = pd.Series(np.where(g.max().index.get_level_values("measure") == 2,
                                       g.max(), g.min()), index=g.max().index)
    assert got["best"].tolist() == expected_best.tolist()
    assert got["typical"].tolist() == g.median().tolist()
    assert got["n"].tolist() == g.size().tolist()
    # Hand-computed: values 1, 2, 10, 20 -> median 6.0; 1, 1, 5 -> 1.0.
    tiny = pd.DataFrame({"company": ["A"] * 4 + ["B"] * 2, "measure": [2] * 6,
                         "value": [1.0, 2.0, 10.0, 20.0, 1.0, 5.0], "k": [1, 1, 1, 1, 2, 1]})
    out = _stats_from_counts(tiny, ["company", "measure"], highest=[])
    assert out[["company", "best", "typical", "n"]].values.tolist() == [
        ["A", 1.0, 6.0, 4], ["B", 1.0, 1.0, 3]]


def test_series_shares_and_changes_match_a_pandas_groupby():
    """The matrix arithmetic of series_from_counts against pandas' groupby on random counts:
    share of the period within the scope, change from the previous period of the group."""
    rng = np.random.default_rng(1)
    periods = [date(2024, 1, 1) + pd.Timedelta(weeks=w).to_pytimedelta() for w in range(6)]
    raw = pd.DataFrame({"company": rng.choice(list("abcd"), 80),
                        "channel": rng.choice(["email", "sms", None], 80),
                        "period": rng.choice(np.asarray(periods, dtype=object), 80),
                        "n": rng.integers(1, 5, 80)})
    raw = raw.groupby(["company", "channel", "period"], dropna=False,
                      as_index=False)["n"].sum()
    frame = series_from_counts(raw, "company", "channel", "week", CampaignFilter()).frame
    full = (raw.assign(channel=raw["channel"].fillna("(unknown)"))
            .set_index(["channel", "company", "period"])["n"]
            .reindex(pd.MultiIndex.from_product(
                [sorted(set(raw["channel"].fillna("(unknown)"))), sorted(set(raw["company"])),
                 periods], names=["channel", "company", "period"]), fill_value=0)
            .reset_index())
    pairs = set(zip(raw["channel"].fillna("(unknown)"), raw["company"]))
    full = full[[pair in pairs for pair in zip(full["channel"], full["company"])]]
    full = full.sort_values(["period", "channel", "company"]).reset_index(drop=True)
    assert frame[["scope", "key", "count"]].values.tolist() == \
        full[["channel", "company", "n"]].values.tolist()
    totals = full.groupby(["period", "channel"])["n"].transform("sum")
    assert np.allclose(frame["share"], np.where(totals > 0, full["n"] / totals.where(
        totals > 0, 1), 0.0))
    previous = full.groupby(["channel", "company"])["n"].shift(1)
    assert np.allclose(frame["change"], full["n"] - previous, equal_nan=True)
    assert np.allclose(frame["change_pct"], np.where(
        previous > 0, 100.0 * (full["n"] - previous) / previous.where(previous > 0, 1),
        np.nan), equal_nan=True)


def _period_mismatches(run, dialect: str) -> None:
    from competiscan.store.duckdb_store import DuckDBStore
    from competiscan.store.postgres_store import PostgresStore

    store = {"duckdb": DuckDBStore, "postgresql": PostgresStore}[dialect]
    for interval in ("day", "week", "month", "quarter"):
        fast = store.period_sql(interval, "launch_date")
        reference = f"CAST(date_trunc('{interval}', CAST(launch_date AS TIMESTAMP)) AS DATE)"
        differing, days = run(f"SELECT count(*) FILTER (WHERE {fast} <> {reference}), count(*) "
                              "FROM d")
        assert (differing, days) == (0, 11323), (dialect, interval)


def test_duckdb_period_arithmetic_matches_date_trunc_on_every_day():
    """DuckDB buckets dates by arithmetic (faster than date_trunc); the very same days."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE d AS SELECT CAST(range AS DATE) AS launch_date "
                "FROM range(DATE '2000-01-01', DATE '2031-01-01', INTERVAL 1 DAY)")
    _period_mismatches(lambda sql: con.execute(sql).fetchone(), "duckdb")


def test_postgresql_period_arithmetic_matches_date_trunc_on_every_day(pg_database_url):
    import sqlalchemy as sa

    engine = sa.create_engine(pg_database_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(
                "CREATE TEMP TABLE d AS SELECT CAST(g AS DATE) AS launch_date FROM "
                "generate_series(DATE '2000-01-01', DATE '2030-12-31', INTERVAL '1 day') g"))
            _period_mismatches(lambda sql: tuple(conn.execute(sa.text(sql)).one()),
                               "postgresql")
    finally:
        engine.dispose()
