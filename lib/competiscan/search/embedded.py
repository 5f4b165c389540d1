"""The embedded search backend: a tantivy index in a folder, no server needed.

Layout of the index (one tantivy document per campaign):
    * ``id`` — stored, indexed and fast: upserts delete by this term, hits read it back;
    * ``title``, ``subject_line``, ``content``, ``keywords`` — text with amounts marked
      (:func:`~competiscan.search.query.mark_amounts`, so ``0%`` and ``$200`` stay whole
      tokens) analysed by :func:`build_analyzer`: runs of letters and digits, lower-cased,
      accents folded, English stemming. tantivy's regex tokenizer would keep amounts whole by
      itself but indexes far slower than marking the text first costs;
    * ``title_text``, ``subject_line_text``, ``content_text`` — the text as written (stored
      bytes) for hits and snippets, since the indexed fields hold the marked text;
    * ``company``, ``product``, ``channel``, ``campaign_type``, ``industry``,
      ``sentiment_label`` — raw (untokenised) fast fields: exact filters, facet counts (terms
      aggregations), and ``company:"capital one"`` filters typed in the query (matched through
      the term dictionary with :func:`~competiscan.search.query.filter_key`);
    * ``launch_date`` — date (stored, fast); ``sort_key`` — launch day and id in one integer, so
      sorting by date is one fast-field sort with a stable tie-break (newest, then highest id);
    * ``ingested_at_us`` — microseconds since the epoch: tantivy dates keep whole seconds only,
      and an alert's "arrived after" must not lose what arrived within the same second;
    * numeric offer terms — f64 fast fields for range filters, offer comparisons and offer
      phrases, read back per hit for its offer chips; ``bonus_unit`` — raw, stored. (An
      offer's expiry date is not indexed: nothing searches it.)

A folder holding an index of an older layout (another schema) is reported as needing a rebuild
(:attr:`EmbeddedIndex.outdated`); :meth:`EmbeddedIndex.clear`, which a rebuild starts with,
replaces it with an empty index of the current layout.

Several processes (the app and the CLI) may open the same folder. Readers are always fine; only
one writer can exist at a time, so a writer is taken for each write and released after its
commit. When another process holds it for longer than :data:`LOCK_WAIT_SECONDS`, the write
fails with :class:`SearchUnavailable` saying so.
"""

from __future__ import annotations

from dataclasses import replace

import html
import json
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import pyarrow as pa
import tantivy
from tantivy import FieldType, Filter, Index, Occur, Query, SnippetGenerator, TextAnalyzerBuilder, Tokenizer

from ..store.memory_sql import DocumentLayout, json_documents
from .base import (
    FACET_FIELDS,
    FACET_SIZE,
    NUMERIC_OFFER_FIELDS,
    SNIPPET_CHARS,
    TEXT_BOOSTS,
    TEXT_FIELDS,
    Hit,
    SearchIndex,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    is_stated,
    plain_snippet,
    sorted_facet,
    validate_request,
)
from .query import (
    AMOUNT_MARK_STEPS,
    MAX_TOKEN_BYTES,
    And,
    FieldFilter,
    Node,
    Not,
    OfferPhrase,
    OfferRange,
    Or,
    Phrase,
    Term,
    filter_key,
    fuzzy_distance,
    has_text,
    mark_amounts,
    prepare,
)

__all__ = ["EmbeddedIndex", "build_analyzer", "build_schema", "ANALYZER_NAME", "LOCK_WAIT_SECONDS"]

ANALYZER_NAME = "competiscan_en"
WRITER_HEAP_BYTES = 256_000_000
#: How long a write waits for another process's writer before giving up.
LOCK_WAIT_SECONDS = 5.0

