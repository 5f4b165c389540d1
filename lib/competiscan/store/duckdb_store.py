"""DuckDB backend: one file under data/, no server. Bulk paths go through Arrow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from .base import Store, StoreLockedError, StoreUnavailableError, as_arrow

__all__ = ["DuckDBStore"]


def _raw(conn: sa.Connection) -> duckdb.DuckDBPyConnection:
    raw = conn.connection.driver_connection
    # DuckDB 2 refuses register() while a fetched result is still open on the connection.
    raw.complete()
    return raw


class DuckDBStore(Store):
    dialect_name = "duckdb"

    def __init__(self, url: str) -> None:
        engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=4)
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        try:
            with engine.connect():
                pass
        except Exception as exc:  # duckdb raises IOException subclasses for locks
            message = str(exc)
            if "lock" in message.lower():
                raise StoreLockedError(
                    f"The database file {database} is in use by another process (most likely "
                    "the running Competiscan app; DuckDB allows one process at a time). Use the "
                    "app's Upload page, drop the file into the inbox folder (COMPETISCAN_INBOX) "
                    "for the running app to ingest, or stop the app and run this again."
                ) from None
            raise StoreUnavailableError(f"Cannot open DuckDB file {database}: {message}") from None
        super().__init__(url, engine)

    def _bulk_table(self, sql: str, **params: Any) -> pa.Table:
        # DuckDB hands its result over as Arrow columns, with no Python object per value.
        with self.engine.connect() as conn:
            return _raw(conn).sql(re.sub(r"(?<!:):(\w+)", r"$\1", sql), params=params).to_arrow_table()

    def query_frame(self, conn: sa.Connection, stmt: sa.TextClause,
                    params: dict[str, Any]) -> pd.DataFrame:
        # DuckDB hands over its result as columns: ~10x faster than Python tuples of dates,
        # which is most of the time of a weekly series over 1M campaigns.
        return conn.execute(stmt, params).cursor.df()

    def _stage(self, conn: sa.Connection, name: str, frame: pd.DataFrame | pa.Table,
               types: dict[str, str]) -> None:
        _raw(conn).register(name, as_arrow(frame))

    def _append(self, conn: sa.Connection, table: str, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        raw = _raw(conn)
        raw.register("appended", rows)
        columns = ", ".join(rows.column_names)
        # In insertion order DuckDB inserts on one thread: 892k campaigns 4.3-4.6 s against
        # 2.3-2.8 s (measured). The rows carry their ids; their physical order does not matter.
        raw.execute("SET preserve_insertion_order = false")
        try:
            raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM appended")
        finally:
            raw.execute("RESET preserve_insertion_order")
            raw.unregister("appended")

    def _unstage(self, conn: sa.Connection, name: str) -> None:
        _raw(conn).unregister(name)
