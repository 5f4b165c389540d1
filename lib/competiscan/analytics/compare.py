"""Side-by-side comparison of 2-5 companies, and their positioning on two measures.

Every frame of a :class:`Comparison` uses the same periods and the same companies, zeros
included, so charts of different measures line up. Every score is on the market's scale, never
stretched over the 2-5 compared companies: share of voice is against the whole market the
filters keep, volume and sentiment are in their own units with the market's companies beside
them, and offer generosity is a market percentile (:data:`GENEROSITY_FORMULA`). The market is
the peer set or industries the caller measures against (:class:`~.market.Market`; by default
every company the filters keep), within the filters' channels, dates..., not only the compared
companies; the result says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..model import CampaignFilter
from ..store.analytics_sql import AnalyticsError
from .common import UNKNOWN, Source, labels, queries_for, together
from .market import Market
from .offers import OFFER_TERMS, best_offers
from .series import dense, range_periods, series_from_counts

__all__ = ["Comparison", "Positioning", "compare", "positioning", "generosity_scores",
           "market_percentiles", "GENEROSITY_TERMS", "GENEROSITY_FORMULA",
           "POSITIONING_MEASURES", "MIN_COMPARED", "MAX_COMPARED"]

MIN_COMPARED, MAX_COMPARED = 2, 5

# The terms that make an offer generous on their own. Qualifiers of another term (the spend or
# the months needed to earn a bonus, the top of an APR range) are left out: a low required
# spend means nothing without the bonus it unlocks.
GENEROSITY_TERMS: dict[str, str] = {t: OFFER_TERMS[t] for t in (
    "intro_apr_months", "intro_apr_pct", "regular_apr_min_pct", "bonus_amount",
    "cash_back_pct", "annual_fee_usd", "balance_transfer_fee_pct", "apy_pct")}

GENEROSITY_FORMULA = (
    "generosity(c) = mean of pct(p, t) over company c's products p and the offer terms t they "
    "state, with pct(p, t) = 100 · (B + T/2) / (N − 1): the N products of the market (its "
    "peer set or industry within the filters, not only the compared companies) that state "
    "term t in the range are each taken at their best value; B of the other N − 1 have a worse "
    "value and T the same value. Worse is lower for intro APR months, bonus amount (within one "
    "unit), cash back % and APY %, and higher for intro APR %, regular APR min %, annual fee "
    "and balance-transfer fee %. Pieces naming no product count as one product of their "
    "company. A term only one product states is not scored; with no scored term a company's "
    "generosity is blank. 0 = beaten by every other product on every term, 100 = better than "
    "all of them."
)

POSITIONING_MEASURES: dict[str, str] = {
    "volume": "campaigns in the range (sum of the estimate when weighted), placed among every "
              "company of the market",
    "share_of_voice": "the company's campaigns over all campaigns of the market it is "
                      "measured against (a peer set or an industry) that the filters keep "
                      "(weighted by the estimate when asked)",
    "generosity": GENEROSITY_FORMULA,
    "sentiment": "mean sentiment score of the company's campaigns, from -1 to 1, placed among "
                 "every company of the market with a scored campaign",
}

_NAMES = {"volume": "Volume", "share_of_voice": "Share of voice", "generosity": "Generosity",
          "sentiment": "Sentiment"}
_WEIGHT_UNITS = {"est_spend_usd": "USD of estimated spend",
                 "est_volume": "estimated pieces or impressions"}


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _no_market() -> pd.DataFrame:
    return pd.DataFrame(columns=["company", *POSITIONING_MEASURES])


@dataclass(frozen=True)
class Positioning:
    """Companies placed on two measures. ``frame``: company, every measure of
    :data:`POSITIONING_MEASURES`, generosity_products and generosity_terms (what the
    generosity rests on) and, when weighted, ``missing``; ``x``/``y`` name the two chosen ones.
    ``market``: the same measures for every company of the market, the scale they are read
    on."""

    x: str
    y: str
    frame: pd.DataFrame
    weight: str | None = None
    market: pd.DataFrame = field(default_factory=_no_market)

    def market_median(self, measure: str) -> float | None:
        """The measure's median over the market's companies that have it."""
        values = self.market[measure].dropna() if measure in self.market else pd.Series()
        return float(values.median()) if len(values) else None

    def explain(self, measure: str, company: str) -> str:
        """One sentence saying what ``company``'s value of ``measure`` means."""
        row = self.frame.set_index("company").loc[company]
        value = float(row[measure])
        if np.isnan(value):
            return {"generosity": f"Generosity blank: none of {_possessive(company)} offer "
                                  "terms is also stated by another product of the market in "
                                  "this range.",
                    "sentiment": f"Sentiment blank: none of {_possessive(company)} campaigns "
                                 "in this range has a sentiment score."}.get(
                measure, f"{_NAMES[measure]} blank for {company}.")
        if measure == "generosity":
            products, terms = int(row["generosity_products"]), int(row["generosity_terms"])
            return (f"Generosity {value:.0f}: on average {_possessive(company)} products' offer "
                    f"terms beat {value:.0f}% of the market's products offering the same term "
                    f"in this range (from {products} product{'s' * (products != 1)} and "
                    f"{terms} term{'s' * (terms != 1)}).")
        shown, what = self._reading(measure, value, company)
        others = self.market.loc[self.market["company"] != company, measure].dropna() \
            .to_numpy(dtype=float)
        if not len(others):
            return f"{shown}: {what}; no other company of the market to compare with."
        beaten = 100.0 * (np.sum(others < value) + 0.5 * np.sum(others == value)) / len(others)
        median = self.market_median(measure)
        return (f"{shown}: {what}, ahead of {beaten:.0f}% of the market's other {len(others)} "
                f"companies (market median {self._format(measure, median)}).")

    def _format(self, measure: str, value: float | None) -> str:
        if value is None:
            return "—"
        return {"volume": f"{value:,.0f}", "share_of_voice": f"{value:.1%}",
                "sentiment": f"{value:+.2f}"}.get(measure, f"{value:.0f}")

    def _reading(self, measure: str, value: float, company: str) -> tuple[str, str]:
        """(the value as shown, what it is) for a measure read in its own units."""
        shown = f"{_NAMES[measure]} {self._format(measure, value)}"
        what = {
            "volume": (f"{company} ran {value:,.0f} campaign{'s' * (value != 1)} in this range"
                       if not self.weight
                       else f"{company} had {value:,.0f} {_WEIGHT_UNITS[self.weight]} in "
                            "this range"),
            "share_of_voice": f"{company} had {value:.1%} of all the market's "
                              f"{'campaigns' if not self.weight else _WEIGHT_UNITS[self.weight]}"
                              " in this range",
            "sentiment": f"the mean tone of {_possessive(company)} scored campaigns, from −1 "
                         "(negative) to 1 (positive)"}[measure]
        return shown, what


