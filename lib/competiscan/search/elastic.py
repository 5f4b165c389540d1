"""The Elasticsearch backend: the same searches as the embedded index, on a cluster.

The request bodies are built by pure functions (:func:`build_mapping`, :func:`build_search_body`,
:func:`build_exact_match_probe`, :func:`parse_search_response`) so they can be checked without a
server. Query text is compiled from our own syntax tree (:mod:`.query`) into ``match``,
``match_phrase``, ``term``, ``range``, ``constant_score`` and ``bool`` objects: user text only
ever appears as a value in those, never in a ``query_string``.

Analysis mirrors the embedded index: a ``pattern_replace`` char filter marks amounts exactly as
:func:`~competiscan.search.query.mark_amounts` does (so ``0%`` and ``$200`` stay whole tokens),
a ``pattern`` tokenizer keeps runs of letters and digits like tantivy's simple tokenizer, then
the same length limit, lower-casing, accent folding and the Snowball English stemmer (the one
tantivy uses). Typo tolerance works the same way too: words the index has no exact match for
are found first with one ``_msearch`` of small probes, and only those are searched fuzzily.

An index created by an older version lacks the newer fields; the mapping is extended when the
backend first opens it (adding fields is the one mapping change Elasticsearch allows in place),
and ``competiscan reindex`` fills them for the documents already there.
"""

from __future__ import annotations

import html
from dataclasses import replace

from collections.abc import Collection
from contextlib import contextmanager
from datetime import date, timezone
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError, AuthenticationException, AuthorizationException, Elasticsearch, helpers

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
    FILTER_FIELDS,
    AMOUNT_MARK,
    AMOUNT_MARK_PATTERN,
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
    fuzzy_candidates,
    fuzzy_distance,
    has_text,
    prepare,
)

__all__ = [
    "ElasticIndex",
    "DEFAULT_INDEX_NAME",
    "ANALYZER_NAME",
    "build_mapping",
    "build_search_body",
    "build_exact_match_probe",
    "parse_search_response",
    "to_source",
]

DEFAULT_INDEX_NAME = "competiscan-campaigns"
ANALYZER_NAME = "competiscan_en"

_SOURCE_FIELDS = ["id", "company", "product", "channel", "campaign_type", "industry", "launch_date", "title",
                  "content", "bonus_unit", *NUMERIC_OFFER_FIELDS]
_SNIPPET_FIELDS = ("content", "title", "subject_line")  # in the order a snippet prefers them


# --------------------------------------------------------------------------- pure builders


def build_mapping() -> dict[str, Any]:
    """Index settings and mappings (the keyword arguments of ``indices.create``)."""
    text = {"type": "text", "analyzer": ANALYZER_NAME}
    properties: dict[str, Any] = {
        "id": {"type": "long"},
        **{name: dict(text) for name in TEXT_FIELDS},
        **{name: {"type": "keyword"} for name in FACET_FIELDS},
        **{f"{name}_key": {"type": "keyword"} for name in FILTER_FIELDS.values()},
        "launch_date": {"type": "date", "format": "strict_date"},
        # date_nanos keeps the microseconds an "arrived after" comparison needs.
        "ingested_at": {"type": "date_nanos"},
        **{name: {"type": "double"} for name in NUMERIC_OFFER_FIELDS},
        "bonus_unit": {"type": "keyword"},
    }
    return {
        "settings": {
            # One shard: facet counts are exact and relevance statistics are index-wide, as in
            # the embedded index. Campaign libraries are far below one shard's comfortable size.
            "number_of_shards": 1,
            "analysis": {
                "char_filter": {
                    "competiscan_amounts": {
                        "type": "pattern_replace",
                        "pattern": AMOUNT_MARK_PATTERN,
                        "replacement": AMOUNT_MARK,
                    }
                },
                "tokenizer": {
                    # Split on whatever is not a letter or digit: the complement of Rust's
                    # char::is_alphanumeric, which tantivy's simple tokenizer keeps.
                    "competiscan_words": {"type": "pattern", "pattern": r"[^\p{IsAlphabetic}\p{N}]+"}
                },
                "filter": {
                    # tantivy drops tokens of MAX_TOKEN_BYTES bytes or more; "max" is inclusive.
                    "competiscan_length": {"type": "length", "max": MAX_TOKEN_BYTES - 1},
                    "competiscan_stemmer": {"type": "snowball", "language": "English"},
                },
                "analyzer": {
                    ANALYZER_NAME: {
                        "type": "custom",
                        "char_filter": ["competiscan_amounts"],
                        "tokenizer": "competiscan_words",
                        "filter": ["competiscan_length", "lowercase", "asciifolding", "competiscan_stemmer"],
                    }
                },
            },
        },
        "mappings": {"dynamic": "strict", "properties": properties},
    }


