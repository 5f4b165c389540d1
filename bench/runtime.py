"""What a benchmark runs on: the interpreter and the C allocator, both of which move the figures
(see the Makefile and competiscan/allocator.py)."""

from __future__ import annotations

import platform
import sys

from competiscan.allocator import describe, use_jemalloc

__all__ = ["runtime", "use_jemalloc"]


def runtime() -> str:
    """E.g. "Python 3.11.2 (/usr), allocator: jemalloc (preloaded)"."""
    return f"Python {platform.python_version()} ({sys.base_prefix}), allocator: {describe()[1]}"
