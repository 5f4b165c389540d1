"""The in-memory DuckDB room: SQL over Arrow tables in a throwaway in-memory DuckDB, never
against the store.

DuckDB hashes, groups and builds strings on every core and without the GIL, straight from Arrow
columns with no Python object per value. Two computations happen here:

* ingestion's identity of rows — each row's content hash and variant key, and the collapse of a
  file's rows into pieces and sightings (called by :mod:`competiscan.ingest.identity`);
* the embedded search index's documents — a campaign table as tantivy JSON (called by
  :mod:`competiscan.search.embedded`, which says what the documents hold).

The database's own SQL is in the other modules of this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import duckdb
import numpy as np
import pyarrow as pa

__all__ = ["row_keys", "first_rows_and_sightings", "DocumentLayout", "json_documents",
           "marked_sql"]

# ---------------------------------------------------------------- identity of rows

_WHITESPACE = ("chr(32)", "chr(10)", "chr(13)", "chr(9)", "chr(160)")


def _squeeze(expr: str) -> str:
    for ch in _WHITESPACE:
        expr = f"replace({expr}, {ch}, '')"
    return f"lower({expr})"


# In the rows' order without an ORDER BY: DuckDB keeps the order of one table's rows through
# SELECT and common table expressions of them (its documented order preservation, with
# preserve_insertion_order on, as row_keys sets it), so no million rows are sorted back.
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


def row_keys(texts: pa.Table) -> pa.Table:
    """The ``content_hash`` and ``variant_key`` of every row of ``texts`` (columns company_key,
    channel, title, subject_line, content), in the rows' order. Identity ignores case and
    whitespace."""
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


# One hash aggregate per piece: its first row (earliest date, then file order: the day number
# in the high bits of one BIGINT key) and the file's span, where a window over the pieces would
# sort every 32-character hash. Rows of one piece share its variant key.
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


def first_rows_and_sightings(keys: pa.Table) -> tuple[pa.Table, pa.Table]:
    """From each row's ``rn`` (its position), launch_date, last_seen, content_hash and
    variant_key: the pieces (rn of each piece's first row, content_hash, variant_key,
    first_seen, last_seen_all; in file order) and the sightings (distinct content_hash and
    seen_on, with ``piece``: the piece's position among the first)."""
    # Only these narrow key columns come here; the long texts stay in the caller's Arrow table.
    con = duckdb.connect()
    try:
        con.register("keys", keys)
        firsts = con.sql(_FIRSTS_SQL).to_arrow_table()
        # Each sighting says which piece it is of, so that the store links it to its
        # campaign by position instead of matching a million hashes again.
        con.register("piece_of", pa.table({
            "content_hash": firsts["content_hash"],
            "piece": pa.array(np.arange(firsts.num_rows, dtype=np.int64))}))
        sightings = con.sql(_SIGHTINGS_SQL).to_arrow_table()
    finally:
        con.close()
    return firsts, sightings


# ---------------------------------------------------------------- search index documents

@dataclass(frozen=True)
class DocumentLayout:
    """What an index document holds: the fields of :mod:`competiscan.search.embedded`."""

    text_fields: Sequence[str]            # text, amounts marked by ``mark_steps``
    stored_copies: Mapping[str, str]      # text field -> its stored (bytes) copy
    facet_fields: Sequence[str]           # raw strings
    numeric_fields: Sequence[str]         # finite floats
    mark_steps: Sequence[tuple[str, str]]  # (regex, replacement), applied in order
    id_bits: int                          # sort_key = day number << id_bits | id


def marked_sql(column: str, steps: Sequence[tuple[str, str]]) -> str:
    """SQL of the text ``column`` ('' as NULL) with the ``steps`` (regex, replacement) applied
    in order, as :func:`competiscan.search.query.mark_amounts` applies them."""
    text = f"nullif({column}, '')"
    expr = text
    for pattern, replacement in steps:
        expr = f"regexp_replace({expr}, '{pattern}', '{replacement}', 'g')"
    # Most texts have nothing to mark: one match test of the first step's pattern spares
    # them the replacements.
    return f"CASE WHEN regexp_matches({text}, '{steps[0][0]}') THEN {expr} ELSE {text} END"


def _json_field(name: str, value_sql: str) -> str:
    """SQL of ``,"name":value`` for one document, NULL where ``value_sql`` is NULL (``concat``
    skips it: a missing value is left out, as tantivy refuses a JSON null)."""
    return f"""(',"{name}":' || ({value_sql}))"""


def _document_parts(present: set[str], layout: DocumentLayout) -> list[str]:
    """SQL of each part of a document, for the columns ``present``."""
    id_mask = (1 << layout.id_bits) - 1
    parts = [
        "'{\"id\":' || CAST(id AS BIGINT)",
        _json_field("launch_date", "strftime(CAST(launch_date AS DATE), '\"%Y-%m-%dT00:00:00Z\"')"),
        _json_field("sort_key", f"(date_diff('day', DATE '0001-01-01', CAST(launch_date AS DATE)) + 1)"
                                f" * {1 << layout.id_bits} + (CAST(id AS BIGINT) & {id_mask})"),
    ]
    if "ingested_at" in present:
        parts.append(_json_field("ingested_at_us", "epoch_us(ingested_at)"))
    parts += [_json_field(name, f"to_json({marked_sql(name, layout.mark_steps)})")
              for name in layout.text_fields if name in present]
    parts += [_json_field(copy, f"to_json(to_base64(encode(nullif({name}, ''))))")
              for name, copy in layout.stored_copies.items() if name in present]
    parts += [_json_field(name, f"to_json(nullif(CAST({name} AS VARCHAR), ''))")
              for name in layout.facet_fields if name in present]
    parts += [_json_field(name, f"CASE WHEN isfinite(CAST({name} AS DOUBLE)) "
                                f"THEN to_json(CAST({name} AS DOUBLE)) END")
              for name in layout.numeric_fields if name in present]
    return parts


def json_documents(table: pa.Table, layout: DocumentLayout) -> list[str]:
    """The index documents of ``table`` (columns as the store's search projection has them; any
    may be missing or all null) as JSON, one string per row, built by SQL over the whole table:
    text marked by ``layout.mark_steps``, stored copies base64-encoded (tantivy reads bytes
    from JSON so), non-finite numbers left out (JSON has none)."""
    present = {f.name for f in table.schema if not pa.types.is_null(f.type)}  # all-null: absent
    parts = _document_parts(present, layout)
    con = duckdb.connect()
    try:
        # DuckDB scans each Arrow batch in one thread: smaller batches let it use every core.
        con.register("documents", pa.Table.from_batches(table.to_batches(max_chunksize=16_384),
                                                        table.schema))
        # One concat() of all parts: a chain of || would copy the growing document once per
        # part.
        return con.sql(f"SELECT concat({', '.join(parts)}, '}}') AS d FROM documents"
                       ).fetchnumpy()["d"].tolist()
    finally:
        con.close()
