"""``wb.campaigns``: uploads (preview, ingest, undo, history) and the campaigns they stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import pandas as pd

from ..companies import normalise_company_key
from ..ingest import IngestReport, UnreadableFileError, read_table
from ..ingest.normalise import detect_mapping
from ..model import Actor, PermissionDenied
from ..store import AlreadyImportedError, NotFoundError, Store, StoreError
from .audit import Audit
from .projection import IndexProjection, SyncResult

if TYPE_CHECKING:
    from . import Workbench

__all__ = ["Campaigns", "FilePreview", "CampaignDetail", "PREVIEW_ROWS", "CompanyMatch",
           "resolve_company"]

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


@dataclass(frozen=True)
class CompanyMatch:
    """What a typed company name selects: the company (``name``), or, when no company is
    called so, the ones it may mean (``suggestions``)."""

    name: str | None
    suggestions: tuple[str, ...] = ()


#: Names a company name that selects nothing suggests at most.
COMPANY_SUGGESTIONS = 5


def resolve_company(typed: str, names: Sequence[str], aliases: Mapping[str, str]) -> CompanyMatch:
    """The company of ``names`` that ``typed`` names: the same name, or an alias of it
    (``aliases``: alias key -> company), case, punctuation and legal suffixes aside ("citi",
    "Citibank" and "Citigroup Inc." are Citi). Never every name containing the text: "Citi" is
    not Citizens. Without such a company, names starting with, then containing, the text are
    suggested."""
    key = normalise_company_key(typed)
    if not key:
        return CompanyMatch(None)
    by_key = {normalise_company_key(name): name for name in names}
    name = by_key.get(key)
    if name is None and aliases.get(key) in names:
        name = aliases[key]
    if name is not None:
        return CompanyMatch(name)
    starting = [n for k, n in sorted(by_key.items()) if k.startswith(key)]
    containing = [n for k, n in sorted(by_key.items()) if key in k and n not in starting]
    return CompanyMatch(None, tuple((starting + containing)[:COMPANY_SUGGESTIONS]))


class Campaigns:
    def __init__(self, workbench: "Workbench", store: Store, index: IndexProjection,
                 audit: Audit) -> None:
        self._wb = workbench
        self._store = store
        self._index = index
        self._audit = audit

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

        The same file (the same bytes) imported again, and not undone since, adds nothing: the
        report is refused and names the upload that has it. Raises PermissionDenied unless
        ``actor`` may upload (analysts and admins); every attempt is in the audit trail.
        """
        digest = hashlib.sha256(data).hexdigest()
        audit = {"file": filename, "bytes": len(data), "sha256": digest, "source": source}
        try:
            actor.require("inbox" if source == "inbox" else "upload")
            report = self._ingest(actor, data, filename, digest, source=source,
                                  mapping=mapping, enrich=enrich, index=index, today=today)
        except PermissionDenied as exc:
            self._audit.record(actor, "upload", filename, "refused", **audit, message=str(exc))
            raise
        except Exception as exc:
            self._audit.record(actor, "upload", filename, "failed", **audit,
                               message=f"{type(exc).__name__}: {exc}")
            raise
        self._audit.record(actor, "upload", filename,
                           "ok" if report.status == "committed" else "refused", **audit,
                           batch=report.batch_id, rows=report.rows_read,
                           inserted=report.inserted, resighted=report.resighted,
                           rejected=report.rejected_count, message=report.message or None)
        return report

    def _ingest(self, actor: Actor, data: bytes, filename: str, digest: str, *, source: str,
                mapping: dict[str, str] | None, enrich: bool, index: bool,
                today: date | None) -> IngestReport:
        known = self._store.batch_of_file(digest)
        if known is not None:  # said before the file is read; the store checks it again
            return _already_imported(filename, AlreadyImportedError(
                known["id"], known["filename"], known["created_at"]))
        prepared = self._wb.prepare(data, filename, source=source, mapping=mapping,
                                    enrich=enrich, today=today)
        report = prepared.report
        if prepared.batch is None:
            return report
        prepared.batch.uploaded_by = actor.name
        prepared.batch.file_sha256 = digest
        try:
            result = self._store.write_batch(prepared.batch)
        except AlreadyImportedError as exc:  # another process took the same file meanwhile
            return _already_imported(filename, exc)
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

        Analysts may undo their own uploads, admins anyone's (PermissionDenied otherwise)."""
        batch = self._store.batch(batch_id)
        target = f"upload {batch_id} ({batch['filename']})"
        try:
            actor.require("undo_own" if batch.get("uploaded_by") == actor.name else "undo")
            gone = self._store.undo_batch(batch_id)
        except PermissionDenied as exc:
            self._audit.record(actor, "undo", target, "refused", message=str(exc))
            raise
        except StoreError as exc:
            self._audit.record(actor, "undo", target, "refused", message=str(exc))
            raise
        result = self._index.sync(deleted=gone)
        self._audit.record(actor, "undo", target, "ok", batch=batch_id, removed=len(gone),
                           uploaded_by=batch.get("uploaded_by"), index_error=result.error)
        return result

    def batch_of_file(self, sha256: str) -> dict[str, Any] | None:
        """The committed (not undone) upload of the file with this SHA-256 hex digest, or
        None: id, created_at, uploaded_by, source, filename, inserted, resighted."""
        return self._store.batch_of_file(sha256)

    def batches(self, limit: int = 100, source: str | None = None) -> list[dict[str, Any]]:
        """Upload history, newest first; ``source`` keeps one origin (upload, inbox, cli...)."""
        return self._store.batches(limit=limit, source=source)

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

    def company_named(self, typed: str, among: Sequence[str] | None = None) -> CompanyMatch:
        """The company ``typed`` names (see :func:`resolve_company`), among ``among`` (default:
        the stored companies), through the store's company aliases."""
        names = list(among) if among is not None else self._store.distinct_values("company")
        return resolve_company(typed, names, self._store.company_aliases())

    def count(self) -> int:
        return int(self._store.count())


def _already_imported(filename: str, exc: AlreadyImportedError) -> IngestReport:
    return IngestReport(filename=filename, status="refused", message=str(exc),
                        duplicate_of=exc.batch_id)
