"""Calendar buckets in Python, matching the SQL ``date_trunc`` of the store exactly.

A bucket is named by its first day: weeks start on Monday (ISO), months and quarters on the
first day. The SQL groups campaigns into buckets; these helpers list every bucket of a range so
that an empty one can appear as zero instead of going missing; :class:`Coverage` says which
buckets the data covers only in part (a month whose data ends on the 10th), so a chart can mark
them rather than draw them as a dip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Sequence

import pandas as pd

from ..store.analytics_sql import INTERVALS, AnalyticsError

__all__ = ["bucket_start", "next_bucket", "bucket_end", "period_starts", "Coverage",
           "coverage"]


def _check_interval(interval: str) -> None:
    if interval not in INTERVALS:
        raise AnalyticsError(f"Unknown interval {interval!r}: use one of {', '.join(INTERVALS)}.")


def _add_months(first_of_month: date, months: int) -> date:
    m = first_of_month.month - 1 + months
    return date(first_of_month.year + m // 12, m % 12 + 1, 1)


def bucket_start(day: date, interval: str) -> date:
    """The first day of the bucket holding ``day``."""
    _check_interval(interval)
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_bucket(start: date, interval: str, count: int = 1) -> date:
    """The first day of the bucket ``count`` buckets after the one starting on ``start``."""
    _check_interval(interval)
    if interval == "day":
        return start + timedelta(days=count)
    if interval == "week":
        return start + timedelta(weeks=count)
    return _add_months(start, count * (1 if interval == "month" else 3))


def bucket_end(start: date, interval: str) -> date:
    """The last day (inclusive) of the bucket starting on ``start``."""
    return next_bucket(start, interval) - timedelta(days=1)


def period_starts(first: date, last: date, interval: str) -> list[date]:
    """Every bucket from the one holding ``first`` to the one holding ``last``, in order."""
    current, end = bucket_start(first, interval), bucket_start(last, interval)
    out: list[date] = []
    while current <= end:
        out.append(current)
        current = next_bucket(current, interval)
    return out


@dataclass(frozen=True)
class Coverage:
    """The days an analysis' data covers, ``first`` to ``last`` inclusive (both None: none)."""

    first: date | None
    last: date | None

    def partial(self, starts: Sequence[Any], interval: str, window: int = 1) -> list[bool]:
        """For each period starting on ``starts`` (dates or timestamps) and ``window`` buckets
        of ``interval`` long, whether the data covers only part of its days: it starts after
        the period's first day or ends before its last."""
        _check_interval(interval)
        if self.first is None or self.last is None:
            return [False] * len(starts)
        flags = []
        for start in starts:
            day = pd.Timestamp(start).date()
            end = bucket_end(next_bucket(day, interval, window - 1), interval)
            flags.append(day < self.first or end > self.last)
        return flags


def coverage(data_first: date | None, data_last: date | None, date_from: date | None = None,
             date_to: date | None = None) -> Coverage:
    """The days covered within a date range: from the later of ``date_from`` and the data's
    first day to the earlier of ``date_to`` and its last (no data, or a range outside it:
    nothing covered)."""
    if data_first is None or data_last is None:
        return Coverage(None, None)
    first = max(data_first, date_from) if date_from else data_first
    last = min(data_last, date_to) if date_to else data_last
    return Coverage(first, last) if first <= last else Coverage(None, None)
