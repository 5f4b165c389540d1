"""Reading campaigns: counts and summary, one campaign with its sightings and variants, lists
of them, and the values and texts other parts of the app draw on."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import pandas as pd
import sqlalchemy as sa

from .core import NOT_PENDING, StoreCore, checked_columns
from .errors import NotFoundError

__all__ = ["Campaigns"]


class Campaigns(StoreCore):
    """Campaign reads: :meth:`count`, :meth:`summary`, :meth:`campaign`,
    :meth:`campaigns_by_ids`, :meth:`sightings_of`, :meth:`variants_of`, :meth:`newest`,
    :meth:`distinct_values`, :meth:`text_sample`, :meth:`export_frame`."""

    def count(self) -> int:
        return int(self._scalar("SELECT count(*) FROM campaigns") or 0)

    def summary(self) -> dict[str, Any]:
        """What is in the store: counts, date span, companies, last upload."""
        row = self._rows(
            "SELECT count(*) AS campaigns, count(DISTINCT company) AS companies, "
            "count(DISTINCT channel) AS channels, count(DISTINCT industry) AS industries, "
            "min(launch_date) AS first_date, max(last_seen) AS last_date, "
            "(SELECT count(*) FROM index_pending) AS pending_index FROM campaigns")[0]
        last = self._rows(
            "SELECT id, created_at, filename, inserted, resighted, rejected FROM upload_batches "
            "WHERE status = 'committed' ORDER BY id DESC LIMIT 1")
        row["pending_index"] = int(row["pending_index"] or 0)
        row["last_upload"] = last[0] if last else None
        return row

    def campaign(self, campaign_id: int) -> dict[str, Any]:
        rows = self._rows(f"SELECT c.*, {NOT_PENDING} AS indexed FROM campaigns c "
                          "WHERE c.id = :i", i=campaign_id)
        if not rows:
            raise NotFoundError(f"No campaign with id {campaign_id}.")
        return rows[0]

    def campaigns_by_ids(self, ids: Sequence[int], columns: Sequence[str] | None = None
                         ) -> pd.DataFrame:
        cols = ", ".join(checked_columns(columns)) if columns else "*"
        if not ids:
            return self._frame(f"SELECT {cols} FROM campaigns WHERE false")
        stmt = sa.text(f"SELECT {cols} FROM campaigns WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True))
        with self.engine.connect() as conn:
            result = conn.execute(stmt, {"ids": [int(i) for i in ids]})
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        order = {int(i): n for n, i in enumerate(ids)}
        return frame.sort_values("id", key=lambda s: s.map(order)).reset_index(drop=True)

    def sightings_of(self, campaign_id: int) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT s.seen_on, s.batch_id, b.filename FROM sightings s "
            "JOIN upload_batches b ON b.id = s.batch_id WHERE s.campaign_id = :i "
            "ORDER BY s.seen_on", i=campaign_id)

    def variants_of(self, campaign_id: int, limit: int = 20) -> list[dict[str, Any]]:
        """Other campaigns with the same variant key: the same piece with small changes."""
        return self._rows(
            "SELECT o.id, o.title, o.channel, o.launch_date, o.last_seen FROM campaigns c "
            "JOIN campaigns o ON o.variant_key = c.variant_key AND o.id <> c.id "
            "WHERE c.id = :i ORDER BY o.launch_date LIMIT :n", i=campaign_id, n=limit)

    def newest(self, limit: int = 10, since: datetime | None = None) -> pd.DataFrame:
        """The most recently ingested campaigns, optionally only those ingested after ``since``."""
        where = "WHERE ingested_at > :since" if since else ""
        return self._frame(
            "SELECT id, company, channel, campaign_type, title, launch_date, ingested_at "
            f"FROM campaigns {where} ORDER BY ingested_at DESC, id DESC LIMIT :n",
            n=limit, since=since)

    def distinct_values(self, column: str) -> list[str]:
        (col,) = checked_columns([column])
        return [r[col] for r in self._rows(
            f"SELECT DISTINCT {col} FROM campaigns WHERE {col} IS NOT NULL ORDER BY {col}")]

    def text_sample(self, limit: int = 5_000) -> list[str]:
        """Texts of the most recently stored campaigns (a corpus sample for keyword weights)."""
        rows = self._rows(
            "SELECT title, subject_line, content FROM campaigns ORDER BY id DESC LIMIT :n",
            n=limit)
        return [" ".join(v for v in (r["title"], r["subject_line"], r["content"]) if v)
                for r in rows]

    def export_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        cols = ", ".join(checked_columns(columns)) if columns else "*"
        return self._frame(f"SELECT {cols} FROM campaigns ORDER BY id")
