"""What every search backend offers: the request, the result, the errors and the interface.

The app codes against :class:`SearchIndex`; :func:`competiscan.search.open_index` picks the
backend from the URL. Both backends share the query language (:mod:`.query`), the analysis rules
(amounts and percentages kept whole, English stemming, word splits, typo tolerance) and the
checks and defaults in this module, so the same request gives the same documents everywhere.
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Mapping

import pyarrow as pa

from ..model import NUMERIC_OFFER_FIELDS, CampaignFilter

__all__ = [
    "SearchRequest",
    "Hit",
    "SearchResult",
    "SearchIndex",
    "QueryError",
    "SearchUnavailable",
    "FACET_FIELDS",
    "FACET_SIZE",
    "TEXT_FIELDS",
    "TEXT_BOOSTS",
    "NUMERIC_OFFER_FIELDS",
    "SORTS",
    "MAX_LIMIT",
    "MAX_WINDOW",
    "SNIPPET_CHARS",
    "validate_request",
    "plain_snippet",
    "sorted_facet",
    "is_stated",
]


class QueryError(ValueError):
    """The query or request cannot be understood; the message says what and where."""


class SearchUnavailable(RuntimeError):
    """The search backend cannot be reached or opened; the message says which and what to do."""


#: Structured fields counted for facets, in the order pages show them.
FACET_FIELDS: tuple[str, ...] = ("company", "product", "channel", "campaign_type", "industry", "sentiment_label")
#: Buckets per facet: more than any dataset has companies, so counts are never cut off.
FACET_SIZE: int = 1_000

#: Text fields searched, and how much a match in each weighs.
TEXT_FIELDS: tuple[str, ...] = ("title", "subject_line", "content", "keywords")
TEXT_BOOSTS: dict[str, float] = {"title": 3.0, "subject_line": 2.0, "content": 1.0, "keywords": 1.0}


SORTS: tuple[str, ...] = ("relevance", "date")
MAX_LIMIT: int = 1_000
#: Deepest hit a page may reach (Elasticsearch's default result window); both backends obey it.
MAX_WINDOW: int = 10_000
#: Length of a snippet, in characters.
SNIPPET_CHARS: int = 200


@dataclass
class SearchRequest:
    """One search: query text plus a :class:`~competiscan.model.CampaignFilter`, sorting,
    paging and what to compute.

    ``ingested_after`` keeps campaigns stored strictly after that moment (UTC, naive), which is
    what an alert on a saved search asks for. ``sort="relevance"`` with no words in the query
    sorts by date, newest first.
    """

    query: str = ""
    filter: CampaignFilter = field(default_factory=CampaignFilter)
    ingested_after: datetime | None = None
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0
    facets: bool = True
    highlight: bool = True


@dataclass
class Hit:
    """One matching campaign. ``snippet`` and ``title_html`` are HTML: user text escaped, only
    ``<mark>`` tags ours (``title`` is the plain title). ``offers`` holds the offer terms the
    piece states: numeric terms of :data:`NUMERIC_OFFER_FIELDS` and, with a bonus, its
    ``bonus_unit``."""

    id: int
    score: float
    company: str
    channel: str
    campaign_type: str | None
    industry: str
    launch_date: date
    title: str
    snippet: str
    product: str | None = None
    offers: dict[str, float | str] = field(default_factory=dict)
    title_html: str = ""


@dataclass
class SearchResult:
    """``total`` matches; ``hits`` the requested page; ``facets`` field → value → count over all
    matches under the current filters (empty when the request asked for no facets)."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]


class SearchIndex(ABC):
    """A full-text index of campaigns. Documents are dicts as the store's search projection
    gives them (see the package docstring); ``id`` is the store's campaign id."""

    @abstractmethod
    def add(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Insert or replace documents by id, make them searchable; return how many."""

    def add_tables(self, tables: Iterable[pa.Table]) -> int:
        """:meth:`add` for documents given as Arrow tables (one column per document field, as
        the store hands pending documents over); a backend may index them column-wise."""
        return self.add(doc for table in tables for doc in table.to_pylist())

    @abstractmethod
    def delete(self, ids: Iterable[int]) -> int:
        """Remove documents by id; return how many were in the index."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document."""

    @abstractmethod
    def count(self) -> int:
        """Number of documents in the index."""

    @abstractmethod
    def ids(self) -> set[int]:
        """Every indexed id, to reconcile the index with the store."""

    @abstractmethod
    def search(self, req: SearchRequest) -> SearchResult:
        """Run a search. Raises :class:`QueryError` for a query or request that cannot be
        understood and :class:`SearchUnavailable` when the backend cannot be reached."""

    @abstractmethod
    def matching_ids(self, req: SearchRequest) -> list[int]:
        """Every id matching ``req`` (the whole result set, for exports), in its sort order."""

    @abstractmethod
    def ping(self) -> bool:
        """Whether the backend answers."""

    @property
    def outdated(self) -> bool:
        """Whether the index was built in an older layout and answers nothing until it is
        rebuilt (:meth:`clear`, then every campaign added again)."""
        return False

    @abstractmethod
    def describe(self) -> str:
        """One line for people: which backend, where."""

    @abstractmethod
    def close(self) -> None:
        """Release files and connections."""

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def validate_request(req: SearchRequest) -> None:
    """Check the parts of a request that do not come from query text.

    Raises:
        QueryError: an unknown sort, a value of the wrong type, a limit or offset out of range,
            an offer range on a field that is not a numeric offer term, or a bound that is not a
            number.
    """
    if req.sort not in SORTS:
        raise QueryError(f"Unknown sort {req.sort!r}; use one of: {', '.join(SORTS)}.")
    if not isinstance(req.query, str):
        raise QueryError(f"The query must be text, not {type(req.query).__name__}.")
    for name in ("limit", "offset"):
        value = getattr(req, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise QueryError(f"{name} must be a whole number, not {value!r}.")
    if not isinstance(req.filter, CampaignFilter):
        raise QueryError(f"filter must be a CampaignFilter, not {req.filter!r}.")
    if req.ingested_after is not None and not isinstance(req.ingested_after, datetime):
        raise QueryError(f"ingested_after must be a date and time, not {req.ingested_after!r}.")
    if not 0 <= req.limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 0 and {MAX_LIMIT:,}, not {req.limit}.")
    if req.offset < 0:
        raise QueryError(f"offset must be 0 or more, not {req.offset}.")
    if req.offset + req.limit > MAX_WINDOW:
        raise QueryError(
            f"Only the first {MAX_WINDOW:,} hits can be paged through; narrow the search "
            "with filters instead."
        )


def is_stated(value: Any) -> bool:
    """Whether a document value is there: not None, not empty, not NaN/NaT/``pandas.NA`` (what
    "not stated" looks like when documents come from a DataFrame)."""
    try:
        return bool(value is not None and value == value and value != "")
    except TypeError:  # pandas.NA refuses to be a truth value
        return False


def plain_snippet(*texts: str | None) -> str:
    """The start of the first non-empty text, HTML-escaped: the snippet when nothing is
    highlighted."""
    for text in texts:
        if text and text.strip():
            text = " ".join(text.split())
            cut = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
            return html.escape(cut)
    return ""


def sorted_facet(buckets: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Facet counts, largest first, ties by value: the same order from every backend."""
    return dict(sorted(((str(k), int(n)) for k, n in buckets if n > 0), key=lambda kv: (-kv[1], kv[0])))
