"""Cached reads for the pages: aggregates from the store, searches from the index.

Every function takes the Workbench as ``_workbench`` (leading underscore: not part of the
cache key; there is one Workbench per server process). Results are cached per arguments with
a TTL, so a rerun that changes nothing costs a dictionary look-up even at a million campaigns;
writes made through the app call :func:`data_changed`, the TTL bounds how stale a write from
another process (the CLI on PostgreSQL) can look.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from .. import analytics
from ..alerts import AlertMatch, check_saved_searches
from ..analytics import AnalyticsFilter, AnalyticsQueries
from ..search import SearchRequest, SearchResult
from ..workbench import Workbench

__all__ = ["data_changed", "alerts_changed", "summary", "distinct", "newest", "search",
           "pending_alerts", "volume", "sov", "sentiment", "span", "counts", "offer_summary",
           "offer_changes", "current_offers", "anomalies", "forecast", "comparison"]

_SHORT = 60        # seconds: what the Home page and filters show
_LONG = 600        # seconds: analyses (they change only when data is written)


def data_changed() -> None:
    """Forget every cached read: called after an upload, an undo or an inbox ingest."""
    st.cache_data.clear()


def alerts_changed() -> None:
    """Forget the alert check only: a saved search was added or deleted, the data is the same."""
    pending_alerts.clear()


@st.cache_data(ttl=_SHORT, max_entries=4, show_spinner=False)
def summary(_workbench: Workbench) -> dict[str, Any]:
    return _workbench.store.summary()


@st.cache_data(ttl=_SHORT, max_entries=16, show_spinner=False)
def distinct(_workbench: Workbench, column: str) -> list[str]:
    return _workbench.store.distinct_values(column)


@st.cache_data(ttl=_SHORT, max_entries=8, show_spinner=False)
def newest(_workbench: Workbench, limit: int = 10) -> pd.DataFrame:
    return _workbench.store.newest(limit=limit)


@st.cache_data(ttl=_LONG, max_entries=256, show_spinner=False)
def search(_workbench: Workbench, request: SearchRequest) -> SearchResult:
    return _workbench.index.search(request)


@st.cache_data(ttl=_SHORT, max_entries=4, show_spinner=False)
def pending_alerts(_workbench: Workbench) -> list[AlertMatch]:
    """New matches of the saved searches, without marking them seen (the Live page does)."""
    return check_saved_searches(_workbench, mark=False, limit=5)


# ---------------------------------------------------------------------------- analytics
@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def volume(_workbench: Workbench, by: str, interval: str, filters: AnalyticsFilter,
           weight: str | None, window: int) -> analytics.VolumeSeries:
    return analytics.volume_series(_workbench.store, by, interval, filters, weight=weight,
                                   window=window)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def sov(_workbench: Workbench, interval: str, filters: AnalyticsFilter, weight: str | None,
        window: int) -> analytics.VolumeSeries:
    return analytics.share_of_voice(_workbench.store, None, interval, filters, weight=weight,
                                    window=window)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def sentiment(_workbench: Workbench, by: str, interval: str | None,
              filters: AnalyticsFilter) -> pd.DataFrame:
    """Mean sentiment score per (period, ``by``): period, key, n, mean_score."""
    frame = AnalyticsQueries(_workbench.store).sentiment([by], interval, filters)
    return frame.rename(columns={by: "key"})


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def counts(_workbench: Workbench, dims: tuple[str, ...], filters: AnalyticsFilter
           ) -> pd.DataFrame:
    """Campaigns per group over the whole filtered range: *dims, n."""
    return AnalyticsQueries(_workbench.store).counts(list(dims), None, filters)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def span(_workbench: Workbench, filters: AnalyticsFilter
         ) -> tuple[date | None, date | None, date | None]:
    """First and last launch date, and last sighting, of the filtered campaigns."""
    return AnalyticsQueries(_workbench.store).span(filters)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def offer_summary(_workbench: Workbench, interval: str, filters: AnalyticsFilter,
                  terms: tuple[str, ...]) -> pd.DataFrame:
    return analytics.offer_summary(_workbench.store, interval, filters, terms=terms)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def offer_changes(_workbench: Workbench, interval: str, filters: AnalyticsFilter
                  ) -> pd.DataFrame:
    return analytics.offer_changes(_workbench.store, interval, filters)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def current_offers(_workbench: Workbench, companies: tuple[str, ...],
                   as_of: date | None) -> list[dict[str, Any]]:
    return analytics.offers(_workbench.store, companies, as_of=as_of)


@st.cache_data(ttl=_LONG, max_entries=32, show_spinner=False)
def anomalies(_workbench: Workbench, interval: str, filters: AnalyticsFilter
              ) -> analytics.AnomalyReport:
    return analytics.volume_anomalies(_workbench.store, interval, filters)


@st.cache_data(ttl=_LONG, max_entries=32, show_spinner=False)
def forecast(_workbench: Workbench, companies: tuple[str, ...], filters: AnalyticsFilter,
             horizon: int) -> analytics.ForecastReport:
    return analytics.forecast_volume(_workbench.store, companies, horizon=horizon,
                                     filters=filters)


@st.cache_data(ttl=_LONG, max_entries=32, show_spinner=False)
def comparison(_workbench: Workbench, companies: tuple[str, ...], interval: str,
               filters: AnalyticsFilter, x: str, y: str) -> analytics.Comparison:
    return analytics.compare(_workbench.store, companies, interval, filters, x=x, y=y)