_STORED_TEXT = ("title", "subject_line", "content")
# Raw strings: the facet fields, and the unit of a bonus (for offer chips and unit filters).
_RAW_FIELDS = (*FACET_FIELDS, "bonus_unit")
# The index is a projection of the store, so an unusable one is thrown away and rebuilt.
_REBUILD = "If it was built by another Competiscan version, delete the folder, then run `competiscan reindex`."
# Fields only Competiscan's own indexes have: a folder whose index has them, in another
# layout, was written by another version and may be replaced.
_OUR_MARKS = {"sort_key", "title_text", "ingested_at_us"}
_SNIPPET_FIELDS = ("content", "title", "subject_line")  # in the order a snippet prefers them
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# sort_key = day * 2**40 + id: fits an i64; ids beyond 2**40 only lose the exact tie-break.
_ID_BITS = 40
_ID_MASK = (1 << _ID_BITS) - 1


def build_analyzer() -> tantivy.TextAnalyzer:
    """The text analyzer of the text fields and of query words (mirrored by Elasticsearch)."""
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_BYTES))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.stemmer("english"))
        .build()
    )


def build_schema() -> tantivy.Schema:
    """The index schema (see the module docstring)."""
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name=ANALYZER_NAME)
    for name in _STORED_TEXT:
        sb.add_bytes_field(f"{name}_text", stored=True)
    for name in _RAW_FIELDS:
        sb.add_text_field(
            name, stored=name != "sentiment_label", fast=True, tokenizer_name="raw", index_option="basic"
        )
    sb.add_date_field("launch_date", stored=True, fast=True)
    sb.add_integer_field("sort_key", fast=True)
    sb.add_integer_field("ingested_at_us", fast=True)
    for name in NUMERIC_OFFER_FIELDS:
        sb.add_float_field(name, fast=True)
    return sb.build()


def _as_datetime(value: date) -> datetime:
    """Midnight of a day, as tantivy's date fields and range bounds want it."""
    return datetime(value.year, value.month, value.day)


def _micros(value: datetime) -> int:
    """Microseconds since the epoch of a naive-UTC (or aware) datetime. Plain arithmetic on the
    fields: subtracting datetimes is several times slower for pandas Timestamps, and bulk loads
    call this once per document."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    seconds = (value.toordinal() - _EPOCH_ORDINAL) * 86_400 + value.hour * 3_600 + value.minute * 60 + value.second
    return seconds * 1_000_000 + value.microsecond


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions counted once (what tantivy's fuzzy query
    uses); returns ``limit + 1`` early once the distance must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_TEXT_COPIES = {name: f"{name}_text" for name in _STORED_TEXT}


def _fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The index fields of one campaign. Bulk loads call this for every document in the thread
    that also feeds tantivy, so values of the usual type (str, float) are checked inline: a
    string is stated when not empty, a float when not NaN (what is_stated says of them)."""
    doc_id = int(doc["id"])
    launch = _as_datetime(doc["launch_date"])
    out: dict[str, Any] = {
        "id": doc_id,
        "launch_date": launch,
        "sort_key": (launch.toordinal() << _ID_BITS) + (doc_id & _ID_MASK),
    }
    if (ingested := doc.get("ingested_at")) is not None and is_stated(ingested):
        out["ingested_at_us"] = _micros(ingested)
    for name in TEXT_FIELDS:
        value = doc.get(name)
        if value is None or not (value if type(value) is str else is_stated(value)):
            continue
        value = str(value)
        out[name] = mark_amounts(value)
        if name in _TEXT_COPIES:
            out[_TEXT_COPIES[name]] = value.encode("utf-8")
    for name in _RAW_FIELDS:
        value = doc.get(name)
        if value is None or not (value if type(value) is str else is_stated(value)):
            continue
        out[name] = str(value)
    for name in NUMERIC_OFFER_FIELDS:
        value = doc.get(name)
        if value is None or (type(value) is not float and not is_stated(value)):
            continue
        value = float(value)
        if math.isfinite(value):  # NaN is not stated; nor is infinity (JSON, ES have none)
            out[name] = value
    return out


