"""DuckDB backend: one file under data/, no server. Bulk paths go through Arrow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from .base import Store
from .core import StoreCore, as_arrow
from .errors import StoreLockedError, StoreMissingError, StoreUnavailableError

__all__ = ["DuckDBStore"]


def _raw(conn: sa.Connection) -> duckdb.DuckDBPyConnection:
    raw = conn.connection.driver_connection
    # DuckDB 2 refuses register() while a fetched result is still open on the connection.
    raw.complete()
    return raw


def _day_then_id(day: str, id_: str, lowest_id_last: bool = False) -> str:
    """One BIGINT that orders rows by the DATE ``day``, then by ``id_`` (ids below 2^40;
    ``lowest_id_last`` reverses the id order, for a descending pick that wants the lowest id
    first among equal days)."""
    tie = f"(1099511627775 - {id_})" if lowest_id_last else id_
    return f"(date_diff('day', DATE '1970-01-01', {day}) * 1099511627776 + {tie})"


class DuckDBStore(Store):
    dialect_name = "duckdb"

    def __init__(self, url: str, *, create: bool = False) -> None:
        """Open the DuckDB file of ``url``; only with ``create`` are it and its folder made."""
        engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=4)
        database = engine.url.database
        if database and database != ":memory:":
            if create:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            elif not Path(database).exists():
                raise StoreMissingError(
                    f"There is no store at {database}. Check the database URL, or run "
                    "`competiscan init` (or start the app) to create one there.")
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

    # ---------------------------------------------------------------- bulk paths
    def _bulk_table(self, sql: str, **params: Any) -> pa.Table:
        # DuckDB hands its result over as Arrow columns, with no Python object per value.
        with self.engine.connect() as conn:
            return _raw(conn).sql(re.sub(r"(?<!:):(\w+)", r"$\1", sql), params=params).to_arrow_table()

    def query_frame(self, conn: sa.Connection, stmt: sa.TextClause,
                    params: dict[str, Any]) -> pd.DataFrame:
        # DuckDB hands over its result as columns: no Python tuple per row, no Python date
        # object per value, which is what a weekly series over many campaigns is made of.
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
        # DuckDB inserts in parallel only when it need not keep the insertion order. The rows
        # carry their ids; their physical order does not matter.
        raw.execute("SET preserve_insertion_order = false")
        try:
            raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM appended")
        finally:
            raw.execute("RESET preserve_insertion_order")
            raw.unregister("appended")

    def _unstage(self, conn: sa.Connection, name: str) -> None:
        _raw(conn).unregister(name)

    # ---------------------------------------------------------------- analytics hooks
    @staticmethod
    def period_sql(interval: str, column: str) -> str:
        if interval == "quarter":
            return StoreCore.period_sql(interval, column)
        # Date arithmetic instead of date_trunc, which goes through a TIMESTAMP and back: the
        # same days (checked for every day of 2000-2030 in the tests), fewer conversions.
        part = {"day": None, "week": "isodow", "month": "dayofmonth"}[interval]
        return column if part is None else f"({column} - CAST({part}({column}) - 1 AS INTEGER))"

    @staticmethod
    def latest_ids_sql(limit: int) -> str:
        # A bounded arg_max keeps the first ``limit`` without sorting every match.
        return (f"arg_max(o.campaign_id, "
                f"{_day_then_id('o.last_seen', 'o.campaign_id', True)}, {int(limit)})")

    def first_ids_in_buckets_sql(self, interval: str, conditions: Sequence[str],
                                 limit: int) -> str:
        # No index to walk: every piece is hash-joined to its bucket on equal keys (a join on
        # the date range compares each piece with every bucket of its company), then a bounded
        # arg_min keeps each bucket's first ``limit`` without ranking or sorting all of them.
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"""
            SELECT b.company, b.period,
                   array_to_string(arg_min(c.id, {_day_then_id('c.launch_date', 'c.id')},
                                           {int(limit)}), ',') AS ids
            FROM campaigns c JOIN wanted_buckets b ON b.company = c.company
                 AND b.period = {self.period_sql(interval, 'c.launch_date')}
            {where} GROUP BY b.company, b.period"""
