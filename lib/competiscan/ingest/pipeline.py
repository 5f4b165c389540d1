"""From a file's bytes to one atomic upload batch, with a report of every row's fate.

``prepare`` does all the checking and shaping in memory and writes nothing; the Workbench then
hands the result to ``Store.write_batch`` (all rows or none) and to the search index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..labels import pretty
from ..model import CHANNELS
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

TEXT_COLUMNS = ("title", "subject_line", "content", "landing_url", "audience", "geography",
                "product")
_TYPE_SOURCE = np.array([None, "source"], dtype=object)   # campaign_type_source by notna
_KNOWN_CHANNELS = ", ".join(pretty(c) for c in CHANNELS if c != "other")


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
    """What happened to one file. ``status`` is committed, refused or empty; a file imported
    before (the same bytes, not undone) is refused with ``duplicate_of`` naming that upload."""

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
    duplicate_of: int | None = None

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
            "duplicate_of": self.duplicate_of,
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
    bincount, which is cheaper than a pandas groupby or an Arrow group_by on text."""
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
    """Map, normalise and validate every row; dedupe; shape the batch to write.

    The checks run in the order their issues are reported. The texts, companies and channels
    come first: their identity keys are then hashed in the background while the rest is
    prepared; the launch date is the last check that can reject a row, so the accepted rows'
    enrichment can start right after it."""
    mapping = _checked_mapping(raw.frame, mapping)
    rows = _Rows(raw, mapping)
    out = pd.DataFrame(index=range(rows.n))
    _strip_texts(rows, out)
    companies = _canonical_companies(rows, out, aliases)
    _reject_rows_without_text(rows, out, companies.raw)
    _normalise_channels(rows, out)
    row_keys = RowKeys(out, companies.spread([company_key(c) for c in companies.canonical],
                                             out.index))
    launch, bad_launch = _parse_launch_dates(rows, raw.file_format)
    if enrich is not None and not rows.reject_mask.all():
        enrich.start(pa.Table.from_pandas(out, preserve_index=False), ~rows.reject_mask)
    _normalise_campaign_types(rows, out)
    _fill_industries(rows, out, companies, industries)
    _set_dates(rows, out, launch, bad_launch, raw.file_format, today or date.today())
    _parse_estimates(rows, out)
    out["keywords"] = normalise_keywords(rows.col("keywords"))
    out["source"] = filename
    return _prepared(raw, filename, source, mapping, rows, out, row_keys, companies, enrich)


def _checked_mapping(frame: pd.DataFrame, mapping: dict[str, str] | None) -> dict[str, str]:
    """The mapping (file column -> field) to use: the given one, checked, else the detected
    one; :class:`MappingError` when it cannot give a usable record."""
    mapping = dict(mapping) if mapping is not None else detect_mapping(list(frame.columns))
    unknown_cols = [c for c in mapping if c not in frame.columns]
    bad_fields = [f for f in mapping.values() if f not in MAPPABLE_FIELDS]
    if unknown_cols or bad_fields:
        raise MappingError(f"the mapping names columns or fields that do not exist: "
                           f"{', '.join(unknown_cols + bad_fields)}")
    fields = list(mapping.values())
    if len(fields) != len(set(fields)):
        raise MappingError("two columns are mapped to the same field; map each field once")
    if "company" not in fields:
        raise MappingError(
            "no company column: name one of company_name, company, advertiser, brand "
            f"(columns found: {', '.join(map(str, frame.columns)) or 'none'})")
    if "title" not in fields and "content" not in fields and "product" not in fields:
        raise MappingError("no text column: the file needs a title (or name), a product or a "
                           "content (or description/body) column")
    return mapping


