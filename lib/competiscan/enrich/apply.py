"""Put an enricher's results into campaign columns: Arrow for uploads, pandas for store runs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pyarrow as pa

from ..model import OFFER_FIELD_TYPES, OFFER_FIELDS

__all__ = ["enrich_table", "results_to_columns", "STORED_ENRICHMENT_COLUMNS"]

STORED_ENRICHMENT_COLUMNS: tuple[str, ...] = (
    "sentiment_label", "sentiment_score", "campaign_type_predicted", "campaign_type_confidence",
    "summary", *OFFER_FIELDS,
)


_TEXT_INPUTS = ["title", "subject_line", "content", "channel", "campaign_type"]


def _arrow_type(column: str) -> pa.DataType:
    kind = OFFER_FIELD_TYPES.get(column)
    if kind is int:
        return pa.int64()
    if kind is float or column in ("sentiment_score", "campaign_type_confidence"):
        return pa.float64()
    return pa.string()


def enrich_table(enricher: Any, table: pa.Table) -> pa.Table:
    """Local enrichment of an upload's pieces, Arrow in and out (the ingest path: no pandas
    round trip, which cost ~0.6 s per 100k pieces, measured)."""
    if table.num_rows == 0:
        return table
    results = enricher.enrich_many(table.select(_TEXT_INPUTS).to_pylist())
    columns: dict[str, pa.Array] = {
        name: pa.array([r.get(name) for r in results], type=_arrow_type(name))
        for name in STORED_ENRICHMENT_COLUMNS}
    columns["extracted_keywords"] = pa.array(
        [", ".join(r["extracted_keywords"]) if r.get("extracted_keywords") else None
         for r in results], type=pa.string())
    columns["enriched_by"] = pa.array([r["enriched_by"] for r in results], type=pa.string())
    columns["enriched_at"] = pa.array(
        [datetime.now(timezone.utc).replace(tzinfo=None)] * table.num_rows, type=pa.timestamp("us"))
    # a type the source gave stays; a missing one takes the prediction
    given = table["campaign_type"].to_pylist()
    given_by = table["campaign_type_source"].to_pylist()
    predicted = columns["campaign_type_predicted"].to_pylist()
    columns["campaign_type"] = pa.array(
        [g if g is not None else p for g, p in zip(given, predicted)], type=pa.string())
    columns["campaign_type_source"] = pa.array(
        [s if g is not None else ("predicted" if p is not None else None)
         for g, s, p in zip(given, given_by, predicted)], type=pa.string())
    kept = table.drop_columns([c for c in columns if c in table.column_names])
    for name, values in columns.items():
        kept = kept.append_column(name, values)
    return kept


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
