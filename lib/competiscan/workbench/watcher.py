"""The inbox worker: passes of :meth:`Inbox.scan` every few seconds, in a daemon thread of an
app process or in the foreground of ``competiscan watch``.

A pass that fails as a whole (the inbox folder unreachable, the store down when the pass
starts) is logged and tried again at the next tick; a file that fails never ends the loop
(:mod:`.inbox` moves it to ``refused/``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable

from ..model import Actor

if TYPE_CHECKING:
    from .inbox import Inbox, InboxResult

__all__ = ["InboxWorker"]

log = logging.getLogger(__name__)

#: How long :meth:`InboxWorker.stop` waits for the file being imported.
STOP_TIMEOUT_SECONDS = 60.0


class InboxWorker:
    """Works ``inbox`` as ``actor`` every ``every`` seconds until stopped; ``on_pass`` gets
    each pass's results when there are any."""

    def __init__(self, inbox: "Inbox", actor: Actor, every: float,
                 on_pass: Callable[[list["InboxResult"]], None] | None = None) -> None:
        self._inbox = inbox
        self._actor = actor
        self._every = max(float(every), 0.1)
        self._on_pass = on_pass
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self, stop: threading.Event | None = None) -> None:
        """Pass after pass in the calling thread until ``stop`` (or :meth:`stop`) is set."""
        stop = stop or self._stop
        while not stop.is_set():
            self.tick()
            stop.wait(self._every)

    def tick(self) -> list["InboxResult"]:
        """One pass; its failure is logged, never raised (the next tick tries again)."""
        try:
            results = self._inbox.scan(self._actor)
        except Exception as exc:
            log.error("inbox pass failed: %s: %s", type(exc).__name__, exc)
            return []
        if results and self._on_pass is not None:
            try:
                self._on_pass(results)
            except Exception:
                log.exception("inbox: reporting a pass failed")
        return results

    def start(self) -> None:
        """Run in a daemon thread (the process may exit without stopping it; a claim it
        leaves is taken over by the next worker)."""
        self._thread = threading.Thread(target=self.run, name="competiscan-inbox-worker",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop after the current file and wait for the thread."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
