"""The local enricher: offer terms, sentiment, campaign type and keywords, with no network.

`LocalEnricher.enrich_many` takes campaign records (title, subject_line, content, channel,
campaign_type) and returns, per record, exactly the fields of `model.ENRICHMENT_FIELDS` plus
"enriched_by". Small batches run in the calling process; a batch of PARALLEL_MIN_RECORDS or
more is cut into chunks and spread over a process pool, because the rules are pure Python and
one process uses one core.

The pool uses the "forkserver" start method: forking the caller directly (the Linux default)
is unsafe when the caller runs threads, which the Streamlit app does. Workers get the keyword
extractor once, at start-up, and send back plain tuples, which pickle several times faster
than dicts; the dicts are built here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from competiscan.enrich.campaign_type import predict_campaign_type
from competiscan.enrich.keywords import KeywordExtractor
from competiscan.enrich.offers import extract_offers
from competiscan.enrich.sentiment import SentimentScorer
from competiscan.model import ENRICHMENT_FIELDS, OFFER_FIELDS

__all__ = ["LocalEnricher", "PARALLEL_MIN_RECORDS", "KEYWORD_FIT_SAMPLE", "record_text"]

# Below this many records a pool costs more to start and feed than it saves.
PARALLEL_MIN_RECORDS = 20_000
# An unfitted extractor learns document frequencies from at most this many records of a big
# batch (evenly spaced), so that fitting stays a small, serial part of the work.
KEYWORD_FIT_SAMPLE = 5_000
KEYWORDS_PER_CAMPAIGN = 5
# Records per task sent to a pool worker.
CHUNK_SIZE = 2_500

Record = dict[str, Any]
# One enrichment as a worker sends it back: the values of ENRICHMENT_FIELDS, in order.
_Row = tuple[Any, ...]

_SCORER: SentimentScorer | None = None
_WORKER_EXTRACTOR: KeywordExtractor | None = None


class LocalEnricher:
    """Rule-based enrichment that runs anywhere: VADER-based sentiment, cue-based campaign
    type, regex offer terms and TF-IDF keywords."""

    name = "local"
    version = "local-rules-1"

    def __init__(self, keywords: KeywordExtractor | None = None) -> None:
        """`keywords`: an extractor fitted on the stored corpus (a sample of a few thousand
        pieces is enough, and it is copied to every worker of a pool); without one, each
        batch's keywords are ranked against the batch itself."""
        self.keywords = keywords

    def enrich_many(self, records: Sequence[Record], workers: int | None = None) -> list[Record]:
        """Enrich `records`; one dict per record, in order.

        `workers`: processes to use for a large batch (default: every core this process may
        use). Batches smaller than PARALLEL_MIN_RECORDS, or `workers=1`, run in this process.
        """
        if not records:
            return []
        workers = workers or _available_cores()
        extractor = self.keywords if self.keywords is not None and self.keywords.fitted else None
        if workers == 1 or len(records) < PARALLEL_MIN_RECORDS:
            rows = _enrich_chunk(records, extractor or KeywordExtractor())
        else:
            if extractor is None:
                step = max(1, len(records) // KEYWORD_FIT_SAMPLE)
                extractor = KeywordExtractor().fit(record_text(r) for r in records[::step])
            rows = _enrich_in_pool(records, extractor, workers)
        return [{**dict(zip(ENRICHMENT_FIELDS, row)), "enriched_by": self.version} for row in rows]


def _available_cores() -> int:
    # The cores this process may run on, which in a container can be fewer than the machine's.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _enrich_in_pool(records: Sequence[Record], extractor: KeywordExtractor, workers: int) -> list[_Row]:
    # Many small chunks keep every worker busy to the end (the last chunk finishing alone is the
    # main loss); 2,500 records are ~0.3 s of work, against ~1 ms to pickle and schedule them.
    chunk_size = max(500, min(CHUNK_SIZE, len(records) // (workers * 8)))
    chunks = [records[i : i + chunk_size] for i in range(0, len(records), chunk_size)]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(extractor,)
    ) as pool:
        rows: list[_Row] = []
        for chunk_rows in pool.map(_enrich_chunk_in_worker, chunks):
            rows.extend(chunk_rows)
    return rows


def _start_worker(extractor: KeywordExtractor) -> None:
    global _WORKER_EXTRACTOR
    _WORKER_EXTRACTOR = extractor


def _enrich_chunk_in_worker(records: Sequence[Record]) -> list[_Row]:
    assert _WORKER_EXTRACTOR is not None, "worker started without _start_worker"
    return _enrich_chunk(records, _WORKER_EXTRACTOR)


def _scorer() -> SentimentScorer:
    # One scorer per process: building it copies VADER's 7,500-word lexicon.
    global _SCORER
    if _SCORER is None:
        _SCORER = SentimentScorer()
    return _SCORER


def _enrich_chunk(records: Sequence[Record], extractor: KeywordExtractor) -> list[_Row]:
    """Enrichment rows for `records`; an unfitted `extractor` ranks keywords against them."""
    scorer = _scorer()
    texts = [record_text(record) for record in records]
    # One analysis at a time over the whole chunk rather than all analyses per record: each
    # keeps its code and tables hot in the CPU caches, which is measurably faster.
    sentiments = [scorer.label_and_score(text) for text in texts]
    types = [
        predict_campaign_type(r.get("title"), r.get("subject_line"), r.get("content"), r.get("channel"))
        for r in records
    ]
    offers = [extract_offers(text) for text in texts]
    keywords = extractor.extract(texts, KEYWORDS_PER_CAMPAIGN)
    return [
        (label, round(score, 4), campaign_type, confidence, record_keywords, None, *map(terms.get, OFFER_FIELDS))
        for (label, score), (campaign_type, confidence), record_keywords, terms in zip(
            sentiments, types, keywords, offers
        )
    ]


def record_text(record: Record) -> str:
    """Title, subject line and body as one text, each part ending a sentence."""
    parts = []
    for field in ("title", "subject_line", "content"):
        value = record.get(field)
        if value:
            value = str(value).strip()
            parts.append(value if value[-1] in ".!?" else value + ".")
    return " ".join(parts)
