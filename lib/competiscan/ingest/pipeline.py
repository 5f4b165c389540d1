"""From a file's bytes to one atomic upload batch, with a report of every row's fate.

``prepare`` does all the checking and shaping in memory and writes nothing; the Workbench then
hands the result to ``Store.write_batch`` (all rows or none) and to the search index.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store import BatchWrite
from .identity import RowKeys, deduplicate
from .normalise import (MAPPABLE_FIELDS, company_key, detect_mapping, factorize,
                        normalise_campaign_type, normalise_channel, normalise_industry,
                        normalise_keywords, parse_dates, parse_numbers, spread, strip_text)
from .readers import RawTable, UnreadableFileError, read_table

if TYPE_CHECKING:
    from ..enrich.apply import EarlyEnrichment

__all__ = ["RowIssue", "IngestReport", "Prepared", "prepare", "prepare_bytes",
           "MappingError", "MAX_TEXT_CHARS", "REPORT_ISSUE_CAP"]

MAX_TEXT_CHARS = 100_000
REPORT_ISSUE_CAP = 1_000   # rejected rows kept in a stored report; the counts stay exact

TEXT_COLUMNS = ("title", "subject_line", "content", "landing_url", "audience", "geography")
_TYPE_SOURCE = np.array([None, "source"], dtype=object)   # campaign_type_source by notna


class MappingError(ValueError):
    """The columns cannot be mapped to a usable record (no company, or no text)."""


@dataclass(frozen=True)
class RowIssue:
    row: int          # as the user finds it in the file (see RawTable.row_label)
    column: str       # the file's column name ("" for the whole row)
    value: str | None
    reason: str


@dataclass
class IngestReport:
    """What happened to one file. ``status`` is committed, refused or empty."""

    filename: str
    status: str
    file_format: str | None = None
    rows_read: int = 0
    inserted: int = 0
    resighted: int = 0
    duplicates: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    batch_id: int | None = None
    message: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    row_label: str = "row"
    indexed: bool = True

    @property
    def rejected_count(self) -> int:
        return len({issue.row for issue in self.rejected})

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI prints: the counts, the batch and each rejected row."""
        return {
            "filename": self.filename, "status": self.status, "message": self.message,
            "file_format": self.file_format, "rows_read": self.rows_read,
            "inserted": self.inserted, "resighted": self.resighted,
            "duplicates": self.duplicates, "rejected": self.rejected_count,
            "batch_id": self.batch_id, "indexed": self.indexed, "mapping": self.mapping,
            "rejected_rows": [asdict(i) for i in self.rejected],
            "warnings": [asdict(i) for i in self.warnings],
        }

    def issues_frame(self) -> pd.DataFrame:
        rows = [{"kind": "rejected", **asdict(i)} for i in self.rejected]
        rows += [{"kind": "warning", **asdict(i)} for i in self.warnings]
        return pd.DataFrame(rows, columns=["kind", "row", "column", "value", "reason"])


@dataclass
class Prepared:
    report: IngestReport
    batch: BatchWrite | None   # None when nothing can be written
    accepted: pa.Table | None = None   # every accepted row, with its content_hash


def prepare_bytes(data: bytes, filename: str, *, source: str,
                  aliases: dict[str, str], industries: dict[str, str],
                  mapping: dict[str, str] | None = None,
                  enrich: "EarlyEnrichment | None" = None,
                  today: date | None = None) -> Prepared:
    """Read and prepare a file; an unreadable file gives a refused report, never an exception."""
    try:
        raw = read_table(data, filename)
    except UnreadableFileError as exc:
        return Prepared(IngestReport(filename=filename, status="refused", message=exc.reason),
                        None)
    try:
        return prepare(raw, filename, source=source, aliases=aliases, industries=industries,
                       mapping=mapping, enrich=enrich, today=today)
    except MappingError as exc:
        return Prepared(IngestReport(filename=filename, status="refused", message=str(exc),
                                     file_format=raw.file_format, rows_read=len(raw.frame),
                                     mapping=detect_mapping(list(raw.frame.columns))), None)


