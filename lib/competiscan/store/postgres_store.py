"""PostgreSQL backend: for teams that share one store. Bulk paths go through COPY."""

from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from . import pgcopy
from . import schema as S
from .base import Store
from .core import StoreCore, as_arrow
from .errors import StoreUnavailableError

__all__ = ["PostgresStore"]

# Any key would do; it only has to be the same for every Competiscan writer.
_WRITER_LOCK_KEY = 0x436F6D70  # "Comp"


def _for_copy(column: pa.ChunkedArray, sql_type: str) -> pa.ChunkedArray:
    """Shape a column for COPY: whole numbers for INTEGER (CSV would say 15.0), dates for DATE."""
    if sql_type in ("INTEGER", "BIGINT") and pa.types.is_floating(column.type):
        return pc.cast(pc.round(column), pa.int64())
    if sql_type == "DATE" and pa.types.is_timestamp(column.type):
        return pc.cast(column, pa.date32())
    return column


# Arrow types of the PostgreSQL types a query result may have (by type OID); others are read
# as text.
_ARROW_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int64(), 23: pa.int64(), 700: pa.float64(),
    701: pa.float64(), 1700: pa.float64(), 1082: pa.date32(), 1114: pa.timestamp("us"),
}


# The interval from the first day of a bucket to the next bucket's.
_STEP = {"day": "1 day", "week": "7 days", "month": "1 month", "quarter": "3 months"}


