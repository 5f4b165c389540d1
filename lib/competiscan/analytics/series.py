"""Volume over time and share of voice: tumbling and hopping windows, zeros for empty periods.

The store counts campaigns per bucket (day, ISO week starting Monday, month, quarter) and
group; here every bucket x group of the range is filled in (an empty week is 0, not a gap),
buckets are summed into hopping windows when asked, and each row gets its share of the period
and its change from the previous period.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..store.analytics_sql import AnalyticsError, AnalyticsFilter
from .common import Source, filter_values, labels, make_filter, queries_for, resolve_dimension
from .periods import bucket_end, period_starts

__all__ = ["VolumeSeries", "volume_series", "share_of_voice", "trends", "series_from_counts",
           "range_periods", "complete_grid", "hop", "add_share", "add_change", "ALL_SCOPE"]

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
    """

    frame: pd.DataFrame
    by: str
    interval: str
    window: int
    step: int
    weight: str | None
    within: str | None
    missing: int

    def to_records(self, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Rows as plain dicts (of ``columns``, default all) with ISO date strings and None
        for NaN: what the CLI prints as JSON."""
        columns = list(columns or self.frame.columns)
        values = []
        # Column by column: DataFrame.to_dict boxes every cell and is ~5x slower on the
        # ten thousand rows of a weekly series of a hundred companies.
        for column in columns:
            series = self.frame[column]
            if column in ("period", "period_end"):
                iso = {d: d.isoformat() for d in series.unique()}
                values.append([iso[d] for d in series])
            elif series.dtype.kind == "f":
                values.append([None if v != v else v for v in series.tolist()])
            else:
                values.append(series.tolist())
        return [dict(zip(columns, row)) for row in zip(*values)]


def complete_grid(frame: pd.DataFrame, group_cols: list[str], periods: Sequence[date],
                  groups: Sequence[tuple[Any, ...]], value_cols: list[str]) -> pd.DataFrame:
    """Every period x group, ordered by group then period; absent combinations are 0."""
    if not groups or not periods:
        return pd.DataFrame(columns=[*group_cols, "period", *value_cols])
    # Built column-wise: tuples of every group x period cost ~10x more at thousands of them.
    columns = list(zip(*groups))
    index = pd.MultiIndex.from_arrays(
        [np.repeat(np.asarray(column, dtype=object), len(periods)) for column in columns]
        + [np.tile(np.asarray(periods, dtype=object), len(groups))],
        names=[*group_cols, "period"])
    if frame.empty:
        filled = pd.DataFrame(0, index=index, columns=value_cols)
    else:
        filled = (frame.set_index([*group_cols, "period"])[value_cols]
                  .reindex(index).fillna(0))
    return filled.reset_index()


def hop(grid: pd.DataFrame, group_cols: list[str], value_cols: list[str], interval: str,
        window: int, step: int) -> pd.DataFrame:
    """Sum a complete grid (see :func:`complete_grid`) over windows of ``window`` buckets
    that move by ``step`` buckets.

    Windows are anchored on the last bucket so the most recent window is always complete and
    current; only complete windows are returned. ``window=step=1`` is the tumbling series.
    Columns: period (first day of the window's first bucket), period_end (last day of its last
    bucket), *group_cols, *value_cols.
    """
    if window < 1 or step < 1:
        raise AnalyticsError("window and step must be whole numbers of periods, 1 or more.")
    periods = sorted(grid["period"].unique())
    n = len(periods)
    ends = list(range(n - 1, window - 2, -step))[::-1]
    if not ends:
        return pd.DataFrame(columns=["period", "period_end", *group_cols, *value_cols])
    groups = grid[group_cols].iloc[::n].reset_index(drop=True)
    out = pd.DataFrame({
        "period": np.tile([periods[e - window + 1] for e in ends], len(groups)),
        "period_end": np.tile([bucket_end(periods[e], interval) for e in ends], len(groups)),
    })
    for column in group_cols:
        out[column] = np.repeat(groups[column].to_numpy(), len(ends))
    ends_idx = np.asarray(ends)
    for column in value_cols:
        values = grid[column].to_numpy(dtype=float).reshape(len(groups), n)
        cumulative = np.concatenate([np.zeros((len(groups), 1)), values.cumsum(axis=1)], axis=1)
        out[column] = (cumulative[:, ends_idx + 1] - cumulative[:, ends_idx + 1 - window]).ravel()
    return out


def add_share(frame: pd.DataFrame, scope_cols: list[str], value: str) -> pd.DataFrame:
    """Add ``share``: ``value`` over its period's total within ``scope_cols`` (0 when the total
    is 0, so an empty period has no undefined shares)."""
    # Summed by integer group code: a pandas groupby-transform costs ~5 ms even on a few
    # hundred rows, and a comparison computes several.
    code = _group_codes(frame, ["period", *scope_cols])
    values = frame[value].to_numpy(dtype=float)
    totals = np.bincount(code, weights=values)[code] if len(code) else values
    frame["share"] = np.where(totals > 0, values / np.where(totals > 0, totals, 1), 0.0)
    return frame


def add_change(frame: pd.DataFrame, group_cols: list[str], value: str) -> pd.DataFrame:
    """Add period-over-period ``change`` and ``change_pct`` of ``value`` within each group
    (rows must be ordered by period within a group; the first period has NaN)."""
    code = _group_codes(frame, group_cols)
    values = frame[value].to_numpy(dtype=float)
    # The previous row of the same group, in frame order (a stable sort keeps it).
    order = np.argsort(code, kind="stable")
    sorted_code, sorted_values = code[order], values[order]
    same = np.r_[False, sorted_code[1:] == sorted_code[:-1]] if len(code) else \
        np.zeros(0, dtype=bool)
    previous = np.empty(len(values))
    previous[order] = np.where(same, np.r_[np.nan, sorted_values[:-1]] if len(values)
                               else sorted_values, np.nan)
    frame["change"] = values - previous
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["change_pct"] = np.where(previous > 0, 100.0 * (values - previous)
                                       / np.where(previous > 0, previous, 1), np.nan)
    return frame


def _group_codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per distinct combination of ``columns`` (in no particular order)."""
    code = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(frame[column])
        code = code * (len(uniques) + 1) + codes
    return pd.factorize(code)[0]