# The documents of add_tables, built in the in-memory DuckDB (see _fields for one by one).
_DOCUMENT_LAYOUT = DocumentLayout(
    text_fields=TEXT_FIELDS, stored_copies=_TEXT_COPIES, facet_fields=_RAW_FIELDS,
    numeric_fields=NUMERIC_OFFER_FIELDS, mark_steps=AMOUNT_MARK_STEPS, id_bits=_ID_BITS)


class _Compiler:
    """Turns a query tree into a tantivy query. Words with no exact match anywhere in the text
    fields are matched fuzzily; those are remembered so snippets can highlight what they found."""

    def __init__(self, schema: tantivy.Schema, analyzer: tantivy.TextAnalyzer, searcher: tantivy.Searcher) -> None:
        self.schema = schema
        self.analyzer = analyzer
        self.searcher = searcher
        self.fuzzy: list[tuple[str, int]] = []

    def compile(self, node: Node) -> Query | None:
        """The query for ``node``; ``None`` when it constrains nothing (no tokens survived)."""
        if isinstance(node, Term):
            return self._words(node.text, fuzzy_distance(node.text))
        if isinstance(node, Phrase):
            return self._words(node.text, 0)
        if isinstance(node, FieldFilter):
            return self._field_filter(node)
        if isinstance(node, OfferRange):
            # A comparison selects like a filter: only the words of the query rank.
            return Query.const_score_query(self._offer_range(node), 0.0)
        if isinstance(node, OfferPhrase):
            # The pieces worded otherwise score zero, so the literal matches rank first.
            reworded = Query.const_score_query(_all_of([self._offer_range(t) for t in node.terms]), 0.0)
            literal = self.compile(node.literal)
            should = [literal, reworded] if literal is not None else [reworded]
            return Query.boolean_query([(Occur.Should, q) for q in should])
        if isinstance(node, Not):
            inner = self.compile(node.child)
            return None if inner is None else _all_but(inner)
        if isinstance(node, And):
            if not node.children:
                return Query.all_query()
            must: list[Query] = []
            must_not: list[Query] = []
            for child in node.children:
                if isinstance(child, Not):
                    if (q := self.compile(child.child)) is not None:
                        must_not.append(q)
                elif (q := self.compile(child)) is not None:
                    must.append(q)
            if not must and not must_not:
                return None
            clauses = [(Occur.Must, q) for q in must or [Query.all_query()]]
            return Query.boolean_query(clauses + [(Occur.MustNot, q) for q in must_not])
        if isinstance(node, Or):
            if not node.children:
                return Query.empty_query()
            should = [q for child in node.children if (q := self.compile(child)) is not None]
            return Query.boolean_query([(Occur.Should, q) for q in should]) if should else None
        raise TypeError(f"not a query node: {node!r}")

    def _field_filter(self, node: FieldFilter) -> Query:
        """The stored values whose :func:`filter_key` is the typed one: structured fields have
        few distinct values, so reading them from the term dictionary costs less than indexing
        a normalised copy of every document's value."""
        values = [
            value
            for value, _ in self.searcher.terms_with_prefix(node.field, "")
            if filter_key(value) == node.value
        ]
        return Query.term_set_query(self.schema, node.field, values) if values else Query.empty_query()

    def _offer_range(self, node: OfferRange) -> Query:
        """A range over the offer term's fast field (and the bonus unit, when restricted)."""
        query = Query.range_query(
            self.schema, node.field, FieldType.Float, node.low, node.high,
            include_lower=node.include_low or node.low is None,
            include_upper=node.include_high or node.high is None,
        )
        if node.unit is None:
            return query
        return _all_of([query, Query.term_query(self.schema, "bonus_unit", node.unit)])

    def _words(self, text: str, distance: int) -> Query | None:
        tokens = self.analyzer.analyze(mark_amounts(text))
        if not tokens:
            return None
        per_field: list[Query] = []
        if len(tokens) > 1:
            per_field = [Query.phrase_query(self.schema, f, tokens) for f in TEXT_FIELDS]
        elif distance and not any(self.searcher.doc_freq(f, tokens[0]) for f in TEXT_FIELDS):
            self.fuzzy.append((tokens[0], distance))
            per_field = [Query.fuzzy_term_query(self.schema, f, tokens[0], distance) for f in TEXT_FIELDS]
        else:
            per_field = [Query.term_query(self.schema, f, tokens[0]) for f in TEXT_FIELDS]
        boosted = [
            q if TEXT_BOOSTS[f] == 1.0 else Query.boost_query(q, TEXT_BOOSTS[f])
            for f, q in zip(TEXT_FIELDS, per_field)
        ]
        return Query.boolean_query([(Occur.Should, q) for q in boosted])


