"""The audit trail: who did what, when, to what, and how it ended."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import schema as S
from .core import StoreCore, utcnow

__all__ = ["AuditTrail"]


class AuditTrail(StoreCore):
    """The audit log: :meth:`record_audit`, :meth:`audit_entries`, :meth:`audit_users`."""

    def record_audit(self, user: str, role: str, action: str, target: str | None,
                     result: str, detail: dict[str, Any] | None = None,
                     at: datetime | None = None) -> int:
        with self._write() as conn:
            entry_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM audit_log")).fetchall()[0][0])
            conn.execute(S.audit_log.insert().values(
                id=entry_id, happened_at=at or utcnow(), user_name=user, role=role, action=action,
                target=target, result=result,
                detail=json.dumps(detail or {}, default=str, ensure_ascii=False)))
        return entry_id

    def audit_users(self) -> list[str]:
        """Everyone the trail names, in order."""
        return [r["user_name"] for r in self._rows(
            "SELECT DISTINCT user_name FROM audit_log ORDER BY user_name")]

    def audit_entries(self, *, user: str | None = None, action: str | None = None,
                      since: datetime | None = None, until: datetime | None = None,
                      limit: int = 1_000) -> list[dict[str, Any]]:
        """Entries, newest first, filtered by user, action and time (``since`` inclusive,
        ``until`` exclusive)."""
        conditions, params = [], {"n": limit}
        for column, value in (("user_name", user), ("action", action)):
            if value:
                conditions.append(f"{column} = :{column}")
                params[column] = value
        if since is not None:
            conditions.append("happened_at >= :since")
            params["since"] = since
        if until is not None:
            conditions.append("happened_at < :until")
            params["until"] = until
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._rows(f"SELECT id, happened_at AS at, user_name, role, action, target, result, detail "
                          f"FROM audit_log {where} ORDER BY id DESC LIMIT :n", **params)
        for row in rows:
            row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
        return rows
