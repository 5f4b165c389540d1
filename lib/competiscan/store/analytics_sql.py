"""The SQL of competitive analytics: aggregates pushed down to DuckDB or PostgreSQL.

Every method returns a small aggregated DataFrame (one row per period x group, never one row per
campaign); the pure-Python logic in :mod:`competiscan.analytics` fills gaps, windows and scores
them. The same SQL runs on both dialects (``date_trunc`` on a TIMESTAMP gives the same Monday-
starting ISO weeks, ``percentile_cont ... WITHIN GROUP`` and ``FILTER`` exist on both); where a
column store and a row store want different plans, the Store's analytics hooks
(:class:`competiscan.store.core.StoreCore`: ``period_sql``, ``in_period_sql``,
``latest_ids_sql``, ``first_ids_in_buckets_sql``, ``median_by_counting``, ``_tune_query``,
``_analyze``) give each backend's shape, and say why. User values only ever travel as bind parameters (lists as
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

from ..model import OFFER_FIELD_TYPES, CampaignFilter
from .base import Store, StoreError
from .schema import OFFER_MEASURES

__all__ = ["AnalyticsQueries", "AnalyticsError", "DIMENSIONS", "INTERVALS",
           "WEIGHTS", "NUMERIC_OFFER_TERMS"]

# What an analysis may group by: columns, and "product", which is a company's product (one
# name per company and product: "Capital One · Venture X"; two issuers' "Online Savings" are
# two products).
DIMENSIONS: tuple[str, ...] = ("company", "product", "channel", "campaign_type", "industry")
_DIMENSION_SQL = {"product": "company || ' · ' || coalesce(product, 'pieces naming no product') "
                             "AS product"}
# date_trunc units; 'week' truncates to Monday on both dialects (ISO weeks).
INTERVALS: tuple[str, ...] = ("day", "week", "month", "quarter")
# Estimates a volume may be weighted by.
WEIGHTS: tuple[str, ...] = ("est_spend_usd", "est_volume")
NUMERIC_OFFER_TERMS: tuple[str, ...] = tuple(
    name for name, kind in OFFER_FIELD_TYPES.items() if kind in (int, float))


# Term and unit of each measure code (Arrow arrays indexed by code: taking from them gives
# pandas strings without converting a Python object per row).
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


def _check(value: str | None, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise AnalyticsError(f"Unknown {what} {value!r}: use one of {', '.join(allowed)}.")


def _stats_from_counts(counted: pd.DataFrame, keys: list[str], highest: Sequence[int]
                       ) -> pd.DataFrame:
    """Per group of ``keys``: best (max where the measure is in ``highest``, else min),
    typical (the median, as percentile_cont(0.5): the mean of the values at positions
    floor((n-1)/2)+1 and floor(n/2)+1) and n, from the count ``k`` of each distinct
    ``value`` of each group."""
    if counted.empty:
        return pd.DataFrame(columns=[*keys, "best", "typical", "n"])
    groups = counted.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
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
    # few hundred periods, and ``.dt.date`` builds an object per row.
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    days = np.asarray([pd.Timestamp(u).date() for u in uniques] + [None], dtype=object)
    return days[codes]


def _id_lists(joined: pd.Series) -> list[list[int]]:
    """Comma-joined ids (one string per row, as the queries aggregate them) as lists of ints."""
    # One JSON parse of them all, in C, instead of a split and an int() per id in Python
    # (thousands of rows of up to 20 ids in an anomaly report or an offer changes feed).
    return json.loads("[[" + "],[".join(joined.tolist()) + "]]") if len(joined) else []


def _as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Drivers differ (date vs datetime); periods leave this module as ``datetime.date``."""
    if "period" in frame.columns:
        frame["period"] = dates_of(frame["period"])
    return frame


@dataclass(frozen=True)
class _OfferScan:
    """The offer_terms rows a query reads (``where`` with its parameters) and the keys it
    groups them by: ``names`` as the result calls them, ``select`` as SQL computes them."""

    names: list[str]
    select: str
    where: str
    params: dict[str, Any]
    expanding: list[sa.BindParameter]

    @property
    def group(self) -> str:
        return ", ".join(self.names)


# An offer row's product as a grouping key: '' where the piece names none, so that the keys
# join by plain equality (hash joins; IS NOT DISTINCT FROM is not hashable on PostgreSQL).
PRODUCT_KEY = "coalesce(product, '')"


def products_out(values: pd.Series) -> pd.Series:
    """Product keys as results give them: None where the pieces name no product."""
    return values.reset_index(drop=True).astype(object).where(values.reset_index(drop=True)
                                                              .ne(""), None)


