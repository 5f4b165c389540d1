"""The store's exceptions: each says what went wrong and what to do about it."""

from __future__ import annotations

__all__ = ["StoreError", "StoreLockedError", "StoreUnavailableError", "StoreSchemaError",
           "StoreMissingError", "NotFoundError"]


class StoreError(RuntimeError):
    """A store operation failed in a way the user can act on; the message says how."""


class StoreLockedError(StoreError):
    """Another process holds the database file (DuckDB allows one writer process)."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached."""


class StoreSchemaError(StoreError):
    """The database holds no store, or one whose schema is not the one this code reads and
    writes; opening it to read never migrates it."""


class StoreMissingError(StoreSchemaError):
    """There is no store at the URL yet: nothing is wrong but a set-up step not taken."""


class NotFoundError(StoreError, LookupError):
    """The asked-for record does not exist."""
