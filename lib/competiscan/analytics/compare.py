"""Side-by-side comparison of 2-5 companies, and their positioning on two measures.

Every frame of a :class:`Comparison` uses the same periods and the same companies, zeros
included, so charts of different measures line up. Share of voice is against the whole market
the filters keep (not only the compared companies). Offer generosity is relative to the
compared companies; its formula is :data:`GENEROSITY_FORMULA`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..store.analytics_sql import AnalyticsError, AnalyticsFilter
from .common import Source, labels, queries_for
from .offers import OFFER_TERMS, best_offers
from .periods import bucket_end
from .series import complete_grid, share_of_voice, volume_series

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
    parts = []
    for _label, group in rows.groupby("label", sort=True):
        low, high = group["best"].min(), group["best"].max()
        if group["company"].nunique() < 2 or high == low:
            continue
        spread = (group["best"] - low) / (high - low)
        score = np.where(group["better"] == "higher", spread, 1.0 - spread)
        parts.append(group[["company", "label", "best"]].assign(score=score))
    scores = (pd.concat(parts, ignore_index=True) if parts
              else pd.DataFrame(columns=["company", "label", "best", "score"]))
    scores["score"] = scores["score"].astype(float)
    generosity = scores.groupby("company")["score"].mean().reindex(list(companies))
    return scores.sort_values(["company", "label"]).reset_index(drop=True), generosity


def _positioning_frame(source: Source, companies: tuple[str, ...], filters: AnalyticsFilter,
                       weight: str | None, best: pd.DataFrame) -> pd.DataFrame:
    queries = queries_for(source)
    market = replace(filters, companies=())
    totals = queries.counts(["company"], None, market, weight)
    measure = "weighted" if weight else "n"
    totals[measure] = totals[measure].astype(float).fillna(0.0)
    all_volume = totals[measure].sum()
    per_company = totals.set_index("company").reindex(list(companies)).fillna(0)
    frame = pd.DataFrame({"company": list(companies)})
    frame["volume"] = per_company[measure].to_numpy(dtype=float)
    frame["share_of_voice"] = frame["volume"] / all_volume if all_volume else 0.0
    frame["generosity"] = generosity_scores(best, companies)[1].to_numpy()
    sentiment = queries.sentiment(["company"], None, replace(filters, companies=companies))
    frame["sentiment"] = (sentiment.set_index("company")["mean_score"].astype(float)
                          .reindex(list(companies)).to_numpy())
    if weight:
        frame["missing"] = per_company["missing"].to_numpy(dtype=int)
    return frame


def _check_axes(x: str, y: str) -> None:
    for axis in (x, y):
        if axis not in POSITIONING_MEASURES:
            raise AnalyticsError(f"Unknown measure {axis!r}: use one of "
                                 f"{', '.join(POSITIONING_MEASURES)}.")
    if x == y:
        raise AnalyticsError("Choose two different measures to position companies on.")


def positioning(source: Source, companies: Iterable[str], x: str = "share_of_voice",
                y: str = "generosity", filters: AnalyticsFilter | None = None, *,
                weight: str | None = None) -> Positioning:
    """Place two or more companies on two measures of :data:`POSITIONING_MEASURES`."""
    _check_axes(x, y)
    chosen = _companies(companies, MIN_COMPARED, None)
    filters = replace(filters or AnalyticsFilter(), companies=chosen)
    best = best_offers(source, filters, terms=tuple(GENEROSITY_TERMS), ids=0)
    return Positioning(x=x, y=y, frame=_positioning_frame(source, chosen, filters, weight, best),
                       weight=weight)


def _mix(source: Source, column: str, companies: tuple[str, ...],
         filters: AnalyticsFilter) -> pd.DataFrame:
    raw = queries_for(source).counts(["company", column], None, filters)
    raw[column] = labels(raw[column])
    values = sorted(set(raw[column]))
    index = pd.MultiIndex.from_product([list(companies), values], names=["company", column])
    mix = (raw.set_index(["company", column])["n"].reindex(index, fill_value=0)
           .rename("count").reset_index())
    mix["count"] = mix["count"].astype(int)
    totals = mix.groupby("company")["count"].transform("sum")
    mix["share"] = np.where(totals > 0, mix["count"] / totals.where(totals > 0, 1), 0.0)
    return mix


def compare(source: Source, companies: Iterable[str], interval: str = "week",
            filters: AnalyticsFilter | None = None, *, weight: str | None = None,
            x: str = "share_of_voice", y: str = "generosity") -> Comparison:
    """Compare 2-5 companies on volume, share of voice, channel and type mix, sentiment and
    best offers over the same periods, and position them on measures ``x`` and ``y``.

    ``filters`` narrows channels, campaign types, industries and dates; its companies are
    replaced by ``companies``.
    """
    _check_axes(x, y)
    chosen = _companies(companies, MIN_COMPARED, MAX_COMPARED)
    base = replace(filters or AnalyticsFilter(), companies=())
    # One date range for every frame: the market's, so a company that started late or went
    # quiet shows zeros on the same axis as the others.
    first, last, _seen = queries_for(source).span(base)
    base = replace(base, date_from=base.date_from or first, date_to=base.date_to or last)
    own = replace(base, companies=chosen)
    volume = volume_series(source, "company", interval, own, weight=weight).frame \
        .rename(columns={"key": "company"})
    periods = sorted(volume["period"].unique())

    sov = share_of_voice(source, None, interval, base, weight=weight).frame \
        .rename(columns={"key": "company"})
    value_cols = ["count", "weighted", "missing", "share"] if weight else ["count", "share"]
    sov = complete_grid(sov[sov["company"].isin(chosen)], ["company"], periods,
                        [(c,) for c in chosen], value_cols)
    sov["count"] = sov["count"].astype(int)
    sov.insert(1, "period_end", [bucket_end(p, interval) for p in sov["period"]])

    raw_sentiment = queries_for(source).sentiment(["company"], interval, own)
    sentiment = (raw_sentiment.set_index(["company", "period"])
                 .reindex(pd.MultiIndex.from_product([list(chosen), periods],
                                                     names=["company", "period"]))
                 .reset_index())
    sentiment["n"] = sentiment["n"].fillna(0).astype(int)
    sentiment["mean_score"] = sentiment["mean_score"].astype(float)

    best = best_offers(source, own)
    scores, _ = generosity_scores(best, chosen)
    return Comparison(
        companies=chosen, interval=interval, weight=weight, volume=volume,
        share_of_voice=sov[["period", "period_end", "company", *value_cols]],
        channel_mix=_mix(source, "channel", chosen, own),
        type_mix=_mix(source, "campaign_type", chosen, own),
        sentiment=sentiment[["period", "company", "n", "mean_score"]],
        best_offers=best, generosity=scores,
        positioning=Positioning(x=x, y=y, frame=_positioning_frame(source, chosen, own, weight,
                                                                   best), weight=weight))
