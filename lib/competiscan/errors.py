"""The exceptions a user can cause, for front ends that turn them into one-line messages."""

from __future__ import annotations

from .enrich.runner import EnrichmentUnavailable
from .ingest import MappingError, UnreadableFileError
from .search.base import QueryError, SearchUnavailable
from .model import FilterError, PermissionDenied
from .store import StoreError
from .workbench.export import ExportError
from .workbench.peers import PeerSetError

__all__ = ["USER_ERRORS"]

USER_ERRORS: tuple[type[BaseException], ...] = (
    StoreError, EnrichmentUnavailable, ExportError, UnreadableFileError, MappingError, QueryError,
    SearchUnavailable, FilterError, PermissionDenied, PeerSetError,
    FileNotFoundError, PermissionError, IsADirectoryError,
)
