"""Reading, mapping, validating and deduplicating uploaded files (shared by the UI and CLI)."""

from .pipeline import IngestReport, MappingError, Prepared, RowIssue, prepare, prepare_bytes
from .readers import FORMATS, RawTable, UnreadableFileError, format_of, read_table

__all__ = ["IngestReport", "MappingError", "Prepared", "RowIssue", "prepare", "prepare_bytes",
           "FORMATS", "RawTable", "UnreadableFileError", "format_of", "read_table"]
