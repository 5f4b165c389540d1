"""PostgreSQL backend: for teams that share one store. Bulk paths go through COPY."""

from __future__ import annotations

import csv
import io

import pandas as pd
import sqlalchemy as sa

from .base import Store, StoreUnavailableError

__all__ = ["PostgresStore"]

# Any key would do; it only has to be the same for every Competiscan writer.
_WRITER_LOCK_KEY = 0x436F6D70  # "Comp"


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

    def _stage(self, conn: sa.Connection, name: str, frame: pd.DataFrame,
               types: dict[str, str]) -> None:
        columns = list(frame.columns)
        integer = [c for c in columns if types.get(c) in ("INTEGER", "BIGINT")]
        if integer:
            # CSV would write 15.0 for a float column holding whole numbers, which an
            # INTEGER column refuses.
            frame = frame.copy()
            for column in integer:
                frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")
        ddl = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in columns)
        conn.execute(sa.text(f"CREATE TEMP TABLE {name} ({ddl}) ON COMMIT DROP"))
        buffer = io.StringIO()
        # CSV: an unquoted empty field is NULL, a quoted one an empty string.
        frame.to_csv(buffer, index=False, header=False, quoting=csv.QUOTE_MINIMAL,
                     date_format="%Y-%m-%d")
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN "
                          "WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())

    def _unstage(self, conn: sa.Connection, name: str) -> None:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
