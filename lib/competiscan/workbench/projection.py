"""The search index as a projection of the store: what is stored gets indexed, what is undone
gets removed, and anything the index missed stays pending until the next attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from ..model import Actor, PermissionDenied
from ..search import SearchIndex, open_index
from ..settings import Settings
from ..store import Store
from .audit import Audit

__all__ = ["IndexProjection", "SyncResult", "IndexConsistency"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    """What one update of the index did; ``error`` says why it stopped, when it did."""

    indexed: int
    deleted: int
    error: str | None = None


@dataclass(frozen=True)
class IndexConsistency:
    """Store rows against index documents, and how many differ each way."""

    store: int
    index: int
    missing_from_index: int
    stale_in_index: int

    @property
    def agrees(self) -> bool:
        return not (self.missing_from_index or self.stale_in_index)


class IndexProjection:
    """``wb.index``: keeps the search index level with the store."""

    def __init__(self, settings: Settings, store: Store, audit: Audit,
                 index: SearchIndex | None = None) -> None:
        self._settings = settings
        self._store = store
        self._audit = audit
        self._index = index

    @property
    def backend(self) -> SearchIndex:
        """The search backend, opened on first use (a page that never searches never opens
        it)."""
        if self._index is None:
            self._index = open_index(self._settings.search_url)
        return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.close()

    def sync(self, deleted: list[int] | None = None,
             progress: Callable[[int], None] | None = None) -> SyncResult:
        """Bring the index up to the store: drop deleted ids, add everything pending.

        All pending documents go to the index in one ``add`` (one commit: bulk speed); they are
        marked indexed only after it returned, so a failure leaves them pending.
        """
        sent: list[int] = []

        def pending_tables():
            for table in self._store.pending_index_tables():
                yield table
                sent.extend(table["id"].to_pylist())
                if progress:
                    progress(len(sent))

        try:
            index = self.backend
            if index.outdated:
                # An index of an older layout (an upgrade added fields): the store is the
                # truth, so it is built again from it instead of answering nothing.
                log.warning("search index has an older layout; rebuilding it from the store")
                index.clear()
                self._store.mark_all_unindexed()
                deleted = None
            if deleted:
                index.delete(deleted)
            index.add_tables(pending_tables())
            self._store.mark_indexed(sent)
        except Exception as exc:  # any index failure leaves the store intact and pending
            log.warning("search index update failed: %s", exc)
            return SyncResult(indexed=0, deleted=len(deleted or []), error=str(exc))
        return SyncResult(indexed=len(sent), deleted=len(deleted or []))

    def rebuild(self, actor: Actor, progress: Callable[[int], None] | None = None) -> SyncResult:
        """Rebuild the index from the store (the store is the truth)."""
        try:
            actor.require("reindex")
        except PermissionDenied as exc:
            self._audit.record(actor, "reindex", None, "refused", message=str(exc))
            raise
        self.backend.clear()
        self._store.mark_all_unindexed()
        result = self.sync(progress=progress)
        self._audit.record(actor, "reindex", None, "failed" if result.error else "ok",
                           indexed=result.indexed, error=result.error)
        return result

    def consistency(self) -> IndexConsistency:
        """Counts to check the projection: store rows, index docs, and the differences."""
        stored = self._store.all_ids()
        indexed = self.backend.ids()
        return IndexConsistency(store=len(stored), index=len(indexed),
                                missing_from_index=len(stored - indexed),
                                stale_in_index=len(indexed - stored))
