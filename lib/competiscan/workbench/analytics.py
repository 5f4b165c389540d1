"""``wb.analytics``: every analysis the pages and the CLI read, over the store.

Each method takes a :class:`~competiscan.model.CampaignFilter` (``None``: all campaigns) and
returns the analysis' own result type; user mistakes raise ``AnalyticsError`` with what to
use instead. Shares of voice take a :class:`~competiscan.analytics.Market` (a peer set or
industries, as ``wb.peers`` resolves them) and say what they were measured against. The
formulas are in docs/analytics.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

import pandas as pd

from .. import analytics as A
from ..analytics.periods import Coverage, coverage
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
               window: int = 1, step: int = 1, market: A.Market | None = None
               ) -> A.VolumeSeries:
        """Campaigns per period and ``by`` value (tumbling, or hopping with ``window``), of
        the ``market``'s companies when one is given."""
        return A.volume_series(self._store, by, interval, filters, weight=weight,
                               window=window, step=step, market=market)

    def share_of_voice(self, interval: str = "week", filters: CampaignFilter | None = None, *,
                       within: str | None = None, weight: str | None = None,
                       window: int = 1, step: int = 1, market: A.Market | None = None
                       ) -> A.VolumeSeries:
        """Each company's share of the ``market``'s pieces per period (optionally within a
        channel or industry, optionally weighted by spend or volume); the result's
        ``market`` says what it was measured against."""
        return A.share_of_voice(self._store, within, interval, filters, weight=weight,
                                window=window, step=step, market=market)

    def trend_rows(self, by: str = "company", interval: str = "week",
                   filters: CampaignFilter | None = None, *, weight: str | None = None,
                   window: int = 1, step: int = 1, market: A.Market | None = None
                   ) -> list[dict[str, Any]]:
        """Volume as rows ``{period, key, count, share}`` (what ``competiscan trends`` prints),
        of the ``market``'s companies when one is given."""
        return A.trends(self._store, by, interval, filters, weight=weight, window=window,
                        step=step, market=market)

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

    def coverage(self, filters: CampaignFilter | None = None) -> Coverage:
        """The days the collected data covers within the filters' dates: from the first piece
        to the latest launch or sighting in the whole store, whatever the other filters (a
        company gone quiet is silence, not a gap in the collection). Charts mark the periods
        it covers only in part (``Coverage.partial``)."""
        where = filters or CampaignFilter()
        first, last_launch, last_seen = self._queries.span(CampaignFilter())
        last = max((d for d in (last_launch, last_seen) if d is not None), default=None)
        return coverage(first, last, where.date_from, where.date_to)

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
                y: str = "generosity", market: A.Market | None = None) -> A.Comparison:
        """2-5 companies side by side, and positioned on the measures ``x`` and ``y``; shares
        of voice (and the positioning's scale) are of ``market`` (a peer set or industries),
        which the result's ``market`` states."""
        return A.compare(self._store, tuple(companies), interval, filters, x=x, y=y,
                         against=market)
