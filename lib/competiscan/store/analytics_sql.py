"""The SQL of competitive analytics: aggregates pushed down to DuckDB or PostgreSQL.

Every method returns a small aggregated DataFrame (one row per period x group, never one row per
campaign); the pure-Python logic in :mod:`competiscan.analytics` fills gaps, windows and scores
them. The same SQL runs on both dialects (``date_trunc`` on a TIMESTAMP gives the same Monday-
starting ISO weeks, ``percentile_cont ... WITHIN GROUP`` and ``FILTER`` exist on both); it
branches on ``store.dialect_name`` only where a column store and a row store want different
plans, each branch saying why. User values only ever travel as bind parameters (lists as
expanding parameters, many groups as a staged table); column names, intervals, weights and
offer terms are checked against the fixed whitelists below before they are written into SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from ..model import OFFER_FIELD_TYPES
from .base import Store, StoreError
from .schema import OFFER_MEASURES

__all__ = ["AnalyticsQueries", "AnalyticsFilter", "AnalyticsError", "DIMENSIONS", "INTERVALS",
           "WEIGHTS", "NUMERIC_OFFER_TERMS"]

# Columns an analysis may group by.
DIMENSIONS: tuple[str, ...] = ("company", "channel", "campaign_type", "industry")
# date_trunc units; 'week' truncates to Monday on both dialects (ISO weeks).
INTERVALS: tuple[str, ...] = ("day", "week", "month", "quarter")
# Estimates a volume may be weighted by.
WEIGHTS: tuple[str, ...] = ("est_spend_usd", "est_volume")
NUMERIC_OFFER_TERMS: tuple[str, ...] = tuple(
    name for name, kind in OFFER_FIELD_TYPES.items() if kind is not str)


# Term and unit of each measure code (Arrow arrays indexed by code: taking from them gives
# pandas strings without converting Python objects, ~5x faster at tens of thousands of rows).
_TERMS = dict((c, (t, u)) for c, t, u in OFFER_MEASURES)
_TERM_OF = pa.array([_TERMS.get(c, (None, None))[0] for c in range(max(_TERMS) + 1)],
                    type=pa.string())
_UNIT_OF = pa.array([_TERMS.get(c, (None, None))[1] for c in range(max(_TERMS) + 1)],
                    type=pa.string())


def lookup(values: pa.Array, codes: Any) -> pd.Series:
    """``values[codes]`` as a pandas string Series."""
    return values.take(pa.array(np.asarray(codes, dtype=np.int64))).to_pandas()


class AnalyticsError(StoreError, ValueError):
    """An analysis was asked for something it cannot do (unknown grouping, interval...)."""


@dataclass(frozen=True)
class AnalyticsFilter:
    """Which campaigns an analysis reads. Empty tuples mean "all"; dates bound launch_date and
    are both inclusive."""

    companies: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    campaign_types: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None


def _check(value: str | None, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise AnalyticsError(f"Unknown {what} {value!r}: use one of {', '.join(allowed)}.")


def _period_sql(interval: str, column: str = "launch_date", dialect: str = "postgresql"
                ) -> str:
    """SQL of the first day (a DATE) of the ``interval`` bucket of the DATE ``column``."""
    _check(interval, INTERVALS, "interval")
    if dialect == "duckdb" and interval != "quarter":
        # Date arithmetic instead of date_trunc, which goes through a TIMESTAMP and back:
        # 10-14 ms less per weekly or monthly count over 1M campaigns (measured), the same
        # days (checked for every day of 2000-2030 in the tests).
        part = {"day": None, "week": "isodow", "month": "dayofmonth"}[interval]
        return column if part is None else f"({column} - CAST({part}({column}) - 1 AS INTEGER))"
    if dialect == "postgresql" and interval == "week":
        # Days since a Monday long ago, modulo 7: ~25% faster than date_trunc (measured at 1M);
        # its month equivalent (extracting the day) was not faster.
        return f"({column} - ({column} - DATE '0001-01-01') % 7)"
    # The TIMESTAMP cast keeps PostgreSQL off the timestamptz overload (which would depend on
    # the session time zone); both dialects then return midnight of the bucket's first day.
    return f"CAST(date_trunc('{interval}', CAST({column} AS TIMESTAMP)) AS DATE)"


# PostgreSQL intervals of one bucket, from its first day to the next bucket's.
_PG_STEP = {"day": "1 day", "week": "7 days", "month": "1 month", "quarter": "3 months"}


def _day_then_id(day: str, id_: str, lowest_id_last: bool = False) -> str:
    """One BIGINT that orders rows by the DATE ``day``, then by ``id_`` (ids below 2^40;
    ``lowest_id_last`` reverses the id order, for a descending pick that wants the lowest id
    first among equal days)."""
    tie = f"(1099511627775 - {id_})" if lowest_id_last else id_
    return f"(date_diff('day', DATE '1970-01-01', {day}) * 1099511627776 + {tie})"


def _stats_from_counts(counted: pd.DataFrame, keys: list[str], highest: Sequence[int]
                       ) -> pd.DataFrame:
    """Per group of ``keys``: best (max where the measure is in ``highest``, else min),
    typical (the median, as percentile_cont(0.5): the mean of the values at positions
    floor((n-1)/2)+1 and floor(n/2)+1) and n, from the count ``k`` of each distinct
    ``value`` of each group."""
    if counted.empty:
        return pd.DataFrame(columns=[*keys, "best", "typical", "n"])
    groups = counted.groupby(keys, sort=False).ngroup().to_numpy()
    values = counted["value"].to_numpy(dtype=float)
    order = np.lexsort((values, groups))
    groups, values = groups[order], values[order]
    running = np.cumsum(counted["k"].to_numpy(dtype=np.int64)[order])
    first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    last = np.r_[first[1:], len(groups)] - 1
    before = np.r_[0, running[last[:-1]]]
    n = running[last] - before

    def at(position: np.ndarray) -> np.ndarray:   # 1-based position within each group
        return values[np.searchsorted(running, before + position)]

    out = counted.iloc[order[first]][keys].reset_index(drop=True)
    high = np.isin(out["measure"].to_numpy(), np.asarray(highest, dtype=np.int64))
    out["best"] = np.where(high, values[last], values[first])
    out["typical"] = (at((n - 1) // 2 + 1) + at(n // 2 + 1)) / 2
    out["n"] = n
    return out


def dates_of(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dates, datetimes or timestamps (None/NaT for missing) as ``datetime.date`` objects."""
    # Converted once per distinct value: an analysis has tens of thousands of rows but only a
    # few hundred periods, and ``.dt.date`` builds an object per row (~3 ms at 14k rows).
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    days = np.asarray([pd.Timestamp(u).date() for u in uniques] + [None], dtype=object)
    return days[codes]


