"""``wb.campaigns``: uploads (preview, ingest, undo, history) and the campaigns they stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..ingest import IngestReport, UnreadableFileError, read_table
from ..ingest.normalise import detect_mapping
from ..model import Actor
from ..store import NotFoundError, Store
from .projection import IndexProjection, SyncResult

if TYPE_CHECKING:
    from . import Workbench

__all__ = ["Campaigns", "FilePreview", "CampaignDetail", "PREVIEW_ROWS"]

#: Rows of a file shown before it is imported.
PREVIEW_ROWS = 8


@dataclass
class FilePreview:
    """What the analyst sees of a file before importing it: its columns, first rows, row
    count and the field each column was matched to. ``error`` says why it cannot be read."""

    name: str
    size: int
    columns: list[str] = field(default_factory=list)
    head: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows: int = 0
    detected: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class CampaignDetail:
    """One campaign with everything the campaign page shows about it."""

    row: dict[str, Any]
    sightings: list[dict[str, Any]]
    variants: list[dict[str, Any]]


class Campaigns:
    def __init__(self, workbench: "Workbench", store: Store, index: IndexProjection) -> None:
        self._wb = workbench
        self._store = store
        self._index = index

    # ------------------------------------------------------------------ uploads
    def preview(self, data: bytes, filename: str) -> FilePreview:
        """Read a file for the preview (nothing is stored)."""
        preview = FilePreview(name=filename, size=len(data))
        try:
            table = read_table(data, filename)
        except UnreadableFileError as exc:
            preview.error = exc.reason
            return preview
        preview.columns = list(table.frame.columns)
        preview.head = table.frame.head(PREVIEW_ROWS)
        preview.rows = len(table.frame)
        preview.detected = detect_mapping(preview.columns)
        return preview

    def ingest(self, actor: Actor, data: bytes, filename: str, *, source: str = "upload",
               mapping: dict[str, str] | None = None, enrich: bool = True,
               index: bool = True, today: date | None = None) -> IngestReport:
        """Check, write (all accepted rows or none) and index one file.

        Raises PermissionDenied unless ``actor`` may upload (analysts and admins)."""
        actor.require("inbox" if source == "inbox" else "upload")
        prepared = self._wb.prepare(data, filename, source=source, mapping=mapping,
                                    enrich=enrich, today=today)
        report = prepared.report
        if prepared.batch is None:
            return report
        result = self._store.write_batch(prepared.batch)
        report.batch_id = result.batch_id
        report.inserted = result.inserted
        report.resighted = result.resighted
        if index:
            sync = self._index.sync()
            report.indexed = sync.error is None
            if sync.error:
                report.message = (f"Stored; the search index could not be updated ({sync.error}). "
                                  "The campaigns stay pending and are indexed on the next "
                                  "attempt (`competiscan reindex`).")
        return report

    def undo(self, actor: Actor, batch_id: int) -> SyncResult:
        """Remove exactly what one upload added, from the store and then from the index.

        Raises PermissionDenied unless ``actor`` may undo uploads."""
        actor.require("undo_own")
        gone = self._store.undo_batch(batch_id)
        return self._index.sync(deleted=gone)

    def batches(self, limit: int = 100, source: str | None = None) -> list[dict[str, Any]]:
        """Upload history, newest first; ``source`` keeps one origin (upload, inbox, cli...)."""
        rows = self._store.batches(limit=limit if source is None else max(limit, 200))
        if source is not None:
            rows = [row for row in rows if row["source"] == source][:limit]
        return rows

    def batch(self, batch_id: int) -> dict[str, Any]:
        """One upload with its stored report. Raises NotFoundError."""
        return self._store.batch(batch_id)

    def has_uploads(self) -> bool:
        """Whether the store ever received a batch (one undone later counts)."""
        return bool(self._store.batches(limit=1))

    # ------------------------------------------------------------------ campaigns
    def detail(self, campaign_id: int) -> CampaignDetail:
        """A campaign, its sightings and its near-identical variants. Raises NotFoundError."""
        row = self._store.campaign(campaign_id)
        return CampaignDetail(row=row, sightings=self._store.sightings_of(campaign_id),
                              variants=self._store.variants_of(campaign_id))

    def exists(self, campaign_id: int) -> bool:
        try:
            self._store.campaign(campaign_id)
        except NotFoundError:
            return False
        return True

    def newest(self, limit: int = 10, since: datetime | None = None) -> pd.DataFrame:
        """The latest stored campaigns (optionally only those stored after ``since``)."""
        return self._store.newest(limit=limit, since=since)

    def summary(self) -> dict[str, Any]:
        """Counts for Home: campaigns, companies, channels, dates, the last upload, pending."""
        return self._store.summary()

    def distinct_values(self, column: str) -> list[str]:
        """The values a filter can offer for ``column`` (company, channel, ...)."""
        return self._store.distinct_values(column)

    def count(self) -> int:
        return int(self._store.count())
