"""One computation started in a thread of its own, for work that releases the GIL (DuckDB,
worker processes) and overlaps what the caller does meanwhile."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, TypeVar

__all__ = ["in_background"]

T = TypeVar("T")


def in_background(function: Callable[..., T], *args: Any, name: str) -> Future[T]:
    """``function(*args)`` running in a new thread called ``name``; the Future gives its result
    or raises its exception. The thread ends with the computation."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        return executor.submit(function, *args)
    finally:
        executor.shutdown(wait=False)
