"""Apply an enricher's results to the pieces of an upload batch before they are stored."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ..model import OFFER_FIELDS

__all__ = ["apply_local_enrichment", "STORED_ENRICHMENT_COLUMNS"]

STORED_ENRICHMENT_COLUMNS: tuple[str, ...] = (
    "sentiment_label", "sentiment_score", "campaign_type_predicted", "campaign_type_confidence",
    "summary", *OFFER_FIELDS,
)


def _records(pieces: pd.DataFrame) -> list[dict[str, Any]]:
    cols = ["title", "subject_line", "content", "channel", "campaign_type"]
    frame = pieces[cols].astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


def results_to_columns(pieces: pd.DataFrame, results: list[dict[str, Any]]) -> pd.DataFrame:
    """Write enrichment results into the campaign columns; a missing type takes the prediction."""
    out = pieces.copy()
    table = pd.DataFrame(results, index=out.index)
    for column in STORED_ENRICHMENT_COLUMNS:
        out[column] = table[column] if column in table else None
    out["extracted_keywords"] = table["extracted_keywords"].map(
        lambda v: ", ".join(v) if isinstance(v, (list, tuple)) else v)
    out["enriched_by"] = table["enriched_by"]
    out["enriched_at"] = datetime.now(timezone.utc).replace(tzinfo=None)
    missing = out["campaign_type"].isna() & out["campaign_type_predicted"].notna()
    out.loc[missing, "campaign_type"] = out.loc[missing, "campaign_type_predicted"]
    out.loc[missing, "campaign_type_source"] = "predicted"
    return out


def apply_local_enrichment(enricher: Any, pieces: pd.DataFrame) -> pd.DataFrame:
    if pieces.empty:
        return pieces
    return results_to_columns(pieces, enricher.enrich_many(_records(pieces)))
