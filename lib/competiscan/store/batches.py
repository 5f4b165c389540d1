"""Upload batches: writing one upload all-or-nothing, undoing one, and listing them."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from . import schema as S
from .companies import register_companies
from .core import NOT_PENDING, StoreCore, as_arrow, insert_offer_terms, utcnow
from .errors import AlreadyImportedError, NotFoundError, StoreError

__all__ = ["Batches", "BatchWrite", "BatchResult"]


@dataclass
class BatchWrite:
    """Everything one upload writes, prepared by ingestion; written all-or-nothing.

    ``pieces`` has one row per distinct campaign in the file (its ``content_hash`` and the
    campaign columns, with ``launch_date``/``last_seen`` the first/last date the file saw it);
    ``sightings`` has one row per distinct (content_hash, seen_on) of the file, and may say
    in ``piece`` which row of ``pieces`` it is of (ingestion does; else the hashes are matched).
    """

    filename: str
    source: str
    file_format: str
    rows_read: int
    duplicates: int
    rejected: int
    pieces: pd.DataFrame | pa.Table
    sightings: pd.DataFrame | pa.Table
    report: dict[str, Any] = field(default_factory=dict)
    # companies first seen in this file: (canonical name, alias key, industry)
    new_companies: list[tuple[str, str, str | None]] = field(default_factory=list)
    uploaded_by: str | None = None
    # SHA-256 of the file's bytes: a file already imported (and not undone) is refused
    file_sha256: str | None = None


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    inserted: int
    resighted: int
    new_ids: tuple[int, int] | None  # inclusive id range of inserted campaigns, if any


@dataclass
class _PieceIds:
    """The store's campaign id of each piece of an upload, and which pieces are new to it."""

    campaign_of: np.ndarray   # int64, one per piece
    is_new: np.ndarray        # bool, one per piece
    new_ids: pa.Array         # the ids given to the new pieces, in their order

    @property
    def any_known(self) -> bool:
        return not self.is_new.all()


# The staged keys of an upload's pieces, for the statements that touch the known ones.
_STAGED_KEY_TYPES = {"content_hash": "TEXT", "launch_date": "DATE", "last_seen": "DATE",
                     "piece": "BIGINT"}


def _sighting_pieces(pieces: pa.Table, sightings: pa.Table) -> np.ndarray:
    """Which row of ``pieces`` each sighting is of."""
    if "piece" in sightings.column_names:
        return sightings["piece"].to_numpy().astype(np.int64, copy=False)
    return pc.index_in(sightings["content_hash"].cast(pa.string()),
                       value_set=pieces["content_hash"].combine_chunks().cast(pa.string())
                       ).to_numpy().astype(np.int64, copy=False)


def _states_offers(pieces: pa.Table) -> bool:
    """Whether any piece states an offer term (plain uploads state none until enriched)."""
    return any(pieces.column(t).null_count < pieces.num_rows
               for _code, t, _unit in S.OFFER_MEASURES if t in pieces.column_names)


