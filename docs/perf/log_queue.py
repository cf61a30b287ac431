"""Caller and process CPU per log line: QueuedStreamHandler vs QueueHandler + QueueListener.

    DJANGO_SETTINGS_MODULE=amrutam.settings .venv/bin/python docs/perf/log_queue.py

Eight threads log 5,000 access-like lines each through the production JSON formatter
into a stream that discards them; three rounds of each handler, alternating.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import queue
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django

django.setup()

from amrutam.common.logging import QueuedStreamHandler, json_formatter  # noqa: E402

THREADS, LINES = 8, 5000


class Sink(io.TextIOBase):
    def __init__(self) -> None:
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return len(text)


class Formatted(logging.Formatter):
    """The listener's side: QueueHandler already formatted the line in the caller."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def caller_cpu_per_line(handler: logging.Handler) -> float:
    logger = logging.getLogger(f"perf.{id(handler)}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    barrier = threading.Barrier(THREADS)
    spent: list[float] = []

    def work() -> None:
        barrier.wait()
        start = time.thread_time()
        for _ in range(LINES):
            logger.info("request", extra={"path": "/health", "status": 200})
        spent.append(time.thread_time() - start)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(spent) / (THREADS * LINES) * 1e6


def queued() -> tuple[float, float, int]:
    sink = Sink()
    handler = QueuedStreamHandler(sink)
    handler.setFormatter(json_formatter())
    start = time.process_time()
    caller = caller_cpu_per_line(handler)
    handler.flush()
    return caller, (time.process_time() - start) / (THREADS * LINES) * 1e6, sink.writes


def stdlib() -> tuple[float, float, int]:
    sink, lines = Sink(), queue.SimpleQueue()
    handler = logging.handlers.QueueHandler(lines)
    handler.setFormatter(json_formatter())
    stream = logging.StreamHandler(sink)
    stream.setFormatter(Formatted())
    listener = logging.handlers.QueueListener(lines, stream)
    listener.start()
    start = time.process_time()
    caller = caller_cpu_per_line(handler)
    listener.stop()
    return caller, (time.process_time() - start) / (THREADS * LINES) * 1e6, sink.writes


if __name__ == "__main__":
    for name, run in [("QueuedStreamHandler", queued), ("QueueHandler+QueueListener", stdlib)] * 3:
        caller, process, writes = run()
        print(f"{name:27s} caller {caller:5.1f} µs/line", end="  ")
        print(f"process {process:5.1f} µs/line  writes {writes}")
