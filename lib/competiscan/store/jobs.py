"""Jobs: long-running work (an enrichment run) with its progress, for any process to read."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from . import schema as S
from .core import StoreCore, utcnow
from .errors import NotFoundError

__all__ = ["Jobs"]


class Jobs(StoreCore):
    """Jobs: :meth:`start_job`, :meth:`update_job`, :meth:`job`, :meth:`jobs`."""

    def start_job(self, kind: str, total: int) -> int:
        with self._write() as conn:
            job_id = int(conn.execute(sa.text(
                "SELECT coalesce(max(id), 0) + 1 FROM jobs")).fetchall()[0][0])
            conn.execute(S.jobs.insert().values(id=job_id, kind=kind, status="running",
                                                total=total, done=0, started_at=utcnow()))
        return job_id

    def update_job(self, job_id: int, *, done: int | None = None, status: str | None = None,
                   message: str | None = None) -> None:
        values: dict[str, Any] = {}
        if done is not None:
            values["done"] = done
        if status is not None:
            values["status"] = status
            if status != "running":
                values["finished_at"] = utcnow()
        if message is not None:
            values["message"] = message
        with self._write() as conn:
            conn.execute(S.jobs.update().where(S.jobs.c.id == job_id).values(**values))

    def job(self, job_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM jobs WHERE id = :i", i=job_id)
        if not rows:
            raise NotFoundError(f"No job {job_id}.")
        return rows[0]

    def jobs(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM jobs ORDER BY id DESC LIMIT :n", n=limit)