class Batches(StoreCore):
    """Upload batches: :meth:`write_batch`, :meth:`undo_batch`, :meth:`batches`,
    :meth:`batch`."""

    # ---------------------------------------------------------------- writing an upload
    def write_batch(self, batch: BatchWrite) -> BatchResult:
        """Write one upload atomically: every accepted row of it, or nothing.

        Only the pieces' keys and dates go through a staging table, and only when the store
        holds campaigns already: the store says which pieces it knows (with their ids). The
        new pieces get the next ids here and are appended as they are (PostgreSQL: one binary
        COPY straight into campaigns), and so are their sightings and index_pending rows, so
        that no campaign text is written twice."""
        pieces = as_arrow(batch.pieces)
        sightings = as_arrow(batch.sightings)
        sighting_pieces = _sighting_pieces(pieces, sightings)
        now = utcnow()
        with self._write() as conn:
            self._refuse_a_second_import(conn, batch.file_sha256)
            batch_id, last_id = self._next_ids(conn)
            # (an empty store holds none of the pieces: a first load stages nothing)
            with (self._staging(conn, "incoming", self._piece_keys(pieces), _STAGED_KEY_TYPES)
                  if last_id > 0 else nullcontext()):
                ids = self._piece_ids(conn, pieces.num_rows, last_id, staged=last_id > 0)
                new = self._insert_new_campaigns(conn, pieces, ids, batch_id, now)
                if ids.any_known:
                    self._widen_known_spans(conn, batch_id)
                self._insert_sightings(conn, sightings, ids.campaign_of[sighting_pieces],
                                       batch_id)
                if ids.any_known:
                    self._redate_known_offer_terms(conn, batch_id)
                if _states_offers(new):
                    self._insert_new_offer_terms(conn, batch_id, new.num_rows)
            register_companies(conn, batch.new_companies)
            inserted, resighted = new.num_rows, sightings.num_rows - new.num_rows
            self._record_batch(conn, batch, batch_id, now, inserted, resighted)
        return BatchResult(batch_id=batch_id, inserted=inserted, resighted=resighted,
                           new_ids=(last_id + 1, last_id + inserted) if inserted else None)

    @staticmethod
    def _refuse_a_second_import(conn: sa.Connection, file_sha256: str | None) -> None:
        """The same file twice is one import: checked under the writers' lock, so two
        processes given the same file at once make one batch between them."""
        if file_sha256 is None:
            return
        rows = conn.execute(sa.text(
            "SELECT id, filename, created_at FROM upload_batches WHERE file_sha256 = :h "
            "AND status = 'committed' ORDER BY id LIMIT 1"), {"h": file_sha256}).fetchall()
        if rows:
            batch_id, filename, created_at = rows[0]
            raise AlreadyImportedError(batch_id, filename, created_at)

    @staticmethod
    def _next_ids(conn: sa.Connection) -> tuple[int, int]:
        """The id of the next batch, and the highest campaign id stored (0 when none)."""
        batch_id = int(conn.execute(sa.text(
            "SELECT coalesce(max(id), 0) + 1 FROM upload_batches")).fetchall()[0][0])
        last_id = int(conn.execute(sa.text(
            "SELECT coalesce(max(id), 0) FROM campaigns")).fetchall()[0][0])
        return batch_id, last_id

    @staticmethod
    def _piece_keys(pieces: pa.Table) -> pa.Table:
        """The pieces' hashes and dates, with each one's position: what gets staged."""
        return pieces.select(["content_hash", "launch_date", "last_seen"]).append_column(
            "piece", pa.array(np.arange(pieces.num_rows, dtype=np.int64)))

    def _piece_ids(self, conn: sa.Connection, count: int, last_id: int, staged: bool
                   ) -> _PieceIds:
        """The store's id of every piece: a known one's, or the next free ones in order."""
        campaign_of = np.empty(count, dtype=np.int64)
        is_new = np.ones(count, dtype=bool)
        if staged:
            known = self.query_frame(conn, sa.text(
                "SELECT i.piece, c.id FROM incoming i JOIN campaigns c "
                "ON c.content_hash = i.content_hash"), {})
            known_pieces = known["piece"].to_numpy(dtype=np.int64)
            campaign_of[known_pieces] = known["id"].to_numpy(dtype=np.int64)
            is_new[known_pieces] = False
        new_ids = np.arange(last_id + 1, last_id + 1 + int(is_new.sum()), dtype=np.int64)
        campaign_of[is_new] = new_ids
        return _PieceIds(campaign_of=campaign_of, is_new=is_new, new_ids=pa.array(new_ids))

    def _insert_new_campaigns(self, conn: sa.Connection, pieces: pa.Table, ids: _PieceIds,
                              batch_id: int, now: datetime) -> pa.Table:
        """Append the pieces the store does not hold as campaigns of this batch, each waiting
        for the search index; returns those pieces."""
        cols = [c for c in pieces.column_names if c in S.CAMPAIGN_COLUMNS
                and c not in ("id", "batch_id", "ingested_at")]
        new = pieces.select(cols)
        if ids.any_known:
            new = new.filter(pa.array(ids.is_new))
        inserted = new.num_rows
        with self._bulk_insert(conn, "campaigns", inserted):
            self._append(conn, "campaigns", pa.table({
                "id": ids.new_ids,
                "batch_id": pa.repeat(pa.scalar(batch_id, pa.int64()), inserted),
                "ingested_at": pa.repeat(pa.scalar(now, pa.timestamp("us")), inserted),
                **{c: new[c] for c in cols}}))
        with self._bulk_insert(conn, "index_pending", inserted):
            self._append(conn, "index_pending", pa.table({"campaign_id": ids.new_ids}))
        return new

    @staticmethod
    def _widen_known_spans(conn: sa.Connection, batch_id: int) -> None:
        """A re-sighting widens the known span of the piece; an earlier first sighting changes
        its launch date, which the index holds, so it must be re-indexed. Only the pieces whose
        span moves are rewritten: on a row store an update rewrites the row and every index
        entry of it, even when nothing changes."""
        conn.execute(sa.text(
            "INSERT INTO index_pending (campaign_id) "
            "SELECT c.id FROM campaigns c JOIN incoming i "
            "ON c.content_hash = i.content_hash WHERE c.batch_id <> :batch "
            f"AND i.launch_date < c.launch_date AND {NOT_PENDING}"),
            {"batch": batch_id})
        conn.execute(sa.text(
            "UPDATE campaigns SET "
            "launch_date = least(campaigns.launch_date, i.launch_date), "
            "last_seen = greatest(campaigns.last_seen, i.last_seen) "
            "FROM incoming i WHERE campaigns.content_hash = i.content_hash "
            "AND campaigns.batch_id <> :batch AND (i.launch_date < "
            "campaigns.launch_date OR i.last_seen > campaigns.last_seen)"),
            {"batch": batch_id})

    def _insert_sightings(self, conn: sa.Connection, sightings: pa.Table,
                          campaign_ids: np.ndarray, batch_id: int) -> None:
        """Every sighting of the upload, as one of its campaign (new or known)."""
        with self._bulk_insert(conn, "sightings", sightings.num_rows):
            self._append(conn, "sightings", pa.table({
                "campaign_id": pa.array(campaign_ids),
                "batch_id": pa.repeat(pa.scalar(batch_id, pa.int64()), sightings.num_rows),
                "seen_on": sightings["seen_on"]}))

    @staticmethod
    def _redate_known_offer_terms(conn: sa.Connection, batch_id: int) -> None:
        """Re-sighted campaigns keep their offers; only their dates moved."""
        conn.execute(sa.text(
            "UPDATE offer_terms SET launch_date = c.launch_date, "
            f"launch_month = {S.month_sql('c.launch_date')}, last_seen = c.last_seen "
            "FROM campaigns c JOIN incoming i ON c.content_hash = i.content_hash "
            "WHERE c.id = offer_terms.campaign_id AND c.batch_id <> :batch "
            "AND (offer_terms.launch_date <> c.launch_date "
            "OR offer_terms.last_seen <> c.last_seen)"),
            {"batch": batch_id})

    def _insert_new_offer_terms(self, conn: sa.Connection, batch_id: int, inserted: int
                                ) -> None:
        """The offer_terms rows of the batch's new campaigns."""
        # (a first load of stated offers gives about as many offer rows as pieces)
        with self._bulk_insert(conn, "offer_terms", inserted):
            insert_offer_terms(conn, "c.batch_id = :batch", {"batch": batch_id})

    @staticmethod
    def _record_batch(conn: sa.Connection, batch: BatchWrite, batch_id: int, now: datetime,
                      inserted: int, resighted: int) -> None:
        """The upload_batches row: what the upload was and what it changed."""
        conn.execute(S.upload_batches.insert().values(
            id=batch_id, created_at=now, source=batch.source, filename=batch.filename,
            file_format=batch.file_format, rows_read=batch.rows_read, inserted=inserted,
            resighted=resighted, duplicates=batch.duplicates, rejected=batch.rejected,
            status="committed", report=json.dumps(dict(batch.report), default=str),
            uploaded_by=batch.uploaded_by, file_sha256=batch.file_sha256))

    # ---------------------------------------------------------------- undoing an upload
    def undo_batch(self, batch_id: int) -> list[int]:
        """Remove exactly what a batch added; returns the ids of campaigns that no longer exist.

        A campaign the batch inserted survives when another batch also saw it (it then belongs
        to the earliest such batch); first/last seen are recomputed from the remaining sightings.
        """
        with self._write() as conn:
            self._check_undoable(conn, batch_id)
            params = {"b": batch_id}
            gone = [r[0] for r in conn.execute(sa.text(
                "SELECT id FROM campaigns WHERE batch_id = :b AND NOT EXISTS ("
                "SELECT 1 FROM sightings s WHERE s.campaign_id = campaigns.id "
                "AND s.batch_id <> :b) ORDER BY id"), params).fetchall()]
            conn.execute(sa.text(
                "INSERT INTO index_pending (campaign_id) SELECT DISTINCT c.id FROM sightings s "
                f"JOIN campaigns c ON c.id = s.campaign_id WHERE s.batch_id = :b AND {NOT_PENDING}"),
                params)
            conn.execute(sa.text(
                "DELETE FROM offer_terms WHERE campaign_id IN ("
                "SELECT campaign_id FROM sightings WHERE batch_id = :b)"), params)
            conn.execute(sa.text("DELETE FROM sightings WHERE batch_id = :b"), params)
            self._delete_unsighted_campaigns(conn, params)
            self._recompute_touched_campaigns(conn, params)
            conn.execute(S.upload_batches.update().where(S.upload_batches.c.id == batch_id)
                         .values(status="undone", undone_at=utcnow()))
        return gone

    @staticmethod
    def _check_undoable(conn: sa.Connection, batch_id: int) -> None:
        row = conn.execute(sa.select(S.upload_batches.c.status).where(
            S.upload_batches.c.id == batch_id)).fetchall()
        if not row:
            raise NotFoundError(f"No upload batch {batch_id}. `competiscan batches` lists them.")
        if row[0][0] != "committed":
            raise StoreError(f"Upload batch {batch_id} was already undone.")

    @staticmethod
    def _delete_unsighted_campaigns(conn: sa.Connection, params: dict[str, Any]) -> None:
        """The batch's campaigns that no sighting is left of, and their index_pending rows."""
        gone_sql = ("SELECT id FROM campaigns WHERE batch_id = :b AND NOT EXISTS ("
                    "SELECT 1 FROM sightings s WHERE s.campaign_id = campaigns.id)")
        conn.execute(sa.text(f"DELETE FROM index_pending WHERE campaign_id IN ({gone_sql})"),
                     params)
        conn.execute(sa.text(f"DELETE FROM campaigns WHERE id IN ({gone_sql})"), params)

    @staticmethod
    def _recompute_touched_campaigns(conn: sa.Connection, params: dict[str, Any]) -> None:
        """Dates, owning batch and offer rows of the surviving campaigns the batch touched."""
        conn.execute(sa.text(
            "UPDATE campaigns SET "
            "launch_date = (SELECT min(s.seen_on) FROM sightings s "
            "WHERE s.campaign_id = campaigns.id), "
            "last_seen = (SELECT max(s.seen_on) FROM sightings s "
            "WHERE s.campaign_id = campaigns.id), "
            "batch_id = CASE WHEN batch_id = :b THEN (SELECT min(s.batch_id) FROM sightings s "
            "WHERE s.campaign_id = campaigns.id) ELSE batch_id END "
            "WHERE id IN (SELECT campaign_id FROM index_pending) AND EXISTS ("
            "SELECT 1 FROM sightings s WHERE s.campaign_id = campaigns.id)"), params)
        # The surviving campaigns the batch touched lost their offer rows and are all pending
        # now; a pending campaign that kept its rows was not touched.
        insert_offer_terms(conn, "c.id IN (SELECT campaign_id FROM index_pending) AND "
                                 "NOT EXISTS (SELECT 1 FROM offer_terms o "
                                 "WHERE o.campaign_id = c.id)", {})

    # ---------------------------------------------------------------- listing uploads
    def batches(self, limit: int = 100, source: str | None = None) -> list[dict[str, Any]]:
        """Upload history, newest first; ``source`` keeps one origin (upload, inbox, cli...)."""
        where = "WHERE source = :s " if source is not None else ""
        return self._rows(
            "SELECT id, created_at, uploaded_by, source, filename, file_format, rows_read, "
            "inserted, resighted, duplicates, rejected, status, undone_at FROM upload_batches "
            f"{where}ORDER BY id DESC LIMIT :n", n=limit, s=source)

    def batch_of_file(self, file_sha256: str) -> dict[str, Any] | None:
        """The committed batch that imported the file with this SHA-256, if any."""
        rows = self._rows("SELECT id, created_at, uploaded_by, source, filename, inserted, "
                          "resighted FROM upload_batches WHERE file_sha256 = :h AND "
                          "status = 'committed' ORDER BY id LIMIT 1", h=file_sha256)
        return rows[0] if rows else None

    def batch(self, batch_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM upload_batches WHERE id = :b", b=batch_id)
        if not rows:
            raise NotFoundError(f"No upload batch {batch_id}.")
        row = rows[0]
        row["report"] = json.loads(row["report"]) if row.get("report") else {}
        return row
