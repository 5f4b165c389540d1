"""Volume over time and share of voice: tumbling and hopping windows, zeros for empty periods.

The store counts campaigns per bucket (day, ISO week starting Monday, month, quarter) and
group; here every bucket x group of the range is filled in (an empty week is 0, not a gap),
buckets are summed into hopping windows when asked, and each row gets its share of the period
and its change from the previous period.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..model import CampaignFilter
from ..store.analytics_sql import AnalyticsError
from .common import UNKNOWN, Source, filter_values, labels, queries_for, resolve_dimension
from .market import Market
from .periods import bucket_end, period_starts

__all__ = ["VolumeSeries", "volume_series", "share_of_voice", "trends", "series_from_counts",
           "range_periods", "dense", "company_matrix", "hop", "shares", "changes",
           "ALL_SCOPE"]

# Scope label of a share of voice taken over everything the filters keep.
ALL_SCOPE = "(all)"


@dataclass(frozen=True)
class VolumeSeries:
    """A zero-filled series of campaign volume per period and key.

    ``frame`` columns: period, period_end (first and last day of the window), [scope,] key,
    count, [weighted, missing,] share, change, change_pct. ``share`` is the key's fraction of
    the period's total (within its scope); ``change`` is the difference from the key's previous
    window and ``change_pct`` that difference in percent of it (NaN after a zero). With a
    weight, share and change are of ``weighted`` (the sum of the estimate) and ``missing``
    counts the campaigns that had no estimate and so are not in ``weighted``.

    ``market`` says what the shares are measured against (``among Card issuers: Chase, …
    (7 companies)``, ``among all banking companies (12)``; see :class:`~.market.Market`).
    """

    frame: pd.DataFrame
    by: str
    interval: str
    window: int
    step: int
    weight: str | None
    within: str | None
    missing: int
    market: str = ""

    def to_records(self, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Rows as plain dicts (of ``columns``, default all) with ISO date strings and None
        for NaN: what the CLI prints as JSON."""
        columns = list(columns or self.frame.columns)
        values = []
        # Column by column: DataFrame.to_dict boxes every cell through pandas, and a weekly
        # series of a hundred companies has ten thousand rows.
        for column in columns:
            series = self.frame[column]
            if column in ("period", "period_end"):
                codes, days = pd.factorize(series)
                values.append(np.asarray([d.isoformat() for d in days], dtype=object)[codes]
                              .tolist())
            elif series.dtype.kind == "f":
                floats = series.to_numpy()
                values.append(np.where(np.isnan(floats), None, floats).tolist()
                              if np.isnan(floats).any() else floats.tolist())
            else:
                values.append(series.tolist())
        # A dict display made for these columns builds each row in one bytecode step, where
        # dict(zip(columns, row)) builds a zip and calls twice per row.
        items = ", ".join(f"{name!r}: c{i}" for i, name in enumerate(columns))
        row = eval(f"lambda {', '.join(f'c{i}' for i in range(len(columns)))}: {{{items}}}",
                   {"__builtins__": {}})
        return list(map(row, *values)) if columns else []


def dense(keys: Sequence[Sequence[Any]], row_periods: Sequence[date],
          values: dict[str, Any], groups: Sequence[tuple[Any, ...]],
          periods: Sequence[date]) -> dict[str, np.ndarray]:
    """Rows as one groups x periods matrix per value, in the order of ``groups`` and
    ``periods``: ``keys`` holds one sequence per group column (row i's group is the i-th item
    of each), ``row_periods`` and each of ``values`` one item per row. Absent combinations are
    0; rows of other groups or periods are left out."""
    shape = (len(groups), len(periods))
    if not len(row_periods) or not shape[0] or not shape[1]:
        return {name: np.zeros(shape) for name in values}
    # Hash lookups in C (Index.get_indexer) and a mixed-radix code per group, not a MultiIndex
    # reindex: every series, comparison and share of voice goes through here.
    row_code = np.zeros(len(row_periods), dtype=np.int64)
    group_code = np.zeros(len(groups), dtype=np.int64)
    for position, column in enumerate(keys):
        uniques = pd.Index(sorted({group[position] for group in groups}), dtype=object)
        codes = uniques.get_indexer(pd.Index(column, dtype=object))
        row_code = np.where(codes < 0, -1, row_code * len(uniques) + codes)
        group_code = group_code * len(uniques) + uniques.get_indexer(
            pd.Index([group[position] for group in groups], dtype=object))
    rows = pd.Index(group_code).get_indexer(row_code)
    rows[row_code < 0] = -1
    cols = pd.Index(list(periods), dtype=object).get_indexer(pd.Index(row_periods, dtype=object))
    kept = (rows >= 0) & (cols >= 0)
    cells = rows[kept] * shape[1] + cols[kept]
    return {name: np.bincount(cells, weights=np.asarray(column, dtype=float)[kept],
                              minlength=shape[0] * shape[1]).reshape(shape)
            for name, column in values.items()}