@dataclass(frozen=True)
class Comparison:
    """Compared companies on the same measures and axes.

    volume: period, period_end, company, count[, weighted, missing], share, change,
    change_pct (share among the compared companies). share_of_voice: period, period_end,
    company, count[, weighted, missing], share (of the whole market), market (the market's
    count, or weighted sum, in the period). channel_mix / type_mix:
    company, channel / campaign_type, count, share (of the company's campaigns). sentiment:
    period, company, n, mean_score (NaN when no scored piece). best_offers: company, label,
    term, unit, better, best, typical, n, best_n, best_ids. generosity: company, product,
    label, term, unit, best, percentile (pct of :data:`GENEROSITY_FORMULA`, NaN when no
    other product of the market states the term), market_products (the market's products
    stating it). market: what the shares of voice are measured against (a peer set, or
    industries: :meth:`.market.Market.describe`).
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
    market: str = ""


def _companies(companies: Iterable[str], at_least: int, at_most: int | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(c for c in companies if c))
    if len(chosen) < at_least or (at_most is not None and len(chosen) > at_most):
        span = f"{at_least} to {at_most}" if at_most else f"at least {at_least}"
        raise AnalyticsError(f"Compare {span} different companies (got {len(chosen)}).")
    return chosen


def market_percentiles(best: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's percentile among the rows of its ``label`` (pct of :data:`GENEROSITY_FORMULA`)
    and how many rows state that label.

    ``best`` has label, better ("higher"/"lower") and best, one row per product. A tie counts
    half, so ``(rank - 1) / (N - 1)`` with the average rank is ``(B + T/2) / (N - 1)``; a label
    only one row states has no percentile (NaN).
    """
    if best.empty:
        return np.zeros(0), np.zeros(0, dtype=int)
    value = best["best"].astype(float).to_numpy()
    # Oriented so that a larger number is always better for the customer.
    good = np.where(best["better"].to_numpy() == "higher", value, -value)
    by_label = pd.Series(good).groupby(best["label"].to_numpy())
    rank = by_label.rank(method="average").to_numpy()
    n = by_label.transform("size").to_numpy()
    pct = np.where(n > 1, 100.0 * (rank - 1) / np.maximum(n - 1, 1), np.nan)
    return pct, n.astype(int)