def range_periods(raw: pd.DataFrame, filters: AnalyticsFilter, interval: str) -> list[date]:
    """Every bucket of the analysed range: the filters' dates where given, else the first and
    last bucket with a campaign in ``raw`` (which has a ``period`` column)."""
    first = filters.date_from or (min(raw["period"]) if len(raw) else None)
    last = filters.date_to or (max(raw["period"]) if len(raw) else None)
    return period_starts(first, last, interval) if first and last else []


def series_from_counts(raw: pd.DataFrame, by: str, within: str | None, interval: str,
                       filters: AnalyticsFilter, *, weight: str | None = None,
                       window: int = 1, step: int = 1,
                       periods: Sequence[date] | None = None) -> VolumeSeries:
    """A :class:`VolumeSeries` from the store's counts (``AnalyticsQueries.counts`` grouped by
    ``[within,] by`` per ``interval``), over ``periods`` (default :func:`range_periods`).

    Keys the filters ask for (e.g. companies) appear even with no campaign at all.
    """
    column = resolve_dimension(by)
    scope_column = resolve_dimension(within) if within else None
    raw = raw.assign(key=labels(raw[column]),
                     scope=labels(raw[scope_column]) if scope_column else ALL_SCOPE)
    raw = raw.rename(columns={"n": "count"})
    value_cols = ["count", "weighted", "missing"] if weight else ["count"]
    if weight:
        raw["weighted"] = raw["weighted"].astype(float).fillna(0.0)
    wanted = filter_values(filters, column)
    scopes = set(raw["scope"].tolist()) if scope_column else {ALL_SCOPE}
    groups = sorted(set(zip(raw["scope"].tolist(), raw["key"].tolist()))
                    | {(s, k) for s in scopes for k in wanted})
    if periods is None:
        periods = range_periods(raw, filters, interval)
    grid = complete_grid(raw[["scope", "key", "period", *value_cols]], ["scope", "key"],
                         periods, groups, value_cols)
    frame = hop(grid, ["scope", "key"], value_cols, interval, window, step)
    frame["count"] = frame["count"].astype(int)
    if weight:
        frame["missing"] = frame["missing"].astype(int)
    measure = "weighted" if weight else "count"
    frame = add_change(add_share(frame, ["scope"], measure), ["scope", "key"], measure)
    frame = frame.sort_values(["period", "scope", "key"], kind="stable").reset_index(drop=True)
    missing = int(raw["missing"].sum()) if weight else 0
    return VolumeSeries(frame=frame, by=column, interval=interval, window=window, step=step,
                        weight=weight, within=scope_column, missing=missing)


