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

from ..model import Actor, CampaignFilter
from ..workbench import (AlertMatch, AnomalyReport, Comparison, ForecastReport, Market,
                         ProductCoverage, SearchRequest, SearchResult, VolumeSeries, Workbench)

__all__ = ["data_changed", "alerts_changed", "summary", "distinct", "newest", "search",
           "pending_alerts", "volume", "sov", "sentiment", "span", "counts", "offer_summary",
           "offer_changes", "current_offers", "anomalies", "forecast", "comparison",
           "coverage", "product_coverage"]

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
    return _workbench.campaigns.summary()


@st.cache_data(ttl=_SHORT, max_entries=16, show_spinner=False)
def distinct(_workbench: Workbench, column: str) -> list[str]:
    return _workbench.campaigns.distinct_values(column)


@st.cache_data(ttl=_SHORT, max_entries=32, show_spinner=False)
def product_coverage(_workbench: Workbench, company: str) -> ProductCoverage:
    return _workbench.products.coverage(company)


@st.cache_data(ttl=_SHORT, max_entries=8, show_spinner=False)
def newest(_workbench: Workbench, limit: int = 10) -> pd.DataFrame:
    return _workbench.campaigns.newest(limit=limit)


@st.cache_data(ttl=_LONG, max_entries=256, show_spinner=False)
def search(_workbench: Workbench, request: SearchRequest) -> SearchResult:
    return _workbench.searches.run(request)


@st.cache_data(ttl=_SHORT, max_entries=64, show_spinner=False)
def pending_alerts(_workbench: Workbench, actor: Actor) -> list[AlertMatch]:
    """``actor``'s new matches of their saved searches, without marking them seen (the Live
    page does)."""
    return _workbench.searches.pending_alerts(actor, limit=5)


# ---------------------------------------------------------------------------- analytics
@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def volume(_workbench: Workbench, by: str, interval: str, filters: CampaignFilter,
           weight: str | None, window: int) -> VolumeSeries:
    return _workbench.analytics.volume(by, interval, filters, weight=weight, window=window)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def sov(_workbench: Workbench, interval: str, filters: CampaignFilter, weight: str | None,
        window: int, market: Market | None = None) -> VolumeSeries:
    return _workbench.analytics.share_of_voice(interval, filters, weight=weight, window=window,
                                               market=market)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def sentiment(_workbench: Workbench, by: str, interval: str | None,
              filters: CampaignFilter) -> pd.DataFrame:
    """Mean sentiment score per (period, ``by``): period, key, n, mean_score."""
    return _workbench.analytics.sentiment(by, interval, filters)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def counts(_workbench: Workbench, dims: tuple[str, ...], filters: CampaignFilter
           ) -> pd.DataFrame:
    """Campaigns per group over the whole filtered range: *dims, n."""
    return _workbench.analytics.counts(dims, filters)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def span(_workbench: Workbench, filters: CampaignFilter
         ) -> tuple[date | None, date | None, date | None]:
    """First and last launch date, and last sighting, of the filtered campaigns."""
    return _workbench.analytics.span(filters)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def coverage(_workbench: Workbench, date_from: date | None, date_to: date | None) -> Any:
    """The days the data covers within a date range (a ``Coverage``: its ``partial`` says
    which periods a chart must mark as partial)."""
    return _workbench.analytics.coverage(CampaignFilter(date_from=date_from, date_to=date_to))


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def offer_summary(_workbench: Workbench, interval: str, filters: CampaignFilter,
                  terms: tuple[str, ...]) -> pd.DataFrame:
    return _workbench.analytics.offer_summary(interval, filters, terms=terms)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def offer_changes(_workbench: Workbench, interval: str, filters: CampaignFilter
                  ) -> pd.DataFrame:
    return _workbench.analytics.offer_changes(interval, filters)


@st.cache_data(ttl=_LONG, max_entries=64, show_spinner=False)
def current_offers(_workbench: Workbench, companies: tuple[str, ...],
                   as_of: date | None) -> list[dict[str, Any]]:
    return _workbench.analytics.current_offers(CampaignFilter(companies=companies), as_of=as_of)


@st.cache_data(ttl=_LONG, max_entries=32, show_spinner=False)
def anomalies(_workbench: Workbench, interval: str, filters: CampaignFilter
              ) -> AnomalyReport:
    return _workbench.analytics.anomalies(interval, filters)


@st.cache_data(ttl=_LONG, max_entries=32, show_spinner=False)
def forecast(_workbench: Workbench, companies: tuple[str, ...], filters: CampaignFilter,
             horizon: int) -> ForecastReport:
    return _workbench.analytics.forecast(companies, horizon=horizon, filters=filters)


@st.cache_data(ttl=_LONG, max_entries=32, show_spinner=False)
def comparison(_workbench: Workbench, companies: tuple[str, ...], interval: str,
               filters: CampaignFilter, x: str, y: str, market: Market | None = None
               ) -> Comparison:
    return _workbench.analytics.compare(companies, interval, filters, x=x, y=y, market=market)
