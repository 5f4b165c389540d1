"""What every group of the Store's methods stands on: one SQLAlchemy engine, the plumbing to run
SQL on it, the schema's version, and the hooks a backend implements.

A backend subclass (:mod:`.duckdb_store`, :mod:`.postgres_store`) supplies only what really
differs between databases: how a table is staged for bulk SQL and appended to, how writers are
serialised, and the few SQL expressions and plan choices of analytics that each database wants
its own way. The groups of methods (batches, campaigns, the search index queue, enrichment,
companies, saved searches, jobs) live in modules of their own and are composed into
:class:`competiscan.store.Store`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from . import schema as S
from .errors import StoreMissingError, StoreSchemaError

__all__ = ["StoreCore", "utcnow", "as_arrow", "checked_columns", "insert_offer_terms",
           "NOT_PENDING"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def checked_columns(columns: Sequence[str]) -> list[str]:
    """Column names come from code, but a typo must not become SQL: check them."""
    bad = [c for c in columns if c not in S.CAMPAIGN_COLUMNS]
    if bad:
        raise ValueError(f"Unknown campaign column(s): {', '.join(bad)}")
    return list(columns)


def _columns_of(result: sa.CursorResult) -> tuple[list[str], list[Sequence[Any]]]:
    """A result's column names and values, column by column, from plain DBAPI tuples (a frame
    from SQLAlchemy Row objects builds an object per row first)."""
    columns = list(result.keys())
    return columns, list(zip(*result.cursor.fetchall())) or [[] for _ in columns]


# Condition on campaigns ``c``: not already waiting for the index.
NOT_PENDING = "NOT EXISTS (SELECT 1 FROM index_pending p WHERE p.campaign_id = c.id)"


def insert_offer_terms(conn: sa.Connection, condition: str, params: dict[str, Any]) -> None:
    """Add the offer_terms rows of the campaigns ``c`` that satisfy ``condition``."""
    conn.execute(sa.text(f"INSERT INTO offer_terms ({', '.join(S.OFFER_TERM_COLUMNS)}) "
                         f"{S.offer_terms_sql(condition)}"), params)


class StoreCore(ABC):
    """A store over one SQLAlchemy engine: plumbing, schema and backend hooks. Opening one
    writes nothing; :meth:`migrate` is the explicit step that creates or upgrades the schema."""

    dialect_name: str = ""

    #: Whether the median of an ordered-set aggregate (``percentile_cont``) costs a sort of
    #: every row: analytics then counts each distinct value in SQL and reads the median off
    #: those counts instead.
    median_by_counting: bool = False

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        self._write_lock = threading.RLock()

    # ---------------------------------------------------------------- backend hooks: bulk
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

    # ---------------------------------------------------------------- backend hooks: analytics
    # The default of each is portable SQL; a backend overrides it where its planner answers the
    # same question faster in another shape (see competiscan.store.analytics_sql).
    @staticmethod
    def period_sql(interval: str, column: str) -> str:
        """SQL of the first day (a DATE) of the ``interval`` bucket of the DATE ``column``
        (``interval`` already checked: day, week, month or quarter; weeks start on Monday)."""
        # The TIMESTAMP cast keeps PostgreSQL off the timestamptz overload (which would depend
        # on the session time zone); both dialects then return midnight of the first day.
        return f"CAST(date_trunc('{interval}', CAST({column} AS TIMESTAMP)) AS DATE)"

    @staticmethod
    def in_period_sql(interval: str, day: str, period: str, bucket: str) -> str:
        """SQL condition: the DATE ``day`` lies in the ``interval`` bucket starting on
        ``period``; ``bucket`` is SQL of the first day of ``day``'s bucket."""
        # The period as one more equal key to hash on: as a range it would be checked against
        # every period of the other keys' matches.
        return f"{bucket} = {period}"

    @staticmethod
    def latest_ids_sql(limit: int) -> str:
        """SQL aggregate of the ``campaign_id`` of up to ``limit`` offer rows ``o``, most
        recently seen first, then lowest id."""
        return (f"(array_agg(o.campaign_id ORDER BY o.last_seen DESC, o.campaign_id))"
                f"[1:{int(limit)}]")

    @abstractmethod
    def first_ids_in_buckets_sql(self, interval: str, conditions: Sequence[str],
                                 limit: int) -> str:
        """SQL of the first ``limit`` campaigns ``c`` (by launch date, then id) of each bucket
        of the staged table ``wanted_buckets b`` (company, period, period_end: the bucket's
        last day), among the campaigns satisfying every condition of ``conditions``. Columns:
        company, period, ids (comma-joined, in that order)."""

    def _tune_query(self, conn: sa.Connection, *, big_join: bool, parallel: bool) -> None:
        """Set up the transaction ``conn`` for one analytics query (see
        ``AnalyticsQueries._frame`` for ``big_join`` and ``parallel``)."""

    def _analyze(self, conn: sa.Connection, table: str) -> None:
        """Give the planner the statistics of the freshly staged ``table``."""

    # ---------------------------------------------------------------- plumbing
    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._write_lock, self.engine.begin() as conn:
            self._lock_for_write(conn)
            yield conn

    @contextmanager
    def _staging(self, conn: sa.Connection, name: str, frame: pd.DataFrame | pa.Table,
                 types: dict[str, str]) -> Iterator[None]:
        """``frame`` as table ``name`` while the block runs."""
        self._stage(conn, name, frame, types)
        try:
            yield
        finally:
            self._unstage(conn, name)

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
        """Create the schema or apply its pending migrations; returns the schema version now in
        force. The setup step of a store (``open_store(url, create=True)`` calls it)."""
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

    def check_schema(self) -> None:
        """Raise :class:`StoreSchemaError` unless the database holds this code's schema, every
        migration applied. Reads only: a store is migrated by :meth:`migrate`, never on the
        way to reading it."""
        with self.engine.connect() as conn:
            done = (set() if not sa.inspect(conn).has_table("schema_migrations") else
                    {r[0] for r in conn.execute(
                        sa.select(S.schema_migrations.c.version)).fetchall()})
        pending = [version for version, _what, _step in S.MIGRATIONS if version not in done]
        where = self.describe()
        if not done:
            raise StoreMissingError(
                f"{where} holds no Competiscan store yet. Run `competiscan init` (or start the "
                "app) to create it.")
        if max(done) > S.SCHEMA_VERSION:
            raise StoreSchemaError(
                f"{where} was written by a newer Competiscan (schema version {max(done)}; this "
                f"one knows up to {S.SCHEMA_VERSION}). Upgrade Competiscan to read it.")
        if pending:
            raise StoreSchemaError(
                f"{where} has schema version {max(done)}; this Competiscan needs "
                f"{S.SCHEMA_VERSION}. Run `competiscan init` (or start the app) to migrate it.")
