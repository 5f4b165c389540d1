"""How field names, vocabulary values and offer terms read to people (pages and CLI alike).

Company names, titles and other user text are never passed through here: they are shown as
they were stored. Only our own vocabulary (channels, campaign types, field names) is prettified.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

__all__ = ["FIELD_LABELS", "OFFER_LABELS", "field_label", "pretty", "offer_label",
           "format_offer", "format_day", "NO_PRODUCT", "product_label"]

#: Where a table or chart groups the pieces that name no product.
NO_PRODUCT = "Pieces naming no product"


def product_label(company: str, product: str | None) -> str:
    """One series or row per company and product: "Capital One · Venture X"."""
    return f"{company} · {product}" if product else f"{company} · {NO_PRODUCT.lower()}"


FIELD_LABELS: dict[str, str] = {
    "id": "Id", "company": "Company", "industry": "Industry", "channel": "Channel",
    "campaign_type": "Campaign type", "campaign_type_source": "Campaign type from",
    "title": "Title", "subject_line": "Subject line", "content": "Content",
    "launch_date": "First seen", "last_seen": "Last seen", "landing_url": "Landing URL",
    "audience": "Audience", "geography": "Geography", "est_spend_usd": "Estimated spend ($)",
    "est_volume": "Estimated volume (pieces or impressions)", "keywords": "Keywords",
    "source": "Source", "batch_id": "Upload batch", "ingested_at": "Stored at (UTC)",
    "sentiment_label": "Sentiment", "sentiment_score": "Sentiment score (−1 to 1)",
    "campaign_type_predicted": "Predicted campaign type",
    "campaign_type_confidence": "Prediction confidence", "extracted_keywords":
    "Extracted keywords", "summary": "Summary", "enriched_by": "Enriched by",
    "enriched_at": "Enriched at (UTC)", "content_hash": "Content hash",
    "variant_key": "Variant key", "indexed": "Searchable",
}

# term -> (label, unit). The unit is what the axis or column shows after the label.
OFFER_LABELS: dict[str, tuple[str, str]] = {
    "intro_apr_pct": ("Intro APR", "%"),
    "intro_apr_months": ("Intro APR period", "months"),
    "regular_apr_min_pct": ("Regular APR from", "%"),
    "regular_apr_max_pct": ("Regular APR up to", "%"),
    "bonus_amount": ("Sign-up bonus", "points, miles or $"),
    "bonus_unit": ("Bonus unit", ""),
    "bonus_spend_usd": ("Spend to earn the bonus", "$"),
    "bonus_window_months": ("Months to earn the bonus", "months"),
    "cash_back_pct": ("Cash back", "%"),
    "annual_fee_usd": ("Annual fee", "$"),
    "balance_transfer_fee_pct": ("Balance transfer fee", "%"),
    "apy_pct": ("APY", "%"),
    "offer_expires": ("Offer ends", ""),
}

_BONUS_UNITS = {"points": "points", "miles": "miles", "dollars": "$"}
# Vocabulary values whose plain prettified form would read wrong.
_SPECIAL = {"sms": "SMS", "share_of_voice": "Share of voice"}


def field_label(name: str) -> str:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    if name in OFFER_LABELS:
        return offer_label(name)
    return pretty(name)


def pretty(value: Any) -> str:
    """``direct_mail`` -> ``Direct mail``: for our vocabulary values, not for user text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if str(value) in _SPECIAL:
        return _SPECIAL[str(value)]
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def offer_label(term: str, unit: str | None = None) -> str:
    """``cash_back_pct`` -> ``Cash back (%)``; a bonus with its unit: ``Sign-up bonus (miles)``."""
    label, default_unit = OFFER_LABELS.get(term, (pretty(term), ""))
    shown = _BONUS_UNITS.get(unit or "", unit) if term == "bonus_amount" and unit else default_unit
    return f"{label} ({shown})" if shown else label


def format_day(value: date) -> str:
    """A day as analysts write it in a sentence: ``19 January 2027``."""
    return f"{value.day} {value:%B %Y}"


def format_offer(term: str, value: Any, unit: str | None = None) -> str:
    """One offer value as an analyst writes it: ``0%``, ``15 months``, ``$95``, ``60,000 points``.
    """
    if value is None or value != value:   # missing, NaN or NaT
        return "—"
    if isinstance(value, date):   # the offer's end (a datetime when read through pandas)
        return format_day(value.date() if isinstance(value, datetime) else value)
    number = float(value)
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}".rstrip("0").rstrip(".")
    kind = OFFER_LABELS.get(term, ("", ""))[1]
    if term == "bonus_amount":
        return f"${text}" if unit == "dollars" else f"{text} {unit or ''}".strip()
    if kind == "%":
        return f"{text}%"
    if kind == "$":
        return f"${text}"
    if kind == "months":
        return f"{text} months"
    return text
