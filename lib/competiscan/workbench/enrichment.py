"""``wb.enrichment``: enrichment runs over the stored campaigns (local rules, or an OpenAI-
compatible model, cached in the store), in the foreground or as a job a page can poll."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..enrich.runner import EnrichmentUnavailable, describe_run, enrich_file, enrich_store
from ..model import Actor, PermissionDenied
from ..settings import Settings
from ..store import Store
from .audit import Audit
from .projection import IndexProjection

if TYPE_CHECKING:
    from . import Workbench

__all__ = ["Enrichment"]


class Enrichment:
    def __init__(self, workbench: "Workbench", settings: Settings, store: Store,
                 index: IndexProjection, audit: Audit) -> None:
        self._wb = workbench
        self._settings = settings
        self._store = store
        self._index = index
        self._audit = audit

    @property
    def model_available(self) -> bool:
        """Whether an OpenAI(-compatible) model is configured."""
        return self._settings.openai_enabled

    @property
    def model_name(self) -> str:
        return self._settings.openai_model

    def run(self, actor: Actor, provider: str = "local", *, only_pending: bool = True,
            progress: Callable[[int, int], None] | None = None,
            limits: dict[str, Any] | None = None) -> dict[str, Any]:
        """Enrich the stored campaigns with ``provider`` (local or openai) and re-index them.

        Returns the run's report: enriched, by_model, fallback, cache_hits, requests,
        budget_exhausted, failures, index_error and a one-sentence ``message``. Raises
        PermissionDenied unless ``actor`` may run enrichment (analysts and admins).
        """
        try:
            actor.require("enrich")
            report = enrich_store(self._store, self._wb.local_enricher, self._settings,
                                  provider=provider, only_pending=only_pending,
                                  progress=progress, limits=limits)
        except Exception as exc:
            self._audit.record(actor, "enrich", provider, "refused" if isinstance(
                exc, (PermissionDenied, EnrichmentUnavailable)) else "failed",
                message=f"{exc}")
            raise
        report["index_error"] = self._index.sync().error
        report["message"] = describe_run(report)
        self._audit.record(actor, "enrich", provider, "ok", enriched=report["enriched"],
                           requests=report["requests"], tokens=report["tokens"],
                           cache_hits=report["cache_hits"],
                           budget_exhausted=report["budget_exhausted"])
        return report

    def start_job(self, actor: Actor, provider: str = "openai",
                  only_pending: bool = True) -> int:
        """:meth:`run` in a background thread; its progress is in :meth:`job`."""
        actor.require("enrich")
        job_id = self._store.start_job(f"enrich:{provider}", total=int(self._store.count()))

        def work() -> None:
            try:
                report = self.run(actor, provider, only_pending=only_pending,
                                  progress=lambda done, _total: self._store.update_job(
                                      job_id, done=done))
                self._store.update_job(
                    job_id, status="stopped" if report["budget_exhausted"] else "done",
                    message=report["message"])
            except Exception as exc:  # the job must end with a status, whatever happened
                self._store.update_job(job_id, status="failed",
                                       message=f"{type(exc).__name__}: {exc}")

        threading.Thread(target=work, name=f"enrich-job-{job_id}", daemon=True).start()
        return job_id

    def job(self, job_id: int) -> dict[str, Any]:
        return self._store.job(job_id)

    def latest_job(self) -> dict[str, Any] | None:
        """The newest enrichment job, if any ran."""
        jobs = [j for j in self._store.jobs(limit=20) if j["kind"].startswith("enrich:")]
        return jobs[0] if jobs else None

    def enrich_file(self, source: Path, target: Path, provider: str = "local") -> dict[str, Any]:
        """Enrich the records of an upload file into JSON Lines, storing nothing."""
        return enrich_file(source, target, provider=provider, settings=self._settings)
