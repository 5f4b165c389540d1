"""Binary COPY encoding (competiscan.store.pgcopy) read back by a real PostgreSQL."""

from __future__ import annotations

import math
from datetime import date, datetime

import pyarrow as pa
import pytest
import sqlalchemy as sa

from competiscan.store import pgcopy

TYPES = {"i": "BIGINT", "n": "INTEGER", "f": "DOUBLE PRECISION", "d": "DATE",
         "t": "TIMESTAMP", "s": "TEXT"}


@pytest.fixture
def conn(pg_database_url):
    engine = sa.create_engine(pg_database_url)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute("CREATE TEMP TABLE t (" + ", ".join(f"{c} {t}" for c, t in TYPES.items())
                        + ")")
        yield raw
    engine.dispose()


def copy_back(raw, table: pa.Table, chunk_rows: int = 32_768) -> list[tuple]:
    with raw.cursor() as cur:
        with cur.copy(f"COPY t ({', '.join(table.column_names)}) FROM STDIN "
                      "WITH (FORMAT binary)") as copy:
            copy.write(pgcopy.SIGNATURE)
            for block in pgcopy.binary_rows(table, TYPES, chunk_rows):
                copy.write(block)
            copy.write(pgcopy.TRAILER)
        cur.execute(f"SELECT {', '.join(table.column_names)} FROM t ORDER BY i")
        rows = cur.fetchall()
        cur.execute("TRUNCATE t")
    return rows


def test_every_type_with_nulls_and_edge_values(conn):
    table = pa.table({
        "i": pa.array([1, 2, 3, 4, 2 ** 62], pa.int64()),
        "n": pa.array([15.0, None, 2.5, -3.0, 0.0], pa.float64()),   # whole numbers as floats
        "f": pa.array([1.5, None, float("nan"), float("inf"), -0.0]),
        "d": pa.array([date(2024, 1, 15), None, date(1999, 12, 31), date(2000, 1, 1),
                       date(1970, 1, 1)]),
        "t": pa.array([datetime(2026, 11, 29, 9, 30, 1, 123456), None,
                       datetime(1999, 12, 31, 23, 59, 59, 999999), datetime(2000, 1, 1),
                       datetime(1969, 7, 20, 20, 17, 40)], pa.timestamp("us")),
        "s": pa.array(["0% APR for 15 months", None, "", "Café 💳 \"quoted\", comma\nnewline",
                       "x" * 70_000], pa.large_string()),
    })
    rows = copy_back(conn, table)
    assert rows[0] == (1, 15, 1.5, date(2024, 1, 15), datetime(2026, 11, 29, 9, 30, 1, 123456),
                       "0% APR for 15 months")
    assert rows[1] == (2, None, None, None, None, None)
    assert rows[2][1] == 2 and math.isnan(rows[2][2])   # 2.5 rounds half to even; NaN
    assert rows[2][3:] == (date(1999, 12, 31), datetime(1999, 12, 31, 23, 59, 59, 999999), "")
    assert rows[3] == (4, -3, math.inf, date(2000, 1, 1), datetime(2000, 1, 1),
                       "Café 💳 \"quoted\", comma\nnewline")
    assert rows[4] == (2 ** 62, 0, -0.0, date(1970, 1, 1), datetime(1969, 7, 20, 20, 17, 40),
                       "x" * 70_000)
    assert math.copysign(1, rows[4][2]) == -1


def test_chunks_slices_and_other_arrow_types(conn):
    n = 1_000
    table = pa.table({
        "i": pa.chunked_array([pa.array(range(0, 600)), pa.array(range(600, n))]),
        "n": pa.array([None if k % 7 == 0 else k for k in range(n)], pa.int32()),
        "f": pa.array([k / 3 if k % 5 else None for k in range(n)]),
        "d": pa.array([datetime(2024, 1, 1 + k % 28) for k in range(n)], pa.timestamp("ns")),
        "t": pa.array([datetime(2024, 5, 1, k % 24) for k in range(n)], pa.timestamp("ns")),
        "s": pa.array([f"row {k}" if k % 3 else None for k in range(n)], pa.string()),
    }).slice(100, 800)    # arrays with an offset into their buffers
    rows = copy_back(conn, table, chunk_rows=97)
    assert len(rows) == 800
    for k, row in zip(range(100, 900), rows):
        assert row == (k, None if k % 7 == 0 else k, k / 3 if k % 5 else None,
                       date(2024, 1, 1 + k % 28), datetime(2024, 5, 1, k % 24),
                       f"row {k}" if k % 3 else None)


def test_empty_table_sends_only_signature_and_trailer(conn):
    table = pa.table({c: pa.array([], pa.int64()) for c in ("i", "n")})
    assert copy_back(conn, table) == []
