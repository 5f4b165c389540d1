"""Saved searches: a named query with its filters, owned by one user and maybe shared with the
team, and when each user last looked at its new matches."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import schema as S
from .core import StoreCore, utcnow
from .errors import NotFoundError, StoreError

__all__ = ["SavedSearches"]

_COLUMNS = "id, owner, name, shared, query, filters, created_at"


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row["filters"] = json.loads(row["filters"])
    row["shared"] = bool(row["shared"])
    return row


class SavedSearches(StoreCore):
    """Saved searches: :meth:`save_search`, :meth:`update_saved_search`,
    :meth:`saved_searches`, :meth:`saved_search`, :meth:`delete_saved_search`, and each
    user's :meth:`last_checked` / :meth:`mark_search_checked`."""

    def save_search(self, owner: str, name: str, query: str, filters: dict[str, Any],
                    shared: bool = False) -> int:
        name = " ".join(name.split())
        if not name:
            raise StoreError("A saved search needs a name.")
        with self._write() as conn:
            self._check_name_free(conn, owner, name)
            new_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM saved_searches")).fetchall()[0][0])
            conn.execute(S.saved_searches.insert().values(
                id=new_id, owner=owner, name=name, shared=shared, query=query,
                filters=json.dumps(filters, default=str), created_at=utcnow()))
        return new_id

    @staticmethod
    def _check_name_free(conn: sa.Connection, owner: str, name: str,
                         other_than: int | None = None) -> None:
        taken = conn.execute(sa.select(S.saved_searches.c.id).where(
            S.saved_searches.c.owner == owner, S.saved_searches.c.name == name)).fetchall()
        if any(row[0] != other_than for row in taken):
            raise StoreError(f"You have a saved search named {name!r} already; pick another "
                             "name.")

    def update_saved_search(self, search_id: int, *, name: str | None = None,
                            query: str | None = None, filters: dict[str, Any] | None = None,
                            shared: bool | None = None) -> None:
        current = self.saved_search(search_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = " ".join(name.split())
            if not values["name"]:
                raise StoreError("A saved search needs a name.")
        if query is not None:
            values["query"] = query
        if filters is not None:
            values["filters"] = json.dumps(filters, default=str)
        if shared is not None:
            values["shared"] = shared
        with self._write() as conn:
            if "name" in values:
                self._check_name_free(conn, current["owner"], values["name"], search_id)
            conn.execute(S.saved_searches.update().where(S.saved_searches.c.id == search_id)
                         .values(**values))

    def saved_searches(self, visible_to: str | None = None) -> list[dict[str, Any]]:
        """Every saved search, or those ``visible_to`` a user: their own and the shared ones."""
        if visible_to is None:
            rows = self._rows(f"SELECT {_COLUMNS} FROM saved_searches ORDER BY name, id")
        else:
            rows = self._rows(f"SELECT {_COLUMNS} FROM saved_searches WHERE owner = :u OR "
                              "shared ORDER BY name, id", u=visible_to)
        return [_decoded(row) for row in rows]

    def saved_search(self, search_id: int) -> dict[str, Any]:
        rows = self._rows(f"SELECT {_COLUMNS} FROM saved_searches WHERE id = :i", i=search_id)
        if not rows:
            raise NotFoundError(f"There is no saved search {search_id}.")
        return _decoded(rows[0])

    def last_checked(self, search_id: int, user: str) -> datetime | None:
        """When ``user`` last took this search's new matches (None: never)."""
        return self._scalar("SELECT last_checked_at FROM saved_search_seen WHERE "
                            "search_id = :i AND user_name = :u", i=search_id, u=user)

    def last_checked_by(self, user: str) -> dict[int, datetime]:
        """search id -> when ``user`` last took its new matches, for every search they did."""
        rows = self._rows("SELECT search_id, last_checked_at FROM saved_search_seen WHERE "
                          "user_name = :u", u=user)
        return {int(r["search_id"]): r["last_checked_at"] for r in rows}

    def mark_search_checked(self, search_id: int, user: str,
                            when: datetime | None = None) -> None:
        when = when or utcnow()
        with self._write() as conn:
            done = conn.execute(S.saved_search_seen.update().where(
                S.saved_search_seen.c.search_id == search_id,
                S.saved_search_seen.c.user_name == user).values(last_checked_at=when))
            if not done.rowcount:
                conn.execute(S.saved_search_seen.insert().values(
                    search_id=search_id, user_name=user, last_checked_at=when))

    def delete_saved_search(self, search_id: int) -> None:
        with self._write() as conn:
            conn.execute(S.saved_search_seen.delete().where(
                S.saved_search_seen.c.search_id == search_id))
            conn.execute(S.saved_searches.delete().where(S.saved_searches.c.id == search_id))
