"""The campaign store. ``open_store(url)`` picks the backend from the URL's scheme.

Opening a store writes nothing. Creating a store, or bringing an older one up to this code's
schema, is the explicit setup step ``open_store(url, create=True)`` (or ``store.migrate()``).
"""

from __future__ import annotations

from typing import Callable

from .base import (AlreadyImportedError, BatchResult, BatchWrite, NotFoundError, Store,
                   StoreError, StoreLockedError, StoreMissingError, StoreSchemaError,
                   StoreUnavailableError)

__all__ = ["open_store", "Store", "BatchWrite", "BatchResult", "StoreError",
           "StoreLockedError", "StoreUnavailableError", "StoreSchemaError", "StoreMissingError",
           "AlreadyImportedError", "NotFoundError", "BACKENDS"]


def _duckdb(url: str, create: bool) -> Store:
    from .duckdb_store import DuckDBStore
    return DuckDBStore(url, create=create)


def _postgres(url: str, create: bool) -> Store:
    from .postgres_store import PostgresStore
    if url.startswith("postgresql://"):  # psycopg 3 is the driver we ship
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return PostgresStore(url)


# scheme -> factory(url, create); the defaults register here exactly as another backend would.
# ``create``: the factory may create what the database needs to exist (DuckDB: its file).
BACKENDS: dict[str, Callable[[str, bool], Store]] = {
    "duckdb": _duckdb,
    "postgresql": _postgres,
    "postgresql+psycopg": _postgres,
}


def open_store(url: str, *, create: bool = False) -> Store:
    """Open the store at ``url``.

    ``create=True`` is the setup step: it creates the database where the backend can (a DuckDB
    file and its folder) and applies the schema's pending migrations. With ``create=False`` the
    store is opened as it is and nothing is written; a database without the schema this code
    needs (none yet, an older or a newer one) raises :class:`StoreSchemaError` saying what to
    run.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in BACKENDS:
        known = ", ".join(f"{s}://" for s in BACKENDS)
        raise StoreError(f"Unsupported database URL {url!r}: use one of {known}.")
    store = BACKENDS[scheme](url, create)
    try:
        if create:
            store.migrate()
        else:
            store.check_schema()
    except BaseException:
        store.close()
        raise
    return store