def _id_lists(joined: pd.Series) -> list[list[int]]:
    """Comma-joined ids (one string per row, as the queries aggregate them) as lists of ints."""
    # One JSON parse of them all is ~2.5x faster than splitting and int() per id (thousands
    # of rows of up to 20 ids in an anomaly report or an offer changes feed).
    return json.loads("[[" + "],[".join(joined.tolist()) + "]]") if len(joined) else []


def _as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Drivers differ (date vs datetime); periods leave this module as ``datetime.date``."""
    if "period" in frame.columns:
        frame["period"] = dates_of(frame["period"])
    return frame


class AnalyticsQueries:
    """Aggregate queries over the ``campaigns`` table of one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    def _conditions(filters: AnalyticsFilter, alias: str = ""
                    ) -> tuple[list[str], dict[str, Any], list[sa.BindParameter]]:
        """The filters as SQL conditions, their parameters and the expanding bind params."""
        p = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        expanding: list[sa.BindParameter] = []
        for column, values in (("company", filters.companies), ("channel", filters.channels),
                               ("campaign_type", filters.campaign_types),
                               ("industry", filters.industries)):
            if values:
                name = f"f_{column}"
                clauses.append(f"{p}{column} IN :{name}")
                params[name] = list(values)
                expanding.append(sa.bindparam(name, expanding=True))
        if filters.date_from is not None:
            clauses.append(f"{p}launch_date >= :f_date_from")
            params["f_date_from"] = filters.date_from
        if filters.date_to is not None:
            clauses.append(f"{p}launch_date <= :f_date_to")
            params["f_date_to"] = filters.date_to
        return clauses, params, expanding

    def _where(self, filters: AnalyticsFilter, *extra: str, alias: str = ""
               ) -> tuple[str, dict[str, Any], list[sa.BindParameter]]:
        """WHERE clause of the filters and ``extra`` conditions (or ''), with its parameters
        and expanding bind params."""
        clauses, params, expanding = self._conditions(filters, alias)
        clauses += extra
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params, expanding

    def _frame(self, sql: str, params: dict[str, Any],
               expanding: Sequence[sa.BindParameter] = (),
               staged: Mapping[str, tuple[pd.DataFrame, dict[str, str]]] | None = None,
               big_join: bool = False, parallel: bool = False) -> pd.DataFrame:
        """Run ``sql``; ``staged`` tables (name -> frame, SQL types) exist while it runs.

        ``big_join``: the query joins, ranks, or groups into tens of thousands of groups,
        hundreds of thousands of rows. PostgreSQL then gets 64 MB of work memory (its 4 MB
        default spills the sorts and hash tables to disk: 2.3x slower) and no merge join (it
        cannot estimate a materialized CTE and chose to sort a million rows to merge them with
        a few thousand groups instead of hashing the groups). Neither is set for
        every query: with more memory the planner trades parallel aggregation for a slower
        single hash aggregate.

        ``parallel``: the query aggregates every offer row into tens of thousands of groups.
        PostgreSQL's planner then prices handing the partial groups back from its parallel
        workers too high and aggregates in one process; told that this costs little, it splits
        the scan and the hashing (monthly offer summary at 1M campaigns ~370 -> ~320 ms,
        changes feed ~390 -> ~360 ms, A/B runs). Not for the joins that stage a few groups,
        which it made slower.
        """
        stmt = sa.text(sql)
        if expanding:
            stmt = stmt.bindparams(*expanding)
        staged = staged or {}
        with self.store.engine.begin() as conn:
            if self.store.dialect_name == "postgresql":
                # JIT compiles each query afresh (~0.3 s of a 1.5 s query measured at 1M
                # campaigns) and won back less than that on every query here.
                conn.execute(sa.text("SET LOCAL jit = off"))
                if big_join:
                    conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
                    conn.execute(sa.text("SET LOCAL enable_mergejoin = off"))
                if parallel:
                    conn.execute(sa.text("SET LOCAL parallel_setup_cost = 0"))
                    conn.execute(sa.text("SET LOCAL parallel_tuple_cost = 0.001"))
            for name, (frame, types) in staged.items():
                self.store._stage(conn, name, frame, types)
                if self.store.dialect_name == "postgresql":
                    # Without statistics the planner takes a fresh temp table for a few rows
                    # and probes the campaigns index once per row: 40 s instead of 1 s.
                    conn.execute(sa.text(f"ANALYZE {name}"))
            try:
                return self.store.query_frame(conn, stmt, params)
            finally:
                for name in staged:
                    self.store._unstage(conn, name)

    @staticmethod
    def _dims(dims: Sequence[str]) -> list[str]:
        for d in dims:
            _check(d, DIMENSIONS, "grouping")
        return list(dims)

    # ------------------------------------------------------------------ queries
    def span(self, filters: AnalyticsFilter) -> tuple[date | None, date | None, date | None]:
        """First and last launch date, and last sighting, of the filtered campaigns."""
        where, params, expanding = self._where(filters)
        # One scalar subquery per bound: without filters PostgreSQL reads each off the end of
        # an index (launch_date, last_seen) instead of scanning the table (140 ms at 1M).
        frame = self._frame(
            f"SELECT (SELECT min(launch_date) FROM campaigns {where}) AS first_date, "
            f"(SELECT max(launch_date) FROM campaigns {where}) AS last_date, "
            f"(SELECT max(last_seen) FROM campaigns {where}) AS last_seen", params, expanding)
        row = frame.iloc[0]
        return tuple(None if pd.isna(v) else pd.Timestamp(v).date()  # type: ignore[return-value]
                     for v in (row["first_date"], row["last_date"], row["last_seen"]))

    def counts(self, dims: Sequence[str], interval: str | None, filters: AnalyticsFilter,
               weight: str | None = None, *, sentiment: bool = False) -> pd.DataFrame:
        """Campaigns per (period, *dims): columns ``[period,] *dims, n``; with a weight,
        ``weighted`` (sum of the estimate) and ``missing`` (campaigns without it); with
        ``sentiment``, ``scored`` (campaigns with a sentiment score) and ``mean_score``.

        Only groups with at least one campaign come back; filling empty periods is the
        caller's job. ``interval=None`` aggregates over the whole filtered range.
        """
        dims = self._dims(dims)
        select = ([f"{self._period(interval)} AS period"] if interval else []) + dims
        measures = ["count(*) AS n"]
        if weight is not None:
            _check(weight, WEIGHTS, "weight")
            measures += [f"sum({weight}) AS weighted", f"count(*) - count({weight}) AS missing"]
        if sentiment:
            measures += ["count(sentiment_score) AS scored",
                         "avg(sentiment_score) AS mean_score"]
        where, params, expanding = self._where(filters)
        group = (" GROUP BY " + ", ".join(str(i + 1) for i in range(len(select)))) if select else ""
        return _as_dates(self._frame(
            f"SELECT {', '.join(select + measures)} FROM campaigns {where}{group}",
            params, expanding))

    def sentiment(self, dims: Sequence[str], interval: str | None,
                  filters: AnalyticsFilter) -> pd.DataFrame:
        """Mean sentiment score per (period, *dims): columns ``[period,] *dims, n, mean_score``
        where ``n`` counts the campaigns that have a score (groups without one are left out)."""
        dims = self._dims(dims)
        select = ([f"{self._period(interval)} AS period"] if interval else []) + dims
        where, params, expanding = self._where(filters, "sentiment_score IS NOT NULL")
        group = (" GROUP BY " + ", ".join(str(i + 1) for i in range(len(select)))) if select else ""
        return _as_dates(self._frame(
            f"SELECT {', '.join(select + ['count(*) AS n', 'avg(sentiment_score) AS mean_score'])} "
            f"FROM campaigns {where}{group}", params, expanding))

    @staticmethod
    def _measures(terms: Mapping[str, str]) -> tuple[list[str], str, list[int]]:
        """For the measures of ``terms`` (one per term, one per bonus unit for
        ``bonus_amount``): the condition selecting their offer_terms rows (none when all
        are asked for), the SQL of a group's best value, and the codes where higher is
        better."""
        if not terms:
            raise AnalyticsError("Name at least one offer term.")
        for term, best in terms.items():
            _check(term, NUMERIC_OFFER_TERMS, "offer term")
            _check(best, ("max", "min"), "direction")
        codes = [code for code, term, _unit in OFFER_MEASURES if term in terms]
        highest = [code for code, term, _unit in OFFER_MEASURES
                   if term in terms and terms[term] == "max"]
        conditions = ([] if len(codes) == len(OFFER_MEASURES) else
                      [f"measure IN ({', '.join(map(str, codes))})"])
        best = (f"CASE WHEN measure IN ({', '.join(map(str, highest or [0]))}) "
                "THEN max(value) ELSE min(value) END")
        return conditions, best, highest

    def _period(self, interval: str, column: str = "launch_date") -> str:
        """SQL of the first day of the ``interval`` bucket of ``column``, for this backend."""
        return _period_sql(interval, column, self.store.dialect_name)

    def _offer_period(self, interval: str, alias: str = "") -> str:
        """SQL of the period of an offer_terms row (of table ``alias`` when given)."""
        p = f"{alias}." if alias else ""
        # The month is stored with each row: truncating a million dates costs PostgreSQL ~80 ms.
        return f"{p}launch_month" if interval == "month" else self._period(interval,
                                                                            f"{p}launch_date")

    def offer_stats(self, terms: Mapping[str, str], interval: str | None,
                    filters: AnalyticsFilter, *, seen_since: date | None = None,
                    ids: int = 0) -> pd.DataFrame:
        """Best and median value of each offer term per (company[, period]).

        ``terms`` maps a numeric offer column to ``"max"`` or ``"min"`` (which end is best).
        ``bonus_amount`` is compared only within one ``bonus_unit``, so its rows carry the
        unit; other terms have ``unit`` ''. ``seen_since`` keeps campaigns still seen in market
        on or after that date (last_seen).

        Columns: company, [period,] term, unit, best, typical (median over the pieces stating
        the term), n (those pieces), and with ``ids`` > 0 best_n and best_ids (as
        :meth:`best_piece_ids`), in no particular order. A group without any piece stating a
        term has no row. Reads ``offer_terms``, the offer columns of the campaigns in long
        form.
        """
        extra, best, highest = self._measures(terms)
        if seen_since is not None:
            extra.append("last_seen >= :seen_since")
        where, params, expanding = self._where(filters, *extra)
        if seen_since is not None:
            params["seen_since"] = seen_since
        names = ["company", "period", "measure"] if interval else ["company", "measure"]
        keys = (["company", f"{self._offer_period(interval)} AS period", "measure"] if interval
                else names)
        group = ", ".join(names)
        stats = (f"{best} AS best, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS "
                 "typical, count(*) AS n")
        with_ids = self.store.dialect_name == "duckdb" and ids > 0
        if with_ids:
            # The pieces showing each best value in the same query: the offer rows are read
            # once, and the groups need not go back and forth through Python (~a quarter less
            # than two queries for a comparison at 1M campaigns).
            on = " AND ".join(f"o.{k} = s.{k}" for k in names)
            out = ", ".join(f"s.{k}" for k in names)
            sql = f"""
                WITH o AS MATERIALIZED (
                    SELECT {', '.join(keys)}, value, campaign_id, last_seen
                    FROM offer_terms {where}),
                s AS (SELECT {group}, {stats} FROM o GROUP BY {group})
                SELECT {out}, any_value(s.best) AS best, any_value(s.typical) AS typical,
                       any_value(s.n) AS n, count(*) AS best_n,
                       array_to_string({self._latest_ids(ids)}, ',') AS best_ids
                FROM s JOIN o ON {on} AND o.value = s.best
                GROUP BY {out}"""
            frame = self._frame(sql, params, expanding)
        elif self.store.dialect_name == "duckdb":
            sql = f"SELECT {', '.join(keys)}, {stats} FROM offer_terms {where} GROUP BY {group}"
            frame = self._frame(sql, params, expanding)
        else:
            # PostgreSQL computes an ordered-set aggregate by sorting every row (~1 s at 1M
            # offer rows, and as long again to rank running counts in SQL); counting each
            # distinct value is one hash aggregate, and the best and median values are then
            # read off those far fewer rows here.
            sql = (f"SELECT {', '.join(keys)}, value, count(*) AS k FROM offer_terms {where} "
                   f"GROUP BY {group}, value")
            frame = _stats_from_counts(
                self._frame(sql, params, expanding, big_join=True, parallel=True), names, highest)
        codes = frame["measure"].to_numpy(dtype=np.int64)
        key_cols = ["company", "period"] if interval else ["company"]
        out = _as_dates(pd.DataFrame({
            **{k: frame[k].reset_index(drop=True) for k in key_cols},
            "term": lookup(_TERM_OF, codes), "unit": lookup(_UNIT_OF, codes),
            "best": frame["best"].to_numpy(dtype=float),
            "typical": frame["typical"].to_numpy(dtype=float),
            "n": frame["n"].to_numpy(dtype=int)}))
        if ids <= 0:
            return out
        if with_ids:
            out["best_n"] = frame["best_n"].to_numpy(dtype=int)
            out["best_ids"] = _id_lists(frame["best_ids"])
            return out
        found = self.best_piece_ids(terms, interval, filters, out, seen_since=seen_since,
                                    limit=ids)
        return out.merge(found, on=[*key_cols, "term", "unit"], how="left")

    def best_changes(self, terms: Mapping[str, str], interval: str,
                     filters: AnalyticsFilter, *, limit: int = 0) -> pd.DataFrame:
        """Where a company's best value of a measure differs from its previous period's.

        The previous period is the last earlier one in which the company stated the measure
        (a silent period between is skipped, not read as a withdrawn offer). Columns: company,
        period, term, unit, best, previous_period, previous_best, and with ``limit`` > 0
        best_n and best_ids (as :meth:`best_piece_ids`: the pieces of the period showing the
        new best, up to ``limit``, most recently seen first), in no particular order. Only the
        best value is computed (no median), and only the changes come back.
        """
        extra, best, _highest = self._measures(terms)
        where, params, expanding = self._where(filters, *extra)
        period = self._offer_period(interval)
        changes = f"""
            WITH best AS (
                SELECT company, {period} AS period, measure, {best} AS best
                FROM offer_terms {where} GROUP BY company, period, measure),
            lagged AS (
                SELECT company, period, measure, best,
                       lag(period) OVER w AS previous_period, lag(best) OVER w AS previous_best
                FROM best WINDOW w AS (PARTITION BY company, measure ORDER BY period))
            SELECT company, period, measure, best, previous_period, previous_best FROM lagged
            WHERE previous_best IS NOT NULL AND best <> previous_best"""
        if limit <= 0:
            sql = changes
        else:
            # The pieces behind each change in the same query: the changed groups join back to
            # the offer rows of their period and value (a second query staging them from
            # Python, then merging, cost ~a third more at 1M campaigns).
            clauses, _p, _e = self._conditions(filters, alias="o")
            on = ["o.company = c.company", "o.measure = c.measure", "o.value = c.best",
                  f"{self._offer_period(interval, 'o')} = c.period", *clauses]
            keys = "c.company, c.period, c.measure, c.best, c.previous_period, c.previous_best"
            sql = f"""
                WITH changed AS ({changes})
                SELECT {keys}, count(*) AS best_n,
                       array_to_string({self._latest_ids(limit)}, ',') AS best_ids
                FROM changed c JOIN offer_terms o ON {' AND '.join(on)}
                GROUP BY {keys}"""
        frame = self._frame(sql, params, expanding, big_join=True, parallel=True)
        codes = frame["measure"].to_numpy(dtype=np.int64)
        out = pd.DataFrame({
            "company": frame["company"].reset_index(drop=True),
            "period": frame["period"].to_numpy(),
            "term": lookup(_TERM_OF, codes), "unit": lookup(_UNIT_OF, codes),
            "best": frame["best"].to_numpy(dtype=float),
            "previous_period": frame["previous_period"].to_numpy(),
            "previous_best": frame["previous_best"].to_numpy(dtype=float)})
        out = _as_dates(out)
        out["previous_period"] = dates_of(out["previous_period"])
        if limit > 0:
            out["best_n"] = frame["best_n"].to_numpy(dtype=int)
            out["best_ids"] = _id_lists(frame["best_ids"])
        return out

    def _latest_ids(self, limit: int) -> str:
        """SQL aggregate of the ids of up to ``limit`` offer rows ``o``, most recently seen
        first, then lowest id."""
        if self.store.dialect_name == "duckdb":
            # A bounded arg_max keeps the first ``limit`` without sorting every match.
            return (f"arg_max(o.campaign_id, "
                    f"{_day_then_id('o.last_seen', 'o.campaign_id', True)}, {int(limit)})")
        return (f"(array_agg(o.campaign_id ORDER BY o.last_seen DESC, o.campaign_id))"
                f"[1:{int(limit)}]")

    def best_piece_ids(self, terms: Mapping[str, str], interval: str | None,
                       filters: AnalyticsFilter, groups: pd.DataFrame, *,
                       seen_since: date | None = None, limit: int = 5) -> pd.DataFrame:
        """The pieces showing each group's best value, for the groups an answer shows.

        ``groups`` has company, [period,] term, unit and best (as :meth:`offer_stats` gives
        them); filters, interval and ``seen_since`` must be
        those the groups were computed with. Columns: company, [period,] term, unit, best_n
        (pieces showing ``best``) and best_ids (up to ``limit`` of them, most recently seen
        first).
        """
        key_cols = ["company", "period", "term", "unit"] if interval else \
            ["company", "term", "unit"]
        columns = [*key_cols, "best_n", "best_ids"]
        if groups.empty:
            return pd.DataFrame(columns=columns)
        self._measures(terms)   # checks the terms
        period_cols = ["period"] if interval else []
        code = {(t, u): c for c, t, u in OFFER_MEASURES}
        wanted = groups[["company", *period_cols, "best"]].reset_index(drop=True)
        wanted["measure"] = [code[tu] for tu in zip(groups["term"].tolist(),
                                                     groups["unit"].tolist())]
        types = {"company": "TEXT", "period": "DATE", "measure": "SMALLINT",
                 "best": "DOUBLE PRECISION"}
        clauses, params, expanding = self._conditions(filters, alias="o")
        if seen_since is not None:
            clauses.append("o.last_seen >= :seen_since")
            params["seen_since"] = seen_since
        on = ["o.company = w.company", "o.measure = w.measure", "o.value = w.best"]
        if interval and self.store.dialect_name == "postgresql":
            # The period as a range of the index's last column: no date is truncated.
            on += ["o.launch_date >= w.period",
                   f"o.launch_date < CAST(w.period + INTERVAL '{_PG_STEP[interval]}' AS DATE)"]
        elif interval:
            # The period as one more equal key to hash on: as a range it was checked against
            # every period of a company's measure and value (12x the matches at 1M).
            on.append(f"{self._offer_period(interval, 'o')} = w.period")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        keys = ", ".join(f"w.{k}" for k in ["company", *period_cols, "measure"])
        # Each group's first ``limit`` (latest seen, then lowest id) by one aggregate: a window
        # ranking every match cost DuckDB 4x more with thousands of groups (measured).
        first = self._latest_ids(limit)
        sql = f"""
            SELECT {keys}, count(*) AS best_n, array_to_string({first}, ',') AS best_ids
            FROM offer_terms o JOIN wanted_offers w ON {' AND '.join(on)}
            {where}
            GROUP BY {keys}
        """
        frame = self._frame(sql, params, expanding,
                            staged={"wanted_offers": (wanted, types)}, big_join=True)
        codes = frame["measure"].to_numpy(dtype=np.int64)
        frame["term"], frame["unit"] = lookup(_TERM_OF, codes), lookup(_UNIT_OF, codes)
        frame["best_n"] = frame["best_n"].astype(int)
        frame["best_ids"] = _id_lists(frame["best_ids"])
        return _as_dates(frame)[columns]

    def bucket_piece_ids(self, interval: str, filters: AnalyticsFilter,
                         buckets: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
        """The first ``limit`` campaigns (by launch date, then id) of each (company, period)
        bucket, among those the filters keep. ``buckets`` has company, period and period_end
        (the bucket's last day).

        Columns: company, period, ids. One query for every bucket (an anomaly report asks for
        many), the buckets being staged.
        """
        columns = ["company", "period", "ids"]
        if buckets.empty:
            return pd.DataFrame(columns=columns)
        if self.store.dialect_name == "postgresql":
            # The (company, launch_date) index hands each bucket its first pieces in order,
            # so only ``limit`` rows per bucket are read (a big company's week has hundreds).
            where, params, expanding = self._where(
                filters, "c.company = b.company",
                "c.launch_date BETWEEN b.period AND b.period_end", alias="c")
            params["k"] = int(limit)
            sql = f"""
                SELECT company, period,
                       string_agg(CAST(id AS VARCHAR), ',' ORDER BY launch_date, id) AS ids
                FROM (SELECT b.company, b.period, p.id, p.launch_date
                      FROM wanted_buckets b CROSS JOIN LATERAL (
                          SELECT c.id, c.launch_date FROM campaigns c {where}
                          ORDER BY c.launch_date, c.id LIMIT :k) AS p) AS pieces
                GROUP BY company, period"""
        else:
            # No index to walk: hash-join every piece to its bucket on equal keys (4x faster
            # than a join on the date range measured at 1M campaigns), then keep each bucket's
            # first ``limit`` with a bounded arg_min (ranking every piece of every bucket in a
            # window cost ~4x more, sorting them all in array_agg ~2x).
            where, params, expanding = self._where(filters, alias="c")
            sql = f"""
                SELECT b.company, b.period,
                       array_to_string(arg_min(c.id, {_day_then_id('c.launch_date', 'c.id')},
                                               {int(limit)}), ',') AS ids
                FROM campaigns c JOIN wanted_buckets b ON b.company = c.company
                     AND b.period = {self._period(interval, 'c.launch_date')}
                {where} GROUP BY b.company, b.period"""
        staged = buckets[["company", "period", "period_end"]].reset_index(drop=True)
        frame = self._frame(sql, params, expanding, staged={"wanted_buckets": (
            staged, {"company": "TEXT", "period": "DATE", "period_end": "DATE"})})
        frame["ids"] = _id_lists(frame["ids"])
        return _as_dates(frame)[columns]
