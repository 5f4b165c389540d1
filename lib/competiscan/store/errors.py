"""The store's exceptions: each says what went wrong and what to do about it."""

from __future__ import annotations

__all__ = ["StoreError", "StoreLockedError", "StoreUnavailableError", "StoreSchemaError",
           "StoreMissingError", "AlreadyImportedError", "NotFoundError"]


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


class AlreadyImportedError(StoreError):
    """The same file (the same bytes) was imported before and that import stands."""

    def __init__(self, batch_id: int, filename: str, created_at: object) -> None:
        self.batch_id = int(batch_id)
        self.filename = filename
        when = f"{created_at:%Y-%m-%d %H:%M} UTC" if hasattr(created_at, "strftime") else ""
        super().__init__(f"This file was already imported as upload {self.batch_id} "
                         f"({filename}{', ' + when if when else ''}); nothing was added again. "
                         "Undo that upload first to import it anew.")


class NotFoundError(StoreError, LookupError):
    """The asked-for record does not exist."""
