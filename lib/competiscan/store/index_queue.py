"""The search index as a projection of the store: the campaigns waiting for it (the
``index_pending`` queue), their search documents, and marking them indexed."""

from __future__ import annotations

from typing import Iterator, Sequence

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from ..model import OFFER_FIELDS
from .core import StoreCore

__all__ = ["IndexQueue", "INDEX_COLUMNS"]

# Columns a search document needs (see competiscan.search.base).
INDEX_COLUMNS: tuple[str, ...] = (
    "id", "company", "product", "industry", "channel", "campaign_type", "sentiment_label", "launch_date",
    "ingested_at", "title", "subject_line", "content", "keywords", *OFFER_FIELDS,
)


class IndexQueue(StoreCore):
    """The search projection: :meth:`pending_index_tables`, :meth:`mark_indexed`,
    :meth:`mark_all_unindexed`, :meth:`all_ids`."""

    def pending_index_tables(self, chunk: int = 100_000) -> Iterator[pa.Table]:
        """Campaigns not yet in the search index, as Arrow tables of search documents (the
        INDEX_COLUMNS), in id order, ``chunk`` at a time."""
        after = 0
        while True:
            table = self._bulk_table(
                f"SELECT {', '.join(INDEX_COLUMNS)} FROM campaigns WHERE id IN ("
                "SELECT campaign_id FROM index_pending WHERE campaign_id > :after "
                "ORDER BY campaign_id LIMIT :n) ORDER BY id", after=after, n=chunk)
            if not table.num_rows:
                return
            after = table["id"][-1].as_py()
            yield table

    def mark_indexed(self, ids: Sequence[int]) -> None:
        """The index now holds these campaigns as stored."""
        if not len(ids):
            return
        with self._write() as conn, self._staging(
                conn, "marked", pd.DataFrame({"id": list(map(int, ids))}), {"id": "BIGINT"}):
            conn.execute(sa.text("DELETE FROM index_pending "
                                 "WHERE campaign_id IN (SELECT id FROM marked)"))

    def mark_all_unindexed(self) -> None:
        with self._write() as conn:
            conn.execute(sa.text("DELETE FROM index_pending"))
            conn.execute(sa.text("INSERT INTO index_pending (campaign_id) SELECT id FROM campaigns"))

    def all_ids(self) -> set[int]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.text("SELECT id FROM campaigns")).fetchall()}