def company_matrix(raw: pd.DataFrame, periods: Sequence[date]) -> tuple[list[str], np.ndarray]:
    """Each company's count per period from counts per (period, company) with ``n``: the
    companies (labels, sorted) and a companies x ``periods`` matrix, zeros included."""
    keys = labels(raw["company"]).tolist()
    names = sorted(set(keys))
    return names, dense([keys], raw["period"].tolist(), {"n": raw["n"]},
                        [(name,) for name in names], periods)["n"]


def hop(matrix: np.ndarray, window: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum the periods (columns) of a groups x periods ``matrix`` over windows of ``window``
    periods that move by ``step``: (index of each window's last period, groups x windows).

    Windows are anchored on the last period so the most recent window is always complete and
    current; only complete windows are returned. ``window=step=1`` is the tumbling series.
    """
    if window < 1 or step < 1:
        raise AnalyticsError("window and step must be whole numbers of periods, 1 or more.")
    ends = np.arange(matrix.shape[1] - 1, window - 2, -step)[::-1]
    cumulative = np.concatenate([np.zeros((matrix.shape[0], 1)), matrix.cumsum(axis=1)],
                                axis=1)
    return ends, cumulative[:, ends + 1] - cumulative[:, ends + 1 - window]


def shares(matrix: np.ndarray, scope: np.ndarray) -> np.ndarray:
    """Each cell of a groups x periods ``matrix`` over its period's total among the groups with
    the same ``scope`` code (0 when that total is 0, so an empty period has no undefined
    shares)."""
    totals = np.zeros((int(scope.max()) + 1 if len(scope) else 0, matrix.shape[1]))
    np.add.at(totals, scope, matrix)
    totals = totals[scope]
    return np.where(totals > 0, matrix / np.where(totals > 0, totals, 1), 0.0)


def changes(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Change of each cell of ``matrix`` from the previous period of its row, and that change
    in percent of the previous value (NaN for the first period and after a zero)."""
    previous = np.concatenate([np.full((matrix.shape[0], 1), np.nan), matrix[:, :-1]], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(previous > 0, 100.0 * (matrix - previous)
                       / np.where(previous > 0, previous, 1), np.nan)
    return matrix - previous, pct


def range_periods(raw: pd.DataFrame, filters: CampaignFilter, interval: str) -> list[date]:
    """Every bucket of the analysed range: the filters' dates where given, else the first and
    last bucket with a campaign in ``raw`` (which has a ``period`` column)."""
    seen = pd.unique(raw["period"]) if len(raw) else []   # a few hundred of thousands of rows
    first = filters.date_from or (min(seen) if len(seen) else None)
    last = filters.date_to or (max(seen) if len(seen) else None)
    return period_starts(first, last, interval) if first and last else []


def series_from_counts(raw: pd.DataFrame, by: str, within: str | None, interval: str,
                       filters: CampaignFilter, *, weight: str | None = None,
                       window: int = 1, step: int = 1,
                       periods: Sequence[date] | None = None) -> VolumeSeries:
    """A :class:`VolumeSeries` from the store's counts (``AnalyticsQueries.counts`` grouped by
    ``[within,] by`` per ``interval``), over ``periods`` (default :func:`range_periods`).

    Keys the filters ask for (e.g. companies) appear even with no campaign at all.
    """
    column = resolve_dimension(by)
    scope_column = resolve_dimension(within) if within else None
    keys = labels(raw[column]).tolist()
    scopes = labels(raw[scope_column]).tolist() if scope_column else [ALL_SCOPE] * len(keys)
    value_cols = ["count", "weighted", "missing"] if weight else ["count"]
    values = {"count": raw["n"].to_numpy(dtype=float)}
    if weight:
        values["weighted"] = raw["weighted"].astype(float).fillna(0.0).to_numpy()
        values["missing"] = raw["missing"].to_numpy(dtype=float)
    wanted = filter_values(filters, column)
    scope_values = set(scopes) if scope_column else {ALL_SCOPE}
    groups = sorted(set(zip(scopes, keys)) | {(s, k) for s in scope_values for k in wanted})
    if periods is None:
        periods = range_periods(raw, filters, interval)
    matrices = dense([scopes, keys], raw["period"].tolist(), values, groups, periods)
    windows = {}
    for name, matrix in matrices.items():
        ends, windows[name] = hop(matrix, window, step)
    measure = windows["weighted" if weight else "count"]
    scope_codes = pd.factorize(pd.Series([s for s, _k in groups], dtype=object))[0]
    share = shares(measure, scope_codes)
    change, change_pct = changes(measure)
    # Ordered by period, then scope and key (the order of ``groups``): windows x groups.
    n_groups, n_windows = measure.shape

    def objects(items: list[Any]) -> np.ndarray:
        return np.asarray(items, dtype=object)

    # Labels repeated by taking from a string array of the groups, rather than pandas
    # building a string column from tens of thousands of Python strings.
    tiled = np.tile(np.arange(n_groups), n_windows)
    frame = pd.DataFrame({
        "period": np.repeat(objects([periods[e - window + 1] for e in ends]), n_groups),
        "period_end": np.repeat(objects([bucket_end(periods[e], interval) for e in ends]),
                                n_groups),
        "scope": pd.array([s for s, _k in groups], dtype="str").take(tiled),
        "key": pd.array([k for _s, k in groups], dtype="str").take(tiled),
        **{name: windows[name].T.ravel().astype(float if name == "weighted" else np.int64)
           for name in value_cols},
        "share": share.T.ravel(), "change": change.T.ravel(),
        "change_pct": change_pct.T.ravel()})
    missing = int(raw["missing"].sum()) if weight else 0
    return VolumeSeries(frame=frame, by=column, interval=interval, window=window, step=step,
                        weight=weight, within=scope_column, missing=missing)


def _series(source: Source, by: str, within: str | None, interval: str,
            filters: CampaignFilter, weight: str | None, window: int, step: int
            ) -> VolumeSeries:
    column = resolve_dimension(by)
    scope_column = resolve_dimension(within) if within else None
    dims = [scope_column, column] if scope_column else [column]
    raw = queries_for(source).counts(dims, interval, filters, weight)
    return series_from_counts(raw, column, scope_column, interval, filters, weight=weight,
                              window=window, step=step)


def volume_series(source: Source, by: str = "company", interval: str = "week",
                  filters: CampaignFilter | None = None, *, weight: str | None = None,
                  window: int = 1, step: int = 1, market: Market | None = None
                  ) -> VolumeSeries:
    """Campaign volume per period and ``by`` (company, channel, campaign_type or industry).

    ``interval`` is the bucket (day, week, month, quarter); ``window``/``step`` in buckets give
    hopping windows (``window=4, step=1`` with weeks: 4 weeks moving weekly). ``weight`` is
    ``est_spend_usd`` or ``est_volume`` to sum the estimate instead of counting pieces.
    ``market`` narrows the campaigns to a peer set or industries (the filter's companies, when
    it names some, stay the ones shown) and its description becomes the series' ``market``.
    """
    filters = filters or CampaignFilter()
    if market is not None:
        filters = market.narrowed(filters)
    series = _series(source, by, None, interval, filters, weight, window, step)
    frame = series.frame.drop(columns="scope")
    if market is None:
        return replace(series, frame=frame)
    counted = _companies_in(frame) if series.by == "company" else None
    return replace(series, frame=frame, market=market.describe(counted))


def share_of_voice(source: Source, within: str | None = None, interval: str = "week",
                   filters: CampaignFilter | None = None, *, weight: str | None = None,
                   window: int = 1, step: int = 1, market: Market | None = None
                   ) -> VolumeSeries:
    """Each company's share of voice per period: its campaigns over the market's campaigns
    that the filters keep, overall (scope ``(all)``) or within each channel or industry
    (``within``).

    ``market`` is the denominator: a peer set's companies or an industry's (the filter's own
    companies are then dropped: they only pick which shares to show). Without one, the market
    is what the filters name (their companies, else their industries, else every company).
    The result's ``market`` says which it was.
    """
    if within is not None and resolve_dimension(within) == "company":
        raise AnalyticsError("Share of voice is per company; take it within a channel, "
                             "campaign_type or industry.")
    filters = filters or CampaignFilter()
    market = market or Market.implied_by(filters)
    series = _series(source, "company", within, interval, market.applied(filters), weight,
                     window, step)
    return replace(series, market=market.describe(_companies_in(series.frame)))


def _companies_in(frame: pd.DataFrame) -> int:
    """How many companies a series holds (a piece without a company is no company)."""
    return int(frame.loc[frame["key"] != UNKNOWN, "key"].nunique())


def trends(store: Source, by: str = "company", interval: str = "week",
           filters: CampaignFilter | None = None, *, weight: str | None = None,
           window: int = 1, step: int = 1, market: Market | None = None
           ) -> list[dict[str, Any]]:
    """Volume per period and key as rows ``{period, key, count, share}``.

    ``period`` is the ISO date starting the bucket (a Monday for weeks); every period x key of
    the range is present, zeros included; ``share`` is the key's fraction of the period's
    total. Hopping windows (``window`` > 1) add ``period_end``; a ``weight`` adds ``weighted``
    and ``missing`` (campaigns without the estimate) and makes ``share`` the weighted share.
    A ``market`` narrows the campaigns to it (see :func:`volume_series`).
    """
    series = volume_series(store, by, interval, filters, weight=weight, window=window, step=step,
                           market=market)
    columns = ["period", "key", "count", "share"]
    if window > 1:
        columns.insert(1, "period_end")
    if weight:
        columns += ["weighted", "missing"]
    return series.to_records(columns)
