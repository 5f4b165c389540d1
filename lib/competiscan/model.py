"""The vocabulary of a campaign record: field names, channels, campaign types and offer terms.

Every module refers to these names instead of spelling them again, so the store, the search
index, the enrichers, the analytics and the pages agree on one record shape (see DOMAIN.md).
"""

from __future__ import annotations

__all__ = [
    "CHANNELS",
    "CAMPAIGN_TYPES",
    "INDUSTRIES",
    "SENTIMENT_LABELS",
    "OFFER_FIELDS",
    "OFFER_FIELD_TYPES",
    "BONUS_UNITS",
    "CAMPAIGN_FIELDS",
    "TEXT_FIELDS",
    "ENRICHMENT_FIELDS",
]

CHANNELS: tuple[str, ...] = (
    "email",
    "direct_mail",
    "social",
    "display",
    "search",
    "video",
    "sms",
)

CAMPAIGN_TYPES: tuple[str, ...] = (
    "acquisition",
    "promotional",
    "retention",
    "educational",
    "brand_awareness",
)

INDUSTRIES: tuple[str, ...] = (
    "banking",
    "credit_cards",
    "insurance",
    "telecom",
    "retail",
    "travel",
    "investing",
    "other",
)

SENTIMENT_LABELS: tuple[str, ...] = ("positive", "neutral", "negative")

BONUS_UNITS: tuple[str, ...] = ("points", "miles", "dollars")

# Offer terms, typed. All numeric except bonus_unit.
OFFER_FIELD_TYPES: dict[str, type] = {
    "intro_apr_pct": float,
    "intro_apr_months": int,
    "regular_apr_min_pct": float,
    "regular_apr_max_pct": float,
    "bonus_amount": float,
    "bonus_unit": str,
    "bonus_spend_usd": float,
    "bonus_window_months": int,
    "cash_back_pct": float,
    "annual_fee_usd": float,
    "balance_transfer_fee_pct": float,
    "apy_pct": float,
}
OFFER_FIELDS: tuple[str, ...] = tuple(OFFER_FIELD_TYPES)

# The fields of one campaign as the store keeps them (besides ids and bookkeeping).
CAMPAIGN_FIELDS: tuple[str, ...] = (
    "company",
    "industry",
    "channel",
    "campaign_type",
    "title",
    "subject_line",
    "content",
    "launch_date",
    "last_seen",
    "landing_url",
    "audience",
    "geography",
    "est_spend_usd",
    "est_volume",
    "keywords",
    "source",
)

# Text that full-text search reads.
TEXT_FIELDS: tuple[str, ...] = ("title", "subject_line", "content")

# What enrichment adds to a campaign.
ENRICHMENT_FIELDS: tuple[str, ...] = (
    "sentiment_label",
    "sentiment_score",
    "campaign_type_predicted",
    "campaign_type_confidence",
    "extracted_keywords",
    "summary",
    *OFFER_FIELDS,
)