def _short(value: object, limit: int = 80) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pair_counts(first: pd.Series, second: pd.Series) -> pd.Series:
    """``groupby([first, second]).size()`` of two text columns: the rows of each pair of
    values, pairs sorted, pairs with a missing value left out. By factorize codes and one
    bincount: ~35 ms at 1M rows, where pandas' groupby took 70 and Arrow's group_by 80 on
    one thread (measured)."""
    first_codes, first_names = factorize(first)
    second_codes, second_names = factorize(second)
    a = pc.fill_null(first_codes, -1).to_numpy(zero_copy_only=False)
    b = pc.fill_null(second_codes, -1).to_numpy(zero_copy_only=False)
    both = (a >= 0) & (b >= 0)
    width = len(second_names)
    sizes = np.bincount(a[both].astype(np.int64) * width + b[both],
                        minlength=len(first_names) * width)
    found = sorted((first_names[p // width], second_names[p % width], int(sizes[p]))
                   for p in np.flatnonzero(sizes))
    return pd.Series([size for _a, _b, size in found], dtype="int64",
                     index=pd.MultiIndex.from_tuples([(x, y) for x, y, _n in found])
                     if found else None)


def prepare(raw: RawTable, filename: str, *, source: str, aliases: dict[str, str],
            industries: dict[str, str], mapping: dict[str, str] | None = None,
            enrich: "EarlyEnrichment | None" = None,
            today: date | None = None) -> Prepared:
    """Map, normalise and validate every row; dedupe; shape the batch to write."""
    frame = raw.frame
    mapping = dict(mapping) if mapping is not None else detect_mapping(list(frame.columns))
    unknown_cols = [c for c in mapping if c not in frame.columns]
    bad_fields = [f for f in mapping.values() if f not in MAPPABLE_FIELDS]
    if unknown_cols or bad_fields:
        raise MappingError(f"the mapping names columns or fields that do not exist: "
                           f"{', '.join(unknown_cols + bad_fields)}")
    fields = list(mapping.values())
    if len(fields) != len(set(fields)):
        raise MappingError("two columns are mapped to the same field; map each field once")
    column_of = {f: c for c, f in mapping.items()}
    if "company" not in column_of:
        raise MappingError(
            "no company column: name one of company_name, company, advertiser, brand "
            f"(columns found: {', '.join(map(str, frame.columns)) or 'none'})")
    if "title" not in column_of and "content" not in column_of:
        raise MappingError("no text column: the file needs a title (or name) or a content "
                           "(or description/body) column")

    n = len(frame)
    numbers = raw.row_numbers   # (indexed only for flagged rows: no array of a million ints)
    rejected: list[RowIssue] = [RowIssue(row, "", None, reason) for row, reason in raw.issues]
    warnings: list[RowIssue] = []
    reject_mask = np.zeros(n, dtype=bool)

    @functools.cache
    def col(fld: str) -> pd.Series:
        # Arrow-backed strings: pandas' .str methods then run in Arrow compute, not Python.
        # Cached, and copy-on-write keeps every caller's changes to itself. A missing column
        # is all-null Arrow: 1 ms at 1M rows, where a list of a million Nones took 70-120.
        if fld in column_of:
            s = frame[column_of[fld]]
            return (s if s.dtype == "str" else s.astype("str")).reset_index(drop=True)
        return pa.nulls(n, pa.large_string()).to_pandas()

    def flag(mask: pd.Series | np.ndarray, fld: str, values: pd.Series, reason: str,
             reject: bool) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        target = rejected if reject else warnings
        for i in np.flatnonzero(mask):
            target.append(RowIssue(int(numbers[i]), column_of.get(fld, fld),
                                   _short(values.iloc[i]), reason))
        if reject:
            reject_mask[mask] = True

    out = pd.DataFrame(index=range(n))
    for fld in TEXT_COLUMNS:
        s = col(fld)
        if fld in column_of:
            # Strip and blank-to-missing in Arrow: 0.1 s of the six columns at 1M rows,
            # where pandas' strip, where and str.len took 0.45 (measured).
            text = strip_text(s)
            s = text.to_pandas()
            # a cell has at most as many characters as bytes: count them only when needed
            if (pc.max(pc.binary_length(text)).as_py() or 0) > MAX_TEXT_CHARS:
                too_long = pc.fill_null(pc.greater(pc.utf8_length(text), MAX_TEXT_CHARS), False)
                flag(too_long.to_numpy(zero_copy_only=False), fld, s,
                     f"longer than {MAX_TEXT_CHARS:,} characters", reject=True)
        out[fld] = s

    company_raw = strip_text(col("company")).to_pandas()
    flag(company_raw.isna(), "company", company_raw, "company is empty", reject=True)
    # the first spelling of a new company in the file becomes its canonical name
    by_key: dict[str, str] = {}
    new_companies: set[tuple[str, str]] = set()
    # One factorize of the spellings gives the companies, their keys and their industries
    # (three factorizes of the column before: ~30 ms each at 1M rows).
    company_codes, names = factorize(company_raw)
    canonical: list[str] = []
    for name in names:
        spaced = " ".join(name.split())
        key = company_key(spaced)
        if key not in by_key:
            by_key[key] = aliases.get(key) or spaced
            if key not in aliases:
                new_companies.add((spaced, key))
        canonical.append(by_key[key])
    # (usually every spelling is already the canonical name: then the column as it is)
    out["company"] = (company_raw if canonical == names
                      else spread(canonical, company_codes, out.index))

    no_text = out["title"].isna() & out["content"].isna()
    flag(no_text & company_raw.notna(), "content", out["content"],
         "no text: title and content are both empty", reject=True)

    channel, bad_channel = normalise_channel(col("channel"))
    flag(bad_channel, "channel", col("channel"),
         "unknown channel; use email, direct_mail, social, display, search, video or sms",
         reject=True)
    out["channel"] = channel

    # Texts, companies and channels are final: their identity keys are hashed meanwhile.
    company_keys = spread([company_key(name) for name in canonical], company_codes, out.index)
    row_keys = RowKeys(out, company_keys)

    # The last check that can reject a row: after it the accepted rows are known, and their
    # enrichment can start while the rest is prepared.
    excel = raw.file_format == "xlsx"
    launch, bad_launch = parse_dates(col("launch_date"), excel_serials=excel)
    flag(bad_launch, "launch_date", col("launch_date"),
         "not a date; use e.g. 2024-01-15, 01/15/2024 or 15 Jan 2024", reject=True)
    if enrich is not None and not reject_mask.all():
        enrich.start(pa.Table.from_pandas(out, preserve_index=False), ~reject_mask)

    ctype, bad_type = normalise_campaign_type(col("campaign_type"))
    flag(bad_type, "campaign_type", col("campaign_type"),
         "unknown campaign type; it will be predicted", reject=False)
    out["campaign_type"] = ctype
    # an object column (the batch's schema says so), picked from two values: np.where with
    # a str built a fixed-width text array first (55 ms against 13 at 1M rows, measured)
    out["campaign_type_source"] = pd.Series(
        _TYPE_SOURCE[ctype.notna().to_numpy(dtype=np.intp)], dtype=object)

    industry = normalise_industry(col("industry"))
    if industry.hasnans:   # else the company's industry is not needed
        out["industry"] = industry.where(industry.notna(), spread(
            [industries.get(c) for c in canonical], company_codes, out.index))
    else:
        out["industry"] = industry

    # A column that is not in the file is not parsed: all missing, no warning (parsing the
    # all-missing last_seen took 0.14 s at 1M rows, measured).
    has_last = "last_seen" in column_of
    if has_last:
        last, bad_last = parse_dates(col("last_seen"), excel_serials=excel)
        flag(bad_last, "last_seen", col("last_seen"), "not a date; the value was ignored",
             reject=False)
    today = today or date.today()
    no_date = launch.isna() & ~np.asarray(bad_launch)
    if no_date.any() and "launch_date" in column_of:
        flag(no_date, "launch_date", col("launch_date"),
             f"no launch date; the upload date {today.isoformat()} is used", reject=False)
    launch = launch.fillna(pd.Timestamp(today))
    # kept as datetime64 (vectorised grouping); the store writes them as DATE
    out["launch_date"] = launch
    out["last_seen"] = launch.where(last.isna() | (last < launch), last) if has_last else launch

    for fld in ("est_spend_usd", "est_volume"):
        if fld in column_of:
            values, bad = parse_numbers(col(fld))
            flag(bad, fld, col(fld), "not a non-negative number; the value was ignored",
                 reject=False)
        else:
            values = pd.Series(np.nan, index=out.index, dtype="float64")
        out[fld] = values
    out["keywords"] = normalise_keywords(col("keywords"))
    out["source"] = filename

    # filtering copies every column: skip it in the common case of no rejected row
    accepted = out[~reject_mask].reset_index(drop=True) if reject_mask.any() else out
    rows_read = n + len(raw.issues)
    report = IngestReport(filename=filename, status="committed", file_format=raw.file_format,
                          rows_read=rows_read, rejected=rejected, warnings=warnings,
                          mapping=mapping, row_label=raw.row_label)
    if accepted.empty:
        report.status = "refused"
        report.message = ("no row could be imported" if n else "the file has a header but no rows")
        return Prepared(report, None)

    dedup = deduplicate(accepted, row_keys.of(~reject_mask if reject_mask.any() else None))
    report.duplicates = dedup.duplicates
    pieces = dedup.pieces
    if enrich is not None:
        pieces = enrich.finish(pieces, dedup.first)

    # each new company's most common industry (ascending counts: the largest is set last)
    industry_of: dict[str, str] = {}
    if new_companies:
        counts = _pair_counts(accepted["company"], accepted["industry"]).sort_values()
        industry_of = {company: industry for (company, industry), _n in counts.items()}
    stored_report = {
        "mapping": mapping, "row_label": raw.row_label,
        "rejected_rows": [asdict(i) for i in rejected[:REPORT_ISSUE_CAP]],
        "warnings": [asdict(i) for i in warnings[:REPORT_ISSUE_CAP]],
        "rejected_total": len(rejected), "warnings_total": len(warnings),
        "new_companies": sorted(name for name, _ in new_companies),
    }
    batch = BatchWrite(filename=filename, source=source, file_format=raw.file_format,
                       rows_read=rows_read, duplicates=report.duplicates,
                       rejected=report.rejected_count, pieces=pieces,
                       sightings=dedup.sightings, report=stored_report,
                       new_companies=[(name, key, industry_of.get(name))
                                      for name, key in sorted(new_companies)])
    return Prepared(report, batch, dedup.rows)