class PostgresStore(Store):
    dialect_name = "postgresql"
    # An ordered-set aggregate sorts every row of its groups; one hash aggregate counting each
    # distinct value gives the same medians from far fewer rows.
    median_by_counting = True

    def __init__(self, url: str) -> None:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5)
        try:
            with engine.connect():
                pass
        except sa.exc.OperationalError as exc:
            raise StoreUnavailableError(
                f"Cannot connect to PostgreSQL at {engine.url.render_as_string(hide_password=True)}"
                f": {str(exc.orig).strip().splitlines()[0]}. Is the server running and the "
                "database created?") from None
        super().__init__(url, engine)

    #: An insert of at least this many rows into an empty table builds its indexes afterwards.
    BULK_INSERT_MIN_ROWS = 20_000

    def _lock_for_write(self, conn: sa.Connection) -> None:
        # Batch and campaign ids are max()+1 within the transaction: one writer at a time.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITER_LOCK_KEY})

    @contextmanager
    def _bulk_insert(self, conn: sa.Connection, table: str, rows: int) -> Iterator[None]:
        """A first large load into ``table`` (empty, ``rows`` at or above BULK_INSERT_MIN_ROWS)
        drops its secondary indexes and builds them again after the insert, in the same
        transaction: PostgreSQL builds an index from sorted rows several times faster than it
        maintains it row by row. A failed write rolls the drop back with everything else.
        Dropping an index locks the table until the commit, so it is done only while the table
        is empty: no reader waits for anything but rows it could not yet see."""
        if rows < self.BULK_INSERT_MIN_ROWS or conn.execute(
                sa.text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar():
            yield
            return
        # Indexes that back a constraint (the primary key) stay: ids arrive in order.
        indexes = conn.execute(sa.text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = :table "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
            "AND c.connamespace = to_regnamespace(i.schemaname))"), {"table": table}).fetchall()
        for name, _definition in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        yield
        # Sorting in memory (and in parallel workers, as the server allows) for the builds.
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            conn.exec_driver_sql(definition)

    def query_frame(self, conn: sa.Connection, stmt: sa.TextClause,
                    params: dict[str, Any]) -> pd.DataFrame:
        """The result through COPY ... TO STDOUT as CSV, read by Arrow's multi-threaded
        parser: no Python tuple per row nor Python object per value, as the rows of a
        DBAPI cursor would have."""
        compiled = stmt.bindparams(**params).compile(
            dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        raw = conn.connection.driver_connection
        # COPY takes no parameters: psycopg quotes them into the text, as it does for any
        # client-side bound query.
        query = psycopg.ClientCursor(raw).mogrify(compiled.string, compiled.params)
        with raw.cursor() as cur:
            cur.execute(f"SELECT * FROM ({query}) AS result LIMIT 0")
            described = [(d.name, d.type_code) for d in cur.description or ()]
            buffer = io.BytesIO()
            with cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        names = [name for name, _oid in described]
        if not buffer.getbuffer().nbytes:
            return pd.DataFrame(columns=names)
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(buffer.getbuffer())),   # in place, not copied
            read_options=pacsv.ReadOptions(column_names=names),
            convert_options=pacsv.ConvertOptions(
                column_types={n: _ARROW_TYPES.get(oid, pa.string()) for n, oid in described},
                # COPY writes NULL as an unquoted empty field and '' as a quoted one.
                strings_can_be_null=True, quoted_strings_can_be_null=False))
        return table.to_pandas()

    #: Rows encoded per block handed to COPY (a block, not the whole table, in memory).
    COPY_CHUNK_ROWS = 32_768

    def _stage(self, conn: sa.Connection, name: str, frame: pd.DataFrame | pa.Table,
               types: dict[str, str]) -> None:
        table = as_arrow(frame)
        columns = table.column_names
        ddl = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in columns)
        conn.execute(sa.text(f"CREATE TEMP TABLE {name} ({ddl}) ON COMMIT DROP"))
        table = pa.table({c: _for_copy(table[c], types.get(c, "TEXT")) for c in columns})
        # Arrow's CSV writer: a null is an unquoted empty field (NULL to COPY), an empty string
        # a quoted one.
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN "
                                           "WITH (FORMAT csv)") as copy:
            for batch in table.to_batches(max_chunksize=self.COPY_CHUNK_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())

    def _append(self, conn: sa.Connection, table: str, rows: pa.Table) -> None:
        # COPY straight into the table, in binary (see pgcopy): no staging table, no
        # INSERT ... SELECT, no number or date printed and parsed again.
        if not rows.num_rows:
            return
        types = S.column_types(table)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY {table} ({', '.join(rows.column_names)}) FROM STDIN WITH (FORMAT binary)"
                ) as copy:
            copy.write(pgcopy.SIGNATURE)
            for block in pgcopy.binary_rows(rows, types, self.COPY_CHUNK_ROWS):
                copy.write(block)
            copy.write(pgcopy.TRAILER)

    def _unstage(self, conn: sa.Connection, name: str) -> None:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))

    # ---------------------------------------------------------------- analytics hooks
    @staticmethod
    def period_sql(interval: str, column: str) -> str:
        if interval != "week":
            return StoreCore.period_sql(interval, column)
        # Days since a Monday long ago, modulo 7: integer arithmetic on the date instead of a
        # round trip through a TIMESTAMP. (Its month equivalent, extracting the day, gains
        # nothing.)
        return f"({column} - ({column} - DATE '0001-01-01') % 7)"

    @staticmethod
    def in_period_sql(interval: str, day: str, period: str, bucket: str) -> str:
        # The period as a range of an index's last column: no date is truncated.
        return (f"{day} >= {period} AND "
                f"{day} < CAST({period} + INTERVAL '{_STEP[interval]}' AS DATE)")

    def first_ids_in_buckets_sql(self, interval: str, conditions: Sequence[str],
                                 limit: int) -> str:
        # The (company, launch_date) index hands each bucket its first pieces in order, so
        # only ``limit`` rows per bucket are read (a big company's week has hundreds).
        where = " AND ".join(["c.company = b.company",
                              "c.launch_date BETWEEN b.period AND b.period_end", *conditions])
        return f"""
            SELECT company, period,
                   string_agg(CAST(id AS VARCHAR), ',' ORDER BY launch_date, id) AS ids
            FROM (SELECT b.company, b.period, p.id, p.launch_date
                  FROM wanted_buckets b CROSS JOIN LATERAL (
                      SELECT c.id, c.launch_date FROM campaigns c WHERE {where}
                      ORDER BY c.launch_date, c.id LIMIT {int(limit)}) AS p) AS pieces
            GROUP BY company, period"""

    def _tune_query(self, conn: sa.Connection, *, big_join: bool, parallel: bool) -> None:
        # JIT compiles each query afresh, which costs more than it wins back on these queries.
        conn.execute(sa.text("SET LOCAL jit = off"))
        if big_join:
            # Sorts and hash tables of hundreds of thousands of rows stay in memory (the 4 MB
            # default spills them to disk), and no merge join: the planner cannot estimate a
            # materialized CTE and would sort a million rows to merge them with a few thousand
            # groups instead of hashing the groups.
            conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
            conn.execute(sa.text("SET LOCAL enable_mergejoin = off"))
        if parallel:
            # Handing partial groups back from parallel workers is priced too high for an
            # aggregate of every offer row into tens of thousands of groups: told it costs
            # little, the planner splits the scan and the hashing among its workers.
            conn.execute(sa.text("SET LOCAL parallel_setup_cost = 0"))
            conn.execute(sa.text("SET LOCAL parallel_tuple_cost = 0.001"))

    def _analyze(self, conn: sa.Connection, table: str) -> None:
        # Without statistics the planner takes a fresh temp table for a few rows and probes the
        # campaigns index once per row.
        conn.execute(sa.text(f"ANALYZE {table}"))
