"""Saved searches and their alerts: what arrived since a saved search was last checked."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, timezone
from typing import Any

from .search.base import Hit, SearchRequest

__all__ = ["AlertMatch", "request_to_filters", "request_from_saved", "save_search",
           "new_matches", "check_saved_searches"]

# What a saved search keeps of a request: the query and its filters, not paging.
_KEPT = ("companies", "channels", "campaign_types", "industries", "sentiments", "date_from",
         "date_to", "offer_ranges", "sort")


@dataclass(frozen=True)
class AlertMatch:
    search_id: int
    name: str
    hits: list[Hit]
    total_new: int


def request_to_filters(req: SearchRequest) -> dict[str, Any]:
    data = asdict(req)
    out = {k: data[k] for k in _KEPT}
    out["date_from"] = req.date_from.isoformat() if req.date_from else None
    out["date_to"] = req.date_to.isoformat() if req.date_to else None
    out["offer_ranges"] = {k: list(v) for k, v in req.offer_ranges.items()}
    return out


def request_from_saved(row: dict[str, Any]) -> SearchRequest:
    filters = row.get("filters") or {}
    known = {f.name for f in fields(SearchRequest)}
    kwargs: dict[str, Any] = {"query": row.get("query", "")}
    for key, value in filters.items():
        if key not in known or key not in _KEPT or value is None:
            continue
        if key in ("date_from", "date_to"):
            value = date.fromisoformat(value)
        elif key == "offer_ranges":
            value = {k: (v[0], v[1]) for k, v in value.items()}
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return SearchRequest(**kwargs)


def save_search(workbench: Any, name: str, req: SearchRequest) -> int:
    """Save a search; it reports what arrives from now on."""
    req_check = replace(req, limit=1, facets=False, highlight=False)
    workbench.index.search(req_check)  # a query that cannot run must not be saved
    return workbench.store.save_search(name, req.query, request_to_filters(req))


def new_matches(workbench: Any, row: dict[str, Any], limit: int = 20) -> AlertMatch:
    """Campaigns matching a saved search that were stored after it was last checked."""
    req = replace(request_from_saved(row), ingested_after=row["last_checked_at"], sort="date",
                  limit=limit, offset=0, facets=False)
    result = workbench.index.search(req)
    return AlertMatch(search_id=row["id"], name=row["name"], hits=result.hits,
                      total_new=result.total)


def check_saved_searches(workbench: Any, mark: bool = True, limit: int = 20) -> list[AlertMatch]:
    """New matches of every saved search; with ``mark`` the searches count as checked now."""
    # taken before searching, so a campaign stored during the check is reported next time
    checked_at = datetime.now(timezone.utc).replace(tzinfo=None)
    matches = []
    for row in workbench.store.saved_searches():
        match = new_matches(workbench, row, limit=limit)
        if match.total_new:
            matches.append(match)
        if mark:
            workbench.store.mark_search_checked(row["id"], checked_at)
    return matches
