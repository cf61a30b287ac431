"""The database side of `/ready`: a probe with a deadline of its own, and the key check.

A PostgreSQL that hangs without closing its connections (stopped, swapped out, its
disk frozen) answers no query, and the statement timeout, enforced by the server, never
fires. So the probe runs on one long-lived thread (with its own persistent connection)
and `/ready` waits for it at most READY_DB_TIMEOUT_SECONDS. While a probe is stuck,
later calls answer DOWN at once rather than queueing more threads behind it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from .keycheck import DatabaseUnavailable, KeyCheck, cached_check

logger = logging.getLogger("amrutam.ops")


@dataclass(frozen=True)
class DatabaseProbe:
    database: str  # "UP" or "DOWN"
    encryption: str  # "UP", "DOWN", or "UNKNOWN" when the database cannot tell
    problem: str | None = None


def _probe() -> DatabaseProbe:
    # A probe thread is no request: Django's per-request connection upkeep does not run
    # here, so drop a connection that failed or outlived CONN_MAX_AGE before using it.
    connection.close_if_unusable_or_obsolete()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means the dependency is down
        logger.warning("readiness_database_down", exc_info=True)
        connection.close_if_unusable_or_obsolete()
        return DatabaseProbe("DOWN", "UNKNOWN")
    try:
        keys: KeyCheck = cached_check.get()
    except DatabaseUnavailable:
        return DatabaseProbe("UP", "UNKNOWN")
    if not keys.ok:
        return DatabaseProbe("UP", "DOWN", keys.describe())
    return DatabaseProbe("UP", "UP")


class _Prober:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.executor: ThreadPoolExecutor | None = None
        self.pending: Future[DatabaseProbe] | None = None

    def probe(self, timeout: float) -> DatabaseProbe:
        with self.lock:
            if self.pending is not None and not self.pending.done():
                # The last probe is still waiting on the database: it is hanging.
                return DatabaseProbe("DOWN", "UNKNOWN", "The database did not answer in time.")
            if self.executor is None:
                self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ready-db")
            self.pending = future = self.executor.submit(_probe)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            logger.warning("readiness_database_timeout", extra={"timeout_s": timeout})
            return DatabaseProbe("DOWN", "UNKNOWN", "The database did not answer in time.")


_prober = _Prober()


def probe_database() -> DatabaseProbe:
    return _prober.probe(settings.READY_DB_TIMEOUT_SECONDS)


def close_probe_connection(timeout: float = 5.0) -> None:
    """Close the probe thread's database connection (before a test database is dropped)."""
    from django.db import connections

    with _prober.lock:
        executor = _prober.executor
    if executor is not None:
        executor.submit(connections.close_all).result(timeout=timeout)
