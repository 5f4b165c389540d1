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

**How sure**: the chosen method's signed back-test errors (actual - forecast), each divided by
the square root of its step ahead h, are pooled; their empirical quantiles give the 80% and 95%
prediction intervals, ``forecast + q * sqrt(h)`` (clipped at 0). **Refusal**: a forecast is
flagged not drawable, with the reason, when it could not be back-tested, when its back-test MAE
is worse than the naive method's, or when its back-test WAPE (sum |error| / sum actual, in
percent) is above :data:`MAX_FORECAST_ERROR_PCT`.

All companies are fitted at once: the smoothing recursions run over a (companies x parameter
sets) array, one pass over the weeks serving every backtest origin.

Only complete ISO weeks are used: a last week cut short by the end of the data (or by
``date_to``) is left out rather than read as a fall in volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Sequence

import numpy as np
import pandas as pd

from ..model import CampaignFilter
from ..store.analytics_sql import AnalyticsError
from .common import Source, queries_for
from .periods import bucket_start
from .series import company_matrix, range_periods

__all__ = ["Backtest", "Forecast", "ForecastReport", "forecast_volume", "forecast_series",
           "forecast_matrix", "FORECAST_METHODS", "FORECAST_METHOD_NAMES",
           "MAX_FORECAST_ERROR_PCT", "INTERVAL_LEVELS", "SEASON_WEEKS", "MIN_TRAIN_WEEKS",
           "ALPHAS", "BETAS", "PHIS"]

