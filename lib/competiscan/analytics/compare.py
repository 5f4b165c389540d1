"""Side-by-side comparison of 2-5 companies, and their positioning on two measures.

Every frame of a :class:`Comparison` uses the same periods and the same companies, zeros
included, so charts of different measures line up. Share of voice is against the whole market
the filters keep (not only the compared companies). Offer generosity is relative to the
compared companies; its formula is :data:`GENEROSITY_FORMULA`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..model import CampaignFilter
from ..store.analytics_sql import AnalyticsError
from .common import Source, labels, queries_for, together
from .offers import OFFER_TERMS, best_offers
from .series import dense, range_periods, series_from_counts

__all__ = ["Comparison", "Positioning", "compare", "positioning", "generosity_scores",
           "GENEROSITY_TERMS", "GENEROSITY_FORMULA", "POSITIONING_MEASURES",
           "MIN_COMPARED", "MAX_COMPARED"]

MIN_COMPARED, MAX_COMPARED = 2, 5

# The terms that make an offer generous on their own. Qualifiers of another term (the spend or
# the months needed to earn a bonus, the top of an APR range) are left out: a low required
# spend means nothing without the bonus it unlocks.
GENEROSITY_TERMS: dict[str, str] = {t: OFFER_TERMS[t] for t in (
    "intro_apr_months", "intro_apr_pct", "regular_apr_min_pct", "bonus_amount",
    "cash_back_pct", "annual_fee_usd", "balance_transfer_fee_pct", "apy_pct")}

GENEROSITY_FORMULA = (
    "generosity(c) = mean over scored terms t of s(c, t), where b(c, t) is company c's best "
    "value of term t in the range and min_t, max_t are the lowest and highest b over the "
    "compared companies: s = (b - min_t) / (max_t - min_t) for terms where higher is better "
    "(intro_apr_months, bonus_amount within one unit, cash_back_pct, apy_pct) and "
    "s = (max_t - b) / (max_t - min_t) for terms where lower is better (intro_apr_pct, "
    "regular_apr_min_pct, annual_fee_usd, balance_transfer_fee_pct). A term is scored only "
    "when at least two compared companies state it and their values differ; a company is "
    "scored only on the terms it states; with no scored term its generosity is blank. "
    "0 = the least generous of the group on every term it states, 1 = the most generous."
)

POSITIONING_MEASURES: dict[str, str] = {
    "volume": "campaigns in the range (sum of the estimate when weighted)",
    "share_of_voice": "the company's campaigns over all campaigns the filters keep, all "
                      "companies counted (weighted by the estimate when asked)",
    "generosity": GENEROSITY_FORMULA,
    "sentiment": "mean sentiment score of the company's campaigns, from -1 to 1",
}


@dataclass(frozen=True)
class Positioning:
    """Companies placed on two measures. ``frame``: company and every measure of
    :data:`POSITIONING_MEASURES` (plus ``missing`` when weighted); ``x``/``y`` name the two
    chosen ones."""

    x: str
    y: str
    frame: pd.DataFrame
    weight: str | None = None


@dataclass(frozen=True)
class Comparison:
    """Compared companies on the same measures and axes.

    volume: period, period_end, company, count[, weighted, missing], share, change,
    change_pct (share among the compared companies). share_of_voice: period, period_end,
    company, count[, weighted, missing], share (of the whole market). channel_mix / type_mix:
    company, channel / campaign_type, count, share (of the company's campaigns). sentiment:
    period, company, n, mean_score (NaN when no scored piece). best_offers: company, label,
    term, unit, better, best, typical, n, best_n, best_ids. generosity: company, label, best,
    score (the per-term s of :data:`GENEROSITY_FORMULA`).
    """

    companies: tuple[str, ...]
    interval: str
    weight: str | None
    volume: pd.DataFrame
    share_of_voice: pd.DataFrame
    channel_mix: pd.DataFrame
    type_mix: pd.DataFrame
    sentiment: pd.DataFrame
    best_offers: pd.DataFrame
    generosity: pd.DataFrame
    positioning: Positioning


def _companies(companies: Iterable[str], at_least: int, at_most: int | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(c for c in companies if c))
    if len(chosen) < at_least or (at_most is not None and len(chosen) > at_most):
        span = f"{at_least} to {at_most}" if at_most else f"at least {at_least}"
        raise AnalyticsError(f"Compare {span} different companies (got {len(chosen)}).")
    return chosen


def generosity_scores(best: pd.DataFrame, companies: Sequence[str]) -> tuple[pd.DataFrame,
                                                                               pd.Series]:
    """Per-term scores and the generosity of each company (see :data:`GENEROSITY_FORMULA`).

    ``best`` has company, label, term, better, best (as :func:`~.offers.best_offers`).
    Returns (company, label, best, score) rows of the scored terms, and generosity per company
    (NaN for a company with no scored term).
    """
    rows = best[best["term"].isin(list(GENEROSITY_TERMS)) & best["company"].isin(companies)]
    # A few dozen rows: plain Python costs a tenth of pandas' grouped transforms here.
    items = list(zip(rows["company"].tolist(), rows["label"].tolist(),
                     rows["best"].astype(float).tolist(), rows["better"].tolist()))
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    stating: dict[str, set[str]] = {}
    for company, label, value, _better in items:
        low[label] = min(low.get(label, value), value)
        high[label] = max(high.get(label, value), value)
        stating.setdefault(label, set()).add(company)
    scored = []
    for company, label, value, better in sorted(items, key=lambda item: item[:2]):
        if len(stating[label]) >= 2 and high[label] > low[label]:
            spread = (value - low[label]) / (high[label] - low[label])
            scored.append((company, label, value, spread if better == "higher" else 1.0 - spread))
    scores = pd.DataFrame({"company": pd.array([r[0] for r in scored], dtype="str"),
                           "label": pd.array([r[1] for r in scored], dtype="str"),
                           "best": np.asarray([r[2] for r in scored], dtype=float),
                           "score": np.asarray([r[3] for r in scored], dtype=float)})
    by_company: dict[str, list[float]] = {}
    for company, _label, _value, score in scored:
        by_company.setdefault(company, []).append(score)
    generosity = pd.Series({c: float(np.mean(v)) for c, v in by_company.items()},
                           dtype=float).reindex(list(companies))
    return scores, generosity


def _positioning_frame(companies: tuple[str, ...], volumes: pd.DataFrame,
                       generosity: pd.Series, weight: str | None,
                       all_volume: float | None = None) -> pd.DataFrame:
    """Every positioning measure per company from counts per company (company, n[, weighted,
    missing], scored, mean_score) and their generosity (as :func:`generosity_scores` gives
    it). ``all_volume`` is the market's volume, by default the sum of ``volumes`` (which then
    holds every company)."""
    measure = "weighted" if weight else "n"
    values = volumes[measure].astype(float).fillna(0.0).to_numpy()
    if all_volume is None:
        all_volume = float(values.sum())
    # A handful of companies: dictionaries, not an indexed reindex (a few ms each).
    names = labels(volumes["company"]).tolist()
    value_of = dict(zip(names, values.tolist()))
    score_of = dict(zip(names, volumes["mean_score"].astype(float).tolist()))
    chosen = list(companies)
    frame = pd.DataFrame({"company": chosen})
    frame["volume"] = np.asarray([value_of.get(c, 0.0) for c in chosen], dtype=float)
    frame["share_of_voice"] = frame["volume"] / all_volume if all_volume else 0.0
    frame["generosity"] = generosity.reindex(chosen).to_numpy(dtype=float)
    frame["sentiment"] = np.asarray([score_of.get(c, np.nan) for c in chosen], dtype=float)
    if weight:
        missing_of = dict(zip(names, volumes["missing"].fillna(0).astype(int).tolist()))
        frame["missing"] = np.asarray([missing_of.get(c, 0) for c in chosen], dtype=int)
    return frame


def _check_axes(x: str, y: str) -> None:
    for axis in (x, y):
        if axis not in POSITIONING_MEASURES:
            raise AnalyticsError(f"Unknown measure {axis!r}: use one of "
                                 f"{', '.join(POSITIONING_MEASURES)}.")
    if x == y:
        raise AnalyticsError("Choose two different measures to position companies on.")


def positioning(source: Source, companies: Iterable[str], x: str = "share_of_voice",
                y: str = "generosity", filters: CampaignFilter | None = None, *,
                weight: str | None = None) -> Positioning:
    """Place two or more companies on two measures of :data:`POSITIONING_MEASURES`."""
    _check_axes(x, y)
    chosen = _companies(companies, MIN_COMPARED, None)
    base = filters or CampaignFilter()
    own = replace(base, companies=chosen)
    queries = queries_for(source)
    volumes, best = together(
        queries,
        lambda: queries.counts(["company"], None, replace(base, companies=()), weight,
                               sentiment=True),
        lambda: best_offers(queries, own, terms=tuple(GENEROSITY_TERMS), ids=0))
    return Positioning(x=x, y=y, weight=weight,
                       frame=_positioning_frame(chosen, volumes,
                                                generosity_scores(best, chosen)[1], weight))


def _mix(counts: pd.DataFrame, column: str, companies: tuple[str, ...]) -> pd.DataFrame:
    """Each company's campaigns per value of ``column`` and their share of its campaigns,
    from counts per (company, ..., column); every value seen among them for every company."""
    # A few dozen rows: plain Python sums cost a tenth of a pandas groupby and reindex.
    sums: dict[tuple[str, str], int] = {}
    for company, value, n in zip(counts["company"].tolist(),
                                 labels(counts[column]).tolist(), counts["n"].tolist()):
        sums[(company, value)] = sums.get((company, value), 0) + int(n)
    values = sorted({value for _company, value in sums})
    rows = [(company, value, sums.get((company, value), 0))
            for company in companies for value in values]
    totals = {company: sum(n for c, _v, n in rows if c == company) for company in companies}
    return pd.DataFrame({
        "company": pd.array([c for c, _v, _n in rows], dtype="str"),
        column: pd.array([v for _c, v, _n in rows], dtype="str"),
        "count": np.asarray([n for _c, _v, n in rows], dtype=np.int64),
        "share": np.asarray([n / totals[c] if totals[c] > 0 else 0.0 for c, _v, n in rows],
                            dtype=float)})


def compare(source: Source, companies: Iterable[str], interval: str = "week",
            filters: CampaignFilter | None = None, *, weight: str | None = None,
            x: str = "share_of_voice", y: str = "generosity") -> Comparison:
    """Compare 2-5 companies on volume, share of voice, channel and type mix, sentiment and
    best offers over the same periods, and position them on measures ``x`` and ``y``.

    ``filters`` narrows channels, campaign types, industries and dates; its companies are
    replaced by ``companies``.
    """
    _check_axes(x, y)
    chosen = _companies(companies, MIN_COMPARED, MAX_COMPARED)
    queries = queries_for(source)
    market = replace(filters or CampaignFilter(), companies=())
    own = replace(market, companies=chosen)
    # The market's count per period is the share of voice's denominator, and its range is
    # every frame's axis, so a company that started late or went quiet shows zeros on the
    # same periods as the others. The compared companies are counted on their own, rather
    # than grouping the whole market by company and period.
    market_raw, own_raw, mixes, best = together(
        queries,
        lambda: queries.counts([], interval, market, weight),
        lambda: queries.counts(["company"], interval, own, weight, sentiment=True),
        lambda: queries.counts(["company", "channel", "campaign_type"], None, own),
        lambda: best_offers(queries, own))
    periods = range_periods(market_raw, market, interval)
    volume = series_from_counts(own_raw, "company", None, interval, own, weight=weight,
                                periods=periods).frame \
        .drop(columns="scope").rename(columns={"key": "company"})
    market_total = market_raw.groupby("period")["weighted" if weight else "n"].sum() \
        .astype(float)
    scores, generosity = generosity_scores(best, chosen)
    return Comparison(
        companies=chosen, interval=interval, weight=weight, volume=volume,
        share_of_voice=_share_of_voice(volume, market_total, weight),
        channel_mix=_mix(mixes, "channel", chosen),
        type_mix=_mix(mixes, "campaign_type", chosen),
        sentiment=_sentiment_by_period(own_raw, chosen, periods),
        best_offers=best, generosity=scores,
        positioning=Positioning(x=x, y=y, weight=weight, frame=_positioning_frame(
            chosen, _company_totals(own_raw), generosity, weight,
            float(market_total.sum()))))


def _share_of_voice(volume: pd.DataFrame, market_total: pd.Series, weight: str | None
                    ) -> pd.DataFrame:
    """Each company's volume per period, and its share of the market's (``market_total`` per
    period)."""
    value_cols = ["count", "weighted", "missing"] if weight else ["count"]
    sov = volume[["period", "period_end", "company", *value_cols]].copy()
    total = sov["period"].map(market_total).fillna(0.0).to_numpy()
    sov["share"] = np.where(total > 0, sov["weighted" if weight else "count"]
                            / np.where(total > 0, total, 1), 0.0)
    return sov


def _sentiment_by_period(own_raw: pd.DataFrame, chosen: list[str], periods: Sequence[date]
                         ) -> pd.DataFrame:
    """Scored campaigns and mean score per company and period, every period of the axis."""
    cells = dense([labels(own_raw["company"]).tolist()], own_raw["period"].tolist(),
                  {"n": own_raw["scored"], "mean_score": own_raw["mean_score"].astype(float),
                   "present": np.ones(len(own_raw))}, [(c,) for c in chosen], periods)
    return pd.DataFrame({
        "period": np.tile(np.asarray(periods, dtype=object), len(chosen)),
        "company": np.repeat(np.asarray(chosen, dtype=object), len(periods)),
        "n": cells["n"].ravel().astype(int),
        "mean_score": np.where(cells["present"].ravel() > 0, cells["mean_score"].ravel(),
                               np.nan)})


def _company_totals(own_raw: pd.DataFrame) -> pd.DataFrame:
    """The whole range per company: sums of the periods, the mean score weighted by scored
    campaigns."""
    totals = own_raw.assign(score_sum=own_raw["scored"]
                            * own_raw["mean_score"].astype(float).fillna(0.0)) \
        .drop(columns=["period", "mean_score"]).groupby("company", as_index=False).sum()
    totals["mean_score"] = np.where(totals["scored"] > 0, totals["score_sum"]
                                    / totals["scored"].where(totals["scored"] > 0, 1), np.nan)
    return totals
