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
            return self._fetch(conn.execute(stmt, params))

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
        where, params, expanding = self._where(filters)
        clauses = [where[len("WHERE "):]] if where else []
        # Most pieces state no offer at all: leave them out before grouping.
        clauses.append("(" + " OR ".join(f"{t} IS NOT NULL" for t in terms) + ")")
        if seen_since is not None:
            clauses.append("last_seen >= :seen_since")
            params["seen_since"] = seen_since
        keys = ["company", f"{_period_sql(interval)} AS period"] if interval else ["company"]
        # One scan computes every measure side by side (FILTER picks a bonus unit's rows);
        # unpivoting them into rows first would make the grouping ~3x slower.
        aggregates = []
        for i, (term, _unit, best, only) in enumerate(measures):
            aggregates += [f"{best}({term}){only} AS m{i}_best",
                           f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {term}){only} "
                           f"AS m{i}_typical", f"count({term}){only} AS m{i}_n"]
        wide = self._frame(
            f"SELECT {', '.join(keys + aggregates)} FROM campaigns "
            f"WHERE {' AND '.join(clauses)} GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}",
            params, expanding)
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

    def best_piece_ids(self, terms: Mapping[str, str], interval: str | None,
                       filters: AnalyticsFilter, groups: pd.DataFrame, *,
                       seen_since: date | None = None, limit: int = 5) -> pd.DataFrame:
        """The pieces showing each group's best value, for the groups an answer shows.

        ``groups`` has company, [period,] term, unit and best (as :meth:`offer_stats` gives
        them); filters, interval and ``seen_since`` must be those the groups were computed
        with. Columns: company, [period,] term, unit, best_n (pieces showing ``best``) and
        best_ids (up to ``limit`` of them, most recently seen first).
        """
        key_cols = ["company", "period", "term", "unit"] if interval else \
            ["company", "term", "unit"]
        columns = [*key_cols, "best_n", "best_ids"]
        if groups.empty:
            return pd.DataFrame(columns=columns)
        wanted = groups[[*key_cols, "best"]].reset_index(drop=True)
        types = {"company": "TEXT", "period": "DATE", "term": "TEXT", "unit": "TEXT",
                 "best": "DOUBLE PRECISION"}
        where, params, expanding = self._where(filters, alias="c")
        clauses = [where[len("WHERE "):]] if where else []
        if seen_since is not None:
            clauses.append("c.last_seen >= :seen_since")
            params["seen_since"] = seen_since
        period = f"{_period_sql(interval, 'c.launch_date')}" if interval else ""
        branches = []
        for term in sorted(set(wanted["term"])):
            _check(term, NUMERIC_OFFER_TERMS, "offer term")
            on = [f"w.term = '{term}'", "w.company = c.company", f"w.best = c.{term}"]
            if interval:
                on.append(f"w.period = {period}")
            if term == "bonus_amount":
                # The unit groups of offer_stats: a known unit, or '' for any other. The
                # coalesce is for PostgreSQL's staging, which reads an empty unit as NULL.
                units = ", ".join(f"'{u}'" for u in BONUS_UNITS)
                on.append(f"coalesce(w.unit, '') = CASE WHEN c.bonus_unit IN ({units}) "
                          "THEN c.bonus_unit ELSE '' END")
            branches.append(
                f"SELECT {', '.join(f'w.{k}' for k in key_cols)}, c.id, c.last_seen "
                f"FROM campaigns c JOIN wanted_offers w ON {' AND '.join(on)}"
                + (f" WHERE {' AND '.join(clauses)}" if clauses else ""))
        key_list = ", ".join(key_cols)
        params["k"] = int(limit)
        sql = f"""
            WITH hits AS ({' UNION ALL '.join(branches)}),
            ranked AS (
                SELECT {key_list}, id,
                       row_number() OVER (PARTITION BY {key_list}
                                          ORDER BY last_seen DESC, id) AS rn,
                       count(*) OVER (PARTITION BY {key_list}) AS best_n
                FROM hits
            )
            SELECT {key_list}, best_n,
                   string_agg(CAST(id AS VARCHAR), ',' ORDER BY rn) AS best_ids
            FROM ranked WHERE rn <= :k GROUP BY {key_list}, best_n
        """
        stmt = sa.text(sql)
        if expanding:
            stmt = stmt.bindparams(*expanding)
        # The groups travel as a staged table (the store's bulk path), not as thousands of
        # bind parameters.
        with self.store.engine.begin() as conn:
            self.store._stage(conn, "wanted_offers", wanted, types)
            try:
                frame = self._fetch(conn.execute(stmt, params))
            finally:
                self.store._unstage(conn, "wanted_offers")
        frame["unit"] = frame["unit"].fillna("")
        frame["best_n"] = frame["best_n"].astype(int)
        frame["best_ids"] = [[int(i) for i in ids.split(",")] for ids in frame["best_ids"]]
        return _as_dates(frame)[columns]

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