def _all_but(query: Query) -> Query:
    return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, query)])


def _all_of(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Must, q) for q in queries])


def _snippet_html(snippet: tantivy.Snippet, text: str) -> str | None:
    """Escaped snippet of ``text`` with our own ``<mark>`` tags; ``None`` when nothing is
    highlighted. ``snippet`` was made from the marked text, whose UTF-8 bytes sit exactly where
    the original's do, so its byte offsets apply to ``text``.

    Built from the fragment's place in the text and its highlight ranges rather than
    ``to_html()``, which emits ``<b>`` and leaves quotes unescaped. tantivy ends a fragment at
    its last token, cutting "fee." to "fee": a text short enough is shown whole, and a longer
    fragment runs on to the next space.
    """
    ranges = sorted((r.start, r.end) for r in snippet.highlighted())
    if not ranges:
        return None
    raw = text.encode("utf-8")
    place = snippet.fragment_range()
    start, end = (0, len(raw)) if len(text) <= SNIPPET_CHARS else (place.start, place.end)
    while end < len(raw) and raw[end : end + 1] not in b" \t\r\n":
        end += 1
    shown, shift = raw[start:end], place.start - start
    parts: list[str] = []
    pos = 0
    for low, high in ranges:
        low, high = low + shift, high + shift
        if low < pos:
            continue
        parts.append(html.escape(shown[pos:low].decode("utf-8", "replace")))
        parts.append("<mark>" + html.escape(shown[low:high].decode("utf-8", "replace")) + "</mark>")
        pos = high
    parts.append(html.escape(shown[pos:].decode("utf-8", "replace")))
    return "".join(parts).strip()


def _offer_terms(
    searcher: tantivy.Searcher, addresses: list[Any], docs: list[tantivy.Document]
) -> list[dict[str, float | str]]:
    """Per hit, the offer terms it states: the numeric ones from their fast fields, and the
    bonus unit."""
    columns = {name: searcher.fast_field_values(name, addresses) for name in NUMERIC_OFFER_FIELDS}
    out: list[dict[str, float | str]] = []
    for i, doc in enumerate(docs):
        terms: dict[str, float | str] = {
            name: values[i] for name, values in columns.items() if values[i] is not None}
        if "bonus_amount" in terms and (unit := doc.get_first("bonus_unit")):
            terms["bonus_unit"] = unit
        out.append(terms)
    return out


