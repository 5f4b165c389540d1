"""Put an enricher's results into campaign columns: Arrow for uploads, pandas for store runs."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..background import in_background
from ..model import OFFER_FIELDS
from .local import INPUT_FIELDS, PARALLEL_MIN_RECORDS

__all__ = ["enrich_table", "EarlyEnrichment", "attach_enrichment", "results_to_columns",
           "STORED_ENRICHMENT_COLUMNS"]

STORED_ENRICHMENT_COLUMNS: tuple[str, ...] = (
    "sentiment_label", "sentiment_score", "campaign_type_predicted", "campaign_type_confidence",
    "summary", *OFFER_FIELDS,
)


def enrich_table(enricher: Any, table: pa.Table) -> pa.Table:
    """Local enrichment of an upload's pieces, Arrow in and out (the ingest path: no pandas
    round trip). `enricher` is a LocalEnricher:
    its results come back as Arrow columns, built by its workers."""
    if table.num_rows == 0:
        return table
    return attach_enrichment(enricher, table, enricher.enrich_arrow(table))


class EarlyEnrichment:
    """Local enrichment of an upload's pieces that starts before they are known.

    Once the accepted rows of a large upload are known, ``start`` hands their texts to the
    enricher in a background thread (its worker processes do the analysis) while the upload
    is still being deduplicated; ``finish`` then keeps the results of the pieces (the rows
    that ``first`` marks) and attaches them. Rows repeating a piece's text are analysed once
    (the enricher groups identical inputs), so the work is the pieces' work, and the rest of
    preparing the upload overlaps with it. Below PARALLEL_MIN_RECORDS rows nothing starts early and ``finish`` enriches
    the pieces, exactly as :func:`enrich_table`.
    """

    def __init__(self, enricher: Any) -> None:
        self.enricher = enricher
        self._started: Future[pa.Table] | None = None

    def start(self, rows: pa.Table, accepted: np.ndarray) -> None:
        """``rows``: the upload's rows, with the enricher's input columns among others;
        ``accepted``: a boolean mask of those that will be stored."""
        inputs = rows.select(list(INPUT_FIELDS))
        if not accepted.all():
            inputs = inputs.filter(pa.array(accepted))
        if inputs.num_rows < PARALLEL_MIN_RECORDS:
            return
        self._started = in_background(self.enricher.enrich_arrow, inputs, name="enrich")

    def finish(self, pieces: pa.Table, first: np.ndarray) -> pa.Table:
        """``pieces``: the accepted rows that the boolean mask ``first`` marks, in order."""
        if self._started is None:
            return enrich_table(self.enricher, pieces)
        enriched = self._started.result().filter(pa.array(first))
        return attach_enrichment(self.enricher, pieces, enriched)


def attach_enrichment(enricher: Any, table: pa.Table, enriched: pa.Table) -> pa.Table:
    """``table`` with the enrichment columns of ``enriched`` (the enricher's results for its
    rows, in order); a type the source gave stays, a missing one takes the prediction."""
    columns: dict[str, pa.ChunkedArray] = {name: enriched[name] for name in STORED_ENRICHMENT_COLUMNS}
    columns["extracted_keywords"] = enriched["extracted_keywords"]
    columns["enriched_by"] = pa.repeat(pa.scalar(enricher.version, pa.string()), table.num_rows)
    columns["enriched_at"] = pa.repeat(
        pa.scalar(datetime.now(timezone.utc).replace(tzinfo=None), pa.timestamp("us")), table.num_rows)
    given = table["campaign_type"]
    predicted = columns["campaign_type_predicted"]
    columns["campaign_type"] = pc.coalesce(given.cast(pa.string()), predicted)
    columns["campaign_type_source"] = pc.if_else(
        pc.is_null(given),
        pc.if_else(pc.is_null(predicted), pa.scalar(None, pa.string()), "predicted"),
        table["campaign_type_source"].cast(pa.string()))
    columns.update(_product_columns(enricher, table))
    kept = table.drop_columns([c for c in columns if c in table.column_names])
    for name, values in columns.items():
        kept = kept.append_column(name, values)
    return kept


def _product_columns(enricher: Any, table: pa.Table) -> dict[str, pa.Array]:
    """The product of each piece (see enrich/products.py), when the enricher has a linker."""
    linker = getattr(enricher, "products", None)
    if linker is None or "company" not in table.column_names:
        return {}
    null = pa.nulls(table.num_rows, pa.string())
    texts = [table[c] if c in table.column_names else null
             for c in ("title", "subject_line", "content")]
    given = table["product"] if "product" in table.column_names else None
    linked = linker.link(table["company"], *texts, given=given)
    return {name: linked[name] for name in linked.column_names}


def results_to_columns(pieces: pd.DataFrame, results: list[dict[str, Any]],
                       products: Any = None) -> pd.DataFrame:
    """Write enrichment results into the campaign columns; a missing type takes the prediction.

    ``products``: a ProductLinker; with one (and the pieces' company), each piece's product is
    linked again, and a model's answer naming a product of the company replaces the link."""
    out = pieces.copy()
    table = pd.DataFrame(results, index=out.index)
    for column in STORED_ENRICHMENT_COLUMNS:
        out[column] = table[column] if column in table else None
    out["extracted_keywords"] = table["extracted_keywords"].map(
        lambda v: ", ".join(v) if isinstance(v, (list, tuple)) else v)
    out["enriched_by"] = table["enriched_by"]
    out["enriched_at"] = datetime.now(timezone.utc).replace(tzinfo=None)
    if products is not None and "company" in out:
        _link_products(out, table, products)
    missing = out["campaign_type"].isna() & out["campaign_type_predicted"].notna()
    out.loc[missing, "campaign_type"] = out.loc[missing, "campaign_type_predicted"]
    out.loc[missing, "campaign_type_source"] = "predicted"
    return out


def _link_products(out: pd.DataFrame, results: pd.DataFrame, linker: Any) -> None:
    """Set product, product_confidence and product_source of ``out`` (store runs): the
    catalogue's link, unless a model named the product (kept when the source named it)."""
    linked = linker.link_frame(out)
    if "product" in results:
        named = results["product"].map(lambda v: v if isinstance(v, str) and v.strip() else None)
        by_model = named.notna() & linked["product_source"].ne("source")
        if by_model.any():
            spelled = [linker.canonical(c, p) for c, p in
                       zip(out.loc[by_model, "company"], named[by_model])]
            linked.loc[by_model, "product"] = spelled
            linked.loc[by_model, "product_confidence"] = results.loc[
                by_model, "product_confidence"] if "product_confidence" in results else 0.8
            linked.loc[by_model, "product_source"] = results.loc[by_model, "enriched_by"]
    for name in ("product", "product_confidence", "product_source"):
        out[name] = linked[name]
