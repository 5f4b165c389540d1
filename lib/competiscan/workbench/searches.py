"""``wb.searches``: full-text search, saved searches and their alerts (what arrived since a
saved search was last checked)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Actor, CampaignFilter
from ..search import Hit, SearchRequest, SearchResult
from ..store import Store
from .export import EXPORT_COLUMNS, write_export
from .projection import IndexProjection

__all__ = ["Searches", "SavedSearch", "AlertMatch"]


@dataclass(frozen=True)
class SavedSearch:
    """A named query with its filters; alerts report what arrived after ``last_checked_at``."""

    id: int
    name: str
    query: str
    filter: CampaignFilter
    sort: str
    created_at: datetime | None
    last_checked_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "SavedSearch":
        stored = dict(row.get("filters") or {})
        sort = stored.pop("sort", "relevance")
        return cls(id=int(row["id"]), name=row["name"], query=row.get("query") or "",
                   filter=CampaignFilter.from_dict(stored), sort=sort,
                   created_at=row.get("created_at"), last_checked_at=row.get("last_checked_at"))

    def request(self, **changes: Any) -> SearchRequest:
        """The search this saved search runs (``changes`` adjust paging and the like)."""
        return replace(SearchRequest(query=self.query, filter=self.filter, sort=self.sort),
                       **changes)


@dataclass(frozen=True)
class AlertMatch:
    search_id: int
    name: str
    hits: list[Hit]
    total_new: int


class Searches:
    def __init__(self, store: Store, index: IndexProjection) -> None:
        self._store = store
        self._index = index

    # ------------------------------------------------------------------ search
    def run(self, request: SearchRequest) -> SearchResult:
        """One page of hits with facets and highlights. Raises QueryError, SearchUnavailable."""
        return self._index.backend.search(request)

    def matching_ids(self, request: SearchRequest) -> list[int]:
        """Every matching campaign id, in the request's order (for exports)."""
        return self._index.backend.matching_ids(request)

    # ------------------------------------------------------------------ saved searches
    def saved(self) -> list[SavedSearch]:
        return [SavedSearch.from_row(row) for row in self._store.saved_searches()]

    def get(self, search_id: int) -> SavedSearch:
        """One saved search. Raises NotFoundError."""
        for saved in self.saved():
            if saved.id == search_id:
                return saved
        from ..store import NotFoundError
        raise NotFoundError(f"There is no saved search {search_id}.")

    def save(self, actor: Actor, name: str, request: SearchRequest) -> int:
        """Save a search; it reports what arrives from now on. A query that cannot run is
        refused (QueryError) rather than saved."""
        actor.require("save_search")
        self.run(replace(request, limit=1, offset=0, facets=False, highlight=False))
        stored = {**request.filter.to_dict(), "sort": request.sort}
        return self._store.save_search(name, request.query, stored)

    def delete(self, actor: Actor, search_id: int) -> None:
        actor.require("save_search")
        self._store.delete_saved_search(search_id)

    def new_matches(self, saved: SavedSearch, limit: int = 20) -> AlertMatch:
        """Campaigns matching a saved search that were stored after it was last checked."""
        result = self.run(saved.request(ingested_after=saved.last_checked_at, sort="date",
                                        limit=limit, offset=0, facets=False))
        return AlertMatch(search_id=saved.id, name=saved.name, hits=result.hits,
                          total_new=result.total)

    def pending_alerts(self, limit: int = 20) -> list[AlertMatch]:
        """New matches of every saved search, leaving them unseen."""
        matches = (self.new_matches(saved, limit=limit) for saved in self.saved())
        return [match for match in matches if match.total_new]

    def check_alerts(self, actor: Actor, limit: int = 20) -> list[AlertMatch]:
        """New matches of every saved search; the searches then count as checked now."""
        actor.require("read")
        # taken before searching, so a campaign stored during the check is reported next time
        checked_at = datetime.now(timezone.utc).replace(tzinfo=None)
        matches = []
        for saved in self.saved():
            match = self.new_matches(saved, limit=limit)
            if match.total_new:
                matches.append(match)
            self._store.mark_search_checked(saved.id, checked_at)
        return matches

    # ------------------------------------------------------------------ exports
    def export_frame(self, actor: Actor, request: SearchRequest | None = None) -> pd.DataFrame:
        """The campaigns matching ``request`` (every campaign without one), with the export
        columns, newest first for a search. Raises PermissionDenied unless ``actor`` may
        export."""
        actor.require("export")
        if request is None or (not request.query.strip() and request.filter.is_empty):
            return self._store.export_frame(EXPORT_COLUMNS)
        ids = self.matching_ids(replace(request, sort="date") if not request.query.strip()
                                else request)
        return self._store.campaigns_by_ids(ids, EXPORT_COLUMNS)

    def export(self, actor: Actor, path: Path, request: SearchRequest | None = None) -> int:
        """Write :meth:`export_frame` to ``path`` (.csv or .xlsx); returns the rows written."""
        frame = self.export_frame(actor, request)
        write_export(frame, path)
        return len(frame)
