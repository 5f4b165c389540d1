"""Read an uploaded file into a table of text cells, whatever its format and encoding.

Every reader returns a :class:`RawTable` whose cells are strings (or None), so mapping and
validation see one shape. A file that cannot be read at all raises :class:`UnreadableFileError`
with a message that says what is wrong and, where known, where.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

__all__ = ["RawTable", "UnreadableFileError", "read_table", "FORMATS", "format_of"]

# extension -> format name
FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet",
}

MAX_COLUMNS = 500


class UnreadableFileError(ValueError):
    """The file as a whole cannot be read; nothing from it is imported."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


@dataclass
class RawTable:
    """Cells as text. ``row_numbers[i]`` is how the user finds row i in their file."""

    frame: pd.DataFrame
    file_format: str
    row_numbers: list[int]
    row_label: str = "row"        # "row" (spreadsheet row, header = 1) or "line"/"item"
    encoding: str | None = None
    delimiter: str | None = None
    issues: list[tuple[int, str]] = field(default_factory=list)  # (row, reason) unreadable rows


def format_of(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UnreadableFileError(filename, f"unsupported file type {ext or '(none)'!r}; "
                                            f"use one of {known}")
    return FORMATS[ext]


def read_table(data: bytes, filename: str) -> RawTable:
    """Read ``data`` (the file's bytes) according to ``filename``'s extension."""
    fmt = format_of(filename)
    if re.search(rb"\S", data) is None:   # (strip() would copy the whole file)
        raise UnreadableFileError(filename, "the file is empty")
    reader = {"csv": _read_csv, "json": _read_json, "jsonl": _read_jsonl,
              "xlsx": _read_xlsx, "parquet": _read_parquet}[fmt]
    table = reader(data, filename)
    if len(table.frame.columns) > MAX_COLUMNS:
        raise UnreadableFileError(filename, f"{len(table.frame.columns)} columns; at most "
                                            f"{MAX_COLUMNS} are accepted")
    table.frame.columns = [str(c).strip() for c in table.frame.columns]
    return table


# ------------------------------------------------------------------------------------ text
def _decode(data: bytes, filename: str) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252/Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:65536]
    if b"\x00" in head:
        raise UnreadableFileError(filename, "this is not a text file (it contains binary data); "
                                            "save it as CSV, or upload it as .xlsx/.parquet")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > len(sample) * 0.01:
        raise UnreadableFileError(filename, "this does not look like a text file (too many "
                                            "control characters); is it really a CSV?")
    return text, encoding


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)  # type: ignore[arg-type]
        return best if counts[best] else ","