def generosity_scores(best: pd.DataFrame, companies: Sequence[str] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Market percentiles per (company, product, term) and the generosity of each company
    (see :data:`GENEROSITY_FORMULA`).

    ``best`` is the whole market's best value of each term per company (and product, when it
    has a ``product`` column; without one each company is one product), as
    :func:`~.offers.best_offers` gives it: company, [product,] label, term, better, best.
    Returns the (company, product, label, term, unit, best, percentile, market_products)
    rows of ``companies`` (all when None), and per company (indexed by company, reindexed to
    ``companies`` when given) generosity, products and terms: the scored products and terms
    it rests on.
    """
    rows = best[best["term"].isin(list(GENEROSITY_TERMS))].reset_index(drop=True)
    product = (rows["product"].astype(object).where(rows["product"].notna(), None)
               if "product" in rows.columns else pd.Series([None] * len(rows), dtype=object))
    pct, stating = market_percentiles(rows)
    unit = (rows["unit"].astype(object).where(rows["unit"].notna(), "")
            if "unit" in rows.columns else pd.Series([""] * len(rows), dtype=object))
    cells = pd.DataFrame({"company": rows["company"].astype(object).to_numpy(),
                          "product": product.to_numpy(dtype=object),
                          "label": rows["label"].astype(object).to_numpy(),
                          "term": rows["term"].astype(object).to_numpy(),
                          "unit": unit.to_numpy(dtype=object),
                          "best": rows["best"].astype(float).to_numpy(),
                          "percentile": pct, "market_products": stating})
    if companies is not None:
        cells = cells[cells["company"].isin(list(companies))]
    cells = cells.sort_values(["company", "label"], kind="stable").reset_index(drop=True)
    scored = cells.dropna(subset=["percentile"]).assign(
        product_key=lambda f: f["product"].fillna(""))
    grouped = scored.groupby("company")
    generosity = pd.DataFrame({"generosity": grouped["percentile"].mean(),
                               "products": grouped["product_key"].nunique(),
                               "terms": grouped["label"].nunique()})
    generosity.index = generosity.index.astype(object)
    if companies is not None:
        generosity = generosity.reindex(list(companies))
    generosity[["products", "terms"]] = generosity[["products", "terms"]].fillna(0).astype(int)
    return cells, generosity


def _market_frame(volumes: pd.DataFrame, generosity: pd.DataFrame, weight: str | None
                  ) -> pd.DataFrame:
    """Every positioning measure of every company of the market, from counts per company
    (company, n[, weighted, missing], scored, mean_score) over the whole market and the
    market's generosity (as :func:`generosity_scores` gives it)."""
    values = volumes["weighted" if weight else "n"].astype(float).fillna(0.0).to_numpy()
    total = float(values.sum())
    names = labels(volumes["company"]).tolist()
    frame = pd.DataFrame({"company": pd.Series(names, dtype=object), "volume": values})
    frame["share_of_voice"] = values / total if total else 0.0
    scores = generosity.reindex(names)
    frame["generosity"] = scores["generosity"].to_numpy(dtype=float)
    frame["sentiment"] = volumes["mean_score"].astype(float).to_numpy()
    if weight:
        frame["missing"] = volumes["missing"].fillna(0).astype(int).to_numpy()
    frame["generosity_products"] = scores["products"].fillna(0).astype(int).to_numpy()
    frame["generosity_terms"] = scores["terms"].fillna(0).astype(int).to_numpy()
    return frame


def _chosen_frame(market: pd.DataFrame, companies: Sequence[str]) -> pd.DataFrame:
    """The market frame's rows of ``companies``, in their order; a company without a campaign
    in the range has volume and share 0 and blank scores."""
    frame = market.set_index("company").reindex(list(companies))
    for column in ("volume", "share_of_voice", "missing", "generosity_products",
                   "generosity_terms"):
        if column in frame:
            frame[column] = frame[column].fillna(0)
    for column in ("missing", "generosity_products", "generosity_terms"):
        if column in frame:
            frame[column] = frame[column].astype(int)
    return frame.rename_axis("company").reset_index()


def _positioning_of(chosen: tuple[str, ...], x: str, y: str, volumes: pd.DataFrame,
                    market_best: pd.DataFrame, weight: str | None
                    ) -> tuple[Positioning, pd.DataFrame]:
    """The positioning of ``chosen`` on the market's scale, and their per-term percentiles."""
    cells, generosity = generosity_scores(market_best)
    market = _market_frame(volumes, generosity, weight)
    return (Positioning(x=x, y=y, weight=weight, frame=_chosen_frame(market, chosen),
                        market=market),
            cells[cells["company"].isin(list(chosen))].reset_index(drop=True))


