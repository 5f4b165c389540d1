"""Saved searches: a named query with its filters, and when its new matches were last seen."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import schema as S
from .core import StoreCore, utcnow
from .errors import NotFoundError, StoreError

__all__ = ["SavedSearches"]


class SavedSearches(StoreCore):
    """Saved searches: :meth:`save_search`, :meth:`saved_searches`, :meth:`saved_search`,
    :meth:`mark_search_checked`, :meth:`delete_saved_search`."""

    def save_search(self, name: str, query: str, filters: dict[str, Any]) -> int:
        name = " ".join(name.split())
        if not name:
            raise StoreError("A saved search needs a name.")
        now = utcnow()
        with self._write() as conn:
            if conn.execute(sa.select(S.saved_searches.c.id).where(
                    S.saved_searches.c.name == name)).fetchall():
                raise StoreError(f"A saved search named {name!r} exists; pick another name.")
            new_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM saved_searches")).fetchall()[0][0])
            conn.execute(S.saved_searches.insert().values(
                id=new_id, name=name, query=query, filters=json.dumps(filters, default=str),
                created_at=now, last_checked_at=now))
        return new_id

    def saved_searches(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM saved_searches ORDER BY name")
        for row in rows:
            row["filters"] = json.loads(row["filters"])
        return rows

    def saved_search(self, search_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM saved_searches WHERE id = :i", i=search_id)
        if not rows:
            raise NotFoundError(f"No saved search {search_id}.")
        rows[0]["filters"] = json.loads(rows[0]["filters"])
        return rows[0]

    def mark_search_checked(self, search_id: int, when: datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute(S.saved_searches.update().where(S.saved_searches.c.id == search_id)
                         .values(last_checked_at=when or utcnow()))

    def delete_saved_search(self, search_id: int) -> None:
        with self._write() as conn:
            conn.execute(S.saved_searches.delete().where(S.saved_searches.c.id == search_id))