FORECAST_METHODS: tuple[str, ...] = ("naive", "seasonal_naive", "ses", "holt")
FORECAST_METHOD_NAMES: dict[str, str] = {
    "naive": "Naive (last week repeated)",
    "seasonal_naive": "Seasonal naive (same week a year earlier)",
    "ses": "Exponential smoothing",
    "holt": "Damped trend (Holt)",
}
# A forecast whose back-test error (WAPE: sum |error| / sum actual) is above this many percent
# of the actual volume is not drawn: it would be wrong by more than half of what it forecasts.
MAX_FORECAST_ERROR_PCT = 50.0
INTERVAL_LEVELS: tuple[int, ...] = (80, 95)   # prediction intervals, in percent
_BOUNDS = tuple(f"{side}_{level}" for level in INTERVAL_LEVELS for side in ("lower", "upper"))
SEASON_WEEKS = 52
MIN_TRAIN_WEEKS = 4       # an origin needs this many weeks before it to fit on
ALPHAS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
BETAS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3)
PHIS: tuple[float, ...] = (0.9, 0.98)
MAX_HORIZON = 26


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin error of one method (None when there was nothing to test on). ``wape``
    is sum |error| / sum actual in percent (None when no piece was in the tested weeks)."""

    origins: int
    points: int
    mae: float | None
    mape: float | None
    naive_mae: float | None
    wape: float | None = None


_NO_BACKTEST = Backtest(0, 0, None, None, None, None)


@dataclass(frozen=True)
class Forecast:
    """The forecast of one series: the chosen ``method`` and its ``params``, the next
    ``values``, the chosen method's ``backtest``, every candidate's backtest in
    ``candidates``, and a ``note`` when a fallback was taken. ``bands`` maps each level of
    :data:`INTERVAL_LEVELS` to the (lower, upper) prediction interval of every value (empty
    without a back-test); ``refusal`` says why the forecast must not be drawn ("" when it
    may be)."""

    company: str
    method: str
    params: dict[str, float]
    values: list[float]
    backtest: Backtest
    candidates: dict[str, Backtest] = field(default_factory=dict)
    note: str = ""
    bands: dict[int, tuple[list[float], list[float]]] = field(default_factory=dict)
    refusal: str = ""

    @property
    def drawable(self) -> bool:
        return not self.refusal

    @property
    def method_name(self) -> str:
        """The method as a person reads it."""
        return FORECAST_METHOD_NAMES.get(self.method, self.method)


@dataclass(frozen=True)
class ForecastReport:
    """Forecasts of every company, fitted on complete weeks up to ``through`` (a Sunday).

    ``history``: company, period, count (from each company's first piece); ``forecast``:
    company, period, period_end, value, and lower_L / upper_L for each level L of
    :data:`INTERVAL_LEVELS`; both hold every company, drawable or not.
    """

    forecasts: list[Forecast]
    history: pd.DataFrame
    forecast: pd.DataFrame
    through: date | None
    horizon: int
    backtest_weeks: int

    @property
    def drawing_rule(self) -> str:
        """When a forecast is drawn, in one sentence for the page."""
        return ("A forecast is drawn only when it could be back-tested, its back-test error is "
                "no worse than repeating the last week (naive), and it is at most "
                f"{MAX_FORECAST_ERROR_PCT:.0f}% of the actual volume (WAPE).")

    @property
    def refused(self) -> list[Forecast]:
        """The forecasts that must not be drawn (each says why in ``refusal``)."""
        return [f for f in self.forecasts if not f.drawable]

    def to_frame(self) -> pd.DataFrame:
        """One long frame for charts, of the drawable forecasts only: company, period, value,
        kind (history or forecast), and the interval columns (blank on history)."""
        drawn = [f.company for f in self.forecasts if f.drawable]
        history = self.history[self.history["company"].isin(drawn)] \
            .rename(columns={"count": "value"}).assign(kind="history")
        ahead = self.forecast[self.forecast["company"].isin(drawn)] \
            .drop(columns="period_end").assign(kind="forecast")
        frame = pd.concat([history, ahead], ignore_index=True)
        for column in ("value", *_BOUNDS):
            frame[column] = frame[column].astype(float) if column in frame else np.nan
        return frame[["company", "period", "value", "kind", *_BOUNDS]]


# ---------------------------------------------------------------------------- the engine
def _grid(method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha, beta, phi) of every candidate parameter set of a smoothing method."""
    if method == "ses":   # Holt with no trend
        alphas = np.asarray(ALPHAS)
        return alphas, np.zeros_like(alphas), np.ones_like(alphas)
    a, b, p = np.meshgrid(ALPHAS, BETAS, PHIS, indexing="ij")
    return a.ravel(), b.ravel(), p.ravel()


@dataclass(frozen=True)
class _Fit:
    """A smoothing method fitted on the weeks before ``origin``, for every series."""

    index: np.ndarray      # (C,) chosen parameter set
    level: np.ndarray      # (C,)
    trend: np.ndarray      # (C,)
    phi: np.ndarray        # (C,)

    def forecast(self, steps: int) -> np.ndarray:
        damping = np.cumsum(self.phi[:, None] ** np.arange(1, steps + 1), axis=1)
        return np.maximum(self.level[:, None] + damping * self.trend[:, None], 0.0)


def _smooth(y: np.ndarray, starts: np.ndarray, methods: Sequence[str],
            origins: set[int]) -> dict[str, dict[int, _Fit]]:
    """Fit each smoothing method on every series up to each origin: the parameter set with the
    smallest sum of squared one-step errors on the series' own weeks before the origin."""
    # Every method's parameter sets side by side in one pass: the per-week numpy calls, not
    # the arithmetic, are most of the cost at a few hundred series.
    grids = [_grid(method) for method in methods]
    bounds = np.cumsum([0] + [len(g[0]) for g in grids])
    alpha, beta, phi = (np.concatenate(parts) for parts in zip(*grids))
    n_series, n = y.shape
    level = np.zeros((n_series, len(alpha)))
    trend = np.zeros_like(level)
    sse = np.zeros_like(level)
    rows = np.arange(n_series)
    fits: dict[str, dict[int, _Fit]] = {method: {} for method in methods}
    # The recursion is causal, so the state after week t is that of a fit on the weeks up to
    # t: one pass over the weeks serves every origin.
    for t in range(n):
        observed = y[:, t][:, None]
        damped = phi * trend
        error = observed - (level + damped)
        # A series starts at its own first week: before it nothing moves, on it the level is
        # that week's count; only those few rows need fixing after the vectorised step.
        waiting = np.flatnonzero(starts > t)
        starting = np.flatnonzero(starts == t)
        error[waiting] = 0.0
        error[starting] = 0.0
        sse += error * error
        new_level = level + damped + alpha * error
        trend = beta * (new_level - level) + (1 - beta) * damped
        level = new_level
        if len(waiting):
            level[waiting] = 0.0
            trend[waiting] = 0.0
        if len(starting):
            level[starting] = observed[starting]
            trend[starting] = 0.0
        if t + 1 in origins:
            for method, low, high in zip(methods, bounds[:-1], bounds[1:]):
                best = np.argmin(sse[:, low:high], axis=1) + low
                fits[method][t + 1] = _Fit(best - low, level[rows, best], trend[rows, best],
                                           phi[best])
    return fits


def _needs(method: str) -> int:
    """Weeks of history a method needs before it can forecast."""
    return {"naive": 1, "seasonal_naive": SEASON_WEEKS}.get(method, 2)


def _forecasts(y: np.ndarray, origin: int, steps: int, fits: dict[str, dict[int, _Fit]]
               ) -> dict[str, np.ndarray]:
    """(C, steps) forecasts of every method from the weeks before ``origin``."""
    out = {"naive": np.repeat(y[:, origin - 1:origin], steps, axis=1)}
    if origin >= SEASON_WEEKS:
        out["seasonal_naive"] = y[:, origin - SEASON_WEEKS + np.arange(steps) % SEASON_WEEKS]
    for method, by_origin in fits.items():
        out[method] = by_origin[origin].forecast(steps)
    return out


def _backtests(y: np.ndarray, starts: np.ndarray, horizon: int, weeks: int,
               fits: dict[str, dict[int, _Fit]]
               ) -> tuple[list[dict[str, Backtest]], dict[str, np.ndarray]]:
    """Each series' rolling-origin backtest of each method it has enough history for, and
    each method's signed errors (actual - forecast) as a (series, origin, step) array, NaN
    where a series was not tested."""
    n_series, n = y.shape
    first_origin = np.maximum(n - weeks, starts + MIN_TRAIN_WEEKS)
    low = int(first_origin.min()) if n_series else n
    errors = {m: np.zeros(n_series) for m in FORECAST_METHODS}
    pct_errors = {m: np.zeros(n_series) for m in FORECAST_METHODS}
    signed = {m: np.full((n_series, max(n - low, 0), horizon), np.nan) for m in FORECAST_METHODS}
    origins, points, positives, naive, volume = (np.zeros(n_series) for _ in range(5))
    for origin in range(low, n):
        steps = min(horizon, n - origin)
        actual = y[:, origin:origin + steps]
        tested = np.broadcast_to((origin >= first_origin)[:, None], actual.shape)
        counted = tested & (actual > 0)
        origins += tested[:, 0]
        points += tested.sum(axis=1)
        positives += counted.sum(axis=1)
        volume += np.where(tested, actual, 0).sum(axis=1)
        naive += np.where(tested, np.abs(y[:, origin - 1:origin] - actual), 0).sum(axis=1)
        for method, values in _forecasts(y, origin, steps, fits).items():
            error = np.abs(values - actual)
            errors[method] += np.where(tested, error, 0).sum(axis=1)
            pct_errors[method] += np.where(counted, error / np.where(counted, actual, 1),
                                           0).sum(axis=1)
            signed[method][:, origin - low, :steps] = np.where(tested, actual - values, np.nan)
    out: list[dict[str, Backtest]] = []
    for c in range(n_series):
        tests: dict[str, Backtest] = {}
        for method in FORECAST_METHODS:
            # Every origin must have had the history the method needs, or its error would be
            # measured on fewer (later) points than the others' and not be comparable.
            if points[c] and first_origin[c] - starts[c] >= _needs(method):
                tests[method] = Backtest(
                    origins=int(origins[c]), points=int(points[c]),
                    mae=float(errors[method][c] / points[c]),
                    mape=(float(100.0 * pct_errors[method][c] / positives[c])
                          if positives[c] else None),
                    naive_mae=float(naive[c] / points[c]),
                    wape=(float(100.0 * errors[method][c] / volume[c]) if volume[c] else None))
        out.append(tests)
    return out, signed


def _bands(values: np.ndarray, errors: np.ndarray) -> dict[int, tuple[list[float], list[float]]]:
    """Prediction intervals of ``values`` from back-test ``errors`` (origin x step, signed,
    NaN where untested): quantiles of the errors scaled by 1/sqrt(step), widened by
    sqrt(step) again for each value ahead."""
    steps = np.sqrt(np.arange(1, errors.shape[1] + 1))
    scaled = (errors / steps)[np.isfinite(errors)]
    if not scaled.size:
        return {}
    ahead = np.sqrt(np.arange(1, len(values) + 1))
    bands = {}
    for level in INTERVAL_LEVELS:
        tail = (100 - level) / 200
        low, high = np.quantile(scaled, [tail, 1 - tail])
        bands[level] = (np.maximum(values + low * ahead, 0.0).tolist(),
                        np.maximum(values + high * ahead, 0.0).tolist())
    return bands


def _refusal(backtest: Backtest, history: int) -> str:
    """Why a forecast with this back-test must not be drawn ("" when it may be)."""
    if backtest.mae is None or backtest.naive_mae is None:
        return (f"too little history to measure how wrong it would be ({history} complete "
                f"weeks; the back-test needs more than {MIN_TRAIN_WEEKS})")
    # A hair of tolerance: smoothing that equals the naive forecast differs by rounding only.
    if backtest.mae > backtest.naive_mae * (1 + 1e-9) + 1e-12:
        return (f"its back-test error ({backtest.mae:.2f} pieces a week) is worse than "
                f"repeating the last week ({backtest.naive_mae:.2f})")
    if backtest.wape is None and backtest.mae > 0:
        return "no piece in the back-tested weeks, so its error cannot be set against volume"
    if backtest.wape is not None and backtest.wape > MAX_FORECAST_ERROR_PCT:
        return (f"its back-test error is {backtest.wape:.0f}% of the actual volume, above the "
                f"{MAX_FORECAST_ERROR_PCT:.0f}% limit: weekly counts this irregular are not "
                "forecast")
    return ""


def _choose(method: str, candidates: dict[str, Backtest], history: int) -> tuple[str, str]:
    """(the method to use, a note when it is a fallback) for one series."""
    if method == "auto":
        if candidates:
            return min(candidates, key=lambda m: candidates[m].mae), ""
        return "naive", (f"too little history to back-test ({history} weeks; needs more than "
                         f"{MIN_TRAIN_WEEKS}): naive forecast")
    if history < _needs(method):
        return "naive", f"{method} needs more history ({history} weeks): naive forecast"
    return method, ""


def forecast_matrix(y: np.ndarray, starts: np.ndarray | Sequence[int], names: Sequence[str],
                    horizon: int = 8, backtest_weeks: int = 8, method: str = "auto"
                    ) -> list[Forecast]:
    """Forecast the ``horizon`` weeks after each row of ``y`` (series x weeks, all ending on the
    same week); row ``i`` starts at week ``starts[i]`` (earlier weeks are ignored)."""
    if method != "auto" and method not in FORECAST_METHODS:
        raise AnalyticsError(f"Unknown forecast method {method!r}: use auto or "
                             f"{', '.join(FORECAST_METHODS)}.")
    if not 1 <= horizon <= MAX_HORIZON:
        raise AnalyticsError(f"Forecast 1 to {MAX_HORIZON} weeks ahead (got {horizon}).")
    y = np.asarray(y, dtype=float)
    starts = np.asarray(starts, dtype=int)
    n = y.shape[1]
    origins = set(range(max(n - backtest_weeks, 1), n + 1))
    fits = _smooth(y, starts, ("ses", "holt"), origins)
    backtests, signed = _backtests(y, starts, horizon, backtest_weeks, fits)
    final = _forecasts(y, n, horizon, fits)
    out = []
    for c, name in enumerate(names):
        history = n - starts[c]
        candidates = backtests[c]
        chosen, note = _choose(method, candidates, history)
        params: dict[str, float] = {}
        if chosen in fits:
            index = int(fits[chosen][n].index[c])
            alpha, beta, phi = (float(g[index]) for g in _grid(chosen))
            params = {"alpha": alpha} | ({"beta": beta, "phi": phi} if chosen == "holt" else {})
        backtest = candidates.get(chosen, _NO_BACKTEST)
        values = final[chosen][c]
        out.append(Forecast(company=name, method=chosen, params=params,
                            values=[float(v) for v in values], backtest=backtest,
                            candidates=candidates, note=note,
                            bands=_bands(values, signed[chosen][c]) if backtest.points else {},
                            refusal=_refusal(backtest, history)))
    return out


def forecast_series(y: np.ndarray | Sequence[float], horizon: int = 8, backtest_weeks: int = 8,
                    method: str = "auto") -> Forecast:
    """Forecast the ``horizon`` weeks after one weekly series (see the module docstring)."""
    values = np.asarray(y, dtype=float)[None, :]
    return forecast_matrix(values, [0], [""], horizon, backtest_weeks, method)[0]


def forecast_volume(source: Source, companies: Sequence[str] = (), horizon: int = 8,
                    backtest_weeks: int = 8, method: str = "auto",
                    filters: CampaignFilter | None = None) -> ForecastReport:
    """Forecast the next ``horizon`` weeks of each company's weekly volume.

    ``companies`` (default: every company the filters keep) narrows ``filters``. A company's
    history starts at its first piece; a company with no piece in the range is left out.
    """
    filters = filters or CampaignFilter()
    if companies:
        filters = replace(filters, companies=tuple(companies))
    queries = queries_for(source)
    first, last, _seen = queries.span(filters)
    end = filters.date_to or last
    empty = ForecastReport([], pd.DataFrame(columns=["company", "period", "count"]),
                           pd.DataFrame(columns=["company", "period", "period_end", "value",
                                                 *_BOUNDS]),
                           None, horizon, backtest_weeks)
    if end is None or first is None:
        return empty
    through = end if end.weekday() == 6 else bucket_start(end, "week") - timedelta(days=1)
    if through < (filters.date_from or first):
        return replace(empty, through=through)
    # Each company's weekly counts as a matrix straight from the store's counts, without
    # building the long series frame and pivoting it back.
    weekly = replace(filters, date_to=through)
    raw = queries.counts(["company"], "week", weekly)
    weeks = range_periods(raw, weekly, "week")
    names, y = company_matrix(raw, weeks)
    active = y.sum(axis=1) > 0
    y, names = y[active], [n for n, a in zip(names, active) if a]
    starts = np.argmax(y > 0, axis=1)
    forecasts = forecast_matrix(y, starts, names, horizon, backtest_weeks, method)
    keep = np.arange(y.shape[1])[None, :] >= starts[:, None]
    history = pd.DataFrame({"company": np.repeat(np.asarray(names, dtype=object),
                                                  y.shape[1])[keep.ravel()],
                            "period": np.tile(np.asarray(weeks, dtype=object),
                                              len(names))[keep.ravel()],
                            "count": y.ravel()[keep.ravel()].astype(int)})
    ahead = [bucket_start(through, "week") + timedelta(weeks=k) for k in range(1, horizon + 1)]
    forecast = pd.DataFrame({
        "company": np.repeat([f.company for f in forecasts], horizon),
        "period": ahead * len(forecasts),
        "period_end": [d + timedelta(days=6) for d in ahead] * len(forecasts),
        "value": [v for f in forecasts for v in f.values]})
    nothing = [np.nan] * horizon
    for level in INTERVAL_LEVELS:
        for side, bound in (("lower", 0), ("upper", 1)):
            forecast[f"{side}_{level}"] = np.asarray(
                [v for f in forecasts for v in (f.bands[level][bound] if f.bands else nothing)],
                dtype=float)
    return ForecastReport(forecasts, history, forecast, through, horizon, backtest_weeks)
