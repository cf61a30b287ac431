"""Rate limits of the authentication endpoints: django-ratelimit counters on the shared cache.

Limits are fixed windows (django-ratelimit's); a refused request gets 429 with the
seconds left in the window as Retry-After. The rates come from settings.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled

from amrutam.common.exceptions import ServiceUnavailable
from amrutam.common.metrics import RATE_LIMITED
from amrutam.common.middleware import client_ip

logger = logging.getLogger("amrutam.ratelimit")

MESSAGE = "Too many requests. Try again later."


@dataclass(frozen=True)
class Limit:
    group: str
    value: str
    rate: str
    # Whether the request goes ahead when the counter store is down: brute-force
    # protection of passwords fails closed (503), the coarser limits fail open.
    fail_open: bool = False


def ip_of(request: Any) -> str:
    """The client address as a rate-limit key; IPv6 clients count per /64 network."""
    raw = getattr(request, "client_ip", None) or client_ip(request)
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def login_limits(request: Any, email: str) -> list[Limit]:
    return [
        Limit("auth.login.email", email.strip().lower(), settings.RATELIMIT_LOGIN_PER_EMAIL),
        Limit("auth.login.ip", ip_of(request), settings.RATELIMIT_LOGIN_PER_IP),
    ]


def admin_login_limits(request: Any, email: str) -> list[Limit]:
    # The email's allowance is the API login's: guesses cannot be split between the
    # API and the back office to get twice as many.
    return [
        Limit("auth.login.email", email.strip().lower(), settings.RATELIMIT_LOGIN_PER_EMAIL),
        Limit("admin.login.ip", ip_of(request), settings.RATELIMIT_ADMIN_LOGIN_PER_IP),
    ]


def password_limits(request: Any, user_id: Any) -> list[Limit]:
    # Guessing the current password with a stolen access token is throttled like login.
    return [Limit("auth.password.user", str(user_id), settings.RATELIMIT_LOGIN_PER_EMAIL)]


def register_limit(request: Any) -> Limit:
    return Limit(
        "auth.register.ip", ip_of(request), settings.RATELIMIT_REGISTER_PER_IP, fail_open=True
    )


def refresh_limit(request: Any) -> Limit:
    return Limit(
        "auth.refresh.ip", ip_of(request), settings.RATELIMIT_REFRESH_PER_IP, fail_open=True
    )


def _usage(request: Any, limit: Limit, *, increment: bool) -> dict[str, Any] | None:
    try:
        usage = get_usage(
            request,
            group=limit.group,
            key=lambda _group, _request: limit.value,
            rate=limit.rate,
            increment=increment,
        )
    except Exception:  # the counter store is down
        logger.warning("ratelimit_store_unavailable", extra={"group": limit.group}, exc_info=True)
        _store_down(limit)
        return None
    if usage is not None and usage["limit"] == 0 and usage["time_left"] == -1:
        # django-ratelimit's own answer when the cache returned no count.
        logger.warning("ratelimit_store_unavailable", extra={"group": limit.group})
        _store_down(limit)
        return None
    return usage


def _store_down(limit: Limit) -> None:
    if limit.fail_open:
        return None
    raise ServiceUnavailable()


def _refuse(limit: Limit, usage: dict[str, Any]) -> None:
    RATE_LIMITED.labels(limit=limit.group).inc()
    logger.info("rate_limited", extra={"group": limit.group})
    raise Throttled(wait=max(1, int(usage["time_left"])), detail=MESSAGE)


def limit_attempts(request: Any, limit: Limit) -> None:
    """Count this attempt; raise Throttled (429) once the window's allowance is spent."""
    usage = _usage(request, limit, increment=True)
    if usage is not None and usage["should_limit"]:
        _refuse(limit, usage)


def check_failures(request: Any, limits: list[Limit]) -> None:
    """Raise Throttled (429) if any limit's failures already reached its allowance."""
    for limit in limits:
        usage = _usage(request, limit, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            _refuse(limit, usage)


def count_failure(request: Any, limits: list[Limit]) -> None:
    """Record one failure against each limit."""
    for limit in limits:
        _usage(request, limit, increment=True)
