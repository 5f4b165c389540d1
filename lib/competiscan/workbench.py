"""The Workbench: one object holding the running app's parts (store, search index, enrichers).

Pages and CLI commands get a Workbench and call its verbs; it keeps the search index a faithful
projection of the store: what is stored gets indexed, what is undone gets removed, and anything
the index missed stays pending until the next attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from .companies import KNOWN_COMPANIES, normalise_company_key
from .ingest.pipeline import IngestReport, prepare_bytes
from .settings import Settings, load_settings
from .store import Store, open_store

__all__ = ["Workbench", "SyncResult"]

log = logging.getLogger(__name__)

KEYWORD_CORPUS_SAMPLE = 5_000


@dataclass(frozen=True)
class SyncResult:
    indexed: int
    deleted: int
    error: str | None = None


class Workbench:
    """Store + search index + enrichment, wired as the settings say."""

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None,
                 index: Any | None = None) -> None:
        self.settings = settings or load_settings()
        self.store = store or open_store(self.settings.database_url)
        self._index = index
        self._local_enricher: Any | None = None
        if not self.store.company_aliases():
            self.store.ensure_companies(
                (c.name, c.industry, tuple({normalise_company_key(a) for a in (c.name, *c.aliases)}))
                for c in KNOWN_COMPANIES)

    # ------------------------------------------------------------------ parts
    @property
    def index(self):  # -> competiscan.search.SearchIndex
        if self._index is None:
            from .search import open_index
            self._index = open_index(self.settings.search_url)
        return self._index

    @property
    def local_enricher(self):  # -> competiscan.enrich.LocalEnricher
        """The local enricher; its keyword weights come from the stored corpus once there is
        one (a small upload's keywords are then distinctive against the whole store)."""
        if self._local_enricher is None:
            from .enrich import LocalEnricher
            from .enrich.keywords import KeywordExtractor
            sample = self.store.text_sample(KEYWORD_CORPUS_SAMPLE)
            extractor = KeywordExtractor().fit(sample) if len(sample) >= 500 else None
            self._local_enricher = LocalEnricher(keywords=extractor)
        return self._local_enricher

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        self.store.close()

    # ------------------------------------------------------------------ ingestion
    def prepare(self, data: bytes, filename: str, *, source: str = "upload",
                mapping: dict[str, str] | None = None, enrich: bool = True,
                today: date | None = None):
        """Check and shape a file (nothing written); ``enrich``: with local enrichment of its
        pieces, started as soon as the accepted rows are known."""
        early = None
        if enrich:
            from .enrich.apply import EarlyEnrichment
            early = EarlyEnrichment(self.local_enricher)
        return prepare_bytes(data, filename, source=source,
                             aliases=self.store.company_aliases(),
                             industries=self.store.company_industries(), mapping=mapping,
                             enrich=early, today=today)

    def ingest_bytes(self, data: bytes, filename: str, *, source: str = "upload",
                     mapping: dict[str, str] | None = None, enrich: bool = True,
                     index: bool = True, today: date | None = None) -> IngestReport:
        """Check, write (all accepted rows or none) and index one file."""
        prepared = self.prepare(data, filename, source=source, mapping=mapping, enrich=enrich,
                                today=today)
        report = prepared.report
        if prepared.batch is None:
            return report
        result = self.store.write_batch(prepared.batch)
        report.batch_id = result.batch_id
        report.inserted = result.inserted
        report.resighted = result.resighted
        if index:
            sync = self.sync_index()
            report.indexed = sync.error is None
            if sync.error:
                report.message = (f"Stored; the search index could not be updated ({sync.error}). "
                                  "The campaigns stay pending and are indexed on the next "
                                  "attempt (`competiscan reindex`).")
        return report

    def undo_batch(self, batch_id: int) -> SyncResult:
        gone = self.store.undo_batch(batch_id)
        return self.sync_index(deleted=gone)

    # ------------------------------------------------------------------ search projection
    def sync_index(self, deleted: list[int] | None = None,
                   progress: Callable[[int], None] | None = None) -> SyncResult:
        """Bring the index up to the store: drop deleted ids, add everything pending.

        All pending documents go to the index in one ``add`` (one commit: bulk speed); they are
        marked indexed only after it returned, so a failure leaves them pending.
        """
        sent: list[int] = []

        def pending_tables():
            for table in self.store.pending_index_tables():
                yield table
                sent.extend(table["id"].to_pylist())
                if progress:
                    progress(len(sent))

        try:
            index = self.index
            if deleted:
                index.delete(deleted)
            index.add_tables(pending_tables())
            self.store.mark_indexed(sent)
        except Exception as exc:  # any index failure leaves the store intact and pending
            log.warning("search index update failed: %s", exc)
            return SyncResult(indexed=0, deleted=len(deleted or []), error=str(exc))
        return SyncResult(indexed=len(sent), deleted=len(deleted or []))

    def reindex(self, progress: Callable[[int], None] | None = None) -> SyncResult:
        """Rebuild the index from the store (the store is the truth)."""
        self.index.clear()
        self.store.mark_all_unindexed()
        return self.sync_index(progress=progress)

    def index_consistency(self) -> dict[str, int]:
        """Counts to check the projection: store rows, index docs, and the differences."""
        stored = self.store.all_ids()
        indexed = self.index.ids()
        return {"store": len(stored), "index": len(indexed),
                "missing_from_index": len(stored - indexed),
                "stale_in_index": len(indexed - stored)}
