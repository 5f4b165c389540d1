"""``wb.audit``: the audit trail. Every action that changes data, every export and every
sign-in is recorded with who, when, what and how it ended; admins read it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from ..model import Actor
from ..store import Store

__all__ = ["Audit", "AuditEntry", "AUDIT_ACTIONS"]

log = logging.getLogger(__name__)

#: What the trail records, in the words the Audit page and ``competiscan audit`` filter by.
AUDIT_ACTIONS: tuple[str, ...] = (
    "sign_in", "upload", "undo", "enrich", "export", "saved_search.create",
    "saved_search.change", "saved_search.delete", "reindex",
    "peer_set.create", "peer_set.change", "peer_set.delete",
    "product.add", "product.remove", "product.relink",
)


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action. ``result`` is ok, refused (not allowed, or not possible) or failed;
    ``detail`` holds what the action was about (file name, size, hash, counts, query...)."""

    id: int
    at: datetime
    user: str
    role: str
    action: str
    target: str | None
    result: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "user": self.user, "role": self.role,
                "action": self.action, "target": self.target, "result": self.result,
                "detail": self.detail}


class Audit:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, actor: Actor, action: str, target: str | None, result: str,
               **detail: Any) -> None:
        """Record one action. A trail that cannot be written is logged, never raised: the
        action it describes has already happened (or been refused)."""
        try:
            self._store.record_audit(actor.name, actor.role, action, target, result, detail)
        except Exception as exc:  # the store may be the very thing that failed
            log.error("audit entry not recorded (%s %s %s): %s", actor.name, action, target,
                      exc)

    def sign_in(self, actor: Actor, issued_at: object = None) -> None:
        """A user signed in. ``issued_at`` identifies the sign-in (the identity token's issue
        time): page loads and tabs that reuse it are not recorded again."""
        if issued_at is not None:
            recent = self._store.audit_entries(user=actor.name, action="sign_in", limit=20)
            if any(entry["detail"].get("token_issued_at") == issued_at for entry in recent):
                return
        self.record(actor, "sign_in", None, "ok", token_issued_at=issued_at)

    def entries(self, actor: Actor, *, user: str | None = None, action: str | None = None,
                since: datetime | None = None, until: datetime | None = None,
                limit: int = 1_000) -> list[AuditEntry]:
        """The trail, newest first; admins only (PermissionDenied otherwise)."""
        actor.require("audit")
        rows = self._store.audit_entries(user=user, action=action, since=since, until=until,
                                         limit=limit)
        return [AuditEntry(id=int(r["id"]), at=r["at"], user=r["user_name"], role=r["role"],
                           action=r["action"], target=r["target"], result=r["result"],
                           detail=r["detail"]) for r in rows]

    def users(self, actor: Actor) -> list[str]:
        """Everyone the trail names (for a filter); admins only."""
        actor.require("audit")
        return self._store.audit_users()

    @staticmethod
    def frame(entries: list[AuditEntry]) -> pd.DataFrame:
        """Entries as a table (the detail as readable text), for pages and exports."""
        columns = ["at", "user", "role", "action", "target", "result", "detail"]
        return pd.DataFrame([{**entry.to_dict(), "detail": _detail_text(entry.detail)}
                             for entry in entries], columns=columns)


def _detail_text(detail: dict[str, Any]) -> str:
    return "; ".join(f"{key} {value}" for key, value in detail.items()
                     if value not in (None, "", [], {}))
