"""``wb.searches``: full-text search, saved searches and their alerts, and exports.

A saved search belongs to the user who saved it and may be shared with the team. "New since I
last looked" is kept per user and saved search: two analysts each get their own alert for the
same new piece.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Actor, CampaignFilter, FilterError, PermissionDenied
from ..search import Hit, SearchRequest, SearchResult
from ..store import NotFoundError, Store
from .audit import Audit
from .export import EXPORT_COLUMNS, check_export_path, write_export
from .projection import IndexProjection

__all__ = ["Searches", "SavedSearch", "AlertMatch", "RELATIVE_RANGES"]

#: The relative date ranges a saved search may keep (days back from today).
RELATIVE_RANGES: tuple[int, ...] = (7, 30, 90)


@dataclass(frozen=True)
class SavedSearch:
    """A named query with its filters. ``last_days`` (7, 30 or 90) makes its date range
    relative: the last N days up to the day it runs. ``last_checked_at`` is when the user it
    was read for last took its new matches (its creation when they never did)."""

    id: int
    name: str
    owner: str
    shared: bool
    query: str
    filter: CampaignFilter
    sort: str
    last_days: int | None
    created_at: datetime
    last_checked_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any], last_checked: datetime | None) -> "SavedSearch":
        stored = dict(row.get("filters") or {})
        sort = stored.pop("sort", "relevance")
        last_days = stored.pop("last_days", None)
        return cls(id=int(row["id"]), name=row["name"], owner=row["owner"],
                   shared=bool(row["shared"]), query=row.get("query") or "",
                   filter=CampaignFilter.from_dict(stored), sort=sort,
                   last_days=int(last_days) if last_days else None,
                   created_at=row["created_at"],
                   last_checked_at=last_checked or row["created_at"])

    def request(self, today: date | None = None, **changes: Any) -> SearchRequest:
        """The search this saved search runs (``changes`` adjust paging and the like)."""
        where = self.filter
        if self.last_days:
            today = today or date.today()
            where = replace(where, date_from=today - timedelta(days=self.last_days - 1),
                            date_to=None)
        return replace(SearchRequest(query=self.query, filter=where, sort=self.sort), **changes)

    def owned_by(self, actor: Actor) -> bool:
        return self.owner == actor.name


@dataclass(frozen=True)
class AlertMatch:
    search_id: int
    name: str
    hits: list[Hit]
    total_new: int


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _check_dates(where: CampaignFilter, last_days: int | None, today: date) -> None:
    if last_days is not None and last_days not in RELATIVE_RANGES:
        raise FilterError(f"A saved search keeps the last {', '.join(map(str, RELATIVE_RANGES))}"
                          f" days, not {last_days}.")
    if last_days is None and where.date_to is not None and where.date_to < today:
        raise FilterError(
            f"This search ends on {where.date_to}, in the past, so it could never report a new "
            "piece. Save it with a relative range (the last 7, 30 or 90 days) or without an end "
            "date.")


class Searches:
    def __init__(self, store: Store, index: IndexProjection, audit: Audit) -> None:
        self._store = store
        self._index = index
        self._audit = audit

    # ------------------------------------------------------------------ search
    def run(self, request: SearchRequest) -> SearchResult:
        """One page of hits with facets and highlights. Raises QueryError, SearchUnavailable."""
        return self._index.backend.search(request)

    def matching_ids(self, request: SearchRequest) -> list[int]:
        """Every matching campaign id, in the request's order (for exports)."""
        return self._index.backend.matching_ids(request)

    # ------------------------------------------------------------------ saved searches
    def saved(self, actor: Actor) -> list[SavedSearch]:
        """The saved searches ``actor`` sees: their own and the team's shared ones."""
        seen = self._store.last_checked_by(actor.name)
        return [SavedSearch.from_row(row, seen.get(int(row["id"])))
                for row in self._store.saved_searches(visible_to=actor.name)]

    def get(self, actor: Actor, search_id: int) -> SavedSearch:
        """One saved search ``actor`` may see. Raises NotFoundError."""
        row = self._store.saved_search(search_id)
        if row["owner"] != actor.name and not row["shared"] and not actor.may("manage_searches"):
            raise NotFoundError(f"There is no saved search {search_id}.")
        return SavedSearch.from_row(row, self._store.last_checked(search_id, actor.name))

    def save(self, actor: Actor, name: str, request: SearchRequest, *, shared: bool = False,
             last_days: int | None = None, today: date | None = None) -> int:
        """Save a search as ``actor``'s; it reports what arrives from now on. A query that
        cannot run, or a date range that ended in the past, is refused rather than saved."""
        try:
            actor.require("share_search" if shared else "save_search")
            _check_dates(request.filter, last_days, today or date.today())
            self.run(replace(request, limit=1, offset=0, facets=False, highlight=False))
            search_id = self._store.save_search(actor.name, name, request.query,
                                                self._stored(request, last_days), shared)
        except Exception as exc:
            self._audit.record(actor, "saved_search.create", name, "refused", message=str(exc))
            raise
        self._audit.record(actor, "saved_search.create", name, "ok", id=search_id,
                           query=request.query, shared=shared, last_days=last_days)
        return search_id

    @staticmethod
    def _stored(request: SearchRequest, last_days: int | None) -> dict[str, Any]:
        where = (replace(request.filter, date_from=None, date_to=None) if last_days
                 else request.filter)
        return {**where.to_dict(), "sort": request.sort, "last_days": last_days}

    def change(self, actor: Actor, search_id: int, *, name: str | None = None,
               request: SearchRequest | None = None, shared: bool | None = None,
               last_days: int | None = None, today: date | None = None) -> None:
        """Rename, re-filter or (un)share a saved search (its owner, or an admin)."""
        current = self.get(actor, search_id)
        try:
            self._require_owner_or_admin(actor, current)
            if shared:
                actor.require("share_search")
            stored = None
            if request is not None:
                _check_dates(request.filter, last_days, today or date.today())
                self.run(replace(request, limit=1, offset=0, facets=False, highlight=False))
                stored = self._stored(request, last_days)
            self._store.update_saved_search(
                search_id, name=name, query=None if request is None else request.query,
                filters=stored, shared=shared)
        except Exception as exc:
            self._audit.record(actor, "saved_search.change", current.name, "refused",
                               id=search_id, message=str(exc))
            raise
        self._audit.record(actor, "saved_search.change", current.name, "ok", id=search_id,
                           new_name=name, shared=shared,
                           query=None if request is None else request.query)

    def delete(self, actor: Actor, search_id: int) -> None:
        """Delete a saved search (its owner, or an admin)."""
        current = self.get(actor, search_id)
        try:
            self._require_owner_or_admin(actor, current)
            self._store.delete_saved_search(search_id)
        except Exception as exc:
            self._audit.record(actor, "saved_search.delete", current.name, "refused",
                               id=search_id, message=str(exc))
            raise
        self._audit.record(actor, "saved_search.delete", current.name, "ok", id=search_id,
                           owner=current.owner)

    @staticmethod
    def _require_owner_or_admin(actor: Actor, search: SavedSearch) -> None:
        actor.require("save_search")
        if not search.owned_by(actor) and not actor.may("manage_searches"):
            raise PermissionDenied(f"“{search.name}” is {search.owner}'s saved search: only "
                                   "they or an admin may change or delete it.")

    def may_change(self, actor: Actor, search: SavedSearch) -> bool:
        """Whether ``actor`` may change or delete ``search`` (for pages to offer it)."""
        return actor.may("save_search") and (search.owned_by(actor)
                                             or actor.may("manage_searches"))

    # ------------------------------------------------------------------ alerts
    def new_matches(self, search: SavedSearch, limit: int = 20) -> AlertMatch:
        """Campaigns matching a saved search stored after its reader last checked it."""
        result = self.run(search.request(ingested_after=search.last_checked_at, sort="date",
                                         limit=limit, offset=0, facets=False))
        return AlertMatch(search_id=search.id, name=search.name, hits=result.hits,
                          total_new=result.total)

    def pending_alerts(self, actor: Actor, limit: int = 20) -> list[AlertMatch]:
        """``actor``'s new matches of every saved search they see, leaving them unseen."""
        matches = (self.new_matches(search, limit=limit) for search in self.saved(actor))
        return [match for match in matches if match.total_new]

    def check_alerts(self, actor: Actor, limit: int = 20) -> list[AlertMatch]:
        """``actor``'s new matches of every saved search they see; for them (only) the
        searches then count as checked now."""
        actor.require("read")
        # taken before searching, so a campaign stored during the check is reported next time
        checked_at = _utcnow()
        matches = []
        for search in self.saved(actor):
            match = self.new_matches(search, limit=limit)
            if match.total_new:
                matches.append(match)
            self._store.mark_search_checked(search.id, actor.name, checked_at)
        return matches

    # ------------------------------------------------------------------ exports
    def export_frame(self, actor: Actor, request: SearchRequest | None = None) -> pd.DataFrame:
        """The campaigns matching ``request`` (every campaign without one), with the export
        columns, newest first for a search. Raises PermissionDenied unless ``actor`` may
        export; each export is in the audit trail."""
        query = "" if request is None else request.query
        where = CampaignFilter() if request is None else request.filter
        try:
            actor.require("export")
            if not query.strip() and where.is_empty:
                frame = self._store.export_frame(EXPORT_COLUMNS)
            else:
                search = request if query.strip() else replace(request, sort="date")
                frame = self._store.campaigns_by_ids(self.matching_ids(search), EXPORT_COLUMNS)
        except Exception as exc:
            self._audit.record(actor, "export", query or "(all campaigns)", "refused",
                               filter=where.to_dict(), message=str(exc))
            raise
        self._audit.record(actor, "export", query or "(all campaigns)", "ok",
                           filter={k: v for k, v in where.to_dict().items() if v},
                           rows=len(frame))
        return frame

    def export(self, actor: Actor, path: Path, request: SearchRequest | None = None) -> int:
        """Write :meth:`export_frame` to ``path`` (.csv or .xlsx); returns the rows written."""
        check_export_path(path)
        frame = self.export_frame(actor, request)
        write_export(frame, path)
        return len(frame)
