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

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Sequence

import pandas as pd
import sqlalchemy as sa

from ..model import BONUS_UNITS, OFFER_FIELD_TYPES
from .base import Store, StoreError

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


def _period_sql(interval: str, column: str = "launch_date") -> str:
    _check(interval, INTERVALS, "interval")
    # The TIMESTAMP cast keeps PostgreSQL off the timestamptz overload (which would depend on
    # the session time zone); both dialects then return midnight of the bucket's first day.
    return f"CAST(date_trunc('{interval}', CAST({column} AS TIMESTAMP)) AS DATE)"


def _as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Drivers differ (date vs datetime); periods leave this module as ``datetime.date``."""
    if "period" in frame.columns:
        frame["period"] = pd.to_datetime(frame["period"]).dt.date
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
               big_join: bool = False) -> pd.DataFrame:
        """Run ``sql``; ``staged`` tables (name -> frame, SQL types) exist while it runs.

        ``big_join``: the query joins and ranks hundreds of thousands of rows. PostgreSQL then
        gets 64 MB of work memory (its 4 MB default spills the sorts to disk) and no merge
        join (it cannot estimate a materialized CTE and chose to sort a million rows to merge
        them with a few thousand groups instead of hashing the groups). Neither is set for
        every query: with more memory the planner trades parallel aggregation for a slower
        single hash aggregate.
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
            for name, (frame, types) in staged.items():
                self.store._stage(conn, name, frame, types)
                if self.store.dialect_name == "postgresql":
                    # Without statistics the planner takes a fresh temp table for a few rows
                    # and probes the campaigns index once per row: 40 s instead of 1 s.
                    conn.execute(sa.text(f"ANALYZE {name}"))
            try:
                return self._fetch(conn.execute(stmt, params))
            finally:
                for name in staged:
                    self.store._unstage(conn, name)

    def _fetch(self, result: sa.CursorResult) -> pd.DataFrame:
        columns = list(result.keys())
        if self.store.dialect_name == "duckdb":
            # DuckDB hands over its result as columns: ~10x faster than Python tuples of
            # dates, which is most of the time of a weekly series over 1M campaigns.
            return result.cursor.df()
        # Plain DBAPI tuples, column by column: a frame from SQLAlchemy Row objects costs
        # ~10x more.
        data = list(zip(*result.cursor.fetchall())) or [[] for _ in columns]
        return pd.DataFrame(dict(zip(columns, data)), columns=columns)

    @staticmethod
    def _dims(dims: Sequence[str]) -> list[str]:
        for d in dims:
            _check(d, DIMENSIONS, "grouping")
        return list(dims)

    # ------------------------------------------------------------------ queries
    def span(self, filters: AnalyticsFilter) -> tuple[date | None, date | None, date | None]:
        """First and last launch date, and last sighting, of the filtered campaigns."""
        where, params, expanding = self._where(filters)
        frame = self._frame(
            "SELECT min(launch_date) AS first_date, max(launch_date) AS last_date, "
            f"max(last_seen) AS last_seen FROM campaigns {where}", params, expanding)
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
        select = ([f"{_period_sql(interval)} AS period"] if interval else []) + dims
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
        select = ([f"{_period_sql(interval)} AS period"] if interval else []) + dims
        where, params, expanding = self._where(filters, "sentiment_score IS NOT NULL")
        group = (" GROUP BY " + ", ".join(str(i + 1) for i in range(len(select)))) if select else ""
        return _as_dates(self._frame(
            f"SELECT {', '.join(select + ['count(*) AS n', 'avg(sentiment_score) AS mean_score'])} "
            f"FROM campaigns {where}{group}", params, expanding))

    @staticmethod
    def _offer_measures(terms: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
        """(term, unit, direction, FILTER clause) of each measure: one per term, and one per
        bonus unit for ``bonus_amount`` (points are not miles; '' is an unstated unit)."""
        if not terms:
            raise AnalyticsError("Name at least one offer term.")
        measures = []
        for term, best in terms.items():
            _check(term, NUMERIC_OFFER_TERMS, "offer term")
            _check(best, ("max", "min"), "direction")
            if term != "bonus_amount":
                measures.append((term, "", best, ""))
                continue
            units = ", ".join(f"'{u}'" for u in BONUS_UNITS)
            measures += [(term, u, best, f" FILTER (WHERE bonus_unit = '{u}')")
                         for u in BONUS_UNITS]
            measures.append((term, "", best, " FILTER (WHERE bonus_unit IS NULL OR "
                                             f"bonus_unit NOT IN ({units}))"))
        return measures

    def offer_stats(self, terms: Mapping[str, str], interval: str | None,
                    filters: AnalyticsFilter, *, seen_since: date | None = None
                    ) -> pd.DataFrame:
        """Best and median value of each offer term per (company[, period]).

        ``terms`` maps a numeric offer column to ``"max"`` or ``"min"`` (which end is best).
        ``bonus_amount`` is compared only within one ``bonus_unit``, so its rows carry the
        unit; other terms have ``unit`` ''. ``seen_since`` keeps campaigns still seen in market
        on or after that date (last_seen).

        Columns: company, [period,] term, unit, best, typical (median over the pieces stating
        the term), n (those pieces). A group without any piece stating a term has no row.
        """
        measures = self._offer_measures(terms)
        # Most pieces state no offer at all: leave them out before grouping.
        stated = "(" + " OR ".join(f"{t} IS NOT NULL" for t in terms) + ")"
        seen = ["last_seen >= :seen_since"] if seen_since is not None else []
        where, params, expanding = self._where(filters, stated, *seen)
        if seen_since is not None:
            params["seen_since"] = seen_since
        keys = ["company", f"{_period_sql(interval)} AS period"] if interval else ["company"]
        # One scan computes every measure side by side (FILTER picks a bonus unit's rows);
        # unpivoting them into rows first would make the grouping ~3x slower.
        aggregates = []
        for i, (term, _unit, best, only) in enumerate(measures):
            aggregates += [f"{best}({term}){only} AS m{i}_best",
                           f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {term}){only} "
                           f"AS m{i}_typical", f"count({term}){only} AS m{i}_n"]
        group = ", ".join(str(i + 1) for i in range(len(keys)))
        wide = self._frame(f"SELECT {', '.join(keys + aggregates)} FROM campaigns {where} "
                           f"GROUP BY {group}", params, expanding)
        key_cols = ["company", "period"] if interval else ["company"]
        parts = []
        for i, (term, unit, _best, _only) in enumerate(measures):
            stated = wide[wide[f"m{i}_n"] > 0]
            parts.append(pd.DataFrame({
                **{k: stated[k].to_numpy() for k in key_cols}, "term": term, "unit": unit,
                "best": stated[f"m{i}_best"].to_numpy(dtype=float),
                "typical": stated[f"m{i}_typical"].to_numpy(dtype=float),
                "n": stated[f"m{i}_n"].to_numpy(dtype=int)}))
        frame = pd.concat(parts, ignore_index=True)
        return _as_dates(frame).sort_values([*key_cols, "term", "unit"]).reset_index(drop=True)

    def _offer_rows(self, terms: Sequence[str], interval: str | None,
                    clauses: list[str]) -> str:
        """SQL of the offer columns in long form: id, company, [period,] launch_date,
        last_seen, term, unit, value; one row per campaign (alias ``c``, kept by ``clauses``)
        and stated term. The unit groups are those of :meth:`offer_stats`: a known bonus unit,
        else ''."""
        period = f"{_period_sql(interval, 'c.launch_date')} AS period, " if interval else ""
        units = ", ".join(f"'{u}'" for u in BONUS_UNITS)

        def unit(term: str) -> str:
            return (f"CASE WHEN c.bonus_unit IN ({units}) THEN c.bonus_unit ELSE '' END"
                    if term == "bonus_amount" else "''")

        for term in terms:
            _check(term, NUMERIC_OFFER_TERMS, "offer term")
        if self.store.dialect_name == "duckdb":
            # Filter once, then one branch per term reading only its column: at 1M campaigns
            # ~3x faster than unpivoting every row, and than filtering in every branch.
            where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            branches = " UNION ALL ".join(
                f"SELECT c.id, c.company, {period}c.launch_date, c.last_seen, '{t}' AS term, "
                f"{unit(t)} AS unit, CAST(c.{t} AS DOUBLE PRECISION) AS value FROM kept c "
                f"WHERE c.{t} IS NOT NULL" for t in terms)
            return (f"WITH kept AS MATERIALIZED (SELECT id, company, launch_date, last_seen, "
                    f"bonus_unit, {', '.join(terms)} FROM campaigns c {where}) {branches}")
        # A row store would scan the table once per branch: unpivot each row once instead.
        values = ", ".join(f"('{t}', {unit(t)}, CAST(c.{t} AS DOUBLE PRECISION))" for t in terms)
        return (f"SELECT c.id, c.company, {period}c.launch_date, c.last_seen, v.term, v.unit, "
                "v.value "
                f"FROM campaigns c CROSS JOIN LATERAL (VALUES {values}) AS v(term, unit, value) "
                f"WHERE {' AND '.join([*clauses, 'v.value IS NOT NULL'])}")

    def best_piece_ids(self, terms: Mapping[str, str], interval: str | None,
                       filters: AnalyticsFilter, groups: pd.DataFrame, *,
                       seen_since: date | None = None, limit: int = 5) -> pd.DataFrame:
        """The pieces showing each group's best value, for the groups an answer shows.

        ``groups`` has company, [period, period_end (the period's last day),] term, unit and
        best (as :meth:`offer_stats` gives them); filters, interval and ``seen_since`` must be
        those the groups were computed with. Columns: company, [period,] term, unit, best_n
        (pieces showing ``best``) and best_ids (up to ``limit`` of them, most recently seen
        first).
        """
        key_cols = ["company", "period", "term", "unit"] if interval else \
            ["company", "term", "unit"]
        columns = [*key_cols, "best_n", "best_ids"]
        if groups.empty:
            return pd.DataFrame(columns=columns)
        period_end = ["period_end"] if interval else []
        wanted = groups[[*key_cols, *period_end, "best"]].reset_index(drop=True)
        types = {"company": "TEXT", "period": "DATE", "period_end": "DATE", "term": "TEXT",
                 "unit": "TEXT", "best": "DOUBLE PRECISION"}
        clauses, params, expanding = self._conditions(filters, alias="c")
        if seen_since is not None:
            clauses.append("c.last_seen >= :seen_since")
            params["seen_since"] = seen_since
        long = self._offer_rows(sorted(set(wanted["term"]) & set(terms)), interval, clauses)
        keys = ", ".join(f"l.{k}" for k in key_cols)
        # coalesce: PostgreSQL's staging reads an empty unit back as NULL.
        on = ["l.company = w.company", "l.term = w.term", "l.unit = coalesce(w.unit, '')",
              "l.value = w.best"]
        if interval and self.store.dialect_name == "postgresql":
            # PostgreSQL cannot estimate a join on a computed period (it expected 25 rows a
            # company and probed the index 8,000 times: 37 s); a launch date range it can.
            on.append("l.launch_date BETWEEN w.period AND w.period_end")
        elif interval:
            on.append("l.period = w.period")
        params["k"] = int(limit)
        # PostgreSQL would otherwise fold the unpivot into the join and redo it for every
        # group of the same company (826k VALUES scans for 39 groups of 3 companies: 1.7 s).
        materialized = "MATERIALIZED " if self.store.dialect_name == "postgresql" else ""
        sql = f"""
            WITH long AS {materialized}({long}),
            ranked AS (
                SELECT {keys}, l.id,
                       row_number() OVER (PARTITION BY {keys}
                                          ORDER BY l.last_seen DESC, l.id) AS rn,
                       count(*) OVER (PARTITION BY {keys}) AS best_n
                FROM long l JOIN wanted_offers w ON {' AND '.join(on)}
            )
            SELECT {', '.join(key_cols)}, best_n,
                   string_agg(CAST(id AS VARCHAR), ',' ORDER BY rn) AS best_ids
            FROM ranked WHERE rn <= :k GROUP BY {', '.join(key_cols)}, best_n
        """
        frame = self._frame(sql, params, expanding,
                            staged={"wanted_offers": (wanted, types)}, big_join=True)
        frame["best_n"] = frame["best_n"].astype(int)
        frame["best_ids"] = [[int(i) for i in ids.split(",")]
                             for ids in frame["best_ids"].tolist()]
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
            pieces = f"""
                SELECT b.company, b.period, p.id, p.launch_date
                FROM wanted_buckets b CROSS JOIN LATERAL (
                    SELECT c.id, c.launch_date FROM campaigns c {where}
                    ORDER BY c.launch_date, c.id LIMIT :k) AS p"""
        else:
            # No index to walk: hash-join every piece to its bucket on equal keys (4x faster
            # than a join on the date range measured at 1M campaigns), then rank.
            where, params, expanding = self._where(filters, alias="c")
            pieces = f"""
                SELECT company, period, id, launch_date FROM (
                    SELECT b.company, b.period, c.id, c.launch_date,
                           row_number() OVER (PARTITION BY b.company, b.period
                                              ORDER BY c.launch_date, c.id) AS rn
                    FROM campaigns c JOIN wanted_buckets b ON b.company = c.company
                         AND b.period = {_period_sql(interval, 'c.launch_date')}
                    {where}) AS ranked
                WHERE rn <= :k"""
        params["k"] = int(limit)
        sql = f"""
            SELECT company, period,
                   string_agg(CAST(id AS VARCHAR), ',' ORDER BY launch_date, id) AS ids
            FROM ({pieces}) AS pieces GROUP BY company, period
        """
        staged = buckets[["company", "period", "period_end"]].reset_index(drop=True)
        frame = self._frame(sql, params, expanding, staged={"wanted_buckets": (
            staged, {"company": "TEXT", "period": "DATE", "period_end": "DATE"})})
        frame["ids"] = [[int(i) for i in ids.split(",")] for ids in frame["ids"].tolist()]
        return _as_dates(frame)[columns]
