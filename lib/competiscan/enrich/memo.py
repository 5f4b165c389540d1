"""A dict that computes its missing values: per-word work done once per distinct word.

The enrichers transform every word of every text (strip punctuation, split on hyphens, …).
Marketing copy reuses a small vocabulary, so `list(map(memo.__getitem__, words))` does that work
once per distinct word and then only looks words up, in C, without a Python-level loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict, Generic[K, V]):  # type: ignore[type-arg]
    """`memo[key]` is `function(key)`, computed on the first lookup and kept. When `limit`
    entries are kept, the next new key empties the memo first, so that memory stays bounded
    over any number of texts (numbers, codes and addresses are words too)."""

    __slots__ = ("function", "limit")

    def __init__(self, function: Callable[[K], V], limit: int = 200_000) -> None:
        super().__init__()
        self.function = function
        self.limit = limit

    def __missing__(self, key: K) -> V:
        value = self.function(key)
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