def _series(source: Source, by: str, within: str | None, interval: str,
            filters: AnalyticsFilter, weight: str | None, window: int, step: int
            ) -> VolumeSeries:
    column = resolve_dimension(by)
    scope_column = resolve_dimension(within) if within else None
    dims = [scope_column, column] if scope_column else [column]
    raw = queries_for(source).counts(dims, interval, filters, weight)
    return series_from_counts(raw, column, scope_column, interval, filters, weight=weight,
                              window=window, step=step)


def volume_series(source: Source, by: str = "company", interval: str = "week",
                  filters: AnalyticsFilter | None = None, *, weight: str | None = None,
                  window: int = 1, step: int = 1) -> VolumeSeries:
    """Campaign volume per period and ``by`` (company, channel, campaign_type or industry).

    ``interval`` is the bucket (day, week, month, quarter); ``window``/``step`` in buckets give
    hopping windows (``window=4, step=1`` with weeks: 4 weeks moving weekly). ``weight`` is
    ``est_spend_usd`` or ``est_volume`` to sum the estimate instead of counting pieces.
    """
    series = _series(source, by, None, interval, filters or AnalyticsFilter(), weight,
                     window, step)
    return replace(series, frame=series.frame.drop(columns="scope"))


def share_of_voice(source: Source, within: str | None = None, interval: str = "week",
                   filters: AnalyticsFilter | None = None, *, weight: str | None = None,
                   window: int = 1, step: int = 1) -> VolumeSeries:
    """Each company's share of voice per period: its campaigns over all campaigns the filters
    keep, overall (scope ``(all)``) or within each channel or industry (``within``).

    The denominator is every campaign the filters keep: to read market share, filter on
    channels, industries or dates and pick the companies to show from the result (a companies
    filter makes the shares among those companies only).
    """
    if within is not None and resolve_dimension(within) == "company":
        raise AnalyticsError("Share of voice is per company; take it within a channel, "
                             "campaign_type or industry.")
    return _series(source, "company", within, interval, filters or AnalyticsFilter(), weight,
                   window, step)


def trends(store: Source, by: str = "company", interval: str = "week",
           companies: Iterable[str] = (), channels: Iterable[str] = (),
           date_from: date | str | None = None, date_to: date | str | None = None, *,
           campaign_types: Iterable[str] = (), industries: Iterable[str] = (),
           weight: str | None = None, window: int = 1, step: int = 1) -> list[dict[str, Any]]:
    """Volume per period and key as rows ``{period, key, count, share}``.

    ``period`` is the ISO date starting the bucket (a Monday for weeks); every period x key of
    the range is present, zeros included; ``share`` is the key's fraction of the period's
    total. Hopping windows (``window`` > 1) add ``period_end``; a ``weight`` adds ``weighted``
    and ``missing`` (campaigns without the estimate) and makes ``share`` the weighted share.
    """
    filters = make_filter(companies, channels, campaign_types, industries, date_from, date_to)
    series = volume_series(store, by, interval, filters, weight=weight, window=window, step=step)
    columns = ["period", "key", "count", "share"]
    if window > 1:
        columns.insert(1, "period_end")
    if weight:
        columns += ["weighted", "missing"]
    return series.to_records(columns)
