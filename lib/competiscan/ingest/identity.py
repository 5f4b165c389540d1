"""Identity and deduplication of accepted rows, set-based in an in-memory DuckDB.

Identity ignores case and whitespace: a hash of company (alias key), channel, title, subject
and content. Rows of one piece collapse into one campaign whose first/last seen span the
file's dates; each distinct (piece, date) is a sighting; repeats of both are duplicates.
Working on Arrow columns in DuckDB, which hashes on every core and without the GIL, where
pandas' take/drop_duplicates on long text columns cost several times more (measured).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..background import in_background

__all__ = ["Deduplicated", "RowKeys", "deduplicate"]

_WHITESPACE = ("chr(32)", "chr(10)", "chr(13)", "chr(9)", "chr(160)")


def _squeeze(expr: str) -> str:
    for ch in _WHITESPACE:
        expr = f"replace({expr}, {ch}, '')"
    return f"lower({expr})"


# In the rows' order without an ORDER BY: DuckDB keeps the order of one table's rows through
# SELECT and common table expressions of them (its documented order preservation, with
# preserve_insertion_order on, as _row_keys sets it); sorting a million rows back into order
# cost ~0.1 s of the ~1.8 s (measured).
_KEYS_SQL = f"""
WITH squeezed AS (
  SELECT company_key AS k, coalesce(channel, '') AS ch,
    {_squeeze("coalesce(title, '')")} AS t,
    {_squeeze("coalesce(subject_line, '')")} AS s,
    {_squeeze("coalesce(content, '')")} AS c
  FROM texts)
SELECT md5(concat_ws(chr(31), k, ch, t, s, c)) AS content_hash,
  -- pieces of one company and channel whose body differs only in numbers are variants
  md5(concat_ws(chr(31), k, ch, regexp_replace(CASE WHEN c <> '' THEN c ELSE t END,
                                               '[0-9.,%$]+', '#', 'g'))) AS variant_key
FROM squeezed
"""


class RowKeys:
    """The content hash and variant key of every row of a file, computed by DuckDB in a
    background thread (it releases the GIL) from the moment the texts, companies and channels
    are final, while the rest of the rows is prepared: hashing is ~4 s of CPU at a million rows
    on two cores, the preparation after it ~1 s on one (measured)."""

    def __init__(self, frame: pd.DataFrame, company_keys: pd.Series) -> None:
        texts = pa.table({
            "company_key": pa.array(company_keys, type=pa.string(), from_pandas=True),
            **{c: pa.array(frame[c], type=pa.large_string(), from_pandas=True)
               for c in ("channel", "title", "subject_line", "content")}})
        self._keys = in_background(_row_keys, texts, name="row-keys")

    def of(self, rows: np.ndarray | None = None) -> pa.Table:
        """The keys of the rows selected by the boolean mask ``rows`` (all rows by default)."""
        keys = self._keys.result()
        return keys if rows is None else keys.filter(pa.array(rows))


def _row_keys(texts: pa.Table) -> pa.Table:
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")   # (the default; relied on)
        con.register("texts", texts)
        keys = con.sql(_KEYS_SQL).to_arrow_table()
        if keys.num_rows != texts.num_rows:
            raise RuntimeError(f"{keys.num_rows} keys for {texts.num_rows} rows")
        return keys
    finally:
        con.close()


# Only the narrow key columns go through this SQL; the pieces' text columns are selected from
# the Arrow table by a mask, so the long strings are never copied into DuckDB and back.
# One hash aggregate per piece: its first row (earliest date, then file order: the day number
# in the high bits of one BIGINT key) and the file's span. A window over the pieces sorted a
# million 32-character hashes: 2x slower (measured). Rows of one piece share its variant key.
_FIRSTS_SQL = """
SELECT arg_min(rn, date_diff('day', DATE '1970-01-01', CAST(launch_date AS DATE))
                 * 4294967296 + rn) AS rn, content_hash,
  any_value(variant_key) AS variant_key, min(launch_date) AS first_seen,
  max(last_seen) AS last_seen_all
FROM keys GROUP BY content_hash ORDER BY rn
"""


_SIGHTINGS_SQL = """
SELECT s.content_hash, s.seen_on, p.piece
FROM (SELECT DISTINCT content_hash, launch_date AS seen_on FROM keys) s
JOIN piece_of p USING (content_hash)
"""


def _filter(table: pa.Table, mask: pa.Array) -> pa.Table:
    """``table.filter(mask)`` with a column per thread (Arrow releases the GIL): Table.filter
    copies one column after another, and the pieces of a million rows are ~400 MB of text."""
    if table.num_columns < 2 or (os.cpu_count() or 1) < 2:
        return table.filter(mask)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1),
                            thread_name_prefix="pieces") as pool:
        columns = list(pool.map(lambda column: pc.filter(column, mask), table.columns))
    return pa.Table.from_arrays(columns, schema=table.schema)


@dataclass
class Deduplicated:
    rows: pa.Table        # every accepted row with content_hash and variant_key
    pieces: pa.Table      # one row per distinct piece (first row's fields, file's span)
    sightings: pa.Table   # distinct (content_hash, seen_on), with piece: its row of pieces
    duplicates: int
    first: np.ndarray     # which rows are pieces (the first row of each), a boolean mask


def deduplicate(accepted: pd.DataFrame, row_keys: pa.Table) -> Deduplicated:
    """Collapse ``accepted`` (launch_date/last_seen as datetime64) into pieces, given each
    row's keys (``RowKeys.of`` the accepted rows)."""
    table = pa.Table.from_pandas(accepted, preserve_index=False)
    keys = pa.table({
        "rn": pa.array(np.arange(table.num_rows, dtype=np.int64)),
        "launch_date": table["launch_date"], "last_seen": table["last_seen"],
        "content_hash": row_keys["content_hash"], "variant_key": row_keys["variant_key"]})
    con = duckdb.connect()
    try:
        con.register("keys", keys)
        firsts = con.sql(_FIRSTS_SQL).to_arrow_table()
        # Each sighting says which piece it is of (the pieces come in the order of firsts), so
        # that the store links it to its campaign by position. One join here, where the store
        # matched a million sightings' hashes in Arrow on one thread (0.36-0.43 s, measured).
        con.register("piece_of", pa.table({
            "content_hash": firsts["content_hash"],
            "piece": pa.array(np.arange(firsts.num_rows, dtype=np.int64))}))
        sightings = con.sql(_SIGHTINGS_SQL).to_arrow_table()
    finally:
        con.close()
    # The first rows come in file order, each once: selecting them by a mask is the same
    # as taking them by position, and copies the long text columns 3x faster (1M rows).
    first = np.zeros(table.num_rows, dtype=bool)
    first[firsts["rn"].to_numpy()] = True
    pieces = _filter(table.drop_columns(["launch_date", "last_seen"]), pa.array(first))
    pieces = (pieces.append_column("content_hash", firsts["content_hash"])
              .append_column("variant_key", firsts["variant_key"])
              .append_column("launch_date", firsts["first_seen"])
              .append_column("last_seen", firsts["last_seen_all"]))
    rows = (table.append_column("content_hash", row_keys["content_hash"])
            .append_column("variant_key", row_keys["variant_key"]))
    return Deduplicated(rows=rows, pieces=pieces, sightings=sightings,
                        duplicates=table.num_rows - sightings.num_rows, first=first)
