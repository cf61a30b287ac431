"""The outbox relay of a process: committed events handed to the workers from one
background thread, many per broker message.

Publishing one Celery message per event, in the request that committed it, cost a
booking a broker round trip and the message's encoding. The relay takes the event ids
after the commit and, a few milliseconds later, publishes the ones collected meanwhile
as one `dispatch_events` message. An id the relay could not publish (broker down,
process ended first) is still a pending row: the periodic sweep hands it over.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Any

from amrutam.common.process_thread import ProcessThread

logger = logging.getLogger("amrutam.outbox")

# Commits of the next 250 ms join the same message: at a hundred bookings a second a
# process publishes one message for about twenty-five, and an email or webhook leaves
# 250 ms later at most.
COALESCE_SECONDS = 0.25
# Ids per message: a worker dispatches them one by one, so a message stays short.
BATCH_SIZE = 100
# At exit, how long the thread may take to publish what it holds.
DRAIN_SECONDS = 2.0


class Relay:
    def __init__(self, publish: Any) -> None:
        self._publish = publish
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._wake = threading.Event()
        self._thread = ProcessThread("outbox-relay", self._run)

    def add(self, event_id: Any) -> None:
        """Queue a committed event for the next message. Never raises."""
        with self._lock:
            self._ids.append(str(event_id))
        self._thread.ensure_started()
        self._wake.set()

    def stop(self, timeout: float = DRAIN_SECONDS) -> None:
        """Publish what is queued and end the thread (at exit, and after a test)."""
        self._thread.stop(timeout, wake=self._wake.set)

    def _take(self) -> list[str]:
        with self._lock:
            taken, self._ids = self._ids[:BATCH_SIZE], self._ids[BATCH_SIZE:]
            if self._ids:
                self._wake.set()
            return taken

    def _run(self, stop: threading.Event) -> None:
        while True:
            self._wake.wait()
            stop.wait(COALESCE_SECONDS)
            self._wake.clear()
            while ids := self._take():
                try:
                    self._publish(ids)
                except Exception:  # the rows stay pending for the sweep
                    logger.exception("outbox_relay_publish_failed")
            if stop.is_set():
                return


def _publish(ids: list[str]) -> None:
    from .outbox import publish_batch

    publish_batch(ids)


relay = Relay(_publish)
# Daemon threads are killed at exit, after atexit's callbacks have run.
atexit.register(relay.stop)

if hasattr(os, "register_at_fork"):
    # A fork copies the lock in whatever state the parent's thread held it.
    os.register_at_fork(after_in_child=relay._reset)
