"""The Store: the source of truth, and the one room where SQL lives.

Pages, the CLI and the other library modules call named methods (``store.write_batch``,
``store.undo_batch``, ``store.summary``...) and never hold SQL. A backend subclass only supplies
what really differs between databases: how a DataFrame is staged for bulk SQL, how a writer is
serialised, and how connection errors are explained.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ..model import OFFER_FIELDS
from . import schema as S

__all__ = ["Store", "BatchWrite", "BatchResult", "StoreError", "StoreLockedError",
           "StoreUnavailableError", "NotFoundError"]


class StoreError(RuntimeError):
    """A store operation failed in a way the user can act on; the message says how."""


class StoreLockedError(StoreError):
    """Another process holds the database file (DuckDB allows one writer process)."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached."""


class NotFoundError(StoreError, LookupError):
    """The asked-for record does not exist."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


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


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    inserted: int
    resighted: int
    new_ids: tuple[int, int] | None  # inclusive id range of inserted campaigns, if any


def _columns_of(result: sa.CursorResult) -> tuple[list[str], list[Sequence[Any]]]:
    """A result's column names and values, column by column, from plain DBAPI tuples (a frame
    from SQLAlchemy Row objects costs ~10x more)."""
    columns = list(result.keys())
    return columns, list(zip(*result.cursor.fetchall())) or [[] for _ in columns]


# Condition on campaigns ``c``: not already waiting for the index.
_NOT_PENDING = "NOT EXISTS (SELECT 1 FROM index_pending p WHERE p.campaign_id = c.id)"

# Columns a search document needs (see competiscan.search.base).
INDEX_COLUMNS: tuple[str, ...] = (
    "id", "company", "industry", "channel", "campaign_type", "sentiment_label", "launch_date",
    "ingested_at", "title", "subject_line", "content", "keywords", *OFFER_FIELDS,
)


class Store(ABC):
    """A campaign store over one SQLAlchemy engine. Use :func:`competiscan.store.open_store`."""

    dialect_name: str = ""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        self._write_lock = threading.RLock()
        self.migrate()

    # ---------------------------------------------------------------- backend hooks
    @abstractmethod
    def _stage(self, conn: sa.Connection, name: str, frame: pd.DataFrame | pa.Table,
               types: dict[str, str]) -> None:
        """Make ``frame`` queryable as table ``name`` inside the current transaction."""

    @abstractmethod
    def _unstage(self, conn: sa.Connection, name: str) -> None:
        """Drop what ``_stage`` made."""

    def _lock_for_write(self, conn: sa.Connection) -> None:
        """Serialise writers across processes where the backend allows several."""

    @abstractmethod
    def _append(self, conn: sa.Connection, table: str, rows: pa.Table) -> None:
        """Insert ``rows`` (columns named as the table's) into ``table``."""

    @contextmanager
    def _bulk_insert(self, conn: sa.Connection, table: str, rows: int) -> Iterator[None]:
        """Around one statement inserting ``rows`` rows into ``table`` inside a write: a backend
        may build the table's indexes after it instead of maintaining them row by row."""
        yield

    def query_frame(self, conn: sa.Connection, stmt: sa.TextClause,
                    params: dict[str, Any]) -> pd.DataFrame:
        """The result of ``stmt`` on ``conn`` as a DataFrame (a backend may fetch it as
        columns instead of rows)."""
        columns, data = _columns_of(conn.execute(stmt, params))
        return pd.DataFrame(dict(zip(columns, data)), columns=columns)

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # ---------------------------------------------------------------- plumbing
    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._write_lock, self.engine.begin() as conn:
            self._lock_for_write(conn)
            yield conn

    def _rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params).fetchall()]

    def _bulk_table(self, sql: str, **params: Any) -> pa.Table:
        """The rows of ``sql`` as an Arrow table; a backend may fetch them as columns."""
        with self.engine.connect() as conn:
            columns, data = _columns_of(conn.execute(sa.text(sql), params))
        return pa.table({name: pa.array(values) for name, values in zip(columns, data)})

    def _scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(sql), params).fetchall()
        return rows[0][0] if rows else None

    def _frame(self, sql: str, **params: Any) -> pd.DataFrame:
        with self.engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            rows = result.fetchall()
            return pd.DataFrame(rows, columns=list(result.keys()))

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------- schema
    def migrate(self) -> int:
        """Apply pending migrations; returns the schema version now in force."""
        with self._write() as conn:
            S.schema_migrations.create(conn, checkfirst=True)
            done = {r[0] for r in conn.execute(sa.select(S.schema_migrations.c.version)).fetchall()}
            for version, _what, step in S.MIGRATIONS:
                if version in done:
                    continue
                step(conn)
                conn.execute(S.schema_migrations.insert().values(version=version,
                                                                 applied_at=utcnow()))
        return S.SCHEMA_VERSION

    def schema_version(self) -> int:
        return int(self._scalar("SELECT max(version) FROM schema_migrations") or 0)

    # ---------------------------------------------------------------- companies
    def ensure_companies(self, rows: Iterable[tuple[str, str | None, Sequence[str]]]) -> None:
        """Register canonical companies (name, industry, alias keys); existing ones are kept."""
        flat = [(name, key, industry) for name, industry, keys in rows for key in keys]
        with self._write() as conn:
            self._register_companies(conn, flat)

    def _register_companies(self, conn: sa.Connection,
                            rows: list[tuple[str, str, str | None]]) -> None:
        if not rows:
            return
        known = {r[0] for r in conn.execute(sa.select(S.companies.c.name)).fetchall()}
        known_alias = {r[0] for r in conn.execute(
            sa.select(S.company_aliases.c.alias_key)).fetchall()}
        companies = {name: industry for name, _key, industry in rows if name not in known}
        aliases = {key: name for name, key, _industry in rows if key not in known_alias}
        if companies:
            conn.execute(S.companies.insert(),
                         [{"name": k, "industry": v} for k, v in companies.items()])
        if aliases:
            conn.execute(S.company_aliases.insert(),
                         [{"alias_key": k, "company": v} for k, v in aliases.items()])

    def company_aliases(self) -> dict[str, str]:
        return {r["alias_key"]: r["company"] for r in
                self._rows("SELECT alias_key, company FROM company_aliases")}

    def company_industries(self) -> dict[str, str]:
        return {r["name"]: r["industry"] for r in
                self._rows("SELECT name, industry FROM companies WHERE industry IS NOT NULL")}

    # ---------------------------------------------------------------- ingestion writes
    def write_batch(self, batch: BatchWrite) -> BatchResult:
        """Write one upload atomically: every accepted row of it, or nothing.

        Only the pieces' keys and dates go through a staging table: the store says which of
        them it holds already (with their ids); the new pieces get the next ids here and are
        appended as they are (PostgreSQL: one COPY straight into campaigns), and so are their
        sightings and index_pending rows. A staging table of whole pieces and an
        INSERT ... SELECT from it wrote every text twice (268k campaigns on PostgreSQL:
        2.5 s, against 1.05 s for the binary COPY now, measured)."""
        pieces = as_arrow(batch.pieces)
        cols = [c for c in pieces.column_names if c in S.CAMPAIGN_COLUMNS
                and c not in ("id", "batch_id", "ingested_at")]
        sightings = as_arrow(batch.sightings)
        # which row of pieces each sighting is of
        piece = (sightings["piece"] if "piece" in sightings.column_names else pc.index_in(
            sightings["content_hash"].cast(pa.string()),
            value_set=pieces["content_hash"].combine_chunks().cast(pa.string()))
                 ).to_numpy().astype(np.int64, copy=False)
        now = utcnow()
        with self._write() as conn:
            batch_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM upload_batches")).fetchall()[0][0])
            base_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) FROM campaigns")).fetchall()[0][0])
            # (an empty store holds none of them: a first load stages nothing)
            staged = base_id > 0
            if staged:
                self._stage(conn, "incoming", pieces.select(
                    ["content_hash", "launch_date", "last_seen"]).append_column(
                    "piece", pa.array(np.arange(pieces.num_rows, dtype=np.int64))),
                            {"content_hash": "TEXT", "launch_date": "DATE", "last_seen": "DATE",
                             "piece": "BIGINT"})
            try:
                # The store's id of every piece: a known one's, or the next free ones in order.
                campaign_of = np.empty(pieces.num_rows, dtype=np.int64)
                is_new = np.ones(pieces.num_rows, dtype=bool)
                if staged:
                    known = self.query_frame(conn, sa.text(
                        "SELECT i.piece, c.id FROM incoming i JOIN campaigns c "
                        "ON c.content_hash = i.content_hash"), {})
                    known_pieces = known["piece"].to_numpy(dtype=np.int64)
                    campaign_of[known_pieces] = known["id"].to_numpy(dtype=np.int64)
                    is_new[known_pieces] = False
                any_known = not is_new.all()
                new = pieces.select(cols)
                if any_known:
                    new = new.filter(pa.array(is_new))
                inserted = new.num_rows
                ids = pa.array(np.arange(base_id + 1, base_id + 1 + inserted, dtype=np.int64))
                campaign_of[is_new] = ids.to_numpy()
                with self._bulk_insert(conn, "campaigns", inserted):
                    self._append(conn, "campaigns", pa.table({
                        "id": ids, "batch_id": pa.repeat(pa.scalar(batch_id, pa.int64()),
                                                         inserted),
                        "ingested_at": pa.repeat(pa.scalar(now, pa.timestamp("us")), inserted),
                        **{c: new[c] for c in cols}}))
                with self._bulk_insert(conn, "index_pending", inserted):
                    self._append(conn, "index_pending", pa.table({"campaign_id": ids}))
                # A re-sighting widens the known span of the piece; an earlier first sighting
                # changes its launch date, which the index holds, so it must be re-indexed.
                # Only pieces whose span moves are rewritten: the same 300k-row file again on
                # PostgreSQL rewrote every row and index entry of them (11.7 s, measured).
                if any_known:
                    conn.execute(sa.text(
                        "INSERT INTO index_pending (campaign_id) "
                        "SELECT c.id FROM campaigns c JOIN incoming i "
                        "ON c.content_hash = i.content_hash WHERE c.batch_id <> :batch "
                        f"AND i.launch_date < c.launch_date AND {_NOT_PENDING}"),
                        {"batch": batch_id})
                    conn.execute(sa.text(
                        "UPDATE campaigns SET "
                        "launch_date = least(campaigns.launch_date, i.launch_date), "
                        "last_seen = greatest(campaigns.last_seen, i.last_seen) "
                        "FROM incoming i WHERE campaigns.content_hash = i.content_hash "
                        "AND campaigns.batch_id <> :batch AND (i.launch_date < "
                        "campaigns.launch_date OR i.last_seen > campaigns.last_seen)"),
                        {"batch": batch_id})
                # every sighting is of a piece of this batch: new (ids above) or known
                with self._bulk_insert(conn, "sightings", sightings.num_rows):
                    self._append(conn, "sightings", pa.table({
                        "campaign_id": pa.array(campaign_of[piece]),
                        "batch_id": pa.repeat(pa.scalar(batch_id, pa.int64()),
                                              sightings.num_rows),
                        "seen_on": sightings["seen_on"]}))
                if any_known:
                    # Re-sighted campaigns keep their offers; only their dates moved.
                    conn.execute(sa.text(
                        "UPDATE offer_terms SET launch_date = c.launch_date, "
                        f"launch_month = {S.month_sql('c.launch_date')}, last_seen = c.last_seen "
                        "FROM campaigns c JOIN incoming i ON c.content_hash = i.content_hash "
                        "WHERE c.id = offer_terms.campaign_id AND c.batch_id <> :batch "
                        "AND (offer_terms.launch_date <> c.launch_date "
                        "OR offer_terms.last_seen <> c.last_seen)"),
                        {"batch": batch_id})
                if _states_offers(new):
                    # (a first load of stated offers gives about as many offer rows as pieces)
                    with self._bulk_insert(conn, "offer_terms", inserted):
                        self._insert_offer_terms(conn, "c.batch_id = :batch", {"batch": batch_id})
            finally:
                if staged:
                    self._unstage(conn, "incoming")
            self._register_companies(conn, batch.new_companies)
            resighted = sightings.num_rows - inserted
            report = dict(batch.report)
            conn.execute(S.upload_batches.insert().values(
                id=batch_id, created_at=now, source=batch.source, filename=batch.filename,
                file_format=batch.file_format, rows_read=batch.rows_read, inserted=inserted,
                resighted=resighted, duplicates=batch.duplicates, rejected=batch.rejected,
                status="committed", report=json.dumps(report, default=str)))
        new_ids = (base_id + 1, base_id + inserted) if inserted else None
        return BatchResult(batch_id=batch_id, inserted=inserted, resighted=resighted,
                           new_ids=new_ids)

    @staticmethod
    def _insert_offer_terms(conn: sa.Connection, condition: str, params: dict[str, Any]
                            ) -> None:
        """Add the offer_terms rows of the campaigns ``c`` that satisfy ``condition``."""
        conn.execute(sa.text(f"INSERT INTO offer_terms ({', '.join(S.OFFER_TERM_COLUMNS)}) "
                             f"{S.offer_terms_sql(condition)}"), params)

    def undo_batch(self, batch_id: int) -> list[int]:
        """Remove exactly what a batch added; returns the ids of campaigns that no longer exist.

        A campaign the batch inserted survives when another batch also saw it (it then belongs
        to the earliest such batch); first/last seen are recomputed from the remaining sightings.
        """
        with self._write() as conn:
            row = conn.execute(sa.select(S.upload_batches.c.status).where(
                S.upload_batches.c.id == batch_id)).fetchall()
            if not row:
                raise NotFoundError(f"No upload batch {batch_id}. `competiscan batches` lists them.")
            if row[0][0] != "committed":
                raise StoreError(f"Upload batch {batch_id} was already undone.")
            params = {"b": batch_id}
            gone = [r[0] for r in conn.execute(sa.text(
                "SELECT id FROM campaigns WHERE batch_id = :b AND NOT EXISTS ("
                "SELECT 1 FROM sightings s WHERE s.campaign_id = campaigns.id "
                "AND s.batch_id <> :b) ORDER BY id"), params).fetchall()]
            conn.execute(sa.text(
                "INSERT INTO index_pending (campaign_id) SELECT DISTINCT c.id FROM sightings s "
                f"JOIN campaigns c ON c.id = s.campaign_id WHERE s.batch_id = :b AND {_NOT_PENDING}"),
                params)
            conn.execute(sa.text(
                "DELETE FROM offer_terms WHERE campaign_id IN ("
                "SELECT campaign_id FROM sightings WHERE batch_id = :b)"), params)
            conn.execute(sa.text("DELETE FROM sightings WHERE batch_id = :b"), params)
            gone_sql = ("SELECT id FROM campaigns WHERE batch_id = :b AND NOT EXISTS ("
                        "SELECT 1 FROM sightings s WHERE s.campaign_id = campaigns.id)")
            conn.execute(sa.text(f"DELETE FROM index_pending WHERE campaign_id IN ({gone_sql})"),
                         params)
            conn.execute(sa.text(f"DELETE FROM campaigns WHERE id IN ({gone_sql})"), params)
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
            # The surviving campaigns the batch touched lost their offer rows above and are
            # all pending now; a pending campaign that kept its rows was not touched.
            self._insert_offer_terms(conn, "c.id IN (SELECT campaign_id FROM index_pending) AND "
                                           "NOT EXISTS (SELECT 1 FROM offer_terms o "
                                           "WHERE o.campaign_id = c.id)", {})
            conn.execute(S.upload_batches.update().where(S.upload_batches.c.id == batch_id)
                         .values(status="undone", undone_at=utcnow()))
        return gone

    # ---------------------------------------------------------------- batches
    def batches(self, limit: int = 100) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT id, created_at, source, filename, file_format, rows_read, inserted, "
            "resighted, duplicates, rejected, status, undone_at FROM upload_batches "
            "ORDER BY id DESC LIMIT :n", n=limit)

    def batch(self, batch_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM upload_batches WHERE id = :b", b=batch_id)
        if not rows:
            raise NotFoundError(f"No upload batch {batch_id}.")
        row = rows[0]
        row["report"] = json.loads(row["report"]) if row.get("report") else {}
        return row

    # ---------------------------------------------------------------- reads
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
        rows = self._rows(f"SELECT c.*, {_NOT_PENDING} AS indexed FROM campaigns c "
                          "WHERE c.id = :i", i=campaign_id)
        if not rows:
            raise NotFoundError(f"No campaign with id {campaign_id}.")
        return rows[0]

    def campaigns_by_ids(self, ids: Sequence[int], columns: Sequence[str] | None = None
                         ) -> pd.DataFrame:
        cols = ", ".join(_checked_columns(columns)) if columns else "*"
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
        (col,) = _checked_columns([column])
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
        cols = ", ".join(_checked_columns(columns)) if columns else "*"
        return self._frame(f"SELECT {cols} FROM campaigns ORDER BY id")

    # ---------------------------------------------------------------- search projection
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
        with self._write() as conn:
            self._stage(conn, "marked", pd.DataFrame({"id": list(map(int, ids))}),
                        {"id": "BIGINT"})
            try:
                conn.execute(sa.text("DELETE FROM index_pending "
                                     "WHERE campaign_id IN (SELECT id FROM marked)"))
            finally:
                self._unstage(conn, "marked")

    def mark_all_unindexed(self) -> None:
        with self._write() as conn:
            conn.execute(sa.text("DELETE FROM index_pending"))
            conn.execute(sa.text("INSERT INTO index_pending (campaign_id) SELECT id FROM campaigns"))

    def all_ids(self) -> set[int]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.text("SELECT id FROM campaigns")).fetchall()}


    # ---------------------------------------------------------------- enrichment
    def get_many(self, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], dict]:
        """Cached model answers by (content_hash, model, prompt_version)."""
        if not keys:
            return {}
        frame = pd.DataFrame(list(keys), columns=["content_hash", "model", "prompt_version"])
        with self.engine.connect() as conn:
            self._stage(conn, "wanted", frame, {})
            try:
                rows = conn.execute(sa.text(
                    "SELECT e.content_hash, e.model, e.prompt_version, e.result "
                    "FROM enrichment_cache e JOIN wanted w ON w.content_hash = e.content_hash "
                    "AND w.model = e.model AND w.prompt_version = e.prompt_version")).fetchall()
            finally:
                self._unstage(conn, "wanted")
            conn.commit()
        return {(r[0], r[1], r[2]): json.loads(r[3]) for r in rows}

    def put_many(self, items: dict[tuple[str, str, str], dict]) -> None:
        """Store model answers; an existing answer for the same key is kept."""
        if not items:
            return
        with self._write() as conn:
            frame = pd.DataFrame(list(items), columns=["content_hash", "model", "prompt_version"])
            self._stage(conn, "offered", frame, {})
            try:
                existing = {(r[0], r[1], r[2]) for r in conn.execute(sa.text(
                    "SELECT e.content_hash, e.model, e.prompt_version FROM enrichment_cache e "
                    "JOIN offered o ON o.content_hash = e.content_hash AND o.model = e.model "
                    "AND o.prompt_version = e.prompt_version")).fetchall()}
            finally:
                self._unstage(conn, "offered")
            now = utcnow()
            rows = [{"content_hash": k[0], "model": k[1], "prompt_version": k[2],
                     "result": json.dumps(v, default=str), "created_at": now}
                    for k, v in items.items() if k not in existing]
            if rows:
                conn.execute(S.enrichment_cache.insert(), rows)

    def enrichment_inputs(self, only_not_by: str | None = None, limit: int = 10_000,
                          after_id: int = 0) -> pd.DataFrame:
        """Campaign texts to enrich, in id order; optionally only those not yet enriched by
        ``only_not_by`` (an ``enriched_by`` value)."""
        where = "AND (enriched_by IS NULL OR enriched_by <> :by)" if only_not_by else ""
        return self._frame(
            "SELECT id, content_hash, title, subject_line, content, channel, campaign_type, "
            "campaign_type_source FROM campaigns WHERE id > :after "
            f"{where} ORDER BY id LIMIT :n", after=after_id, n=limit, by=only_not_by)

    def write_enrichment(self, frame: pd.DataFrame) -> None:
        """Replace the enrichment columns of the campaigns in ``frame`` (by id)."""
        if frame.empty:
            return
        cols = [c for c in frame.columns if c in S.CAMPAIGN_COLUMNS and c != "id"]
        types = S.column_types("campaigns")
        with self._write() as conn:
            self._stage(conn, "enriched", frame[["id", *cols]], types)
            try:
                sets = ", ".join(f"{c} = e.{c}" for c in cols)
                conn.execute(sa.text(f"UPDATE campaigns SET {sets} "
                                     "FROM enriched e WHERE campaigns.id = e.id"))
                conn.execute(sa.text(
                    "INSERT INTO index_pending (campaign_id) SELECT DISTINCT c.id "
                    "FROM enriched e JOIN campaigns c ON c.id = e.id "
                    f"WHERE {_NOT_PENDING}"))
                conn.execute(sa.text("DELETE FROM offer_terms WHERE campaign_id IN "
                                     "(SELECT id FROM enriched)"))
                self._insert_offer_terms(conn, "c.id IN (SELECT id FROM enriched)", {})
            finally:
                self._unstage(conn, "enriched")

    # ---------------------------------------------------------------- jobs
    def start_job(self, kind: str, total: int) -> int:
        with self._write() as conn:
            job_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM jobs")).fetchall()[0][0])
            conn.execute(S.jobs.insert().values(id=job_id, kind=kind, status="running",
                                                total=total, done=0, started_at=utcnow()))
        return job_id

    def update_job(self, job_id: int, *, done: int | None = None, status: str | None = None,
                   message: str | None = None) -> None:
        values: dict[str, Any] = {}
        if done is not None:
            values["done"] = done
        if status is not None:
            values["status"] = status
            if status != "running":
                values["finished_at"] = utcnow()
        if message is not None:
            values["message"] = message
        with self._write() as conn:
            conn.execute(S.jobs.update().where(S.jobs.c.id == job_id).values(**values))

    def job(self, job_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM jobs WHERE id = :i", i=job_id)
        if not rows:
            raise NotFoundError(f"No job {job_id}.")
        return rows[0]

    def jobs(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM jobs ORDER BY id DESC LIMIT :n", n=limit)

    # ---------------------------------------------------------------- saved searches
    def save_search(self, name: str, query: str, filters: dict[str, Any]) -> int:
        name = " ".join(name.split())
        if not name:
            raise StoreError("A saved search needs a name.")
        now = utcnow()
        with self._write() as conn:
            if conn.execute(sa.select(S.saved_searches.c.id).where(
                    S.saved_searches.c.name == name)).fetchall():
                raise StoreError(f"A saved search named {name!r} exists; pick another name.")
            new_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM saved_searches")).fetchall()[0][0])
            conn.execute(S.saved_searches.insert().values(
                id=new_id, name=name, query=query, filters=json.dumps(filters, default=str),
                created_at=now, last_checked_at=now))
        return new_id

    def saved_searches(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM saved_searches ORDER BY name")
        for row in rows:
            row["filters"] = json.loads(row["filters"])
        return rows

    def saved_search(self, search_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM saved_searches WHERE id = :i", i=search_id)
        if not rows:
            raise NotFoundError(f"No saved search {search_id}.")
        rows[0]["filters"] = json.loads(rows[0]["filters"])
        return rows[0]

    def mark_search_checked(self, search_id: int, when: datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute(S.saved_searches.update().where(S.saved_searches.c.id == search_id)
                         .values(last_checked_at=when or utcnow()))

    def delete_saved_search(self, search_id: int) -> None:
        with self._write() as conn:
            conn.execute(S.saved_searches.delete().where(S.saved_searches.c.id == search_id))


def _states_offers(pieces: pa.Table) -> bool:
    """Whether any piece states an offer term (plain uploads state none until enriched)."""
    return any(pieces.column(t).null_count < pieces.num_rows
               for _code, t, _unit in S.OFFER_MEASURES if t in pieces.column_names)


def as_arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def _checked_columns(columns: Sequence[str]) -> list[str]:
    """Column names come from code, but a typo must not become SQL: check them."""
    bad = [c for c in columns if c not in S.CAMPAIGN_COLUMNS]
    if bad:
        raise ValueError(f"Unknown campaign column(s): {', '.join(bad)}")
    return list(columns)