def _read_csv_arrow(data: bytes, delimiter: str) -> pd.DataFrame | None:
    """The fast path: Arrow's multi-threaded parser, several times faster than pandas'.

    Returns None when the file needs the careful path: an odd header, or a parse error that
    pandas explains better.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    first_line = data[: data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8")
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    names = [h.strip() for h in header]
    if not names or len(set(names)) != len(names) or any(not n for n in names):
        return None
    def parse(multi_line_cells: bool) -> pa.Table:
        # Arrow reads the bytes where they are: through io.BytesIO it would copy every block
        # out of Python first.
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter,
                                             newlines_in_values=multi_line_cells),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in header}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True))
    try:
        try:
            # Arrow splits the file into blocks at line ends much faster when told no cell
            # holds a line break. Cells with line
            # breaks are still read right within a block; a block end that cuts one leaves that
            # block unparseable (an error, never a wrong table), and then the file is read
            # again the careful way, as is any file that fails this way for another reason.
            table = parse(multi_line_cells=False)
        except pa.ArrowInvalid:
            table = parse(multi_line_cells=True)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    table = table.rename_columns(names)
    return table.to_pandas()


def _read_csv_utf8(data: bytes) -> RawTable | None:
    """The fast path for UTF-8 files: Arrow validates the UTF-8 as it parses, so the file is
    not decoded to a Python string first. None when the file is not
    plain UTF-8 or needs the careful path."""
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    head = data[:65536]
    if b"\x00" in head:
        return None
    if len(head) < len(data):
        head = head[:head.rfind(b"\n") + 1]
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not sample.strip():
        return None
    delimiter = _sniff_delimiter(sample)
    frame = _read_csv_arrow(data, delimiter)
    if frame is None or (frame.empty and not len(frame.columns)):
        return None
    return RawTable(frame=frame, file_format="csv", row_numbers=list(range(2, len(frame) + 2)),
                    encoding=encoding, delimiter=delimiter)


def _read_csv(data: bytes, filename: str) -> RawTable:
    fast = _read_csv_utf8(data)
    if fast is not None:
        return fast
    text, encoding = _decode(data, filename)
    lines = text[:65536]
    delimiter = _sniff_delimiter(lines)
    utf8 = data[3:] if encoding == "utf-8-sig" else (
        data if encoding == "utf-8" else text.encode("utf-8"))
    frame = _read_csv_arrow(utf8, delimiter)
    if frame is not None:
        if frame.empty and not len(frame.columns):
            raise UnreadableFileError(filename, "the file has no header row")
        return RawTable(frame=frame, file_format="csv",
                        row_numbers=list(range(2, len(frame) + 2)), encoding=encoding,
                        delimiter=delimiter)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            na_filter=False, engine="c", skip_blank_lines=True,
                            on_bad_lines="error")
    except pd.errors.EmptyDataError:
        raise UnreadableFileError(filename, "the file has no header row") from None
    except pd.errors.ParserError as exc:
        raise UnreadableFileError(filename, _explain_parser_error(str(exc))) from None
    if frame.columns.empty:
        raise UnreadableFileError(filename, "the file has no header row")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    if len(unnamed) == len(frame.columns):
        raise UnreadableFileError(filename, "the header row is empty")
    frame = frame.drop(columns=unnamed)
    frame = frame.replace("", None)
    # header is spreadsheet row 1; multi-line quoted cells make this approximate, so say "row"
    return RawTable(frame=frame, file_format="csv", row_numbers=list(range(2, len(frame) + 2)),
                    encoding=encoding, delimiter=delimiter)


def _explain_parser_error(message: str) -> str:
    low = message.lower()
    if "eof inside string" in low:
        where = message.split("starting at row")[-1].strip() if "starting at row" in message else ""
        row = f" (the quote opens in data row {int(where) + 1})" if where.isdigit() else ""
        return f"a quoted cell is never closed{row}; check for a stray double quote"
    if "expected" in low and "fields" in low:
        return "a row has more cells than the header: " + message.split("Error tokenizing data. C error: ")[-1]
    return f"could not parse as CSV: {message}"


# ------------------------------------------------------------------------------------ JSON
def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value if v is not None)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() else None


def _frame_from_records(records: list[dict], filename: str) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    for column in frame.columns:
        frame[column] = frame[column].map(_cell).astype(object)
    return frame


def _read_json(data: bytes, filename: str) -> RawTable:
    text, encoding = _decode(data, filename)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(filename, f"invalid JSON at line {exc.lineno}, column "
                                            f"{exc.colno}: {exc.msg}") from None
    if isinstance(payload, dict):
        # common wrappers: {"campaigns": [...]}, {"data": [...]}
        lists = [v for v in payload.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise UnreadableFileError(filename, "expected a JSON array of objects")
        payload = lists[0]
    if not isinstance(payload, list):
        raise UnreadableFileError(filename, "expected a JSON array of objects")
    records, numbers, issues = [], [], []
    for n, item in enumerate(payload, start=1):
        if isinstance(item, dict):
            records.append(item)
            numbers.append(n)
        else:
            issues.append((n, f"item is a {type(item).__name__}, not an object"))
    if not records:
        raise UnreadableFileError(filename, "the JSON array holds no objects")
    return RawTable(frame=_frame_from_records(records, filename), file_format="json",
                    row_numbers=numbers, row_label="item", encoding=encoding, issues=issues)


def _read_jsonl(data: bytes, filename: str) -> RawTable:
    text, encoding = _decode(data, filename)
    records, numbers, issues = [], [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            issues.append((n, f"invalid JSON at column {exc.colno}: {exc.msg}"))
            continue
        if not isinstance(item, dict):
            issues.append((n, f"line is a JSON {type(item).__name__}, not an object"))
            continue
        records.append(item)
        numbers.append(n)
    if not records:
        reason = "no line holds a JSON object"
        if issues:
            reason += f" (line {issues[0][0]}: {issues[0][1]})"
        raise UnreadableFileError(filename, reason)
    return RawTable(frame=_frame_from_records(records, filename), file_format="jsonl",
                    row_numbers=numbers, row_label="line", encoding=encoding, issues=issues)


# ------------------------------------------------------------------------------------ binary
def _read_xlsx(data: bytes, filename: str) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnreadableFileError(filename, f"not a readable .xlsx workbook ({exc})") from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise UnreadableFileError(filename, f"not a readable .xlsx workbook "
                                            f"({type(exc).__name__})") from None
    sheet = book.worksheets[0]
    header: list[str] | None = None
    rows, numbers = [], []
    for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if header is None:
            if any(v not in (None, "") for v in values):
                header = [str(v).strip() if v is not None else "" for v in values]
            continue
        if all(v in (None, "") for v in values):
            continue
        # Date-typed cells arrive as datetime; plain serials stay numbers and are read as
        # Excel dates by normalise.parse_dates(excel_serials=True).
        rows.append([_cell(v) for v in values[: len(header)]])
        numbers.append(n)
    book.close()
    if header is None:
        raise UnreadableFileError(filename, "the first sheet is empty")
    keep = [i for i, name in enumerate(header) if name]
    frame = pd.DataFrame([[r[i] if i < len(r) else None for i in keep] for r in rows],
                         columns=[header[i] for i in keep], dtype=object)
    return RawTable(frame=frame, file_format="xlsx", row_numbers=numbers)


def _read_parquet(data: bytes, filename: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))   # (in place, as for CSV)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
        raise UnreadableFileError(filename, f"not a readable Parquet file ({exc})") from None
    frame = table.to_pandas()
    for column in frame.columns:
        frame[column] = frame[column].map(_cell).astype(object)
    return RawTable(frame=frame, file_format="parquet",
                    row_numbers=list(range(1, len(frame) + 1)))
