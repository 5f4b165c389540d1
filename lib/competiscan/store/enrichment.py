"""Enrichment: the cache of model answers, and the campaigns' enrichment columns (read to
enrich, written back with their offer rows and index queue kept in step)."""

from __future__ import annotations

import json
from typing import Sequence

import pandas as pd
import sqlalchemy as sa

from . import schema as S
from .core import NOT_PENDING, StoreCore, insert_offer_terms, utcnow

__all__ = ["Enrichment"]

CacheKey = tuple[str, str, str]   # (content_hash, model, prompt_version)
_KEY_COLUMNS = ["content_hash", "model", "prompt_version"]


class Enrichment(StoreCore):
    """Enrichment cache: :meth:`get_many`, :meth:`put_many`; enriched campaigns:
    :meth:`enrichment_inputs`, :meth:`write_enrichment`."""

    # ---------------------------------------------------------------- cache of model answers
    def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, dict]:
        """Cached model answers by (content_hash, model, prompt_version)."""
        if not keys:
            return {}
        frame = pd.DataFrame(list(keys), columns=_KEY_COLUMNS)
        with self.engine.connect() as conn:
            with self._staging(conn, "wanted", frame, {}):
                rows = conn.execute(sa.text(
                    "SELECT e.content_hash, e.model, e.prompt_version, e.result "
                    "FROM enrichment_cache e JOIN wanted w ON w.content_hash = e.content_hash "
                    "AND w.model = e.model AND w.prompt_version = e.prompt_version")).fetchall()
            conn.commit()
        return {(r[0], r[1], r[2]): json.loads(r[3]) for r in rows}

    def put_many(self, items: dict[CacheKey, dict]) -> None:
        """Store model answers; an existing answer for the same key is kept."""
        if not items:
            return
        with self._write() as conn:
            frame = pd.DataFrame(list(items), columns=_KEY_COLUMNS)
            with self._staging(conn, "offered", frame, {}):
                existing = {(r[0], r[1], r[2]) for r in conn.execute(sa.text(
                    "SELECT e.content_hash, e.model, e.prompt_version FROM enrichment_cache e "
                    "JOIN offered o ON o.content_hash = e.content_hash AND o.model = e.model "
                    "AND o.prompt_version = e.prompt_version")).fetchall()}
            now = utcnow()
            rows = [{"content_hash": k[0], "model": k[1], "prompt_version": k[2],
                     "result": json.dumps(v, default=str), "created_at": now}
                    for k, v in items.items() if k not in existing]
            if rows:
                conn.execute(S.enrichment_cache.insert(), rows)

    # ---------------------------------------------------------------- enriched campaigns
    def enrichment_inputs(self, only_not_by: str | None = None, limit: int = 10_000,
                          after_id: int = 0) -> pd.DataFrame:
        """Campaign texts to enrich, in id order; optionally only those not yet enriched by
        ``only_not_by`` (an ``enriched_by`` value)."""
        where = "AND (enriched_by IS NULL OR enriched_by <> :by)" if only_not_by else ""
        return self._frame(
            "SELECT id, content_hash, company, title, subject_line, content, channel, "
            "campaign_type, campaign_type_source, product, product_source "
            "FROM campaigns WHERE id > :after "
            f"{where} ORDER BY id LIMIT :n", after=after_id, n=limit, by=only_not_by)

    def write_enrichment(self, frame: pd.DataFrame) -> None:
        """Replace the enrichment columns of the campaigns in ``frame`` (by id)."""
        if frame.empty:
            return
        cols = [c for c in frame.columns if c in S.CAMPAIGN_COLUMNS and c != "id"]
        types = S.column_types("campaigns")
        with self._write() as conn, self._staging(conn, "enriched", frame[["id", *cols]],
                                                  types):
            sets = ", ".join(f"{c} = e.{c}" for c in cols)
            conn.execute(sa.text(f"UPDATE campaigns SET {sets} "
                                 "FROM enriched e WHERE campaigns.id = e.id"))
            conn.execute(sa.text(
                "INSERT INTO index_pending (campaign_id) SELECT DISTINCT c.id "
                f"FROM enriched e JOIN campaigns c ON c.id = e.id WHERE {NOT_PENDING}"))
            conn.execute(sa.text("DELETE FROM offer_terms WHERE campaign_id IN "
                                 "(SELECT id FROM enriched)"))
            insert_offer_terms(conn, "c.id IN (SELECT id FROM enriched)", {})
