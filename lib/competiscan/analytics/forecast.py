"""Weekly volume forecasts per company, with the back-tested error beside every forecast.

Methods (numpy only):

- ``naive``: next weeks = the last week.
- ``seasonal_naive``: next weeks = the same weeks one season (52 weeks) earlier; only with at
  least a season of history.
- ``ses``: simple exponential smoothing, level ``l = a*y + (1-a)*l``; a flat forecast.
- ``holt``: Holt's linear trend with a damped trend (additive errors), forecast
  ``l + (phi + ... + phi^h) * b``.

Smoothing parameters are chosen on a grid (:data:`ALPHAS`, :data:`BETAS`, :data:`PHIS`) by the
smallest sum of squared one-step errors on the training weeks only. Forecasts below 0 are
clipped to 0 (volumes are counts).

Backtest (rolling origin): for each of the last ``backtest_weeks`` weeks as origin, the method
is refitted on the weeks before it and forecasts up to ``horizon`` weeks; every forecast of a
week that is in the data is compared with what happened. MAE is the mean absolute error in
pieces per week; MAPE the mean of |error| / actual in percent over weeks with actual > 0. The
naive method's MAE over the same points is given as the baseline to beat. ``method="auto"``
picks the method with the smallest backtest MAE (simplest first on ties); as the choice is made
on the same backtest, the winner's error is slightly optimistic, which is why every candidate's
backtest is returned too.

Only complete ISO weeks are used: a last week cut short by the end of the data (or by
``date_to``) is left out rather than read as a fall in volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..store.analytics_sql import AnalyticsError, AnalyticsFilter
from .common import Source, queries_for
from .periods import bucket_start
from .series import volume_series

__all__ = ["Backtest", "Forecast", "ForecastReport", "SeriesForecast", "forecast_volume",
           "forecast_series",
           "FORECAST_METHODS", "SEASON_WEEKS", "MIN_TRAIN_WEEKS", "ALPHAS", "BETAS", "PHIS"]

FORECAST_METHODS: tuple[str, ...] = ("naive", "seasonal_naive", "ses", "holt")
SEASON_WEEKS = 52
MIN_TRAIN_WEEKS = 4       # an origin needs this many weeks before it to fit on
ALPHAS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
BETAS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3)
PHIS: tuple[float, ...] = (0.9, 0.98)
MAX_HORIZON = 26


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin error of one method (None when there was nothing to test on)."""

    origins: int
    points: int
    mae: float | None
    mape: float | None
    naive_mae: float | None


@dataclass(frozen=True)
class Forecast:
    """One company's forecast: ``history`` (period, count) of the weeks it was fitted on,
    ``forecast`` (period, period_end, value) of the next weeks, the chosen ``method`` with its
    ``params``, its ``backtest``, and every candidate's backtest in ``candidates``."""

    company: str
    method: str
    params: dict[str, float]
    history: pd.DataFrame
    forecast: pd.DataFrame
    backtest: Backtest
    candidates: dict[str, Backtest] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class ForecastReport:
    """Forecasts of every company, fitted on complete weeks up to ``through`` (a Sunday)."""

    forecasts: list[Forecast]
    through: date | None
    horizon: int
    backtest_weeks: int

    def to_frame(self) -> pd.DataFrame:
        """One long frame for charts: company, period, value, kind (history or forecast)."""
        parts = [pd.DataFrame({"company": f.company, "period": f.history["period"],
                               "value": f.history["count"].astype(float), "kind": "history"})
                 for f in self.forecasts]
        parts += [pd.DataFrame({"company": f.company, "period": f.forecast["period"],
                                "value": f.forecast["value"], "kind": "forecast"})
                  for f in self.forecasts]
        columns = ["company", "period", "value", "kind"]
        return (pd.concat(parts, ignore_index=True)[columns] if parts
                else pd.DataFrame(columns=columns))


