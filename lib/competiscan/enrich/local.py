"""The local enricher: offer terms, sentiment, campaign type and keywords, with no network.

`LocalEnricher.enrich_many` takes campaign records (title, subject_line, content, channel,
campaign_type) and returns, per record, exactly the fields of `model.ENRICHMENT_FIELDS` plus
"enriched_by"; `LocalEnricher.enrich_arrow` does the same from and to Arrow columns (the ingest
path). Small batches run in the calling process; a batch of PARALLEL_MIN_RECORDS or more is cut
into chunks and spread over a process pool, because the rules are pure Python and one process
uses one core.

Each text is lower-cased and split into words once; sentiment, keywords and campaign type share
those words (and offer terms the lower-cased text), instead of each splitting it again.
Identical pieces (same title, subject line, body and channel) are analysed once per batch.

The pool uses the "forkserver" start method: forking the caller directly (the Linux default)
is unsafe when the caller runs threads, which the Streamlit app does. Workers get the keyword
extractor once, at start-up, receive plain tuples and send back tuples (enrich_many) or Arrow
record batches (enrich_arrow), which pickle several times faster than dicts and leave the
calling process, which also has to feed the workers, little to do.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from itertools import chain
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pyarrow as pa

from competiscan.enrich.campaign_type import HEADLINES, predict_from_tokens
from competiscan.enrich.keywords import KeywordExtractor
from competiscan.enrich.offers import offer_values
from competiscan.enrich.sentiment import SentimentScorer, label_for
from competiscan.model import ENRICHMENT_FIELDS, OFFER_FIELD_TYPES

__all__ = ["LocalEnricher", "PARALLEL_MIN_RECORDS", "KEYWORD_FIT_SAMPLE", "record_text", "INPUT_FIELDS"]

# Below this many records a pool costs more to start and feed than it saves.
PARALLEL_MIN_RECORDS = 20_000
# An unfitted extractor learns document frequencies from at most this many records of a big
# batch (evenly spaced), so that fitting stays a small, serial part of the work.
KEYWORD_FIT_SAMPLE = 5_000
KEYWORDS_PER_CAMPAIGN = 5
# Records per task sent to a pool worker.
CHUNK_SIZE = 2_500
# The fields of a record the rules read (campaign_type is not one: it is predicted).
INPUT_FIELDS = ("title", "subject_line", "content", "channel")

Record = dict[str, Any]
# One record's inputs: the values of INPUT_FIELDS, in order.
_Input = tuple[Any, ...]
# One enrichment as a worker sends it back: the values of ENRICHMENT_FIELDS, in order.
_Row = tuple[Any, ...]

_SCORER: SentimentScorer | None = None
_WORKER_EXTRACTOR: KeywordExtractor | None = None


class LocalEnricher:
    """Rule-based enrichment that runs anywhere: VADER-based sentiment, cue-based campaign
    type, regex offer terms and TF-IDF keywords."""

    name = "local"
    version = "local-rules-2"

    def __init__(self, keywords: KeywordExtractor | None = None) -> None:
        """`keywords`: an extractor fitted on the stored corpus (a sample of a few thousand
        pieces is enough, and it is copied to every worker of a pool); without one, each
        batch's keywords are ranked against the batch itself."""
        self.keywords = keywords
        # A ProductLinker (enrich/products.py) the Workbench sets: with one, an upload's
        # pieces are linked to their products as they are enriched (enrich/apply.py).
        self.products: Any = None

    def enrich_many(self, records: Sequence[Record], workers: int | None = None) -> list[Record]:
        """Enrich `records`; one dict per record, in order.

        `workers`: processes to use for a large batch (default: every core this process may
        use). Batches smaller than PARALLEL_MIN_RECORDS, or `workers=1`, run in this process.
        """
        if not records:
            return []
        inputs = [tuple(map(record.get, INPUT_FIELDS)) for record in records]
        parts, positions = self._run(inputs, workers, arrow=False)
        with _gc_paused():
            rows = list(chain.from_iterable(parts))
            if positions is not None:
                rows = _expand(rows, positions)
            version = self.version
            return [{**dict(zip(ENRICHMENT_FIELDS, row)), "enriched_by": version} for row in rows]

    def enrich_arrow(self, table: pa.Table, workers: int | None = None) -> pa.Table:
        """Enrich the rows of `table` (which has the columns of INPUT_FIELDS): a table of the
        ENRICHMENT_FIELDS, typed, with the keywords joined by ", " (None when there are none)."""
        inputs = list(zip(*(table.column(name).to_pylist() for name in INPUT_FIELDS)))
        if not inputs:
            return pa.Table.from_batches([_rows_to_batch([])], schema=ENRICHMENT_SCHEMA)
        batches, positions = self._run(inputs, workers, arrow=True)
        enriched = pa.Table.from_batches(batches, schema=ENRICHMENT_SCHEMA)
        if positions is not None:
            enriched = enriched.take(pa.array(positions, pa.int64()))
        return enriched

    def _run(
        self, inputs: list[_Input], workers: int | None, arrow: bool
    ) -> tuple[list[Any], list[int] | None]:
        """Rows (lists of tuples) or Arrow record batches for `inputs`, in order; when some
        inputs repeat, each distinct input is analysed once, the results are for the distinct
        inputs in the order they first occur, and the position among them of each input is
        returned too (else None)."""
        workers = workers or _available_cores()
        extractor = self.keywords if self.keywords is not None and self.keywords.fitted else None
        serial = workers == 1 or len(inputs) < PARALLEL_MIN_RECORDS
        if not serial and extractor is None:
            step = max(1, len(inputs) // KEYWORD_FIT_SAMPLE)
            extractor = KeywordExtractor().fit(_text(*item[:3]) for item in inputs[::step])
        # Identical pieces (same texts and channel) get identical results: analysed once. An
        # unfitted extractor still counts each copy as a document of the batch.
        todo, positions = _distinct(inputs)
        if serial:
            weights = None
            if positions is not None and extractor is None:
                weights = Counter(positions)
                weights = [weights[i] for i in range(len(todo))]
            rows = _enrich_chunk(todo, extractor or KeywordExtractor(), weights)
            return [_rows_to_batch(rows) if arrow else rows], positions
        return _enrich_in_pool(todo, extractor, workers, arrow), positions


def _distinct(inputs: list[_Input]) -> tuple[list[_Input], list[int] | None]:
    """The distinct inputs in the order they first occur, and the position among them of each
    input; (inputs, None) when none repeats or one cannot be hashed. One dict pass, rather
    than counting and then looking every input up again."""
    index_of: dict[_Input, int] = {}
    try:
        positions = [index_of.setdefault(item, len(index_of)) for item in inputs]
    except TypeError:  # an unhashable value: no grouping
        return inputs, None
    if len(index_of) == len(inputs):
        return inputs, None
    return list(index_of), positions


def _expand(rows: list[_Row], positions: list[int]) -> list[_Row]:
    """The row of each input, from the rows of the distinct inputs (``positions`` as
    :func:`_distinct` gives them); a repeated input gets a keyword list of its own (the caller
    may change one record's list)."""
    seen: set[int] = set()
    out = []
    for position in positions:
        row = rows[position]
        if position in seen:
            row = (*row[:4], list(row[4]), *row[5:])
        else:
            seen.add(position)
        out.append(row)
    return out


def _available_cores() -> int:
    # The cores this process may run on, which in a container can be fewer than the machine's.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _enrich_in_pool(inputs: list[_Input], extractor: KeywordExtractor, workers: int, arrow: bool) -> list[Any]:
    # Many small chunks keep every worker busy to the end (the last chunk finishing alone is the
    # main loss); a chunk of even the smallest size is still far more work than pickling and
    # scheduling it.
    chunk_size = max(500, min(CHUNK_SIZE, len(inputs) // (workers * 8)))
    chunks = [inputs[i : i + chunk_size] for i in range(0, len(inputs), chunk_size)]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(extractor,)
    ) as pool:
        return list(pool.map(_enrich_batch_in_worker if arrow else _enrich_chunk_in_worker, chunks))


def _start_worker(extractor: KeywordExtractor) -> None:
    global _WORKER_EXTRACTOR
    _WORKER_EXTRACTOR = extractor


def _enrich_chunk_in_worker(inputs: Sequence[_Input]) -> list[_Row]:
    assert _WORKER_EXTRACTOR is not None, "worker started without _start_worker"
    return _enrich_chunk(inputs, _WORKER_EXTRACTOR)


def _enrich_batch_in_worker(inputs: Sequence[_Input]) -> pa.RecordBatch:
    return _rows_to_batch(_enrich_chunk_in_worker(inputs))


def _scorer() -> SentimentScorer:
    # One scorer per process: building it copies VADER's 7,500-word lexicon.
    global _SCORER
    if _SCORER is None:
        _SCORER = SentimentScorer()
    return _SCORER


def _enrich_chunk(
    inputs: Sequence[_Input], extractor: KeywordExtractor, weights: list[int] | None = None
) -> list[_Row]:
    """Enrichment rows for `inputs`; an unfitted `extractor` ranks keywords against them (each
    input counting `weights[i]` times as a document, default once).

    The cyclic garbage collector is paused meanwhile (see _gc_paused)."""
    with _gc_paused():
        return _analyse_chunk(inputs, extractor, weights)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: enrichment allocates many small lists, tuples and
    dicts, none in a reference cycle, and the collections they trigger cost time for
    nothing. The previous state is restored (collections resume with their usual thresholds)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _analyse_chunk(
    inputs: Sequence[_Input], extractor: KeywordExtractor, weights: list[int] | None
) -> list[_Row]:
    score = _scorer().score_split
    headlines = HEADLINES
    texts: list[str] = []
    lows: list[str] = []
    token_lists: list[list[str]] = []
    types: list[tuple[str, float]] = []
    for title, subject, content, channel in inputs:
        text, content_appended = _text_and_mark(title, subject, content)
        low = text.lower()
        tokens = low.split()
        texts.append(text)
        lows.append(low)
        token_lists.append(tokens)
        # The campaign type reads the headline (title and subject) and the body apart. The
        # text's words are the headline's, then the body's (its last word with the "." the
        # text added to end the sentence: taken off again).
        headline = headlines[f"{title} {subject}" if title and subject else title or subject or ""]
        content_tokens = tokens[headline.words :]
        if content_appended:
            content_tokens[-1] = content_tokens[-1][:-1]
        has_amount = "$" in text or "%" in text
        types.append(predict_from_tokens(headline, content or "", content_tokens, channel, has_amount))
    # One analysis at a time over the whole chunk rather than all analyses per record: each
    # keeps its code and tables hot in the CPU caches, which is measurably faster.
    scores = list(map(score, texts, lows, token_lists))
    offers = list(map(offer_values, texts, lows))
    keywords = extractor.extract_tokens(token_lists, KEYWORDS_PER_CAMPAIGN, weights)
    return [
        (label_for(score), round(score, 4), campaign_type, confidence, record_keywords, None, *values)
        for score, (campaign_type, confidence), record_keywords, values in zip(scores, types, keywords, offers)
    ]


def record_text(record: Record) -> str:
    """Title, subject line and body as one text, each part ending a sentence."""
    return _text(record.get("title"), record.get("subject_line"), record.get("content"))


def _text(title: Any, subject: Any, content: Any) -> str:
    return _text_and_mark(title, subject, content)[0]


def _text_and_mark(title: Any, subject: Any, content: Any) -> tuple[str, bool]:
    """record_text of the three parts, and whether a "." was added after the body."""
    parts = []
    for value in (title, subject, content):
        value = str(value).strip() if value else ""
        # After the loop: whether the body (the last part) got a "."
        appended = bool(value) and value[-1] not in ".!?"
        if value:
            parts.append(value + "." if appended else value)
    return " ".join(parts), appended


def _arrow_type(field: str) -> pa.DataType:
    kind = OFFER_FIELD_TYPES.get(field)
    if kind is int:
        return pa.int64()
    if kind is date:
        return pa.date32()
    if kind is float or field in ("sentiment_score", "campaign_type_confidence"):
        return pa.float64()
    return pa.string()


ENRICHMENT_SCHEMA = pa.schema([(field, _arrow_type(field)) for field in ENRICHMENT_FIELDS])


def _rows_to_batch(rows: list[_Row]) -> pa.RecordBatch:
    """Enrichment rows as Arrow columns of ENRICHMENT_SCHEMA; keywords joined by ", "."""
    columns = list(zip(*rows)) if rows else [()] * len(ENRICHMENT_FIELDS)
    arrays = []
    for field, values in zip(ENRICHMENT_SCHEMA, columns):
        if field.name == "extracted_keywords":
            values = [", ".join(keywords) if keywords else None for keywords in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=ENRICHMENT_SCHEMA)
