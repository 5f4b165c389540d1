"""Volume anomalies: periods where a company's volume is far outside its own recent baseline.

The score is a robust z-score over the trailing periods (median and MAD, not mean and standard
deviation, so one earlier spike does not hide the next); see :data:`ANOMALY_FORMULA`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from ..model import CampaignFilter
from ..store.analytics_sql import AnalyticsError
from .common import Source, queries_for, together
from .periods import bucket_end
from .series import company_matrix, range_periods

__all__ = ["Anomaly", "AnomalyReport", "robust_z", "trailing_robust_z", "volume_anomalies",
           "ANOMALY_THRESHOLD", "BASELINE_PERIODS", "MAD_SCALE", "MEAN_AD_SCALE", "MIN_SCALE",
           "ANOMALY_FORMULA"]

ANOMALY_THRESHOLD = 3.5   # Iglewicz & Hoaglin's cut-off for modified z-scores
BASELINE_PERIODS = 8
MAD_SCALE = 1.4826        # makes the MAD estimate the standard deviation of normal data
MEAN_AD_SCALE = 1.2533    # sqrt(pi/2): the same for the mean absolute deviation
MIN_SCALE = 1.0           # pieces: volumes are counts, a scale below one piece is noise

ANOMALY_FORMULA = (
    "z = (x - median) / scale, where x is the company's volume in the period and median and "
    "scale come from its N trailing periods (N = 8 by default, the period itself excluded). "
    "scale = 1.4826 * MAD (median absolute deviation from the median); when MAD is 0 (more "
    "than half of the baseline periods are equal) scale = 1.2533 * mean absolute deviation "
    "from the median; the scale is never below 1 piece, so one piece more or less than a flat "
    "baseline is not an anomaly. A period is a spike when z > 3.5 and a drop when z < -3.5. "
    "A company is scored from its N+1th period after its first piece; a period cut short by "
    "the end of the data is not flagged as a drop."
)


@dataclass(frozen=True)
class Anomaly:
    """One flagged period of one company, with (the first of) the pieces behind it."""

    company: str
    period: date
    period_end: date
    count: int
    median: float
    scale: float
    z: float
    kind: str            # "spike" or "drop"
    piece_ids: list[int]


@dataclass(frozen=True)
class AnomalyReport:
    """The anomalies, and every scored period (``scores``: period, period_end, company, count,
    median, scale, z, kind) so a chart can show the baseline behind them."""

    anomalies: list[Anomaly]
    scores: pd.DataFrame
    threshold: float
    baseline_periods: int
    interval: str


def robust_z(value: float, baseline: np.ndarray | list[float]) -> tuple[float, float, float]:
    """(z, median, scale) of ``value`` against ``baseline``, as :data:`ANOMALY_FORMULA`."""
    z, median, scale = trailing_robust_z(np.append(np.asarray(baseline, dtype=float), value),
                                         len(baseline))
    return float(z[-1]), float(median[-1]), float(scale[-1])


def trailing_robust_z(values: np.ndarray, periods: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z, median and scale of each value against the ``periods`` values before it along the
    last axis (NaN for the first ``periods`` values, which have no full baseline). A 2-D
    ``values`` is one series per row."""
    if periods < 1:
        raise AnalyticsError("The baseline needs at least one period.")
    values = np.asarray(values, dtype=float)
    z, median, scale = (np.full(values.shape, np.nan) for _ in range(3))
    if values.shape[-1] <= periods:
        return z, median, scale
    # windows[..., i, :] is the baseline of value i + periods
    windows = sliding_window_view(values, periods, axis=-1)[..., :-1, :]
    med = np.median(windows, axis=-1)
    deviation = np.abs(windows - med[..., None])
    mad = np.median(deviation, axis=-1)
    fallback = MEAN_AD_SCALE * deviation.mean(axis=-1)
    sc = np.maximum(np.where(mad > 0, MAD_SCALE * mad, fallback), MIN_SCALE)
    median[..., periods:], scale[..., periods:] = med, sc
    z[..., periods:] = (values[..., periods:] - med) / sc
    return z, median, scale


def volume_anomalies(source: Source, interval: str = "week",
                     filters: CampaignFilter | None = None, *,
                     baseline_periods: int = BASELINE_PERIODS,
                     threshold: float = ANOMALY_THRESHOLD, ids_per_anomaly: int = 20
                     ) -> AnomalyReport:
    """Spikes and drops of each company's volume against its trailing baseline."""
    filters = filters or CampaignFilter()
    queries = queries_for(source)
    # Each company's count per period as a matrix, straight from the store's counts (every
    # period of the range, zeros where a company had no piece).
    raw, span = together(queries, lambda: queries.counts(["company"], interval, filters),
                         lambda: None if filters.date_to else queries.span(filters))
    periods = np.asarray(range_periods(raw, filters, interval), dtype=object)
    columns = ["period", "period_end", "company", "count", "median", "scale", "z", "kind"]
    if raw.empty or not len(periods):
        return AnomalyReport([], pd.DataFrame(columns=columns), threshold, baseline_periods,
                             interval)
    last_day = filters.date_to or span[1]
    companies, counts = company_matrix(raw, periods)
    # A company's history starts at its first piece: entering the data is not a spike, and
    # its first periods have no baseline of their own yet.
    starts = np.argmax(counts > 0, axis=1)
    z, median, scale = trailing_robust_z(counts, baseline_periods)
    index = np.arange(counts.shape[1])[None, :]
    unscored = index < starts[:, None] + baseline_periods
    for values in (z, median, scale):
        values[unscored] = np.nan
    kept = (index >= starts[:, None]) & counts.any(axis=1)[:, None]
    # Period-major, companies in order within a period: the order of ``scores``, no sort.
    cols, rows = np.nonzero(kept.T)
    ends = np.asarray([bucket_end(p, interval) for p in periods], dtype=object)
    z_kept = z[rows, cols]
    partial = np.asarray([end > last_day for end in ends], dtype=bool)[cols]
    kind = np.select([z_kept > threshold, (z_kept < -threshold) & ~partial], ["spike", "drop"],
                     default=None)
    scores = pd.DataFrame({
        "period": periods[cols], "period_end": ends[cols],
        "company": pd.array(companies, dtype="str").take(rows),
        "count": counts[rows, cols].astype(int), "median": median[rows, cols],
        "scale": scale[rows, cols], "z": z_kept, "kind": kind})
    # The anomalies themselves by company, then period.
    flags = np.flatnonzero(pd.notna(kind))
    flagged = scores.iloc[flags[np.lexsort((cols[flags], rows[flags]))]]
    ids = queries.bucket_piece_ids(interval, filters, flagged, ids_per_anomaly)
    ids_of = {(c, p): i for c, p, i in zip(ids["company"].tolist(), ids["period"].tolist(),
                                           ids["ids"].tolist())}
    # Zipped column lists: itertuples would build a named tuple per row, and a year of weekly
    # volume over a hundred companies has about a thousand anomalies.
    anomalies = [Anomaly(company=company, period=period, period_end=period_end, count=count,
                         median=median, scale=scale, z=z, kind=kind,
                         piece_ids=ids_of.get((company, period), []))
                 for company, period, period_end, count, median, scale, z, kind in zip(
                     *(flagged[c].tolist() for c in ("company", "period", "period_end", "count",
                                                     "median", "scale", "z", "kind")))]
    return AnomalyReport(anomalies=anomalies, scores=scores, threshold=threshold,
                         baseline_periods=baseline_periods, interval=interval)
