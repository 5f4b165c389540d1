"""Running enrichment over the store, over a file, or as a background job the UI can poll."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from ..model import OFFER_FIELDS
from .apply import results_to_columns

__all__ = ["EnrichmentUnavailable", "make_openai_enricher", "enrich_store", "enrich_file",
           "start_enrichment_job", "CHUNK"]

CHUNK = 20_000


class EnrichmentUnavailable(RuntimeError):
    """The asked-for provider is not configured; the message says what to set."""


def make_openai_enricher(settings: Any, fallback: Any, cache: Any, **limits: Any):
    from .openai_enricher import OpenAIEnricher
    if not settings.openai_enabled:
        raise EnrichmentUnavailable("OpenAI enrichment needs OPENAI_API_KEY (and optionally "
                                    "OPENAI_BASE_URL for an OpenAI-compatible server).")
    return OpenAIEnricher(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                          model=settings.openai_model, fallback=fallback, cache=cache, **limits)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = ["content_hash", "title", "subject_line", "content", "channel", "campaign_type"]
    part = frame[cols].astype(object)
    return part.where(part.notna(), None).to_dict("records")


def _stderr_progress(done: int, total: int) -> None:
    print(f"\renriched {done:,}/{total:,}", end="" if done < total else "\n", file=sys.stderr,
          flush=True)


def enrich_store(workbench: Any, provider: str = "local", only_pending: bool = True,
                 show_progress: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 limits: dict[str, Any] | None = None) -> dict[str, Any]:
    """Enrich stored campaigns with ``provider`` and re-index them.

    ``only_pending`` skips campaigns this provider (same rules version, or same model and prompt
    version) already enriched. Model answers are cached by content hash, model and prompt
    version, so the same text is never sent twice.
    """
    store = workbench.store
    local = workbench.local_enricher
    if provider == "openai":
        enricher = make_openai_enricher(workbench.settings, local, store, **(limits or {}))
        produced_by = enricher.enriched_by
    elif provider == "local":
        enricher = None
        produced_by = local.version
    else:
        raise EnrichmentUnavailable(f"Unknown provider {provider!r}; use local or openai.")
    total = int(store.count())
    report = {"provider": provider, "enriched": 0, "by_model": 0, "fallback": 0,
              "cache_hits": 0, "requests": 0, "budget_exhausted": False, "failures": []}
    progress = progress or (_stderr_progress if show_progress else None)
    after = 0
    try:
        while True:
            frame = store.enrichment_inputs(only_not_by=produced_by if only_pending else None,
                                            limit=CHUNK, after_id=after)
            if frame.empty:
                break
            after = int(frame["id"].iloc[-1])
            # a type the source gave stays; a predicted one is predicted again
            frame.loc[frame["campaign_type_source"] != "source", "campaign_type"] = None
            if enricher is None:
                results = local.enrich_many(_records(frame))
            else:
                run = enricher.enrich_many(_records(frame))
                results = run.results
                report["by_model"] += run.model_items
                report["fallback"] += run.fallback_items
                report["cache_hits"] += run.cache_hits
                report["requests"] += run.requests_sent
                report["failures"].extend(run.failures[:20])
                if run.budget_exhausted:
                    report["budget_exhausted"] = True
            enriched = results_to_columns(frame, results)
            keep = ["id", "campaign_type", "campaign_type_source", "extracted_keywords",
                    "enriched_by", "enriched_at", "sentiment_label", "sentiment_score",
                    "campaign_type_predicted", "campaign_type_confidence", "summary",
                    *OFFER_FIELDS]
            store.write_enrichment(enriched[keep])
            report["enriched"] += len(frame)
            if progress:
                progress(report["enriched"], total)
            if report["budget_exhausted"]:
                break
    finally:
        if enricher is not None:
            enricher.close()
    sync = workbench.sync_index()
    report["index_error"] = sync.error
    report["message"] = _message(report)
    return report


def _message(report: dict[str, Any]) -> str:
    text = f"Enriched {report['enriched']:,} campaigns with {report['provider']}"
    if report["provider"] == "openai":
        text += (f": {report['by_model']:,} by the model, {report['cache_hits']:,} from the "
                 f"cache, {report['fallback']:,} by local rules ({report['requests']:,} "
                 "requests)")
    if report["budget_exhausted"]:
        text += ". The request budget ran out; run again to continue"
    if report.get("index_error"):
        text += f". Search index not updated: {report['index_error']}"
    return text + "."


def enrich_file(path: Path, out: Path, provider: str = "local",
                settings: Any = None) -> dict[str, Any]:
    """Enrich every accepted record of an upload file into JSON Lines, storing nothing."""
    from ..companies import KNOWN_COMPANIES, alias_map
    from ..ingest import prepare_bytes
    from ..settings import load_settings
    from .local import LocalEnricher

    prepared = prepare_bytes(path.read_bytes(), path.name, source="enrich",
                             aliases=alias_map(),
                             industries={c.name: c.industry for c in KNOWN_COMPANIES})
    if prepared.accepted is None:
        raise EnrichmentUnavailable(f"{path.name}: {prepared.report.message}")
    rows = prepared.accepted.to_pandas()
    pieces = rows.drop_duplicates("content_hash").reset_index(drop=True)
    local = LocalEnricher()
    stats: dict[str, Any] = {"provider": provider}
    if provider == "openai":
        from .openai_enricher import InMemoryEnrichmentCache
        enricher = make_openai_enricher(settings or load_settings(), local,
                                        InMemoryEnrichmentCache())
        try:
            run = enricher.enrich_many(_records(pieces))
        finally:
            enricher.close()
        results = run.results
        stats.update(by_model=run.model_items, fallback=run.fallback_items,
                     requests=run.requests_sent, budget_exhausted=run.budget_exhausted)
    else:
        results = local.enrich_many(_records(pieces))
    by_hash = dict(zip(pieces["content_hash"], results))
    written = 0
    with out.open("w", encoding="utf-8") as fh:
        for record in rows.to_dict("records"):
            result = by_hash[record["content_hash"]]
            given = record.get("keywords")
            source_keywords = ([k.strip() for k in given.split(",") if k.strip()]
                               if isinstance(given, str) else [])
            line = {
                "company": record["company"], "industry": record.get("industry"),
                "channel": record.get("channel"), "campaign_type": record.get("campaign_type"),
                "title": record.get("title"), "subject_line": record.get("subject_line"),
                "content": record.get("content"),
                "launch_date": pd.Timestamp(record["launch_date"]).date().isoformat(),
                "landing_url": record.get("landing_url"), "audience": record.get("audience"),
                "geography": record.get("geography"),
                "est_spend_usd": record.get("est_spend_usd"),
                "est_volume": record.get("est_volume"),
                "sentiment_label": result["sentiment_label"],
                "sentiment_score": result["sentiment_score"],
                "campaign_type_predicted": result["campaign_type_predicted"],
                "campaign_type_confidence": result["campaign_type_confidence"],
                "keywords": list(dict.fromkeys(source_keywords
                                               + list(result["extracted_keywords"] or []))),
                "summary": result.get("summary"),
                **{name: result.get(name) for name in OFFER_FIELDS},
                "enriched_by": result["enriched_by"],
            }
            fh.write(json.dumps({k: (None if isinstance(v, float) and v != v else v)
                                 for k, v in line.items()}, ensure_ascii=False, default=str)
                     + "\n")
            written += 1
    stats.update(records=written, rejected=prepared.report.rejected_count, out=str(out),
                 message=f"Wrote {written:,} enriched records to {out} "
                         f"({prepared.report.rejected_count:,} rows rejected).")
    return stats


def start_enrichment_job(workbench: Any, provider: str = "openai",
                         only_pending: bool = True) -> int:
    """Run ``enrich_store`` in a background thread; progress is in ``store.job(id)``."""
    store = workbench.store
    job_id = store.start_job(f"enrich:{provider}", total=int(store.count()))

    def run() -> None:
        try:
            report = enrich_store(workbench, provider=provider, only_pending=only_pending,
                                  progress=lambda done, total: store.update_job(job_id,
                                                                                done=done))
            store.update_job(job_id, status="stopped" if report["budget_exhausted"] else "done",
                             message=report["message"])
        except Exception as exc:  # the job must end with a status, whatever happened
            store.update_job(job_id, status="failed", message=f"{type(exc).__name__}: {exc}")

    threading.Thread(target=run, name=f"enrich-job-{job_id}", daemon=True).start()
    return job_id
