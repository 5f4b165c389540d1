"""Peer sets: a named list of companies an analysis is measured against, owned by one user and
maybe shared with the team."""

from __future__ import annotations

import json
from typing import Any, Sequence

import sqlalchemy as sa

from . import schema as S
from .core import StoreCore, utcnow
from .errors import NotFoundError, StoreError

__all__ = ["PeerSets"]

_COLUMNS = "id, owner, name, companies, shared, created_at"


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row["companies"] = list(json.loads(row["companies"]))
    row["shared"] = bool(row["shared"])
    return row


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise StoreError("A peer set needs a name.")
    return cleaned


class PeerSets(StoreCore):
    """Peer sets: :meth:`save_peer_set`, :meth:`update_peer_set`, :meth:`peer_sets`,
    :meth:`peer_set`, :meth:`delete_peer_set`."""

    def save_peer_set(self, owner: str, name: str, companies: Sequence[str],
                      shared: bool = False) -> int:
        name = _clean_name(name)
        with self._write() as conn:
            self._check_peer_set_name_free(conn, owner, name)
            new_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM peer_sets")).fetchall()[0][0])
            conn.execute(S.peer_sets.insert().values(
                id=new_id, owner=owner, name=name, companies=json.dumps(list(companies)),
                shared=shared, created_at=utcnow()))
        return new_id

    @staticmethod
    def _check_peer_set_name_free(conn: sa.Connection, owner: str, name: str,
                                  other_than: int | None = None) -> None:
        taken = conn.execute(sa.select(S.peer_sets.c.id).where(
            S.peer_sets.c.owner == owner, S.peer_sets.c.name == name)).fetchall()
        if any(row[0] != other_than for row in taken):
            raise StoreError(f"You have a peer set named {name!r} already; pick another name.")

    def update_peer_set(self, peer_set_id: int, *, name: str | None = None,
                        companies: Sequence[str] | None = None,
                        shared: bool | None = None) -> None:
        current = self.peer_set(peer_set_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _clean_name(name)
        if companies is not None:
            values["companies"] = json.dumps(list(companies))
        if shared is not None:
            values["shared"] = shared
        if not values:
            return
        with self._write() as conn:
            if "name" in values:
                self._check_peer_set_name_free(conn, current["owner"], values["name"],
                                               peer_set_id)
            conn.execute(S.peer_sets.update().where(S.peer_sets.c.id == peer_set_id)
                         .values(**values))

    def peer_sets(self, visible_to: str | None = None) -> list[dict[str, Any]]:
        """Every peer set, or those ``visible_to`` a user (their own and the shared ones);
        the user's own first, then by name."""
        if visible_to is None:
            rows = self._rows(f"SELECT {_COLUMNS} FROM peer_sets ORDER BY name, id")
        else:
            rows = self._rows(f"SELECT {_COLUMNS} FROM peer_sets WHERE owner = :u OR shared "
                              "ORDER BY CASE WHEN owner = :u THEN 0 ELSE 1 END, name, id",
                              u=visible_to)
        return [_decoded(row) for row in rows]

    def peer_set(self, peer_set_id: int) -> dict[str, Any]:
        rows = self._rows(f"SELECT {_COLUMNS} FROM peer_sets WHERE id = :i", i=peer_set_id)
        if not rows:
            raise NotFoundError(f"There is no peer set {peer_set_id}.")
        return _decoded(rows[0])

    def delete_peer_set(self, peer_set_id: int) -> None:
        with self._write() as conn:
            conn.execute(S.peer_sets.delete().where(S.peer_sets.c.id == peer_set_id))
