"""What every analysis shares: where the aggregates come from, filters, and group labels."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pandas as pd

from ..model import CampaignFilter
from ..store import Store
from ..store.analytics_sql import DIMENSIONS, AnalyticsError, AnalyticsQueries

__all__ = ["Source", "queries_for", "together", "resolve_dimension", "labels",
           "UNKNOWN", "DIMENSION_ALIASES", "filter_values"]

# A Store, or an object with the methods of AnalyticsQueries (the benchmark passes a pandas
# implementation to time the naive way through the very same analysis code).
Source = Any

# Label of a group whose value is not recorded (e.g. a campaign without a channel).
UNKNOWN = "(unknown)"

# Names the CLI and pages may use for a grouping, besides the column names themselves.
DIMENSION_ALIASES: dict[str, str] = {"type": "campaign_type"}


def queries_for(source: Source) -> AnalyticsQueries:
    """The aggregate queries of ``source`` (a Store is wrapped; anything else is used as is)."""
    return AnalyticsQueries(source) if isinstance(source, Store) else source


# Threads for independent queries of one analysis. Both databases run them side by side (the
# driver releases the GIL while a query runs), and a single query leaves some cores idle.
_QUERY_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="competiscan-query")


def together(source: Source, *calls: Callable[[], Any]) -> list[Any]:
    """The results of ``calls``, run concurrently when ``source`` is a database (anything else,
    such as the benchmark's pandas baseline, runs them in turn)."""
    if not isinstance(source, (Store, AnalyticsQueries)) or len(calls) < 2:
        return [call() for call in calls]
    futures = [_QUERY_THREADS.submit(call) for call in calls]
    return [future.result() for future in futures]


def resolve_dimension(by: str) -> str:
    """The column behind a grouping name ("type" is campaign_type)."""
    column = DIMENSION_ALIASES.get(by, by)
    if column not in DIMENSIONS:
        raise AnalyticsError(f"Cannot group by {by!r}: use one of {', '.join(DIMENSIONS)}.")
    return column


def labels(values: pd.Series) -> pd.Series:
    """Groups' display values: a missing one becomes :data:`UNKNOWN`."""
    return values.astype(object).where(values.notna(), UNKNOWN)


def filter_values(filters: CampaignFilter, column: str) -> tuple[str, ...]:
    """The values ``filters`` restricts grouping column ``column`` to (empty: no restriction).
    A product is grouped as "company · product", which a filter's bare product names are not:
    its restriction is left to the query."""
    return {"company": filters.companies, "channel": filters.channels,
            "campaign_type": filters.campaign_types, "industry": filters.industries,
            "product": ()}[column]
