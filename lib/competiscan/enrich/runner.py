"""Running enrichment over the stored campaigns, or over an upload file into JSON Lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from ..model import OFFER_FIELDS, PRODUCT_FIELDS
from .apply import results_to_columns

if TYPE_CHECKING:
    from ..ingest import Prepared
    from ..settings import Settings
    from ..store import Store
    from .local import LocalEnricher

__all__ = ["EnrichmentUnavailable", "make_openai_enricher", "enrich_store", "enrich_file",
           "describe_run", "CHUNK"]

CHUNK = 20_000


class EnrichmentUnavailable(RuntimeError):
    """The asked-for provider is not configured; the message says what to set."""


def make_openai_enricher(settings: Settings, fallback: Any, cache: Any, **limits: Any):
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


def enrich_store(store: Store, local: LocalEnricher, settings: Settings,
                 provider: str = "local", only_pending: bool = True,
                 show_progress: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 limits: dict[str, Any] | None = None) -> dict[str, Any]:
    """Enrich stored campaigns with ``provider``; the caller re-indexes them afterwards.

    ``only_pending`` skips campaigns this provider (same rules version, or same model and prompt
    version) already enriched. Model answers are cached by content hash, model and prompt
    version, so the same text is never sent twice.
    """
    if provider == "openai":
        enricher = make_openai_enricher(settings, local, store, **(limits or {}))
        produced_by = enricher.enriched_by
    elif provider == "local":
        enricher = None
        produced_by = local.version
    else:
        raise EnrichmentUnavailable(f"Unknown provider {provider!r}; use local or openai.")
    total = int(store.count())
    report = {"provider": provider, "enriched": 0, "by_model": 0, "fallback": 0,
              "cache_hits": 0, "requests": 0, "tokens": 0, "budget_exhausted": False,
              "failures": []}
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
                results = _model_results(enricher.enrich_many(_records(frame)), report)
            written = results_to_columns(frame, results, getattr(local, "products", None))
            store.write_enrichment(written[[c for c in _WRITTEN if c in written]])
            report["enriched"] += len(frame)
            if progress:
                progress(report["enriched"], total)
            if report["budget_exhausted"]:
                break
    finally:
        if enricher is not None:
            enricher.close()
    return report


# The columns an enrichment run writes back.
_WRITTEN = ["id", "campaign_type", "campaign_type_source", "extracted_keywords", "enriched_by",
            "enriched_at", "sentiment_label", "sentiment_score", "campaign_type_predicted",
            "campaign_type_confidence", "summary", *OFFER_FIELDS, *PRODUCT_FIELDS]


def _model_results(run: Any, report: dict[str, Any]) -> list[dict[str, Any]]:
    """A model run's results, its counts added to ``report``."""
    report["by_model"] += run.model_items
    report["fallback"] += run.fallback_items
    report["cache_hits"] += run.cache_hits
    report["requests"] += run.requests_sent
    report["tokens"] += run.tokens_used
    report["failures"].extend(run.failures[:20])
    if run.budget_exhausted:
        report["budget_exhausted"] = True
    return run.results


def describe_run(report: dict[str, Any]) -> str:
    """One sentence for people about an enrichment run's report."""
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
                settings: "Settings | None" = None) -> dict[str, Any]:
    """Enrich every accepted record of an upload file into JSON Lines, storing nothing."""
    prepared = _prepared_file(path)
    rows = prepared.accepted.to_pandas()
    pieces = rows.drop_duplicates("content_hash").reset_index(drop=True)
    stats: dict[str, Any] = {"provider": provider}
    results = _enrich_pieces(pieces, provider, settings, stats)
    by_hash = dict(zip(pieces["content_hash"], results))
    written = 0
    with out.open("w", encoding="utf-8") as fh:
        for record in rows.to_dict("records"):
            line = _enriched_record(record, by_hash[record["content_hash"]])
            fh.write(json.dumps({k: (None if isinstance(v, float) and v != v else v)
                                 for k, v in line.items()}, ensure_ascii=False, default=str)
                     + "\n")
            written += 1
    stats.update(records=written, rejected=prepared.report.rejected_count, out=str(out),
                 message=f"Wrote {written:,} enriched records to {out} "
                         f"({prepared.report.rejected_count:,} rows rejected).")
    return stats


def _prepared_file(path: Path) -> "Prepared":
    """The file read and checked as an upload would be (known companies, nothing stored)."""
    from ..companies import KNOWN_COMPANIES, alias_map
    from ..ingest import prepare_bytes

    prepared = prepare_bytes(path.read_bytes(), path.name, source="enrich",
                             aliases=alias_map(),
                             industries={c.name: c.industry for c in KNOWN_COMPANIES})
    if prepared.accepted is None:
        raise EnrichmentUnavailable(f"{path.name}: {prepared.report.message}")
    return prepared


def _enrich_pieces(pieces: pd.DataFrame, provider: str, settings: "Settings | None",
                   stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Each piece's enrichment by ``provider``; a model run's counts go into ``stats``."""
    from ..settings import load_settings
    from .local import LocalEnricher

    local = LocalEnricher()
    if provider != "openai":
        return local.enrich_many(_records(pieces))
    from .openai_enricher import InMemoryEnrichmentCache
    enricher = make_openai_enricher(settings or load_settings(), local,
                                    InMemoryEnrichmentCache())
    try:
        run = enricher.enrich_many(_records(pieces))
    finally:
        enricher.close()
    stats.update(by_model=run.model_items, fallback=run.fallback_items,
                 requests=run.requests_sent, budget_exhausted=run.budget_exhausted)
    return run.results


def _enriched_record(record: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """One line of the JSON Lines output: the record's fields and its enrichment, the file's
    keywords first."""
    given = record.get("keywords")
    source_keywords = ([k.strip() for k in given.split(",") if k.strip()]
                       if isinstance(given, str) else [])
    return {
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
