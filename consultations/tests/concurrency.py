"""Run callables in threads released together, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections


def race(jobs: list[Callable[[], Any]], *, prepare: Callable[[], None] | None = None) -> list[Any]:
    """Start every job at the same instant; return each result (or the exception raised).

    Each thread opens its database connection before the barrier, so the race is on
    locks and constraints, not on connection set-up; it closes it at the end.
    """
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()
            if prepare is not None:
                prepare()
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # reported to the test, which asserts on it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing request hung"
    return results