def to_source(doc: Mapping[str, Any]) -> dict[str, Any]:
    """One campaign document as the ``_source`` stored in Elasticsearch."""
    launch = doc["launch_date"]
    source: dict[str, Any] = {
        "id": int(doc["id"]),
        "launch_date": date(launch.year, launch.month, launch.day).isoformat(),
    }
    if is_stated(ingested := doc.get("ingested_at")):
        if ingested.tzinfo is not None:
            ingested = ingested.astimezone(timezone.utc).replace(tzinfo=None)
        source["ingested_at"] = ingested.isoformat()
    for name in (*TEXT_FIELDS, *FACET_FIELDS, "bonus_unit"):
        if is_stated(value := doc.get(name)):
            source[name] = str(value)
    for name in FILTER_FIELDS.values():
        if is_stated(value := doc.get(name)):
            source[f"{name}_key"] = filter_key(str(value))
    for name in NUMERIC_OFFER_FIELDS:
        if is_stated(value := doc.get(name)):
            source[name] = float(value)
    return source


def _per_field(kind: str, text: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``text`` searched in every text field with its boost, any field may match."""
    return {
        "bool": {
            "should": [
                {kind: {name: {"query": text, **(extra or {}), "boost": TEXT_BOOSTS[name]}}}
                for name in TEXT_FIELDS
            ],
            "minimum_should_match": 1,
        }
    }


def _all_but(query: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"must": [{"match_all": {}}], "must_not": [query]}}


def _offer_range(node: OfferRange) -> dict[str, Any]:
    """A range over the offer term (and the bonus unit, when restricted)."""
    bounds: dict[str, float] = {}
    if node.low is not None:
        bounds["gte" if node.include_low else "gt"] = node.low
    if node.high is not None:
        bounds["lte" if node.include_high else "lt"] = node.high
    query = {"range": {node.field: bounds}}
    if node.unit is None:
        return query
    return {"bool": {"filter": [query, {"term": {"bonus_unit": node.unit}}]}}


def _offer_phrase(node: OfferPhrase, fuzzy_words: Collection[str]) -> dict[str, Any]:
    """The phrase as written, or the same offer in other words scoring zero (so the literal
    matches rank first)."""
    terms = [_offer_range(t) for t in node.terms]
    reworded = {"constant_score": {"filter": terms[0] if len(terms) == 1 else {"bool": {"filter": terms}},
                                   "boost": 0.0}}
    return {"bool": {"should": [_compile(node.literal, fuzzy_words), reworded], "minimum_should_match": 1}}


def _compile(node: Node, fuzzy_words: Collection[str]) -> dict[str, Any]:
    if isinstance(node, Term):
        if node.text in fuzzy_words and (distance := fuzzy_distance(node.text)):
            return _per_field("match", node.text, {"fuzziness": distance, "fuzzy_transpositions": True})
        return _per_field("match", node.text)
    if isinstance(node, Phrase):
        return _per_field("match_phrase", node.text)
    if isinstance(node, FieldFilter):
        return {"term": {f"{node.field}_key": node.value}}
    if isinstance(node, OfferRange):
        # A comparison selects like a filter: only the words of the query rank.
        return {"constant_score": {"filter": _offer_range(node), "boost": 0.0}}
    if isinstance(node, OfferPhrase):
        return _offer_phrase(node, fuzzy_words)
    if isinstance(node, Not):
        return _all_but(_compile(node.child, fuzzy_words))
    if isinstance(node, And):
        if not node.children:
            return {"match_all": {}}
        must = [_compile(c, fuzzy_words) for c in node.children if not isinstance(c, Not)]
        must_not = [_compile(c.child, fuzzy_words) for c in node.children if isinstance(c, Not)]
        return {"bool": {"must": must or [{"match_all": {}}], "must_not": must_not}}
    if isinstance(node, Or):
        if not node.children:
            return {"match_none": {}}
        return {"bool": {"should": [_compile(c, fuzzy_words) for c in node.children], "minimum_should_match": 1}}
    raise TypeError(f"not a query node: {node!r}")


def _filters(req: SearchRequest) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    where = req.filter
    for name, values in where.values():
        filters.append({"terms": {name: list(values)}})
    if where.date_from is not None or where.date_to is not None:
        bounds: dict[str, str] = {}
        if where.date_from is not None:
            bounds["gte"] = where.date_from.isoformat()[:10]
        if where.date_to is not None:
            bounds["lte"] = where.date_to.isoformat()[:10]
        filters.append({"range": {"launch_date": bounds}})
    if req.ingested_after is not None:
        after = req.ingested_after
        if after.tzinfo is not None:
            after = after.astimezone(timezone.utc).replace(tzinfo=None)
        filters.append({"range": {"ingested_at": {"gt": after.isoformat()}}})
    for name, low, high in where.offer_ranges:
        offer: dict[str, float] = {}
        if low is not None:
            offer["gte"] = float(low)
        if high is not None:
            offer["lte"] = float(high)
        if offer:
            filters.append({"range": {name: offer}})
    return filters


def build_search_body(req: SearchRequest, fuzzy_words: Collection[str] = ()) -> dict[str, Any]:
    """The ``_search`` body for a request.

    Args:
        req: the search.
        fuzzy_words: query words with no exact match in the index (see
            :func:`build_exact_match_probe`); only these are matched with ``fuzziness``.

    Raises:
        QueryError: the query or request cannot be understood.
    """
    validate_request(req)
    node = prepare(req.query)
    body: dict[str, Any] = {
        "query": {"bool": {"must": [_compile(node, fuzzy_words)], "filter": _filters(req)}},
        "from": req.offset,
        "size": req.limit,
        "track_total_hits": True,
        "_source": _SOURCE_FIELDS,
    }
    if req.sort == "date" or not has_text(node):
        body["sort"] = [{"launch_date": {"order": "desc"}}, {"id": {"order": "desc"}}]
    if req.facets:
        body["aggs"] = {name: {"terms": {"field": name, "size": FACET_SIZE}} for name in FACET_FIELDS}
    if req.highlight and has_text(node):
        body["highlight"] = {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "fields": {
                "content": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1},
                "title": {"number_of_fragments": 0},
                "subject_line": {"number_of_fragments": 0},
            },
        }
    return body


def build_exact_match_probe(word: str) -> dict[str, Any]:
    """A cheap ``_search`` body that finds whether any document has ``word`` exactly (after
    analysis) in a text field: at most one hit is counted, nothing is fetched."""
    return {"size": 0, "terminate_after": 1, "track_total_hits": True, "query": _per_field("match", word)}


def _title_html(hit: Mapping[str, Any]) -> str:
    """The whole title with its matches marked (the highlighter returns it whole), else
    escaped."""
    for fragment in (hit.get("highlight") or {}).get("title", ()):
        if "<mark>" in fragment:
            return fragment.strip()
    return html.escape((hit.get("_source") or {}).get("title") or "")


def _offers(source: Mapping[str, Any]) -> dict[str, float | str]:
    terms: dict[str, float | str] = {
        name: float(source[name]) for name in NUMERIC_OFFER_FIELDS if source.get(name) is not None}
    if "bonus_amount" in terms and source.get("bonus_unit"):
        terms["bonus_unit"] = source["bonus_unit"]
    return terms


def _snippet(hit: Mapping[str, Any]) -> str:
    highlight = hit.get("highlight") or {}
    for name in _SNIPPET_FIELDS:
        for fragment in highlight.get(name, ()):
            if "<mark>" in fragment:
                return fragment.strip()
    source = hit.get("_source") or {}
    return plain_snippet(source.get("content"), source.get("title"))


def parse_search_response(resp: Mapping[str, Any]) -> SearchResult:
    """Turn an Elasticsearch ``_search`` response (as a dict) into a :class:`SearchResult`."""
    hits_part = resp["hits"]
    total = hits_part["total"]
    hits = []
    for hit in hits_part["hits"]:
        source = hit["_source"]
        hits.append(
            Hit(
                id=int(source.get("id", hit["_id"])),
                score=float(hit.get("_score") or 0.0),
                company=source["company"],
                channel=source["channel"],
                campaign_type=source.get("campaign_type"),
                industry=source["industry"],
                launch_date=date.fromisoformat(source["launch_date"][:10]),
                title=source.get("title") or "",
                snippet=_snippet(hit),
                product=source.get("product"),
                offers=_offers(source),
                title_html=_title_html(hit),
            )
        )
    aggs = resp.get("aggregations") or {}
    facets = {
        name: sorted_facet((b["key"], b["doc_count"]) for b in aggs[name]["buckets"])
        for name in FACET_FIELDS
        if name in aggs
    }
    return SearchResult(total=int(total["value"] if isinstance(total, Mapping) else total), hits=hits, facets=facets)


# --------------------------------------------------------------------------- the backend


def _redact(url: str) -> str:
    """The URL without a password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


class ElasticIndex(SearchIndex):
    """Campaigns in the Elasticsearch index ``index_name`` at ``url``.

    Nothing is contacted until the first call; the index is created with :func:`build_mapping`
    on first use. Every failure to reach or use the cluster raises :class:`SearchUnavailable`.
    """

    def __init__(self, url: str, index_name: str = DEFAULT_INDEX_NAME, *, timeout: float = 10.0) -> None:
        self.url = url
        self.index_name = index_name
        self._client = Elasticsearch(url, request_timeout=timeout, max_retries=1, retry_on_timeout=False)
        self._ready = False

    @contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        """Turn client errors into :class:`SearchUnavailable` saying where and what to do."""
        where = _redact(self.url)
        try:
            yield
        except (AuthenticationException, AuthorizationException) as exc:
            raise SearchUnavailable(
                f"Elasticsearch at {where} refused to {action} ({exc.meta.status}): check the user "
                "name, password or API key in the search URL."
            ) from exc
        except ApiError as exc:
            raise SearchUnavailable(
                f"Elasticsearch at {where} could not {action}: {exc.meta.status} {exc.message}."
            ) from exc
        except (TransportConnectionError, TransportError) as exc:
            raise SearchUnavailable(
                f"Cannot reach Elasticsearch at {where} to {action} ({exc.message}). Start the server "
                "or fix the search URL; a folder path instead uses the embedded index."
            ) from exc
        except helpers.BulkIndexError as exc:
            first = exc.errors[0] if exc.errors else {}
            raise SearchUnavailable(
                f"Elasticsearch at {where} rejected {len(exc.errors)} document(s) while trying to "
                f"{action}; the first error: {first}."
            ) from exc

    def _ensure_index(self) -> None:
        if self._ready:
            return
        with self._calling("create or update the index"):
            if self._client.indices.exists(index=self.index_name):
                # An index of an older version gets the newer fields (a no-op when it has them).
                self._client.indices.put_mapping(
                    index=self.index_name, properties=build_mapping()["mappings"]["properties"])
            else:
                try:
                    self._client.indices.create(index=self.index_name, **build_mapping())
                except ApiError as exc:
                    if "resource_already_exists_exception" not in str(exc):  # another process won
                        raise
        self._ready = True

    def _refresh(self) -> None:
        self._client.indices.refresh(index=self.index_name)

    def add(self, docs: Iterable[Mapping[str, Any]]) -> int:
        self._ensure_index()
        actions = (
            {"_op_type": "index", "_index": self.index_name, "_id": str(int(doc["id"])), "_source": to_source(doc)}
            for doc in docs
        )
        with self._calling("index documents"):
            added, _ = helpers.bulk(self._client, actions, chunk_size=1_000)
            self._refresh()
        return int(added)

    def delete(self, ids: Iterable[int]) -> int:
        self._ensure_index()
        actions = (
            {"_op_type": "delete", "_index": self.index_name, "_id": str(int(i))} for i in set(ids)
        )
        with self._calling("delete documents"):
            # A missing id answers 404: not an error here, just not counted.
            deleted = sum(
                ok for ok, _ in helpers.streaming_bulk(self._client, actions, raise_on_error=False)
            )
            self._refresh()
        return deleted

    def clear(self) -> None:
        with self._calling("clear the index"):
            self._client.indices.delete(index=self.index_name, ignore_unavailable=True)
        self._ready = False
        self._ensure_index()

    def count(self) -> int:
        self._ensure_index()
        with self._calling("count documents"):
            return int(self._client.count(index=self.index_name)["count"])

    def ids(self) -> set[int]:
        self._ensure_index()
        with self._calling("list document ids"):
            return {
                int(hit["_id"])
                for hit in helpers.scan(
                    self._client, index=self.index_name, query={"query": {"match_all": {}}, "_source": False}, size=5_000
                )
            }

    def _words_without_exact_match(self, words: list[str]) -> set[str]:
        if not words:
            return set()
        searches: list[dict[str, Any]] = []
        for word in words:
            searches += [{"index": self.index_name}, build_exact_match_probe(word)]
        answers = self._client.msearch(searches=searches)["responses"]
        return {word for word, answer in zip(words, answers) if answer["hits"]["total"]["value"] == 0}

    def search(self, req: SearchRequest) -> SearchResult:
        validate_request(req)  # a QueryError is raised before anything is sent
        node = prepare(req.query)
        self._ensure_index()
        with self._calling("search"):
            fuzzy = self._words_without_exact_match(sorted(fuzzy_candidates(node)))
            resp = self._client.search(index=self.index_name, body=build_search_body(req, fuzzy))
        return parse_search_response(resp.body)

    def matching_ids(self, req: SearchRequest) -> list[int]:
        """All matching ids through the scroll helper (past the 10,000-hit paging window);
        for a whole export the order is the index's, not the requested sort."""
        node = prepare(req.query)
        self._ensure_index()
        with self._calling("list matching ids"):
            fuzzy = self._words_without_exact_match(sorted(fuzzy_candidates(node)))
            body = build_search_body(replace(req, limit=0, offset=0, facets=False,
                                             highlight=False), fuzzy)
            return [int(hit["_id"]) for hit in helpers.scan(
                self._client, index=self.index_name,
                query={"query": body["query"], "_source": False}, size=5_000)]

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except (TransportError, ApiError):
            return False

    def describe(self) -> str:
        return f"Elasticsearch at {_redact(self.url)}, index {self.index_name}"

    def close(self) -> None:
        self._client.close()
