"""Structured JSON logs: every line carries the request id bound by the middleware."""

import atexit
import collections
import contextlib
import datetime as dt
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

# What every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _fallback(value: Any) -> Any:
    # As structlog's JSONRenderer: an object's __structlog__(), else its repr.
    method = getattr(value, "__structlog__", None)
    return method() if callable(method) else repr(value)


CAUSE = "The above exception was the direct cause of the following exception:"
CONTEXT = "During handling of the above exception, another exception occurred:"


def redacted_traceback(exc: BaseException) -> str:
    """The traceback of `exc` and of the exceptions it was raised from, without their
    messages: a message can carry the values of a query or a form (PHI), the frames and
    types say where and what failed."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, CONTEXT
        else:
            current = None
    parts: list[str] = []
    for error, link_to_next in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        kind = type(error)
        name = kind.__qualname__
        if kind.__module__ != "builtins":
            name = f"{kind.__module__}.{name}"
        parts.append(f"Traceback (most recent call last):\n{frames}{name}: (message withheld)")
        if link_to_next:
            parts.append(link_to_next)
    return "\n\n".join(parts)


def format_exc_info_redacted(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog's format_exc_info, with the messages withheld (redacted_traceback)."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[1] is not None:
        event_dict["exception"] = redacted_traceback(exc_info[1])
    return event_dict


class JSONFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's ProcessorFormatter, with a direct path for plain stdlib records.

    A record from the standard library's `logging` without a traceback (every access
    line is one) gets exactly the keys the processor chain below gives it, built in one
    step and encoded with orjson (the chain's cost: docs/performance.md). Others
    (structlog's own records, tracebacks, stack info) take the chain.
    """

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.stack_info or hasattr(record, "_logger"):
            return super().format(record)
        event: dict[str, Any] = {"event": record.getMessage()}
        for key, value in structlog.contextvars.get_contextvars().items():
            event.setdefault(key, value)
        timestamp = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        event["timestamp"] = timestamp.isoformat().replace("+00:00", "Z")
        event["level"] = record.levelname.lower()
        event["logger"] = record.name
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                event[key] = value
        return orjson.dumps(event, default=_fallback).decode()


def json_formatter() -> logging.Formatter:
    """Formatter for the stdlib handlers: one JSON object per line."""
    return JSONFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            format_exc_info_redacted,
            structlog.processors.JSONRenderer(),
        ],
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
        ],
    )


structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


class QueuedStreamHandler(logging.Handler):
    """A stream handler whose callers never wait for the stream or for each other.

    The calling thread formats its line (so the line carries that thread's request
    context) and appends it to a queue; one writer thread per process writes whatever
    has queued every FLUSH_SECONDS, in one write. With a StreamHandler, every request
    thread took the handler's lock and made a write call for its access line, a convoy
    under gunicorn's threads; waking a writer per line (the standard library's
    QueueHandler and QueueListener) costs more CPU per line than batching, and one write
    per line (docs/performance.md). Warnings and errors are written at once, by
    the caller: they must be out before a crash can lose them. Queued lines are written
    at exit too; a killed process loses at most the lines of its last FLUSH_SECONDS.
    """

    terminator = "\n"
    FLUSH_SECONDS = 0.05

    def __init__(self, stream: Any = None) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stdout
        # deque.append and popleft are atomic: callers and the writer need no lock.
        self._lines: collections.deque[str] = collections.deque()
        self._writer: threading.Thread | None = None
        self._pid: int | None = None
        atexit.register(self.close)

    # Python 3.12's Handler.handle returns the record; 3.11's typeshed still says bool.
    def handle(self, record: logging.LogRecord) -> logging.LogRecord | bool:  # type: ignore[override]
        if not self.filter(record):
            return False
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return record
        if record.levelno >= logging.WARNING:
            self.flush()  # what was queued before it comes first
            self._write([line])
        else:
            self._ensure_writer()
            self._lines.append(line)
        return record

    def emit(self, record: logging.LogRecord) -> None:  # handle() does the work
        self.handle(record)

    def _ensure_writer(self) -> None:
        if self._pid == os.getpid() and self._writer is not None:
            return
        with self.lock:  # type: ignore[union-attr]
            if self._pid != os.getpid():
                # Started in the process that logs: the thread does not survive a fork,
                # and a forked child's copy of the queue holds lines its parent writes.
                self._lines = collections.deque()
                self._pid = os.getpid()
                self._writer = threading.Thread(target=self._run, name="log-writer", daemon=True)
                self._writer.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.FLUSH_SECONDS)
            self.flush()

    def flush(self) -> None:
        """Write every line queued so far, in order."""
        if not self._lines:
            return
        with self.lock:  # type: ignore[union-attr]
            lines = []
            with contextlib.suppress(IndexError):
                while True:
                    lines.append(self._lines.popleft())
            if lines:
                self._write(lines)

    def _write(self, lines: list[str]) -> None:
        with self.lock:  # type: ignore[union-attr]
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except Exception:  # as logging does: a broken stream never fails the caller
                sys.stderr.write("log write failed\n")

    def close(self) -> None:
        self.flush()
        super().close()
