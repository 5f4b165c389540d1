"""Offer intelligence: each product's best and typical offer terms, and when its best changed.

Offers are compared per product: a company's Venture X and its Platinum card are two offers,
and a change is only ever between two pieces of the same product. Rows are per (company,
product); ``product`` is None for a company's pieces that name no product (shown, never
compared over time).

"Best" is from the customer's side: the longest intro APR period, the biggest bonus (compared
only within one unit: points, miles or dollars), the lowest annual fee, the highest cash back
or APY, the lowest APRs and fees (see :data:`OFFER_TERMS`). "Typical" is the median over the
pieces that state the term.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from ..model import CampaignFilter
from ..store.analytics_sql import AnalyticsError, lookup
from .common import Source, queries_for
from .periods import bucket_end

__all__ = ["OFFER_TERMS", "term_label", "offer_summary", "offer_changes", "best_offers",
           "offers", "CURRENT_WINDOW_DAYS"]

# term -> which end is best for the customer ("max": higher is better, "min": lower is).
OFFER_TERMS: dict[str, str] = {
    "intro_apr_months": "max",
    "intro_apr_pct": "min",
    "regular_apr_min_pct": "min",
    "regular_apr_max_pct": "min",
    "bonus_amount": "max",
    "bonus_spend_usd": "min",
    "bonus_window_months": "max",
    "cash_back_pct": "max",
    "annual_fee_usd": "min",
    "balance_transfer_fee_pct": "min",
    "apy_pct": "max",
}

# An offer is "current" when its piece was seen in market within this many days of the as-of
# date (last_seen, which a re-sighting moves).
CURRENT_WINDOW_DAYS = 90

_BETTER = {"max": "higher", "min": "lower"}
_COLUMNS = ["company", "product", "label", "term", "unit", "better", "best", "typical", "n"]
_ID_COLUMNS = ["best_n", "best_ids"]


def term_label(term: str, unit: str | None) -> str:
    """One name per comparable measure: ``bonus_amount_points`` is not ``bonus_amount_miles``."""
    return f"{term}_{unit}" if unit else term


def _shape(stats: pd.DataFrame, terms: dict[str, str]) -> pd.DataFrame:
    """``stats`` with label and better, ordered by company, [period,] term (in the order of
    ``terms``) and unit."""
    # Computed per distinct (term, unit) and spread by code, and sorted on integer codes
    # rather than strings: at 1M campaigns there are tens of thousands of rows.
    term_codes, terms_seen = pd.factorize(stats["term"])
    unit_codes, units_seen = pd.factorize(stats["unit"])
    codes, pair_codes = pd.factorize(term_codes * (len(units_seen) + 1) + unit_codes)
    pairs = [(terms_seen[c // (len(units_seen) + 1)], units_seen[c % (len(units_seen) + 1)])
             for c in pair_codes]
    order = list(terms)
    label = pa.array([term_label(t, u) for t, u in pairs] + [""], type=pa.string())
    better = pa.array([_BETTER[terms[t]] for t, _u in pairs] + [""], type=pa.string())
    rank = np.zeros(len(pairs) + 1, dtype=np.int64)
    rank[sorted(range(len(pairs)), key=lambda i: (order.index(pairs[i][0]), pairs[i][1]))] = \
        np.arange(len(pairs))
    shaped = stats.assign(label=lookup(label, codes).set_axis(stats.index),
                          better=lookup(better, codes).set_axis(stats.index))
    keys = [rank[codes]]
    if "period" in stats.columns:
        keys.append(pd.factorize(stats["period"], sort=True)[0])
    # (products after companies; a company's pieces naming no product last)
    keys.append(pd.factorize(stats["product"].fillna("\uffff"), sort=True)[0])
    keys.append(pd.factorize(stats["company"], sort=True)[0])
    return shaped.iloc[np.lexsort(keys)].reset_index(drop=True)


def _check_terms(terms: Iterable[str]) -> dict[str, str]:
    terms = list(dict.fromkeys(terms))
    unknown = [t for t in terms if t not in OFFER_TERMS]
    if unknown:
        raise AnalyticsError(f"Unknown offer term(s) {', '.join(unknown)}: use "
                             f"{', '.join(OFFER_TERMS)}.")
    return {t: OFFER_TERMS[t] for t in terms}


def _period_ends(periods: pd.Series, interval: str) -> pd.Series:
    return periods.map({p: bucket_end(p, interval) for p in periods.unique()})


def offer_summary(source: Source, interval: str = "month",
                  filters: CampaignFilter | None = None, *,
                  terms: Iterable[str] = tuple(OFFER_TERMS), ids_per_period: int = 0
                  ) -> pd.DataFrame:
    """Best and typical value of each offer term per company, product and period.

    Columns: company, product, period, period_end, label, term, unit, better (higher/lower), best,
    typical (median over the pieces stating the term), n (those pieces); with
    ``ids_per_period`` > 0 also best_n (pieces showing the best value) and best_ids (up to
    that many of them, most recently seen first). A period where a company stated no term
    has no row: no piece is no evidence of no offer.
    """
    chosen = _check_terms(terms)
    filters = filters or CampaignFilter()
    stats = queries_for(source).offer_stats(chosen, interval, filters, ids=ids_per_period)
    stats["period_end"] = _period_ends(stats["period"], interval)
    columns = ["company", "product", "period", "period_end", *_COLUMNS[2:]]
    if ids_per_period > 0:
        columns += _ID_COLUMNS
    return _shape(stats, chosen)[columns]


def offer_changes(source: Source, interval: str = "month",
                  filters: CampaignFilter | None = None, *,
                  terms: Iterable[str] = tuple(OFFER_TERMS), ids_per_change: int = 5
                  ) -> pd.DataFrame:
    """When the best value of a term of one product changed from one period to the next.

    Only pieces of the same product are compared (pieces naming no product are left out).
    Consecutive periods are the ones where the product stated the term (a silent period in
    between is skipped, not read as a withdrawn offer). Columns: company, product, label,
    term, unit,
    previous_period, previous_best, period, period_end, best, improved (True when the new best
    is better for the customer), best_n and best_ids (up to ``ids_per_change`` of the pieces
    showing the new value, most recently seen first).
    """
    chosen = _check_terms(terms)
    filters = filters or CampaignFilter()
    changed = queries_for(source).best_changes(chosen, interval, filters,
                                               limit=max(ids_per_change, 1))
    changed["period_end"] = _period_ends(changed["period"], interval)
    changed = _shape(changed, chosen)
    higher = changed["better"].to_numpy() == "higher"
    best, previous = changed["best"].to_numpy(), changed["previous_best"].to_numpy()
    changed["improved"] = np.where(higher, best > previous, best < previous).astype(bool)
    if ids_per_change <= 0:
        changed["best_ids"] = [[] for _ in range(len(changed))]
    columns = ["company", "product", "label", "term", "unit", "previous_period",
               "previous_best", "period", "period_end", "best", "improved", *_ID_COLUMNS]
    # _shape ordered them by company, product, period, term: order by period, company,
    # product, label.
    order = np.lexsort([pd.factorize(changed[c], sort=True)[0]
                        for c in ("label", "product", "company", "period")])
    return changed.iloc[order][columns].reset_index(drop=True)


def best_offers(source: Source, filters: CampaignFilter | None = None, *,
                terms: Iterable[str] = tuple(OFFER_TERMS), seen_since: date | None = None,
                open_on: date | None = None,
                ids: int = 5) -> pd.DataFrame:
    """Each product's best value of each term over the whole filtered range (no periods).

    ``seen_since`` keeps only pieces still seen in market on or after that date; ``open_on``
    leaves out pieces whose stated offer end is before that date. Columns:
    company, product, label, term, unit, better, best, typical, n and, unless ``ids`` is 0, best_n and
    best_ids (up to ``ids`` pieces showing the best value, most recently seen first).
    """
    chosen = _check_terms(terms)
    filters = filters or CampaignFilter()
    stats = queries_for(source).offer_stats(chosen, None, filters, seen_since=seen_since,
                                            open_on=open_on,
                                            ids=max(ids, 0))
    return _shape(stats, chosen)[_COLUMNS + (_ID_COLUMNS if ids > 0 else [])]


def offers(store: Source, filters: CampaignFilter | None = None, *,
           as_of: date | str | None = None, window_days: int = CURRENT_WINDOW_DAYS
           ) -> list[dict[str, Any]]:
    """Per company and product, its best current offer terms with the piece showing each.

    Current means launched by ``as_of``, seen in market within the ``window_days`` days up
    to it (default: the latest sighting in the store, so the answer does not drift with the
    clock), and not past an end date the piece states ("Offer ends October 26, 2026"). Each entry is ``{company, product, as_of, since, terms: [{label, term, unit,
    better, value, typical, pieces, id, ids}]}``; ``product`` is None for the company's pieces
    that name no product; ``id`` is the most recently seen piece showing ``value``. A company
    named in the filter without any current offer has one entry with no product and empty
    ``terms``.
    """
    if window_days < 1:
        raise AnalyticsError("window_days must be 1 or more.")
    base = replace(filters or CampaignFilter(), date_from=None,
                   date_to=as_of if as_of is not None else (filters or CampaignFilter()).date_to)
    queries = queries_for(store)
    # Default "now" is the market's latest sighting, not the asked companies' own latest: a
    # company that went quiet must not have its old offers shown as current.
    end = base.date_to or queries.span(CampaignFilter())[2]
    if end is None:
        return [{"company": c, "product": None, "as_of": None, "since": None, "terms": []}
                for c in base.companies]
    since = end - timedelta(days=window_days - 1)
    # Current: seen lately, and not past the end date the piece states.
    best = best_offers(queries, replace(base, date_to=end), seen_since=since, open_on=end)
    terms: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    # One pass over plain lists, not a frame filtered once per company (hundreds of them).
    for company, product, label, term, unit, better, value, typical, n, ids in zip(
            *(best[c].tolist() for c in ("company", "product", "label", "term", "unit",
                                         "better", "best", "typical", "n", "best_ids"))):
        terms.setdefault((company, product), []).append({
            "label": label, "term": term, "unit": unit or None, "better": better,
            "value": float(value), "typical": float(typical), "pieces": int(n),
            "id": int(ids[0]), "ids": [int(i) for i in ids]})
    for company in base.companies:
        if not any(c == company for c, _p in terms):
            terms[(company, None)] = []
    return [{"company": company, "product": product, "as_of": end.isoformat(),
             "since": since.isoformat(), "terms": terms[(company, product)]}
            for company, product in sorted(terms, key=lambda k: (k[0], k[1] is None,
                                                                 k[1] or ""))]
