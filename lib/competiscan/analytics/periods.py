"""Calendar buckets in Python, matching the SQL ``date_trunc`` of the store exactly.

A bucket is named by its first day: weeks start on Monday (ISO), months and quarters on the
first day. The SQL groups campaigns into buckets; these helpers list every bucket of a range so
that an empty one can appear as zero instead of going missing.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..store.analytics_sql import INTERVALS, AnalyticsError

__all__ = ["bucket_start", "next_bucket", "bucket_end", "period_starts"]


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