# ---------------------------------------------------------------------------- smoothing
def _grid(method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha, beta, phi) of every candidate parameter set of a smoothing method."""
    if method == "ses":   # Holt with no trend
        alphas = np.asarray(ALPHAS)
        return alphas, np.zeros_like(alphas), np.ones_like(alphas)
    a, b, p = np.meshgrid(ALPHAS, BETAS, PHIS, indexing="ij")
    return a.ravel(), b.ravel(), p.ravel()


@dataclass(frozen=True)
class _Smoothed:
    """States after each week for every parameter set, and the running one-step SSE."""

    alpha: np.ndarray
    beta: np.ndarray
    phi: np.ndarray
    level: np.ndarray      # (n, G): level after observing week t
    trend: np.ndarray      # (n, G)
    sse: np.ndarray        # (n, G): sum of squared one-step errors of weeks 1..t


def _smooth(y: np.ndarray, method: str) -> _Smoothed:
    alpha, beta, phi = _grid(method)
    n, g = len(y), len(alpha)
    level, trend, sq = np.empty((n, g)), np.empty((n, g)), np.zeros((n, g))
    lvl, trd = np.full(g, y[0]), np.zeros(g)
    level[0], trend[0] = lvl, trd
    # The recursion is causal, so the states after week t are those of a fit on weeks 0..t:
    # one pass serves every backtest origin.
    for t in range(1, n):
        predicted = lvl + phi * trd
        sq[t] = (y[t] - predicted) ** 2
        new_level = alpha * y[t] + (1 - alpha) * predicted
        trd = beta * (new_level - lvl) + (1 - beta) * phi * trd
        lvl = new_level
        level[t], trend[t] = lvl, trd
    return _Smoothed(alpha, beta, phi, level, trend, np.cumsum(sq, axis=0))


def _smoothed_forecast(s: _Smoothed, origin: int, steps: int) -> tuple[np.ndarray, int]:
    """Forecast ``steps`` weeks from a fit on weeks before ``origin``; (values, grid index)."""
    best = int(np.argmin(s.sse[origin - 1]))
    damping = np.cumsum(s.phi[best] ** np.arange(1, steps + 1))
    values = s.level[origin - 1, best] + damping * s.trend[origin - 1, best]
    return np.maximum(values, 0.0), best


def _forecast(y: np.ndarray, method: str, origin: int, steps: int,
              smoothed: dict[str, _Smoothed]) -> np.ndarray:
    if method == "naive":
        return np.full(steps, y[origin - 1], dtype=float)
    if method == "seasonal_naive":
        return y[origin - SEASON_WEEKS + np.arange(steps) % SEASON_WEEKS].astype(float)
    return _smoothed_forecast(smoothed[method], origin, steps)[0]


def _available(method: str, origin: int) -> bool:
    needs = SEASON_WEEKS if method == "seasonal_naive" else 2 if method != "naive" else 1
    return origin >= needs


def _backtest(y: np.ndarray, method: str, horizon: int, weeks: int,
              smoothed: dict[str, _Smoothed]) -> Backtest:
    n = len(y)
    origins = [o for o in range(max(n - weeks, MIN_TRAIN_WEEKS), n)]
    if not origins or not all(_available(method, o) for o in origins):
        return Backtest(0, 0, None, None, None)
    errors, naive_errors, actuals = [], [], []
    for o in origins:
        steps = min(horizon, n - o)
        actual = y[o:o + steps]
        errors.append(np.abs(_forecast(y, method, o, steps, smoothed) - actual))
        naive_errors.append(np.abs(y[o - 1] - actual))
        actuals.append(actual)
    err, naive, act = map(np.concatenate, (errors, naive_errors, actuals))
    positive = act > 0
    mape = float(100.0 * np.mean(err[positive] / act[positive])) if positive.any() else None
    return Backtest(origins=len(origins), points=len(err), mae=float(err.mean()), mape=mape,
                    naive_mae=float(naive.mean()))


@dataclass(frozen=True)
class SeriesForecast:
    """The forecast of one series: the chosen method and params, the next values, the chosen
    method's backtest, every candidate's backtest, and a note when a fallback was taken."""

    method: str
    params: dict[str, float]
    values: np.ndarray
    backtest: Backtest
    candidates: dict[str, Backtest]
    note: str = ""


def forecast_series(y: np.ndarray | list[float], horizon: int = 8, backtest_weeks: int = 8,
                    method: str = "auto") -> SeriesForecast:
    """Forecast the ``horizon`` values after weekly series ``y`` (see the module docstring)."""
    if method != "auto" and method not in FORECAST_METHODS:
        raise AnalyticsError(f"Unknown forecast method {method!r}: use auto or "
                             f"{', '.join(FORECAST_METHODS)}.")
    if not 1 <= horizon <= MAX_HORIZON:
        raise AnalyticsError(f"Forecast 1 to {MAX_HORIZON} weeks ahead (got {horizon}).")
    y = np.asarray(y, dtype=float)
    n = len(y)
    smoothed = {m: _smooth(y, m) for m in ("ses", "holt")} if n >= 2 else {}
    candidates = {m: _backtest(y, m, horizon, backtest_weeks, smoothed)
                  for m in FORECAST_METHODS if n >= 2}
    note = ""
    if method == "auto":
        tested = [m for m in FORECAST_METHODS if m in candidates and candidates[m].mae is not None]
        chosen = min(tested, key=lambda m: candidates[m].mae) if tested else "naive"
        if not tested:
            note = (f"too little history to back-test ({n} weeks; needs more than "
                    f"{MIN_TRAIN_WEEKS}): naive forecast")
    elif not _available(method, n):
        chosen, note = "naive", f"{method} needs more history ({n} weeks): naive forecast"
    else:
        chosen = method
    params: dict[str, float] = {}
    if chosen in smoothed:
        values, best = _smoothed_forecast(smoothed[chosen], n, horizon)
        s = smoothed[chosen]
        params = {"alpha": float(s.alpha[best])}
        if chosen == "holt":
            params |= {"beta": float(s.beta[best]), "phi": float(s.phi[best])}
    else:
        values = _forecast(y, chosen, n, horizon, smoothed)
    return SeriesForecast(chosen, params, values,
                          candidates.get(chosen, Backtest(0, 0, None, None, None)),
                          candidates, note)


def forecast_volume(source: Source, companies: tuple[str, ...] | list[str] = (),
                    horizon: int = 8, backtest_weeks: int = 8, method: str = "auto",
                    filters: AnalyticsFilter | None = None) -> ForecastReport:
    """Forecast the next ``horizon`` weeks of each company's weekly volume.

    ``companies`` (default: every company the filters keep) narrows ``filters``. A company's
    history starts at its first piece; a company with no piece in the range is left out.
    """
    filters = filters or AnalyticsFilter()
    if companies:
        filters = replace(filters, companies=tuple(companies))
    queries = queries_for(source)
    first, last, _seen = queries.span(filters)
    end = filters.date_to or last
    if end is None or first is None:
        return ForecastReport([], None, horizon, backtest_weeks)
    through = end if end.weekday() == 6 else bucket_start(end, "week") - timedelta(days=1)
    if through < (filters.date_from or first):
        return ForecastReport([], None, horizon, backtest_weeks)
    series = volume_series(queries, "company", "week", replace(filters, date_to=through)).frame
    forecasts = []
    for company, rows in series.groupby("key", sort=True):
        counts = rows["count"].to_numpy(dtype=float)
        if not counts.any():
            continue
        rows = rows.iloc[int(np.argmax(counts > 0)):]
        fit = forecast_series(rows["count"].to_numpy(dtype=float), horizon, backtest_weeks,
                              method)
        starts = [bucket_start(through, "week") + timedelta(weeks=k) for k in
                  range(1, horizon + 1)]
        forecasts.append(Forecast(
            company=company, method=fit.method, params=fit.params,
            history=rows[["period", "count"]].reset_index(drop=True),
            forecast=pd.DataFrame({"period": starts,
                                   "period_end": [s + timedelta(days=6) for s in starts],
                                   "value": fit.values}),
            backtest=fit.backtest, candidates=fit.candidates, note=fit.note))
    return ForecastReport(forecasts, through, horizon, backtest_weeks)
