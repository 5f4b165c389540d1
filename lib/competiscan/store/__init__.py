"""The campaign store. ``open_store(url)`` picks the backend from the URL's scheme."""

from __future__ import annotations

from typing import Callable

from .base import (BatchResult, BatchWrite, NotFoundError, Store, StoreError,
                   StoreLockedError, StoreUnavailableError)

__all__ = ["open_store", "Store", "BatchWrite", "BatchResult", "StoreError",
           "StoreLockedError", "StoreUnavailableError", "NotFoundError", "BACKENDS"]


def _duckdb(url: str) -> Store:
    from .duckdb_store import DuckDBStore
    return DuckDBStore(url)


def _postgres(url: str) -> Store:
    from .postgres_store import PostgresStore
    if url.startswith("postgresql://"):  # psycopg 3 is the driver we ship
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return PostgresStore(url)


# scheme -> factory; the defaults register here exactly as another backend would.
BACKENDS: dict[str, Callable[[str], Store]] = {
    "duckdb": _duckdb,
    "postgresql": _postgres,
    "postgresql+psycopg": _postgres,
}


def open_store(url: str) -> Store:
    """Open (and migrate) the store at ``url``."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in BACKENDS:
        known = ", ".join(f"{s}://" for s in BACKENDS)
        raise StoreError(f"Unsupported database URL {url!r}: use one of {known}.")
    return BACKENDS[scheme](url)
