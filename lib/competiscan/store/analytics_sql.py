"""The SQL of competitive analytics: aggregates pushed down to DuckDB or PostgreSQL.

Every method returns a small aggregated DataFrame (one row per period x group, never one row per
campaign); the pure-Python logic in :mod:`competiscan.analytics` fills gaps, windows and scores
them. The same SQL runs on both dialects: ``date_trunc`` on a TIMESTAMP gives the same (Monday-
starting, ISO) weeks on both, ``percentile_cont ... WITHIN GROUP`` and ``LATERAL (VALUES ...)``
exist on both. User values only ever travel as bind parameters; column names, intervals and
weights are checked against the fixed whitelists below before they are written into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Sequence

import pandas as pd
import sqlalchemy as sa

from ..model import OFFER_FIELD_TYPES
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
    def _where(self, filters: AnalyticsFilter, alias: str = "", prefix: str = "f_"
               ) -> tuple[str, dict[str, Any], list[sa.BindParameter]]:
        """WHERE clause, its parameters (named ``prefix``...) and the expanding bind params it
        needs."""
        p = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        expanding: list[sa.BindParameter] = []
        for column, values in (("company", filters.companies), ("channel", filters.channels),
                               ("campaign_type", filters.campaign_types),
                               ("industry", filters.industries)):
            if values:
                name = f"{prefix}{column}"
                clauses.append(f"{p}{column} IN :{name}")
                params[name] = list(values)
                expanding.append(sa.bindparam(name, expanding=True))
        if filters.date_from is not None:
            clauses.append(f"{p}launch_date >= :{prefix}date_from")
            params[f"{prefix}date_from"] = filters.date_from
        if filters.date_to is not None:
            clauses.append(f"{p}launch_date <= :{prefix}date_to")
            params[f"{prefix}date_to"] = filters.date_to
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params, expanding

    def _frame(self, sql: str, params: dict[str, Any],
               expanding: Sequence[sa.BindParameter] = ()) -> pd.DataFrame:
        stmt = sa.text(sql)
        if expanding:
            stmt = stmt.bindparams(*expanding)
        with self.store.engine.connect() as conn:
            result = conn.execute(stmt, params)
            columns = list(result.keys())
            if self.store.dialect_name == "duckdb":
                # DuckDB hands over its result as columns: ~10x faster than Python tuples of
                # dates, which is most of the time of a weekly series over 1M campaigns.
                return result.cursor.df()
            # Plain DBAPI tuples, column by column: a frame from SQLAlchemy Row objects
            # costs ~10x more.
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
               weight: str | None = None) -> pd.DataFrame:
        """Campaigns per (period, *dims): columns ``[period,] *dims, n`` and, with a weight,
        ``weighted`` (sum of the estimate) and ``missing`` (campaigns without it).

        Only groups with at least one campaign come back; filling empty periods is the
        caller's job. ``interval=None`` aggregates over the whole filtered range.
        """
        dims = self._dims(dims)
        select = ([f"{_period_sql(interval)} AS period"] if interval else []) + dims
        measures = ["count(*) AS n"]
        if weight is not None:
            _check(weight, WEIGHTS, "weight")
            measures += [f"sum({weight}) AS weighted", f"count(*) - count({weight}) AS missing"]
        where, params, expanding = self._where(filters)
        group = (" GROUP BY " + ", ".join(str(i + 1) for i in range(len(select)))) if select else ""
        return _as_dates(self._frame(
            f"SELECT {', '.join(select + measures)} FROM campaigns {where}{group}",
            params, expanding))

    def sentiment(self, dims: Sequence[str], interval: str | None,
                  filters: AnalyticsFilter) -> pd.DataFrame:
        """Mean sentiment score per (period, *dims): columns ``[period,] *dims, n, mean_score``
        where ``n`` counts the campaigns that have a score."""
        dims = self._dims(dims)
        select = ([f"{_period_sql(interval)} AS period"] if interval else []) + dims
        where, params, expanding = self._where(filters)
        where = (where + " AND " if where else "WHERE ") + "sentiment_score IS NOT NULL"
        group = (" GROUP BY " + ", ".join(str(i + 1) for i in range(len(select)))) if select else ""
        return _as_dates(self._frame(
            f"SELECT {', '.join(select + ['count(*) AS n', 'avg(sentiment_score) AS mean_score'])} "
            f"FROM campaigns {where}{group}", params, expanding))

    def offer_stats(self, terms: Mapping[str, str], interval: str | None,
                    filters: AnalyticsFilter, *, seen_since: date | None = None,
                    ids_per_group: int = 5) -> pd.DataFrame:
        """Best and median value of each offer term per (company[, period]).

        ``terms`` maps a numeric offer column to ``"max"`` or ``"min"`` (which end is best).
        ``bonus_amount`` is compared only within one ``bonus_unit`` (points are not miles), so
        its rows carry the unit; other terms have ``unit`` ''. ``seen_since`` keeps campaigns
        still seen in market on or after that date (last_seen).

        Columns: company, [period,] term, unit, best, typical (median over the pieces), n
        (pieces stating the term), best_n (pieces showing the best value) and best_ids (up to
        ``ids_per_group`` of those ids, most recently seen first, comma-separated).
        """
        if not terms:
            raise AnalyticsError("Name at least one offer term.")
        rows = []
        for term, best in terms.items():
            _check(term, NUMERIC_OFFER_TERMS, "offer term")
            _check(best, ("max", "min"), "direction")
            unit = "coalesce(c.bonus_unit, '')" if term == "bonus_amount" else "''"
            sign = "1.0" if best == "max" else "-1.0"
            rows.append(f"('{term}', {unit}, CAST(c.{term} AS DOUBLE PRECISION), {sign})")
        where, params, expanding = self._where(filters, alias="c")
        where = (where + " AND " if where else "WHERE ") + "v.value IS NOT NULL"
        if seen_since is not None:
            where += " AND c.last_seen >= :seen_since"
            params["seen_since"] = seen_since
        keys = ["company", "period", "term", "unit"] if interval else ["company", "term", "unit"]
        period = f"{_period_sql(interval, 'c.launch_date')} AS period, " if interval else ""
        key_list = ", ".join(keys)
        params["k"] = int(ids_per_group)
        # One scan unpivots every term (LATERAL VALUES) instead of one scan per term; the best
        # pieces are found by joining back on the group's best score, so only they get sorted.
        sql = f"""
            WITH long AS (
                SELECT c.id, c.company, {period}c.last_seen, v.term, v.unit, v.value,
                       v.value * v.sign AS score
                FROM campaigns c CROSS JOIN LATERAL (VALUES {', '.join(rows)})
                     AS v(term, unit, value, sign)
                {where}
            ),
            agg AS (
                SELECT {key_list}, max(score) AS best_score,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS typical,
                       count(*) AS n
                FROM long GROUP BY {key_list}
            ),
            top AS (
                SELECT {key_list}, l.id,
                       row_number() OVER (PARTITION BY {key_list}
                                          ORDER BY l.last_seen DESC, l.id) AS rn,
                       count(*) OVER (PARTITION BY {key_list}) AS best_n
                FROM long l JOIN agg a USING ({key_list})
                WHERE l.score = a.best_score
            )
            SELECT {key_list}, a.best_score, a.typical, a.n, t.best_n,
                   string_agg(CAST(t.id AS VARCHAR), ',' ORDER BY t.rn) AS best_ids
            FROM agg a JOIN top t USING ({key_list})
            WHERE t.rn <= :k
            GROUP BY {key_list}, a.best_score, a.typical, a.n, t.best_n
        """
        frame = self._frame(sql, params, expanding)
        sign = frame["term"].map({t: (1.0 if d == "max" else -1.0) for t, d in terms.items()})
        frame.insert(len(keys), "best", frame.pop("best_score").astype(float) * sign)
        frame["typical"] = frame["typical"].astype(float)
        frame["n"] = frame["n"].astype(int)
        frame["best_n"] = frame["best_n"].astype(int)
        frame["best_ids"] = frame["best_ids"].map(lambda s: [int(i) for i in s.split(",")])
        return _as_dates(frame).sort_values(keys).reset_index(drop=True)

    def piece_ids(self, selections: Sequence[AnalyticsFilter], limit: int = 20
                  ) -> list[list[int]]:
        """For each filter, the ids of its first ``limit`` campaigns by launch date then id.

        One round trip for all of them (an anomaly report asks for many small windows).
        """
        if not selections:
            return []
        parts: list[str] = []
        params: dict[str, Any] = {"k": int(limit)}
        expanding: list[sa.BindParameter] = []
        for i, selection in enumerate(selections):
            where, p, e = self._where(selection, prefix=f"s{i}_")
            parts.append(f"SELECT {i} AS q, id, launch_date FROM (SELECT id, launch_date "
                         f"FROM campaigns {where} ORDER BY launch_date, id LIMIT :k) AS s{i}")
            params |= p
            expanding += e
        rows = self._frame(" UNION ALL ".join(parts) + " ORDER BY q, launch_date, id",
                           params, expanding)
        ids: list[list[int]] = [[] for _ in selections]
        for q, campaign_id in zip(rows["q"], rows["id"]):
            ids[int(q)].append(int(campaign_id))
        return ids
