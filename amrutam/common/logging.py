"""Structured JSON logs: every line carries the request id bound by the middleware."""

import datetime as dt
import logging
from typing import Any

import orjson
import structlog

# What every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _fallback(value: Any) -> Any:
    # As structlog's JSONRenderer: an object's __structlog__(), else its repr.
    method = getattr(value, "__structlog__", None)
    return method() if callable(method) else repr(value)


class JSONFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's ProcessorFormatter, with a direct path for plain stdlib records.

    A record from the standard library's `logging` without a traceback (every access
    line is one) gets exactly the keys the processor chain below gives it, built in one
    step and encoded with orjson: the chain costs as much as a cached API answer. Others
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
            structlog.processors.format_exc_info,
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
