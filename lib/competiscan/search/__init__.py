"""Full-text search over campaigns, with one query language and interchangeable backends.

``open_index(url)`` picks the backend from the URL: a folder path (or ``file://`` URL) opens the
embedded tantivy index, an ``http://``/``https://`` URL an Elasticsearch cluster. Both implement
:class:`SearchIndex`; the query language is described in :mod:`competiscan.search.query`.

A document given to :meth:`SearchIndex.add` is a dict with: ``id`` (int), ``company``,
``product`` (or None), ``industry``, ``channel``, ``campaign_type`` (or None),
``sentiment_label`` (or None), ``launch_date`` (date), ``ingested_at`` (naive UTC datetime),
``title``, ``subject_line``, ``content`` (str or None), ``keywords`` (str), and the offer terms
of :data:`competiscan.model.OFFER_FIELDS`: numbers (float or None), ``bonus_unit`` (str or
None); ``offer_expires`` (a date) may be there and is not indexed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

from .base import Hit, QueryError, SearchIndex, SearchRequest, SearchResult, SearchUnavailable

__all__ = [
    "open_index",
    "BACKENDS",
    "SearchIndex",
    "SearchRequest",
    "SearchResult",
    "Hit",
    "QueryError",
    "SearchUnavailable",
]


def _embedded(url: str) -> SearchIndex:
    from .embedded import EmbeddedIndex

    parsed = urlparse(url)
    return EmbeddedIndex(Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(url))


def _elastic(url: str) -> SearchIndex:
    from .elastic import ElasticIndex

    return ElasticIndex(url)


#: URL scheme → backend factory. A plain folder path has the scheme "" (or a drive letter).
BACKENDS: dict[str, Callable[[str], SearchIndex]] = {
    "": _embedded,
    "file": _embedded,
    "http": _elastic,
    "https": _elastic,
}


def open_index(url: str) -> SearchIndex:
    """Open the search index at ``url``: a folder path or ``file://`` URL, or an
    ``http(s)://`` Elasticsearch URL.

    Raises:
        SearchUnavailable: the scheme is unknown, or the backend cannot be opened.
    """
    scheme = urlparse(url).scheme.lower()
    if len(scheme) == 1:  # a Windows drive letter ("C:\\index") is a folder path
        scheme = ""
    factory = BACKENDS.get(scheme)
    if factory is None:
        raise SearchUnavailable(
            f"Unknown search URL scheme {scheme!r} in {url!r}: use a folder path for the embedded "
            "index or an http(s):// URL for Elasticsearch."
        )
    return factory(url)