def _offer_stats_out(frame: pd.DataFrame, interval: str | None) -> pd.DataFrame:
    """An offer_stats answer from the query's frame: measure codes as term and unit."""
    codes = frame["measure"].to_numpy(dtype=np.int64)
    key_cols = ["company", "period"] if interval else ["company"]
    return _as_dates(pd.DataFrame({
        **{k: frame[k].reset_index(drop=True) for k in key_cols},
        "product": products_out(frame["product"]),
        "term": lookup(_TERM_OF, codes), "unit": lookup(_UNIT_OF, codes),
        "best": frame["best"].to_numpy(dtype=float),
        "typical": frame["typical"].to_numpy(dtype=float),
        "n": frame["n"].to_numpy(dtype=int)}))


# Offer rows of pieces whose offer was still open on :open_on (no stated end, or a later one).
_OPEN_ON = ("{p}campaign_id NOT IN (SELECT id FROM campaigns WHERE offer_expires IS NOT NULL "
            "AND offer_expires < :open_on)")


def _changes_out(frame: pd.DataFrame, with_ids: bool) -> pd.DataFrame:
    """A best_changes answer from the query's frame: measure codes as term and unit."""
    codes = frame["measure"].to_numpy(dtype=np.int64)
    out = pd.DataFrame({
        "company": frame["company"].reset_index(drop=True),
        "product": products_out(frame["product"]),
        "period": frame["period"].to_numpy(),
        "term": lookup(_TERM_OF, codes), "unit": lookup(_UNIT_OF, codes),
        "best": frame["best"].to_numpy(dtype=float),
        "previous_period": frame["previous_period"].to_numpy(),
        "previous_best": frame["previous_best"].to_numpy(dtype=float)})
    out = _as_dates(out)
    out["previous_period"] = dates_of(out["previous_period"])
    if with_ids:
        out["best_n"] = frame["best_n"].to_numpy(dtype=int)
        out["best_ids"] = _id_lists(frame["best_ids"])
    return out


