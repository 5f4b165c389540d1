"""Competiscan: competitive-marketing intelligence. See README.md for the tour."""

import pyarrow as _pa

# pyarrow's default allocator here is mimalloc, which hands freed memory back to the OS so
# eagerly that the next large Arrow allocation faults its pages in again: preparing a large
# upload is markedly slower with it than with jemalloc or the system allocator (figures in
# docs/benchmarks.md). A pool chosen with ARROW_DEFAULT_MEMORY_POOL other than mimalloc is left
# alone.
if _pa.default_memory_pool().backend_name == "mimalloc":
    try:
        _pa.set_memory_pool(_pa.jemalloc_memory_pool())
    except NotImplementedError:   # a pyarrow built without jemalloc
        _pa.set_memory_pool(_pa.system_memory_pool())
