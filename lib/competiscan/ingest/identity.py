"""Identity and deduplication of accepted rows, set-based in an in-memory DuckDB.

Identity ignores case and whitespace: a hash of company (alias key), channel, title, subject
and content. Rows of one piece collapse into one campaign whose first/last seen span the
file's dates; each distinct (piece, date) is a sighting; repeats of both are duplicates.
The hashing and grouping run in the in-memory DuckDB of :mod:`competiscan.store.memory_sql`
(on every core, without the GIL, on Arrow columns); the long text columns never leave Arrow.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..background import in_background
from ..store import memory_sql

__all__ = ["Deduplicated", "RowKeys", "deduplicate"]


class RowKeys:
    """The content hash and variant key of every row of a file, computed by DuckDB in a
    background thread (it releases the GIL) from the moment the texts, companies and channels
    are final, while the rest of the rows is prepared: hashing takes several cores for longer
    than the rest of the preparation takes one."""

    def __init__(self, frame: pd.DataFrame, company_keys: pd.Series) -> None:
        texts = pa.table({
            "company_key": pa.array(company_keys, type=pa.string(), from_pandas=True),
            **{c: pa.array(frame[c], type=pa.large_string(), from_pandas=True)
               for c in ("channel", "title", "subject_line", "content")}})
        self._keys = in_background(memory_sql.row_keys, texts, name="row-keys")

    def of(self, rows: np.ndarray | None = None) -> pa.Table:
        """The keys of the rows selected by the boolean mask ``rows`` (all rows by default)."""
        keys = self._keys.result()
        return keys if rows is None else keys.filter(pa.array(rows))


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
    firsts, sightings = memory_sql.first_rows_and_sightings(keys)
    # The first rows come in file order, each once: selecting them by a mask is the same
    # as taking them by position, and a filter copies long text columns faster than a take.
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
