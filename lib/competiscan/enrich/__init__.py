"""Enrichment of campaigns: offer terms, sentiment, campaign type, keywords (and, with a
language model, a summary). `LocalEnricher` does all but the summary with rules, offline."""

from competiscan.enrich.local import LocalEnricher
from competiscan.enrich.offers import extract_offers

__all__ = ["LocalEnricher", "extract_offers"]
