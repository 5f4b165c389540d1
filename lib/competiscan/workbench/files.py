"""File tools that store nothing: check a file as an upload would, convert between formats,
write generated sample campaigns. They need no store, so they work before one exists."""

from __future__ import annotations

from pathlib import Path

from ..companies import KNOWN_COMPANIES, alias_map
from ..generate import generate_campaigns, write_campaigns
from ..ingest import IngestReport, format_of, prepare_bytes, read_table

__all__ = ["validate_file", "convert_file", "generate_sample"]


def validate_file(data: bytes, filename: str) -> IngestReport:
    """Check a file as an upload would, against the company catalogue, storing nothing.

    ``status`` is valid (every row accepted), invalid (some rows rejected), refused (the file
    cannot be read or mapped) or empty; ``inserted`` counts the distinct pieces an upload
    into an empty store would insert, ``resighted`` their repeated sightings in the file.
    """
    prepared = prepare_bytes(data, filename, source="validate", aliases=alias_map(),
                             industries={c.name: c.industry for c in KNOWN_COMPANIES})
    report = prepared.report
    if prepared.batch is not None:
        report.inserted = len(prepared.batch.pieces)
        report.resighted = len(prepared.batch.sightings) - len(prepared.batch.pieces)
    if report.status == "committed":
        report.status = "invalid" if report.rejected else "valid"
    return report


def convert_file(source: Path, target: Path) -> int:
    """Rewrite a campaign file in another format (from the extensions); returns its rows."""
    format_of(str(target))
    table = read_table(source.read_bytes(), source.name)
    write_campaigns(table.frame, target)
    return len(table.frame)


def generate_sample(rows: int, target: Path, seed: int = 0) -> int:
    """Write ``rows`` realistic generated campaigns to ``target``; returns how many."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    frame = generate_campaigns(rows, seed=seed)
    write_campaigns(frame, target)
    return len(frame)
