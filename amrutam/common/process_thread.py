"""A daemon thread of the current process, started when first needed.

gunicorn imports the application, then forks its workers: a thread started at import
would run in the master only, and a fork copies no threads (and every lock in whatever
state another thread held it). So background work (the audit sealer, the outbox relay)
starts its thread lazily, in the process that has work for it, and a forked child starts
its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


class ProcessThread:
    """One daemon thread running `target(stop)` in this process, until `stop` is set."""

    def __init__(self, name: str, target: Callable[[threading.Event], None]) -> None:
        self.name = name
        self.target = target
        self.reset()

    def reset(self) -> None:
        """Forget the thread (after a fork: the child has none)."""
        self._start = threading.Lock()
        self.thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pid: int | None = None

    def running(self) -> bool:
        # The pid check also covers a fork that skips os.register_at_fork's hooks.
        return self._pid == os.getpid() and self.thread is not None and self.thread.is_alive()

    def ensure_started(self) -> None:
        if self.running():
            return
        with self._start:
            if not self.running():
                self._pid = os.getpid()
                self._stop = threading.Event()
                self.thread = threading.Thread(
                    target=self.target, args=(self._stop,), name=self.name, daemon=True
                )
                self.thread.start()

    def stop(self, timeout: float, *, wake: Callable[[], None]) -> None:
        """Ask the thread to finish (`wake` lets it see the request) and wait for it."""
        with self._start:
            thread = self.thread
            if thread is None or not self.running():
                return
            self._stop.set()
            wake()
        thread.join(timeout)