class AnalyticsQueries:
    """Aggregate queries over the ``campaigns`` table of one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    def _conditions(filters: CampaignFilter, alias: str = "", *, offer_rows: bool = False
                    ) -> tuple[list[str], dict[str, Any], list[sa.BindParameter]]:
        """The filters as SQL conditions, their parameters and the expanding bind params.

        ``offer_rows``: the conditions are on ``offer_terms`` rows, which carry the company,
        industry, channel, type and dates of their campaign but not its sentiment or its other
        offer terms; those are asked of the campaigns the rows belong to."""
        p = f"{alias}." if alias else ""
        own: list[str] = []          # on the rows read
        of_campaign: list[str] = []  # on the campaigns (the same rows unless offer_rows)
        params: dict[str, Any] = {}
        expanding: list[sa.BindParameter] = []
        for column, values in filters.values():
            name = f"f_{column}"
            target = of_campaign if offer_rows and column == "sentiment_label" else own
            target.append(f"{'' if target is of_campaign else p}{column} IN :{name}")
            params[name] = list(values)
            expanding.append(sa.bindparam(name, expanding=True))
        if filters.date_from is not None:
            own.append(f"{p}launch_date >= :f_date_from")
            params["f_date_from"] = filters.date_from
        if filters.date_to is not None:
            own.append(f"{p}launch_date <= :f_date_to")
            params["f_date_to"] = filters.date_to
        ranges = of_campaign if offer_rows else own
        column_of = (lambda term: term) if offer_rows else (lambda term: f"{p}{term}")
        for term, low, high in filters.offer_ranges:
            if low is not None:
                ranges.append(f"{column_of(term)} >= :f_{term}_min")
                params[f"f_{term}_min"] = low
            if high is not None:
                ranges.append(f"{column_of(term)} <= :f_{term}_max")
                params[f"f_{term}_max"] = high
        if of_campaign:
            own.append(f"{p}campaign_id IN (SELECT id FROM campaigns WHERE "
                       f"{' AND '.join(of_campaign)})")
        return own, params, expanding

    def _where(self, filters: CampaignFilter, *extra: str, alias: str = "",
               offer_rows: bool = False) -> tuple[str, dict[str, Any], list[sa.BindParameter]]:
        """WHERE clause of the filters and ``extra`` conditions (or ''), with its parameters
        and expanding bind params (``offer_rows``: see :meth:`_conditions`)."""
        clauses, params, expanding = self._conditions(filters, alias, offer_rows=offer_rows)
        clauses += extra
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params, expanding

    def _frame(self, sql: str, params: dict[str, Any],
               expanding: Sequence[sa.BindParameter] = (),
               staged: Mapping[str, tuple[pd.DataFrame, dict[str, str]]] | None = None,
               big_join: bool = False, parallel: bool = False) -> pd.DataFrame:
        """Run ``sql``; ``staged`` tables (name -> frame, SQL types) exist while it runs.

        ``big_join``: the query joins, ranks, or groups into tens of thousands of groups,
        hundreds of thousands of rows. ``parallel``: it aggregates every offer row into tens
        of thousands of groups. The store tunes the transaction for them (``_tune_query``;
        PostgreSQL: more work memory and no merge join, cheaper parallel workers). Neither is
        set for every query: with more memory the planner trades parallel aggregation for a
        slower single hash aggregate, and cheaper parallel workers slow down the joins that
        stage a few groups. Staged tables get their statistics (``_analyze``).
        """
        stmt = sa.text(sql)
        if expanding:
            stmt = stmt.bindparams(*expanding)
        staged = staged or {}
        with self.store.engine.begin() as conn:
            self.store._tune_query(conn, big_join=big_join, parallel=parallel)
            for name, (frame, types) in staged.items():
                self.store._stage(conn, name, frame, types)
                self.store._analyze(conn, name)
            try:
                return self.store.query_frame(conn, stmt, params)
            finally:
                for name in staged:
                    self.store._unstage(conn, name)

    @staticmethod
    def _dims(dims: Sequence[str]) -> list[str]:
        for d in dims:
            _check(d, DIMENSIONS, "grouping")
        return [_DIMENSION_SQL.get(d, d) for d in dims]

    # ------------------------------------------------------------------ queries
    def span(self, filters: CampaignFilter) -> tuple[date | None, date | None, date | None]:
        """First and last launch date, and last sighting, of the filtered campaigns."""
        where, params, expanding = self._where(filters)
        # One scalar subquery per bound: without filters PostgreSQL reads each off the end of
        # an index (launch_date, last_seen) instead of scanning the table.
        frame = self._frame(
            f"SELECT (SELECT min(launch_date) FROM campaigns {where}) AS first_date, "
            f"(SELECT max(launch_date) FROM campaigns {where}) AS last_date, "
            f"(SELECT max(last_seen) FROM campaigns {where}) AS last_seen", params, expanding)
        row = frame.iloc[0]
        return tuple(None if pd.isna(v) else pd.Timestamp(v).date()  # type: ignore[return-value]
                     for v in (row["first_date"], row["last_date"], row["last_seen"]))

    def counts(self, dims: Sequence[str], interval: str | None, filters: CampaignFilter,
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
                  filters: CampaignFilter) -> pd.DataFrame:
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
        _check(interval, INTERVALS, "interval")
        return self.store.period_sql(interval, column)

    def _offer_period(self, interval: str, alias: str = "") -> str:
        """SQL of the period of an offer_terms row (of table ``alias`` when given)."""
        p = f"{alias}." if alias else ""
        # The month is stored with each row: no date is truncated for the commonest interval.
        return f"{p}launch_month" if interval == "month" else self._period(interval,
                                                                            f"{p}launch_date")

    def offer_stats(self, terms: Mapping[str, str], interval: str | None,
                    filters: CampaignFilter, *, seen_since: date | None = None,
                    open_on: date | None = None, ids: int = 0) -> pd.DataFrame:
        """Best and median value of each offer term per (company, product[, period]); the
        pieces naming no product form one group per company (product None).

        ``terms`` maps a numeric offer column to ``"max"`` or ``"min"`` (which end is best).
        ``bonus_amount`` is compared only within one ``bonus_unit``, so its rows carry the
        unit; other terms have ``unit`` ''. ``open_on`` leaves out pieces whose offer had ended
        by that date (``offer_expires``). ``seen_since`` keeps campaigns still seen in market
        on or after that date (last_seen).

        Columns: company, [period,] term, unit, best, typical (median over the pieces stating
        the term), n (those pieces), and with ``ids`` > 0 best_n and best_ids (as
        :meth:`best_piece_ids`), in no particular order. A group without any piece stating a
        term has no row. Reads ``offer_terms``, the offer columns of the campaigns in long
        form.
        """
        extra, best, highest = self._measures(terms)
        scan = self._offer_scan(interval, filters, extra, seen_since, open_on)
        stats = (f"{best} AS best, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS "
                 "typical, count(*) AS n")
        with_ids = ids > 0 and not self.store.median_by_counting
        if self.store.median_by_counting:
            frame = self._offer_stats_by_counting(scan, highest)
        elif with_ids:
            frame = self._offer_stats_with_best_ids(scan, stats, ids)
        else:
            frame = self._frame(f"SELECT {scan.select}, {stats} FROM offer_terms {scan.where} "
                                f"GROUP BY {scan.group}", scan.params, scan.expanding)
        out = _offer_stats_out(frame, interval)
        if ids <= 0:
            return out
        if with_ids:
            out["best_n"] = frame["best_n"].to_numpy(dtype=int)
            out["best_ids"] = _id_lists(frame["best_ids"])
            return out
        found = self.best_piece_ids(terms, interval, filters, out, seen_since=seen_since,
                                    open_on=open_on,
                                    limit=ids)
        key_cols = ["company", "product", "period"] if interval else ["company", "product"]
        merged = out.assign(product=out["product"].fillna("")).merge(
            found.assign(product=found["product"].fillna("")), on=[*key_cols, "term", "unit"],
            how="left")
        merged["product"] = products_out(merged["product"])
        return merged

    def _offer_scan(self, interval: str | None, filters: CampaignFilter, extra: list[str],
                    seen_since: date | None, open_on: date | None = None) -> _OfferScan:
        """The offer rows an offer_stats query reads, and the keys it groups them by."""
        if seen_since is not None:
            extra = [*extra, "last_seen >= :seen_since"]
        if open_on is not None:
            extra = [*extra, _OPEN_ON.format(p="")]
        where, params, expanding = self._where(filters, *extra, offer_rows=True)
        if seen_since is not None:
            params["seen_since"] = seen_since
        if open_on is not None:
            params["open_on"] = open_on
        names = (["company", "product", "period", "measure"] if interval
                 else ["company", "product", "measure"])
        keys = ["company", f"{PRODUCT_KEY} AS product",
                *([f"{self._offer_period(interval)} AS period"] if interval else []), "measure"]
        return _OfferScan(names=names, select=", ".join(keys), where=where, params=params,
                          expanding=expanding)

    def _offer_stats_by_counting(self, scan: _OfferScan, highest: Sequence[int]
                                 ) -> pd.DataFrame:
        """Best, median and count per group, read here off the count of each distinct value
        of each group (see ``Store.median_by_counting``)."""
        sql = (f"SELECT {scan.select}, value, count(*) AS k FROM offer_terms {scan.where} "
               f"GROUP BY {scan.group}, value")
        return _stats_from_counts(self._frame(sql, scan.params, scan.expanding, big_join=True,
                                              parallel=True), scan.names, highest)

    def _offer_stats_with_best_ids(self, scan: _OfferScan, stats: str, ids: int
                                   ) -> pd.DataFrame:
        """The ``stats`` per group and the pieces showing each best value, in one query: the
        offer rows are read once, and the groups need not go back and forth through Python."""
        on = " AND ".join(f"o.{k} = s.{k}" for k in scan.names)
        out = ", ".join(f"s.{k}" for k in scan.names)
        sql = f"""
            WITH o AS MATERIALIZED (
                SELECT {scan.select}, value, campaign_id, last_seen
                FROM offer_terms {scan.where}),
            s AS (SELECT {scan.group}, {stats} FROM o GROUP BY {scan.group})
            SELECT {out}, any_value(s.best) AS best, any_value(s.typical) AS typical,
                   any_value(s.n) AS n, count(*) AS best_n,
                   array_to_string({self.store.latest_ids_sql(ids)}, ',') AS best_ids
            FROM s JOIN o ON {on} AND o.value = s.best
            GROUP BY {out}"""
        return self._frame(sql, scan.params, scan.expanding)

    def best_changes(self, terms: Mapping[str, str], interval: str,
                     filters: CampaignFilter, *, limit: int = 0) -> pd.DataFrame:
        """Where the best value of a measure of a company's product differs from its previous
        period's: a change is only ever between pieces of the same product (pieces naming no
        product are left out: nothing says they offer the same thing).

        The previous period is the last earlier one in which the product stated the measure
        (a silent period between is skipped, not read as a withdrawn offer). Columns: company,
        product, period, term, unit, best, previous_period, previous_best, and with ``limit`` > 0
        best_n and best_ids (as :meth:`best_piece_ids`: the pieces of the period showing the
        new best, up to ``limit``, most recently seen first), in no particular order. Only the
        best value is computed (no median), and only the changes come back.
        """
        extra, best, _highest = self._measures(terms)
        where, params, expanding = self._where(filters, *extra, "product IS NOT NULL",
                                               offer_rows=True)
        period = self._offer_period(interval)
        changes = f"""
            WITH best AS (
                SELECT company, product, {period} AS period, measure, {best} AS best
                FROM offer_terms {where} GROUP BY company, product, period, measure),
            lagged AS (
                SELECT company, product, period, measure, best,
                       lag(period) OVER w AS previous_period, lag(best) OVER w AS previous_best
                FROM best WINDOW w AS (PARTITION BY company, product, measure ORDER BY period))
            SELECT company, product, period, measure, best, previous_period, previous_best
            FROM lagged WHERE previous_best IS NOT NULL AND best <> previous_best"""
        if limit <= 0:
            sql = changes
        else:
            # The pieces behind each change in the same query: the changed groups join back to
            # the offer rows of their period and value, instead of going out to Python and
            # being staged for a second query.
            clauses, _p, _e = self._conditions(filters, alias="o", offer_rows=True)
            on = ["o.company = c.company", "o.product = c.product", "o.measure = c.measure",
                  "o.value = c.best",
                  f"{self._offer_period(interval, 'o')} = c.period", *clauses]
            keys = ("c.company, c.product, c.period, c.measure, c.best, c.previous_period, "
                    "c.previous_best")
            sql = f"""
                WITH changed AS ({changes})
                SELECT {keys}, count(*) AS best_n,
                       array_to_string({self.store.latest_ids_sql(limit)}, ',') AS best_ids
                FROM changed c JOIN offer_terms o ON {' AND '.join(on)}
                GROUP BY {keys}"""
        frame = self._frame(sql, params, expanding, big_join=True, parallel=True)
        return _changes_out(frame, with_ids=limit > 0)

    def best_piece_ids(self, terms: Mapping[str, str], interval: str | None,
                       filters: CampaignFilter, groups: pd.DataFrame, *,
                       seen_since: date | None = None, open_on: date | None = None,
                       limit: int = 5) -> pd.DataFrame:
        """The pieces showing each group's best value, for the groups an answer shows.

        ``groups`` has company, product, [period,] term, unit and best (as :meth:`offer_stats`
        gives them); filters, interval and ``seen_since`` must be
        those the groups were computed with. Columns: company, product, [period,] term, unit,
        best_n
        (pieces showing ``best``) and best_ids (up to ``limit`` of them, most recently seen
        first).
        """
        key_cols = ["company", "product", "period", "term", "unit"] if interval else \
            ["company", "product", "term", "unit"]
        columns = [*key_cols, "best_n", "best_ids"]
        if groups.empty:
            return pd.DataFrame(columns=columns)
        self._measures(terms)   # checks the terms
        period_cols = ["period"] if interval else []
        code = {(t, u): c for c, t, u in OFFER_MEASURES}
        wanted = groups[["company", "product", *period_cols, "best"]].reset_index(drop=True)
        wanted["product"] = wanted["product"].fillna("")
        wanted["measure"] = [code[tu] for tu in zip(groups["term"].tolist(),
                                                     groups["unit"].tolist())]
        types = {"company": "TEXT", "product": "TEXT", "period": "DATE", "measure": "SMALLINT",
                 "best": "DOUBLE PRECISION"}
        clauses, params, expanding = self._conditions(filters, alias="o", offer_rows=True)
        if seen_since is not None:
            clauses.append("o.last_seen >= :seen_since")
            params["seen_since"] = seen_since
        if open_on is not None:
            clauses.append(_OPEN_ON.format(p="o."))
            params["open_on"] = open_on
        on = ["o.company = w.company", f"{PRODUCT_KEY.replace('product', 'o.product')} = "
              "w.product", "o.measure = w.measure", "o.value = w.best"]
        if interval:
            on.append(self.store.in_period_sql(interval, "o.launch_date", "w.period",
                                               self._offer_period(interval, "o")))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        keys = ", ".join(f"w.{k}" for k in ["company", "product", *period_cols, "measure"])
        # Each group's first ``limit`` (latest seen, then lowest id) by one aggregate, not a
        # window ranking every match of thousands of groups.
        first = self.store.latest_ids_sql(limit)
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
        frame["product"] = products_out(frame["product"])
        return _as_dates(frame)[columns]

    def bucket_piece_ids(self, interval: str, filters: CampaignFilter,
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
        _check(interval, INTERVALS, "interval")
        conditions, params, expanding = self._conditions(filters, alias="c")
        sql = self.store.first_ids_in_buckets_sql(interval, conditions, limit)
        staged = buckets[["company", "period", "period_end"]].reset_index(drop=True)
        frame = self._frame(sql, params, expanding, staged={"wanted_buckets": (
            staged, {"company": "TEXT", "period": "DATE", "period_end": "DATE"})})
        frame["ids"] = _id_lists(frame["ids"])
        return _as_dates(frame)[columns]
