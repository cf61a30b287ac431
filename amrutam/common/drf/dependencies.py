"""A dependency (PostgreSQL, Redis) down or timed out: 503 `service_unavailable`."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError

from amrutam.common.contract.envelope import error_body
from amrutam.common.exceptions import ServiceUnavailable

logger = logging.getLogger("amrutam.api")


def unavailable_dependency(exc: BaseException) -> str | None:
    """The dependency `exc` says is down or timed out ("database", "cache"), else None.

    Connection failures, a server restarting, statement and lock timeouts: the request
    may succeed if retried, so the client gets 503 `service_unavailable`, not a 500.
    """
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return "database"
    if isinstance(exc, (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError)):
        return "cache"
    return None


def service_unavailable_body(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    """The 503 envelope for a dependency failure, logged without internals."""
    logger.warning(
        "dependency_unavailable",
        extra={"dependency": unavailable_dependency(exc), "exc_type": type(exc).__name__},
    )
    return error_body(
        status=503,
        code=ServiceUnavailable.code,
        message=ServiceUnavailable.message,
        request_id=request_id,
    )
