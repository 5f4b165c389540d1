"""``wb.analytics``: every analysis the pages and the CLI read, over the store.

Each method takes a :class:`~competiscan.model.CampaignFilter` (``None``: all campaigns) and
returns the analysis' own result type; user mistakes raise ``AnalyticsError`` with what to
use instead. The formulas are in docs/analytics.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

import pandas as pd

from .. import analytics as A
from ..model import CampaignFilter
from ..store import Store

__all__ = ["Analytics"]


class Analytics:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._queries = A.AnalyticsQueries(store)

    # ------------------------------------------------------------------ volume
    def volume(self, by: str = "company", interval: str = "week",
               filters: CampaignFilter | None = None, *, weight: str | None = None,
               window: int = 1, step: int = 1) -> A.VolumeSeries:
        """Campaigns per period and ``by`` value (tumbling, or hopping with ``window``)."""
        return A.volume_series(self._store, by, interval, filters, weight=weight,
                               window=window, step=step)

    def share_of_voice(self, interval: str = "week", filters: CampaignFilter | None = None, *,
                       within: str | None = None, weight: str | None = None,
                       window: int = 1, step: int = 1) -> A.VolumeSeries:
        """Each company's share of all pieces per period (optionally within a channel or
        industry, optionally weighted by spend or volume)."""
        return A.share_of_voice(self._store, within, interval, filters, weight=weight,
                                window=window, step=step)

    def trend_rows(self, by: str = "company", interval: str = "week",
                   filters: CampaignFilter | None = None, *, weight: str | None = None,
                   window: int = 1, step: int = 1) -> list[dict[str, Any]]:
        """Volume as rows ``{period, key, count, share}`` (what ``competiscan trends`` prints)."""
        return A.trends(self._store, by, interval, filters, weight=weight, window=window,
                        step=step)

    def sentiment(self, by: str, interval: str | None,
                  filters: CampaignFilter | None = None) -> pd.DataFrame:
        """Mean sentiment score per (period, ``by``): period, key, n, mean_score."""
        frame = self._queries.sentiment([by], interval, filters or CampaignFilter())
        return frame.rename(columns={by: "key"})

    def counts(self, dims: Sequence[str], filters: CampaignFilter | None = None) -> pd.DataFrame:
        """Campaigns per group over the whole filtered range: *dims, n."""
        return self._queries.counts(list(dims), None, filters or CampaignFilter())

    def span(self, filters: CampaignFilter | None = None
             ) -> tuple[date | None, date | None, date | None]:
        """First and last launch date, and last sighting, of the filtered campaigns."""
        return self._queries.span(filters or CampaignFilter())

    # ------------------------------------------------------------------ offers
    def offer_summary(self, interval: str = "month", filters: CampaignFilter | None = None, *,
                      terms: Sequence[str] = tuple(A.OFFER_TERMS)) -> pd.DataFrame:
        """Best and typical offer terms per company and period."""
        return A.offer_summary(self._store, interval, filters, terms=terms)

    def offer_changes(self, interval: str = "month",
                      filters: CampaignFilter | None = None) -> pd.DataFrame:
        """Changes of each company's best offer terms from one period to the next."""
        return A.offer_changes(self._store, interval, filters)

    def current_offers(self, filters: CampaignFilter | None = None, *,
                       as_of: date | str | None = None) -> list[dict[str, Any]]:
        """Per company, its best current offer terms and the pieces showing them."""
        return A.offers(self._store, filters, as_of=as_of)

    # ------------------------------------------------------------------ the rest
    def anomalies(self, interval: str = "week",
                  filters: CampaignFilter | None = None) -> A.AnomalyReport:
        """Spikes and drops of each company's volume against a robust trailing baseline."""
        return A.volume_anomalies(self._store, interval, filters)

    def forecast(self, companies: Sequence[str] = (), *, horizon: int = 8,
                 filters: CampaignFilter | None = None) -> A.ForecastReport:
        """Weekly volume forecasts with their rolling-origin backtest."""
        return A.forecast_volume(self._store, tuple(companies), horizon=horizon,
                                 filters=filters)

    def compare(self, companies: Sequence[str], interval: str = "week",
                filters: CampaignFilter | None = None, *, x: str = "share_of_voice",
                y: str = "generosity") -> A.Comparison:
        """2-5 companies side by side, and positioned on the measures ``x`` and ``y``."""
        return A.compare(self._store, tuple(companies), interval, filters, x=x, y=y)
