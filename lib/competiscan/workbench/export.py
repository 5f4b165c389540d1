"""Exports to CSV and XLSX that are safe to open in a spreadsheet."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

__all__ = ["ExportError", "EXPORT_COLUMNS", "neutralise_formulas", "to_csv_bytes", "to_xlsx_bytes",
           "check_export_path", "write_export"]

EXPORT_COLUMNS: tuple[str, ...] = (
    "id", "company", "product", "industry", "channel", "campaign_type", "title", "subject_line", "content",
    "launch_date", "last_seen", "landing_url", "audience", "geography", "est_spend_usd",
    "est_volume", "keywords", "source", "sentiment_label", "sentiment_score",
    "intro_apr_pct", "intro_apr_months", "regular_apr_min_pct", "regular_apr_max_pct",
    "bonus_amount", "bonus_unit", "bonus_spend_usd", "bonus_window_months", "cash_back_pct",
    "annual_fee_usd", "balance_transfer_fee_pct", "apy_pct", "offer_expires", "enriched_by",
)

class ExportError(ValueError):
    """The export cannot be written as asked."""


# A cell starting with one of these is run as a formula by spreadsheet programs
# (CSV injection); a leading apostrophe makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    neutralise_formulas(frame).to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()


def check_export_path(path: Path) -> None:
    """Raise ExportError unless ``path`` names a format exports are written in."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ExportError(f"{path}: export to .csv or .xlsx")


def write_export(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as CSV or XLSX (from the extension), formulas neutralised."""
    check_export_path(path)
    suffix = path.suffix.lower()
    path.write_bytes(to_csv_bytes(frame) if suffix == ".csv" else to_xlsx_bytes(frame))
