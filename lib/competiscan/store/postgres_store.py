"""PostgreSQL backend: for teams that share one store. Bulk paths go through COPY."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from .base import Store, StoreUnavailableError, as_arrow

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


class PostgresStore(Store):
    dialect_name = "postgresql"

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

    def _lock_for_write(self, conn: sa.Connection) -> None:
        # Batch and campaign ids are max()+1 within the transaction: one writer at a time.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITER_LOCK_KEY})

    def _stage(self, conn: sa.Connection, name: str, frame: pd.DataFrame | pa.Table,
               types: dict[str, str]) -> None:
        table = as_arrow(frame)
        columns = table.column_names
        ddl = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in columns)
        conn.execute(sa.text(f"CREATE TEMP TABLE {name} ({ddl}) ON COMMIT DROP"))
        table = pa.table({c: _for_copy(table[c], types.get(c, "TEXT")) for c in columns})
        buffer = io.BytesIO()
        # Arrow's CSV writer: a null is an unquoted empty field (NULL to COPY), an empty string
        # a quoted one.
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False,
                                                          quoting_style="needed"))
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN "
                          "WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())

    def _unstage(self, conn: sa.Connection, name: str) -> None:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