class EmbeddedIndex(SearchIndex):
    """A tantivy index in the folder ``path`` (created when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._schema = build_schema()
        self._analyzer = build_analyzer()
        self._write_lock = threading.Lock()
        self._opened: Index | None = None
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if Index.exists(str(self.path)) and not Index.is_compatible(str(self.path)):
                raise SearchUnavailable(
                    f"The search index in {self.path} was written by another tantivy version. "
                    f"{_REBUILD}"
                )
            self._opened = self._open()
        except (OSError, ValueError) as exc:
            if not (isinstance(exc, ValueError) and self._holds_our_older_layout()):
                raise SearchUnavailable(f"Cannot open the search index in {self.path} ({exc}). {_REBUILD}") from exc

    def _open(self) -> Index:
        index = Index(self._schema, str(self.path), reuse=True)
        index.register_tokenizer(ANALYZER_NAME, self._analyzer)
        return index

    def _holds_our_older_layout(self) -> bool:
        """Whether the folder holds a Competiscan index whose layout is not the current one."""
        try:
            meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
            names = {entry["name"] for entry in meta["schema"]}
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return _OUR_MARKS <= names

    @property
    def _index(self) -> Index:
        """The open index. An index of an older layout is tried again (another process may
        have rebuilt it since) and otherwise refused with what to do."""
        if self._opened is None:
            try:
                self._opened = self._open()
            except ValueError:
                raise SearchUnavailable(
                    f"The search index in {self.path} was built by an older version of "
                    "Competiscan and must be rebuilt: run `competiscan reindex`. The store keeps "
                    "every campaign; searching works again once the rebuild has run."
                ) from None
            except OSError as exc:
                raise SearchUnavailable(f"Cannot open the search index in {self.path} ({exc}).") from exc
        return self._opened

    @property
    def outdated(self) -> bool:
        """Whether the folder holds an index of an older layout: it answers nothing until it is
        rebuilt (:meth:`clear`, then every campaign added again)."""
        try:
            self._index
        except SearchUnavailable:
            return True
        return False

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _writing(self) -> Iterator[tantivy.IndexWriter]:
        """A writer for one batch: committed and released at the end, rolled back on error."""
        with self._write_lock:
            writer = self._acquire_writer()
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._index.reload()

    def _acquire_writer(self) -> tantivy.IndexWriter:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                return self._index.writer(heap_size=WRITER_HEAP_BYTES)
            except ValueError as exc:
                if "LockBusy" not in str(exc):
                    raise SearchUnavailable(f"Cannot write to the search index in {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise SearchUnavailable(
                        f"The search index in {self.path} is being written by another process "
                        f"(waited {LOCK_WAIT_SECONDS:g} s for its lock). Wait for the other "
                        "Competiscan process (an upload or a CLI command) to finish, then retry."
                    ) from exc
                time.sleep(0.1)

    def _document(self, doc: Mapping[str, Any]) -> tantivy.Document:
        """One campaign as a tantivy document, built with one ``from_dict`` call: filling it
        field by field costs twice the Python time, and bulk loads share two cores with the
        indexing threads."""
        return tantivy.Document.from_dict(_fields(doc), self._schema)

    def add(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Insert or replace documents by id and commit. A document already in the index is
        replaced; deleting by id is skipped while the index is empty (the bulk-load case)."""
        added = 0
        with self._writing() as writer:
            self._index.reload()  # another process may have committed since our last look
            was_empty = self._index.searcher().num_docs == 0
            seen: set[int] = set()
            for doc in docs:
                doc_id = int(doc["id"])
                if not was_empty or doc_id in seen:
                    writer.delete_documents_by_term("id", doc_id)
                seen.add(doc_id)
                writer.add_document(self._document(doc))
                added += 1
        return added

    def add_tables(self, tables: Iterable[pa.Table]) -> int:
        """:meth:`add` for Arrow tables of documents. Each table becomes JSON documents in one
        column-wise pass (:func:`competiscan.store.memory_sql.json_documents`, in a second
        thread while the previous table's documents are fed to tantivy), which tantivy parses
        itself: no dict and no ``Document`` built in Python per campaign, so the indexing
        threads get the time instead."""
        added = 0
        with self._writing() as writer, ThreadPoolExecutor(1) as builder:
            self._index.reload()
            replacing = self._index.searcher().num_docs > 0
            seen: set[int] = set()

            def feed(table: pa.Table, documents: Future) -> int:
                ids = table["id"].to_pylist()
                for doc_id, document in zip(ids, documents.result()):
                    if replacing or doc_id in seen:
                        writer.delete_documents_by_term("id", doc_id)
                    seen.add(doc_id)
                    writer.add_json(document)
                return len(ids)

            waiting: tuple[pa.Table, Future] | None = None
            for table in tables:
                if not table.num_rows:
                    continue
                building = (table, builder.submit(json_documents, table, _DOCUMENT_LAYOUT))
                if waiting is not None:
                    added += feed(*waiting)
                waiting = building
            if waiting is not None:
                added += feed(*waiting)
        return added

    def delete(self, ids: Iterable[int]) -> int:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        with self._writing() as writer:
            self._index.reload()
            query = Query.term_set_query(self._schema, "id", wanted)
            present = self._index.searcher().search(query, 1, count=True).count
            for doc_id in wanted:
                writer.delete_documents_by_term("id", doc_id)
        return present

    def clear(self) -> None:
        """Remove every document; an index of an older layout is replaced by an empty one."""
        if self.outdated:
            with self._write_lock:
                self._opened = Index(self._schema, str(self.path), reuse=False)
                self._opened.register_tokenizer(ANALYZER_NAME, self._analyzer)
            return
        with self._writing() as writer:
            writer.delete_all_documents()

    # ------------------------------------------------------------------ reading

    def count(self) -> int:
        return self._index.searcher().num_docs

    def ids(self) -> set[int]:
        searcher = self._index.searcher()
        if searcher.num_docs == 0:
            return set()
        hits = searcher.search(Query.all_query(), searcher.num_docs, count=False).hits
        return set(searcher.fast_field_values("id", [address for _, address in hits]))

    def ping(self) -> bool:
        return self.path.is_dir()

    def describe(self) -> str:
        return f"embedded tantivy index in {self.path}"

    def close(self) -> None:
        """Nothing to release: writers live only for one write, readers with this object."""

    def _compile(self, req: SearchRequest, searcher: tantivy.Searcher):
        node = prepare(req.query)
        compiler = _Compiler(self._schema, self._analyzer, searcher)
        text_query = compiler.compile(node) or Query.all_query()
        filters = self._filters(req)
        query = (
            Query.boolean_query([(Occur.Must, q) for q in [text_query, *filters]]) if filters else text_query
        )
        return node, compiler, text_query, query

    def matching_ids(self, req: SearchRequest) -> list[int]:
        validate_request(replace(req, limit=0, offset=0))
        searcher = self._index.searcher()
        if searcher.num_docs == 0:
            return []
        node, _compiler, _text, query = self._compile(req, searcher)
        by_date = req.sort == "date" or not has_text(node)
        hits = searcher.search(query, searcher.num_docs, count=False,
                               order_by_field="sort_key" if by_date else None).hits
        return [int(i) for i in searcher.fast_field_values("id", [address for _, address in hits])]

    def search(self, req: SearchRequest) -> SearchResult:
        validate_request(req)
        searcher = self._index.searcher()
        node, compiler, text_query, query = self._compile(req, searcher)
        by_date = req.sort == "date" or not has_text(node)
        # The facet pass visits every match anyway and yields the total too, so the top-k
        # search can skip counting (and let tantivy prune non-competitive documents).
        result = searcher.search(
            query,
            max(req.limit, 1),  # tantivy panics on limit 0
            count=not req.facets,
            order_by_field="sort_key" if by_date else None,
            offset=req.offset,
        )
        facets: dict[str, dict[str, int]] = {}
        if req.facets:
            aggs: dict[str, Any] = {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in FACET_FIELDS}
            aggs["matches"] = {"value_count": {"field": "id"}}
            answer = searcher.aggregate(query, aggs)
            total = int(answer["matches"]["value"] or 0)
            facets = {
                f: sorted_facet((b["key"], b["doc_count"]) for b in answer[f]["buckets"]) for f in FACET_FIELDS
            }
        else:
            total = result.count
        page = result.hits[: req.limit]
        docs = [searcher.doc(address) for _, address in page]
        texts = [
            {name: (doc.get_first(f"{name}_text") or b"").decode("utf-8") for name in _STORED_TEXT} for doc in docs
        ]
        snippets, titles = self._highlights(req, node, compiler, searcher, text_query, texts)
        offers = _offer_terms(searcher, [address for _, address in page], docs)
        hits = [
            Hit(
                id=int(doc.get_first("id")),
                score=0.0 if by_date else float(key),
                company=doc.get_first("company"),
                channel=doc.get_first("channel"),
                campaign_type=doc.get_first("campaign_type"),
                industry=doc.get_first("industry"),
                launch_date=doc.get_first("launch_date").date(),
                title=text["title"],
                snippet=snippet,
                product=doc.get_first("product"),
                offers=terms,
                title_html=title,
            )
            for (key, _), doc, text, snippet, title, terms in zip(page, docs, texts, snippets, titles, offers)
        ]
        return SearchResult(total=total, hits=hits, facets=facets)

    def _filters(self, req: SearchRequest) -> list[Query]:
        schema = self._schema
        filters: list[Query] = []
        where = req.filter
        for name, values in where.values():
            filters.append(Query.term_set_query(schema, name, list(values)))
        if where.date_from is not None or where.date_to is not None:
            filters.append(
                Query.range_query(
                    schema,
                    "launch_date",
                    FieldType.Date,
                    None if where.date_from is None else _as_datetime(where.date_from),
                    None if where.date_to is None else _as_datetime(where.date_to),
                )
            )
        if req.ingested_after is not None:
            filters.append(
                Query.range_query(
                    schema, "ingested_at_us", FieldType.Integer, _micros(req.ingested_after), None, include_lower=False
                )
            )
        for name, low, high in where.offer_ranges:
            if low is not None or high is not None:
                filters.append(
                    Query.range_query(
                        schema,
                        name,
                        FieldType.Float,
                        None if low is None else float(low),
                        None if high is None else float(high),
                    )
                )
        return filters

    def _highlights(
        self,
        req: SearchRequest,
        node: Node,
        compiler: _Compiler,
        searcher: tantivy.Searcher,
        text_query: Query,
        texts: list[dict[str, str]],
    ) -> tuple[list[str], list[str]]:
        """Per hit, the snippet and the title as HTML. The snippet is the first of content,
        title, subject with a highlighted match, else the start of the content (or title); the
        title is whole, its matched words marked. ``texts`` are the hits' texts as written."""
        plain = [plain_snippet(t["content"], t["title"]) for t in texts]
        titles = [html.escape(t["title"]) for t in texts]
        if not (req.highlight and texts and has_text(node)):
            return plain, titles
        query = self._snippet_query(compiler, text_query, texts)
        generators: dict[str, SnippetGenerator] = {}

        def highlighted(name: str, text: str) -> str | None:
            if name not in generators:
                generators[name] = SnippetGenerator.create(searcher, query, self._schema, name)
                generators[name].set_max_num_chars(SNIPPET_CHARS)
            marked = tantivy.Document(**{name: mark_amounts(text)})
            return _snippet_html(generators[name].snippet_from_doc(marked), text)

        snippets: list[str] = []
        for i, (text, fallback) in enumerate(zip(texts, plain)):
            found: dict[str, str | None] = {}
            snippet = None
            for name in _SNIPPET_FIELDS:
                if text[name]:
                    found[name] = snippet = highlighted(name, text[name])
                    if snippet:
                        break
            snippets.append(snippet or fallback)
            # A title up to a snippet's length is shown whole with its highlights (the rare
            # longer one stays plain rather than cut).
            if text["title"] and len(text["title"]) <= SNIPPET_CHARS:
                title = found["title"] if "title" in found else highlighted("title", text["title"])
                titles[i] = title or titles[i]
        return snippets, titles

    def _snippet_query(self, compiler: _Compiler, text_query: Query, texts: list[dict[str, str]]) -> Query:
        """The text query plus, for fuzzily matched words, the words they matched in these hits:
        tantivy's snippets do not highlight fuzzy matches by themselves."""
        if not compiler.fuzzy:
            return text_query
        found: set[str] = set()
        for text in texts:
            tokens = {t for value in text.values() for t in self._analyzer.analyze(mark_amounts(value))}
            for word, distance in compiler.fuzzy:
                found.update(t for t in tokens if _osa_distance(t, word, distance) <= distance)
        extra = [Query.term_query(self._schema, f, t) for t in sorted(found) for f in _STORED_TEXT]
        return Query.boolean_query([(Occur.Should, q) for q in [text_query, *extra]])
