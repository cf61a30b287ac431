"""Reads that tolerate a little lag go to the read replica; everything else to the primary.

Only the selectors marked `replica_ok` (or code inside `replica_reads()`) may read from
the replica: the doctor directory, availability on a cache miss, analytics and the audit
search. Every other read, every write, every row lock and every access-log entry uses
the primary (`default`), so the non-negotiables (no double booking, no lost writes, every
PHI read logged) never depend on a copy that may be behind.

A read that would otherwise go to the replica goes to the primary instead when:

- no replica is configured (`READ_REPLICA` is None: DATABASE_REPLICA_URL unset);
- it runs inside a transaction of the primary, where it must see that transaction's
  own writes and locks;
- the request is itself a write (any method but GET, HEAD, OPTIONS, TRACE);
- its user wrote less than REPLICA_PIN_SECONDS ago (a pin in the shared cache, set after
  each of their writes, so they read their own writes whichever worker answers), or the
  cache cannot say (Redis down: the primary is always right);
- the replica failed to connect less than REPLICA_DOWN_SECONDS ago (a circuit breaker
  per process, so one dead replica costs one failed connection attempt, not one per read).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("amrutam.db")

PRIMARY = DEFAULT_DB_ALIAS
# The alias settings give the replica (READ_REPLICA names it when routing is on).
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PIN_KEY = "replica-pin:{user_id}"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _RequestState:
    request: HttpRequest
    # A write request reads from the primary throughout, before and after its writes.
    writing: bool
    # Whether the user is pinned, looked up once per request.
    pinned: bool | None = None


_request: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar(
    "replica_request", default=None
)
# The alias chosen by the innermost `replica_reads()` block, read by the router.
_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "replica_read_alias", default=None
)


class _Breaker:
    """When the replica last failed to connect, as this process saw it."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.down_until

    def trip(self) -> None:
        with self._lock:
            self.down_until = time.monotonic() + float(settings.REPLICA_DOWN_SECONDS)

    def reset(self) -> None:
        with self._lock:
            self.down_until = 0.0


breaker = _Breaker()


def replica_alias() -> str | None:
    """The configured replica's alias, or None when every read goes to the primary."""
    alias: str | None = getattr(settings, "READ_REPLICA", None)
    return alias or None


def _user_id(request: HttpRequest) -> Any:
    # The API's JWT is authenticated inside the view, after the middleware ran; DRF then
    # sets `user` on this same request object, so it is read only when a read is routed.
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def _pinned(state: _RequestState) -> bool:
    if state.writing:
        return True
    if state.pinned is None:
        user_id = _user_id(state.request)
        if user_id is None:
            return False  # anonymous reads have no writes of their own to see
        try:
            state.pinned = cache.get(PIN_KEY.format(user_id=user_id)) is not None
        except Exception:
            # Without the cache the pin cannot be read: only the primary is surely current.
            logger.warning("replica_pin_read_failed", exc_info=True)
            state.pinned = True
    return state.pinned


def user_pin(user_id: Any) -> None:
    """Send `user_id`'s replica-tolerant reads to the primary for REPLICA_PIN_SECONDS."""
    if replica_alias() is None or user_id is None:
        return
    try:
        cache.set(PIN_KEY.format(user_id=user_id), 1, timeout=settings.REPLICA_PIN_SECONDS)
    except Exception:
        # A pin that could not be stored cannot be read either: reads then find no cache
        # and go to the primary (see `_pinned`).
        logger.warning("replica_pin_write_failed", exc_info=True)


def _replica_reachable(alias: str) -> bool:
    conn = connections[alias]
    try:
        # A kept connection is checked once per request (CONN_HEALTH_CHECKS, inherited
        # from the primary's settings); a closed one is opened here, so a replica that
        # is down is found before a query is sent to it.
        conn.close_if_health_check_failed()
        conn.ensure_connection()
    except DatabaseError:
        logger.warning("replica_unavailable", extra={"alias": alias})
        breaker.trip()
        try:
            conn.close()
        except DatabaseError:
            pass
        return False
    return True


def read_alias() -> str:
    """Where a read that tolerates a little lag should go now: the replica or the primary."""
    alias = replica_alias()
    if alias is None:
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY
    state = _request.get()
    if state is not None and _pinned(state):
        return PRIMARY
    if breaker.is_open():
        return PRIMARY
    if not _replica_reachable(alias):
        return PRIMARY
    return alias


@contextmanager
def replica_reads() -> Iterator[str]:
    """Run a block of lag-tolerant reads on the alias `read_alias()` picks; yields it."""
    alias = read_alias()
    token = _read_alias.set(alias)
    try:
        yield alias
    finally:
        _read_alias.reset(token)


def replica_ok(func: Callable[P, R]) -> Callable[P, R]:
    """Mark a selector whose reads tolerate a little lag.

    Queries it runs go where `read_alias()` says; a QuerySet it returns (evaluated later,
    by pagination and serializers) is bound to that same alias.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads() as alias:
            result = func(*args, **kwargs)
        if isinstance(result, QuerySet):
            return result.using(alias)
        return result

    return wrapper


class ReplicaRouter:
    """Reads inside `replica_reads()` go to its alias; everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if connections[PRIMARY].in_atomic_block:
            # A transaction reads what it has written and locked, also through objects
            # that were read from the replica before it began.
            return PRIMARY
        # Outside a block None lets Django follow an instance's own database (related
        # objects of rows read from the replica), else the primary.
        return _read_alias.get()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the replica holds the primary's very rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A standby is read-only and receives the schema by replication.
        return False if db == REPLICA else None


class ReplicaPinMiddleware:
    """Routes a write request's reads to the primary, and pins its user there afterwards."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if replica_alias() is None:
            return self.get_response(request)
        writing = request.method not in SAFE_METHODS
        token = _request.set(_RequestState(request=request, writing=writing))
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if writing:
            # Whatever the status: a refused write may still have written (a failed
            # code counted, an audit entry), and pinning too often only costs a little
            # load on the primary.
            user_pin(_user_id(request))
        return response
