"""A dependency (PostgreSQL, Redis, the encryption keys) failing: 503 `service_unavailable`."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError

from amrutam.common.contract.envelope import error_body
from amrutam.common.exceptions import ServiceUnavailable
from amrutam.common.fields import EncryptionError
from amrutam.common.keycheck import cached_check

logger = logging.getLogger("amrutam.api")


def unavailable_dependency(exc: BaseException) -> str | None:
    """The dependency `exc` says is down or timed out ("database", "cache", "encryption"),
    else None.

    Connection failures, a server restarting, statement and lock timeouts: the request
    may succeed if retried, so the client gets 503 `service_unavailable`, not a 500.
    """
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return "database"
    if isinstance(exc, EncryptionError):
        # Stored PHI that no configured key decrypts: a deployment fault (a wrong or
        # missing key), not the client's, and gone once the right key is configured.
        return "encryption"
    if isinstance(exc, (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError)):
        return "cache"
    return None


def service_unavailable_body(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    """The 503 envelope for a dependency failure, logged without internals."""
    dependency = unavailable_dependency(exc)
    logger.warning(
        "dependency_unavailable",
        extra={"dependency": dependency, "exc_type": type(exc).__name__},
    )
    if dependency == "encryption":
        # /ready re-checks the keys on its next call instead of serving a cached UP.
        cached_check.forget()
    return error_body(
        status=503,
        code=ServiceUnavailable.code,
        message=ServiceUnavailable.message,
        request_id=request_id,
    )
