"""Competitive analytics over the campaign store.

The SQL lives in :mod:`competiscan.store.analytics_sql` (aggregates computed by DuckDB or
PostgreSQL); the modules here turn the small aggregated frames into answers:

- :mod:`.series`: volume over time (tumbling and hopping windows, zeros for empty periods,
  period-over-period change, optional weighting) and share of voice.
- :mod:`.market`: what a share of voice is measured against (a peer set, industries), and
  how that is said.
- :mod:`.offers`: best and typical offer terms per company and period, changes of the best,
  and the best current offers.
- :mod:`.compare`: 2-5 companies side by side, and positioning on two measures (offer
  generosity: :data:`GENEROSITY_FORMULA`).
- :mod:`.anomalies`: spikes and drops against a robust trailing baseline
  (:data:`ANOMALY_FORMULA`).
- :mod:`.forecast`: weekly volume forecasts with their rolling-origin backtest.

Every function takes a :class:`~competiscan.store.Store` first. ``trends`` and ``offers`` return
plain dicts for the CLI; the others return small DataFrames, or dataclasses holding them.
User mistakes (an unknown grouping, interval, weight, measure or term, a bad date, too few or
too many companies) raise :class:`AnalyticsError` with what to use instead.
"""

from __future__ import annotations

from ..model import CampaignFilter
from ..store.analytics_sql import (DIMENSIONS, INTERVALS, WEIGHTS, AnalyticsError,
                                   AnalyticsQueries)
from .anomalies import (ANOMALY_FORMULA, ANOMALY_THRESHOLD, BASELINE_PERIODS, Anomaly,
                        AnomalyReport, robust_z, volume_anomalies)
from .common import UNKNOWN
from .compare import (GENEROSITY_FORMULA, GENEROSITY_TERMS, POSITIONING_MEASURES, Comparison,
                      Positioning, compare, generosity_scores, positioning)
from .forecast import (FORECAST_METHODS, Backtest, Forecast, ForecastReport, forecast_series,
                       forecast_volume)
from .market import ALL_MARKET_KEY, INDUSTRY_KEY_PREFIX, Market
from .offers import OFFER_TERMS, best_offers, offer_changes, offer_summary, offers, term_label
from .series import ALL_SCOPE, VolumeSeries, share_of_voice, trends, volume_series

__all__ = [
    # filters and errors
    "CampaignFilter", "AnalyticsError", "AnalyticsQueries", "DIMENSIONS",
    "INTERVALS", "WEIGHTS", "UNKNOWN", "ALL_SCOPE",
    # CLI entry points
    "trends", "offers",
    # volume and share of voice, and the market shares are measured against
    "VolumeSeries", "volume_series", "share_of_voice", "Market", "ALL_MARKET_KEY",
    "INDUSTRY_KEY_PREFIX",
    # offers
    "OFFER_TERMS", "term_label", "offer_summary", "offer_changes", "best_offers",
    # comparison and positioning
    "Comparison", "Positioning", "compare", "positioning", "generosity_scores",
    "GENEROSITY_FORMULA", "GENEROSITY_TERMS", "POSITIONING_MEASURES",
    # anomalies
    "Anomaly", "AnomalyReport", "volume_anomalies", "robust_z", "ANOMALY_FORMULA",
    "ANOMALY_THRESHOLD", "BASELINE_PERIODS",
    # forecasts
    "Forecast", "ForecastReport", "Backtest", "forecast_volume", "forecast_series",
    "FORECAST_METHODS",
]
