"""jemalloc as the C allocator of Competiscan's processes, when the system has it.

tantivy (the embedded search index) allocates through the C library's malloc. In bulk indexing,
documents built in one thread are freed in the indexing threads: glibc's malloc pays for that in
arena locks and heap consolidation, jemalloc far less (figures in docs/benchmarks.md, "Interpreter
and allocator"). (Arrow has its own pool, see ``competiscan/__init__.py``; DuckDB brings its own
jemalloc.)

A process's malloc is fixed when it starts, through LD_PRELOAD. So the command line re-executes
itself once with jemalloc preloaded (:func:`use_jemalloc`, before it reads any input), the
benchmarks do the same, and ``make run`` and the Docker image start the app with it. Without the
library (Debian: ``apt-get install libjemalloc2``) everything works as before, only slower. An
LD_PRELOAD set by the user, even to nothing, is left alone: that is the way to opt out.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path

from .settings import process_environment

__all__ = ["jemalloc_loaded", "jemalloc_library", "use_jemalloc", "describe"]


def jemalloc_loaded() -> bool:
    """Whether jemalloc is mapped into this process (preloaded, as use_jemalloc arranges)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:   # not Linux
        return False
    return "libjemalloc" in maps


def jemalloc_library() -> str | None:
    """The name the dynamic loader finds jemalloc by (LD_PRELOAD takes it), or None."""
    if not sys.platform.startswith("linux"):
        return None
    found = ctypes.util.find_library("jemalloc")
    return found if found and found.startswith("libjemalloc.so") else None


def use_jemalloc() -> None:
    """Re-execute this process (same interpreter, same command line) with jemalloc preloaded,
    unless it is loaded already, the system has none, or LD_PRELOAD is set (by the user, or by
    an earlier re-execution whose preload the loader refused: no loop). Returns only when
    nothing is to be done; call it first thing, before any input is read."""
    if jemalloc_loaded():
        return
    environment = process_environment()
    if "LD_PRELOAD" in environment:
        return
    library = jemalloc_library()
    if library is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]],
              {**environment, "LD_PRELOAD": library})


def describe() -> tuple[bool, str]:
    """(whether jemalloc is in use, a sentence saying so and what to do otherwise)."""
    if jemalloc_loaded():
        return True, "jemalloc (preloaded)"
    library = jemalloc_library()
    if library is None:
        return False, ("glibc malloc: install libjemalloc2 (Debian/Ubuntu) for faster "
                       "search indexing")
    return False, (f"glibc malloc: {library} is installed but not preloaded (start the app "
                   f"with `make run`, or with LD_PRELOAD={library})")