def _check_axes(x: str, y: str) -> None:
    for axis in (x, y):
        if axis not in POSITIONING_MEASURES:
            raise AnalyticsError(f"Unknown measure {axis!r}: use one of "
                                 f"{', '.join(POSITIONING_MEASURES)}.")
    if x == y:
        raise AnalyticsError("Choose two different measures to position companies on.")


def positioning(source: Source, companies: Iterable[str], x: str = "share_of_voice",
                y: str = "generosity", filters: CampaignFilter | None = None, *,
                weight: str | None = None, against: Market | None = None) -> Positioning:
    """Place two or more companies on two measures of :data:`POSITIONING_MEASURES`, each on
    the scale of the market ``against`` (a peer set or industries; default: every company
    the filters keep)."""
    _check_axes(x, y)
    chosen = _companies(companies, MIN_COMPARED, None)
    market = (against or Market.everything()).applied(filters or CampaignFilter())
    queries = queries_for(source)
    volumes, market_best = together(
        queries,
        lambda: queries.counts(["company"], None, market, weight, sentiment=True),
        lambda: best_offers(queries, market, terms=tuple(GENEROSITY_TERMS), ids=0))
    return _positioning_of(chosen, x, y, volumes, market_best, weight)[0]


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
            x: str = "share_of_voice", y: str = "generosity",
            against: Market | None = None) -> Comparison:
    """Compare 2-5 companies on volume, share of voice, channel and type mix, sentiment and
    best offers over the same periods, and position them on measures ``x`` and ``y``.

    ``filters`` narrows channels, campaign types, industries and dates; its companies are
    replaced by ``companies``. The market (share of voice's denominator, the scale of every
    positioning measure) is ``against`` (a peer set or industries) within those filters,
    by default every company they keep; the result's ``market`` says which.
    """
    _check_axes(x, y)
    chosen = _companies(companies, MIN_COMPARED, MAX_COMPARED)
    queries = queries_for(source)
    base = filters or CampaignFilter()
    against = against or Market.implied_by(replace(base, companies=()))
    market = against.applied(base)
    own = replace(base, companies=chosen)
    # The market's count per period is the share of voice's denominator, and its range is
    # every frame's axis, so a company that started late or went quiet shows zeros on the
    # same periods as the others. The compared companies are counted per period on their own,
    # rather than grouping the whole market by company and period; the market per company
    # (no periods) is the scale of the positioning.
    market_raw, own_raw, mixes, best, volumes, market_best = together(
        queries,
        lambda: queries.counts([], interval, market, weight),
        lambda: queries.counts(["company"], interval, own, weight, sentiment=True),
        lambda: queries.counts(["company", "channel", "campaign_type"], None, own),
        lambda: best_offers(queries, own),
        lambda: queries.counts(["company"], None, market, weight, sentiment=True),
        lambda: best_offers(queries, market, terms=tuple(GENEROSITY_TERMS), ids=0))
    periods = range_periods(market_raw, market, interval)
    volume = series_from_counts(own_raw, "company", None, interval, own, weight=weight,
                                periods=periods).frame \
        .drop(columns="scope").rename(columns={"key": "company"})
    market_total = market_raw.groupby("period")["weighted" if weight else "n"].sum() \
        .astype(float)
    position, scores = _positioning_of(chosen, x, y, volumes, market_best, weight)
    return Comparison(
        companies=chosen, interval=interval, weight=weight, volume=volume,
        share_of_voice=_share_of_voice(volume, market_total, weight),
        channel_mix=_mix(mixes, "channel", chosen),
        type_mix=_mix(mixes, "campaign_type", chosen),
        sentiment=_sentiment_by_period(own_raw, chosen, periods),
        best_offers=best, generosity=scores, positioning=position,
        market=against.describe(int((labels(volumes["company"]) != UNKNOWN).sum())))


def _share_of_voice(volume: pd.DataFrame, market_total: pd.Series, weight: str | None
                    ) -> pd.DataFrame:
    """Each company's volume per period, its share of the market's (``market_total`` per
    period), and that total (``market``: what a stacked chart's "other companies" are the rest
    of)."""
    value_cols = ["count", "weighted", "missing"] if weight else ["count"]
    sov = volume[["period", "period_end", "company", *value_cols]].copy()
    total = sov["period"].map(market_total).fillna(0.0).to_numpy()
    sov["share"] = np.where(total > 0, sov["weighted" if weight else "count"]
                            / np.where(total > 0, total, 1), 0.0)
    sov["market"] = total
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