class _Rows:
    """The rows of one file while they are prepared: the file's column of each field, and the
    issues found so far (rejected and warnings, in the order found; ``reject_mask`` marks the
    rejected rows)."""

    def __init__(self, raw: RawTable, mapping: dict[str, str]) -> None:
        self.frame = raw.frame
        self.n = len(raw.frame)
        self.column_of = {f: c for c, f in mapping.items()}
        self.numbers = raw.row_numbers  # (indexed only for flagged rows: no array of a million ints)
        self.rejected: list[RowIssue] = [RowIssue(row, "", None, reason)
                                         for row, reason in raw.issues]
        self.warnings: list[RowIssue] = []
        self.reject_mask = np.zeros(self.n, dtype=bool)
        self._columns: dict[str, pd.Series] = {}

    def has(self, fld: str) -> bool:
        return fld in self.column_of

    def col(self, fld: str) -> pd.Series:
        """The column of field ``fld`` as Arrow-backed strings: pandas' .str methods then run in
        Arrow compute, not Python. Read once; copy-on-write keeps every caller's changes to
        itself. A field the file lacks is an all-null Arrow column (no million Nones)."""
        if fld not in self._columns:
            if fld in self.column_of:
                s = self.frame[self.column_of[fld]]
                column = (s if s.dtype == "str" else s.astype("str")).reset_index(drop=True)
            else:
                column = pa.nulls(self.n, pa.large_string()).to_pandas()
            self._columns[fld] = column
        return self._columns[fld]

    def flag(self, mask: pd.Series | np.ndarray, fld: str, values: pd.Series,
             reason: str | Callable[[str | None], str], *, reject: bool) -> None:
        """An issue with field ``fld`` on the rows of ``mask``: rejects them, or warns.
        ``reason`` is one text, or a function of the row's value (as the report shows it)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        target = self.rejected if reject else self.warnings
        column = self.column_of.get(fld, fld)
        reason_of = reason if callable(reason) else None
        for i in np.flatnonzero(mask):
            shown = _short(values.iloc[i])
            target.append(RowIssue(int(self.numbers[i]), column, shown,
                                   reason_of(shown) if reason_of else reason))
        if reject:
            self.reject_mask[mask] = True


def _strip_texts(rows: _Rows, out: pd.DataFrame) -> None:
    """The text columns stripped, blanks as missing; a text over MAX_TEXT_CHARS rejects its
    row."""
    for fld in TEXT_COLUMNS:
        s = rows.col(fld)
        if rows.has(fld):
            # Strip and blank-to-missing in Arrow, without pandas' round trips (strip_text).
            text = strip_text(s)
            s = text.to_pandas()
            # a cell has at most as many characters as bytes: count them only when needed
            if (pc.max(pc.binary_length(text)).as_py() or 0) > MAX_TEXT_CHARS:
                too_long = pc.fill_null(pc.greater(pc.utf8_length(text), MAX_TEXT_CHARS), False)
                rows.flag(too_long.to_numpy(zero_copy_only=False), fld, s,
                          f"longer than {MAX_TEXT_CHARS:,} characters", reject=True)
        out[fld] = s
    # A file that names its products but has no headline: the product is the headline.
    if rows.has("product") and not rows.has("title"):
        out["title"] = out["product"]


@dataclass
class _Companies:
    """The file's company spellings: ``raw`` per row, ``codes`` per row into the distinct
    spellings, ``canonical`` name of each spelling, and the companies new to the store
    (name as first spelled, alias key)."""

    raw: pd.Series
    codes: pa.Array | pa.ChunkedArray
    canonical: list[str]
    new: set[tuple[str, str]]

    def spread(self, per_spelling: list, index: pd.Index) -> pd.Series:
        """A value per distinct spelling, as a column of the rows."""
        return spread(per_spelling, self.codes, index)


def _canonical_companies(rows: _Rows, out: pd.DataFrame, aliases: dict[str, str]
                         ) -> _Companies:
    """Each row's company as its canonical name: a known alias's company, else the first
    spelling of the company in the file. An empty company rejects its row."""
    company_raw = strip_text(rows.col("company")).to_pandas()
    rows.flag(company_raw.isna(), "company", company_raw, "company is empty", reject=True)
    by_key: dict[str, str] = {}
    new_companies: set[tuple[str, str]] = set()
    # One factorize of the spellings gives the companies, their keys and their industries.
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
    companies = _Companies(company_raw, company_codes, canonical, new_companies)
    # (usually every spelling is already the canonical name: then the column as it is)
    out["company"] = company_raw if canonical == names else companies.spread(canonical,
                                                                             out.index)
    return companies


def _reject_rows_without_text(rows: _Rows, out: pd.DataFrame, company_raw: pd.Series) -> None:
    no_text = out["title"].isna() & out["content"].isna()
    rows.flag(no_text & company_raw.notna(), "content", out["content"],
              "no text: title and content are both empty", reject=True)


def _normalise_channels(rows: _Rows, out: pd.DataFrame) -> None:
    """Known channels to their canonical name; a channel we do not know keeps its row, stored
    as "other", with a warning naming the value."""
    channel, unknown = normalise_channel(rows.col("channel"))
    if unknown.any():
        rows.flag(unknown, "channel", rows.col("channel"),
                  lambda value: f"channel {(value or '').strip()!r} is not one we know; stored "
                                f"as Other (we know {_KNOWN_CHANNELS})", reject=False)
        channel = channel.mask(unknown, "other")
    out["channel"] = channel


def _parse_launch_dates(rows: _Rows, file_format: str) -> tuple[pd.Series, np.ndarray]:
    """Each row's launch date (missing where none is given) and where it is not a date; the
    last check that can reject a row."""
    launch, bad_launch = parse_dates(rows.col("launch_date"),
                                     excel_serials=file_format == "xlsx")
    rows.flag(bad_launch, "launch_date", rows.col("launch_date"),
              "not a date; use e.g. 2024-01-15, 01/15/2024 or 15 Jan 2024", reject=True)
    return launch, bad_launch


def _normalise_campaign_types(rows: _Rows, out: pd.DataFrame) -> None:
    """Known campaign types, and whether each came from the file; an unknown one is left to
    the prediction, with a warning."""
    ctype, bad_type = normalise_campaign_type(rows.col("campaign_type"))
    rows.flag(bad_type, "campaign_type", rows.col("campaign_type"),
              "unknown campaign type; it will be predicted", reject=False)
    out["campaign_type"] = ctype
    # an object column (the batch's schema says so), picked from two values: np.where with
    # a str would build a fixed-width text array first
    out["campaign_type_source"] = pd.Series(
        _TYPE_SOURCE[ctype.notna().to_numpy(dtype=np.intp)], dtype=object)


def _fill_industries(rows: _Rows, out: pd.DataFrame, companies: _Companies,
                     industries: dict[str, str]) -> None:
    """The file's industry of each row, else the store's industry of its company."""
    industry = normalise_industry(rows.col("industry"))
    if industry.hasnans:   # else the company's industry is not needed
        out["industry"] = industry.where(industry.notna(), companies.spread(
            [industries.get(c) for c in companies.canonical], out.index))
    else:
        out["industry"] = industry


def _set_dates(rows: _Rows, out: pd.DataFrame, launch: pd.Series, bad_launch: np.ndarray,
               file_format: str, today: date) -> None:
    """launch_date (``today`` where the file gives none, with a warning) and last_seen (the
    file's, where it is a date not before the launch; else the launch date)."""
    # A column that is not in the file is not parsed: all missing, no warning.
    has_last = rows.has("last_seen")
    if has_last:
        last, bad_last = parse_dates(rows.col("last_seen"), excel_serials=file_format == "xlsx")
        rows.flag(bad_last, "last_seen", rows.col("last_seen"),
                  "not a date; the value was ignored", reject=False)
    no_date = launch.isna() & ~np.asarray(bad_launch)
    if no_date.any() and rows.has("launch_date"):
        rows.flag(no_date, "launch_date", rows.col("launch_date"),
                  f"no launch date; the upload date {today.isoformat()} is used", reject=False)
    launch = launch.fillna(pd.Timestamp(today))
    # kept as datetime64 (vectorised grouping); the store writes them as DATE
    out["launch_date"] = launch
    out["last_seen"] = launch.where(last.isna() | (last < launch), last) if has_last else launch


def _parse_estimates(rows: _Rows, out: pd.DataFrame) -> None:
    """Spend and volume estimates: non-negative numbers, others ignored with a warning."""
    for fld in ("est_spend_usd", "est_volume"):
        if rows.has(fld):
            values, bad = parse_numbers(rows.col(fld))
            rows.flag(bad, fld, rows.col(fld), "not a non-negative number; the value was ignored",
                      reject=False)
        else:
            values = pd.Series(np.nan, index=out.index, dtype="float64")
        out[fld] = values


def _prepared(raw: RawTable, filename: str, source: str, mapping: dict[str, str], rows: _Rows,
              out: pd.DataFrame, row_keys: RowKeys, companies: _Companies,
              enrich: "EarlyEnrichment | None") -> Prepared:
    """The report of the file and, when any row is accepted, the batch to write: the accepted
    rows deduplicated into pieces and sightings."""
    rejecting = rows.reject_mask.any()
    # filtering copies every column: skip it in the common case of no rejected row
    accepted = out[~rows.reject_mask].reset_index(drop=True) if rejecting else out
    report = IngestReport(filename=filename, status="committed", file_format=raw.file_format,
                          rows_read=rows.n + len(raw.issues), rejected=rows.rejected,
                          warnings=rows.warnings, mapping=mapping, row_label=raw.row_label)
    if accepted.empty:
        report.status = "refused"
        report.message = ("no row could be imported" if rows.n
                          else "the file has a header but no rows")
        return Prepared(report, None)
    dedup = deduplicate(accepted, row_keys.of(~rows.reject_mask if rejecting else None))
    report.duplicates = dedup.duplicates
    pieces = dedup.pieces if enrich is None else enrich.finish(dedup.pieces, dedup.first)
    industry_of = _new_company_industries(accepted, companies.new)
    batch = BatchWrite(filename=filename, source=source, file_format=raw.file_format,
                       rows_read=report.rows_read, duplicates=report.duplicates,
                       rejected=report.rejected_count, pieces=pieces,
                       sightings=dedup.sightings, report=_stored_report(report, companies.new),
                       new_companies=[(name, key, industry_of.get(name))
                                      for name, key in sorted(companies.new)])
    return Prepared(report, batch, dedup.rows)


def _new_company_industries(accepted: pd.DataFrame, new_companies: set[tuple[str, str]]
                            ) -> dict[str, str]:
    """Each new company's most common industry in the accepted rows."""
    if not new_companies:
        return {}
    # ascending counts: the largest is set last
    counts = _pair_counts(accepted["company"], accepted["industry"]).sort_values()
    return {company: industry for (company, industry), _n in counts.items()}


def _stored_report(report: IngestReport, new_companies: set[tuple[str, str]]
                   ) -> dict[str, Any]:
    """The report the batch keeps: its issues capped at REPORT_ISSUE_CAP, the counts exact."""
    return {
        "mapping": report.mapping, "row_label": report.row_label,
        "rejected_rows": [asdict(i) for i in report.rejected[:REPORT_ISSUE_CAP]],
        "warnings": [asdict(i) for i in report.warnings[:REPORT_ISSUE_CAP]],
        "rejected_total": len(report.rejected), "warnings_total": len(report.warnings),
        "new_companies": sorted(name for name, _ in new_companies),
    }
