"""Idempotency-Key for POST writes (IETF draft "The Idempotency-Key HTTP Header Field").

A keyed request goes through these steps:

1. The view validates the key and the body; the fingerprint is SHA-256 of the method,
   the path and the canonical JSON body (sorted keys, no whitespace).
2. An in-flight lock per user and key: a concurrent duplicate gets 409
   `idempotency_key_in_progress` at once instead of queueing. On PostgreSQL it is a
   transaction-level advisory lock (`pg_try_advisory_xact_lock`) held until the
   request's transaction ends, so it needs no other service and survives a lost Redis;
   the one-statement booking takes the same lock. Elsewhere it is a short cache lock
   (SET NX PX), skipped when the cache is down: step 4 still keeps the write exactly-once.
3. A stored record of the key: the same fingerprint and endpoint within
   IDEMPOTENCY_WINDOW_HOURS is answered with the stored status and bytes (and
   `Idempotent-Replayed: true`); anything else is 422 `idempotency_key_reused`. A record
   past the window is replaced.
4. The operation and the insert of its record run in one transaction, so a booking and
   its record commit or vanish together. 4xx outcomes are stored as well (a retry gets
   the same answer); 5xx never are, so a retry can succeed.

Without the in-flight lock two requests with one key may both run. The unique (user, key)
index decides: PostgreSQL makes the second insert wait for the first transaction, then
fail; the loser rolls back everything it did (its booking included) and answers the
winner's stored response as a replay. Only if that record is gone by then (the winner
rolled back or the record was purged) does it answer 409 `idempotency_key_in_progress`,
which the client retries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone

from amrutam.common.contract.envelope import error_body, request_id_of, success_body
from amrutam.common.exceptions import ApplicationError
from amrutam.common.metrics import IDEMPOTENT_REPLAYS
from amrutam.common.typing import Actor

from .errors import IdempotencyKeyInProgress, IdempotencyKeyRequired, IdempotencyKeyReused
from .integrity import is_violation_of
from .models import IdempotencyRecord
from .selectors import idempotency_record_list_older_than

logger = logging.getLogger("amrutam.idempotency")

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_CONSTRAINT = "idempotency_user_key_unique"
# First key of the two-key advisory lock on a user's Idempotency-Key ("idmp"; the second
# is hashtext of "<user id>:<key>"). Shared with the one-statement booking.
KEY_LOCK = 0x69646D70

# Compare-and-delete: release the lock only if it is still this request's (it may have
# expired and been taken by another request meanwhile).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


@dataclass(frozen=True)
class Outcome:
    """What an operation answers: the status and the envelope's `data`."""

    status: int
    data: dict[str, Any]


@dataclass(frozen=True)
class KeyedRequest:
    user: Actor
    key: str
    endpoint: str
    fingerprint: str
    request_id: str | None


def idempotency_key(request: Any) -> str:
    """The request's Idempotency-Key. Raise IdempotencyKeyRequired if absent or too long."""
    key = request.headers.get(KEY_HEADER, "").strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise IdempotencyKeyRequired()
    return key


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """SHA-256 of method, path and canonical JSON body: equal for equal bodies in any key order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    material = "\n".join((method.upper(), path, canonical)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(material).hexdigest()


def keyed_request(request: Any, *, key: str) -> KeyedRequest:
    """Describe a validated keyed request; `request.data` must already be validated."""
    return KeyedRequest(
        user=request.user,
        key=key,
        endpoint=f"{request.method} {request.path}",
        fingerprint=request_fingerprint(
            method=request.method, path=request.path, body=request.data
        ),
        request_id=request_id_of(request),
    )


def _hold_key_lock(call: KeyedRequest) -> None:
    """In the current transaction, take the key's advisory lock (PostgreSQL) or raise
    IdempotencyKeyInProgress when another transaction holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s::text || ':' || %s))",
            [KEY_LOCK, call.user.pk, call.key],
        )
        (held,) = cursor.fetchone()
    if not held:
        raise IdempotencyKeyInProgress()


class InFlightLock:
    """A short cache lock on one user's key while its first request runs (databases
    without advisory locks)."""

    def __init__(self, *, user_id: Any, key: str) -> None:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        self.name = f"idem:lock:{user_id}:{digest}"
        self.token = secrets.token_hex(16)
        self.held = False

    @staticmethod
    def _redis() -> Any:
        """The raw Redis client behind the cache, or None for another cache backend."""
        client: Any = getattr(cache, "client", None)
        return client.get_client(write=True) if hasattr(client, "get_client") else None

    def acquire(self) -> bool:
        """True when the request may go on: the lock is now ours, or Redis is unreachable."""
        seconds = settings.IDEMPOTENCY_LOCK_SECONDS
        try:
            redis = self._redis()
            if redis is not None:
                key = str(cache.make_key(self.name))
                self.held = bool(redis.set(key, self.token, nx=True, px=seconds * 1000))
            else:
                self.held = cache.add(self.name, self.token, timeout=seconds)
        except Exception:  # a lost Redis loses the fast path, never correctness
            logger.warning("idempotency_lock_unavailable", exc_info=True)
            return True
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        try:
            redis = self._redis()
            if redis is not None:
                redis.eval(_RELEASE, 1, str(cache.make_key(self.name)), self.token)
            elif cache.get(self.name) == self.token:
                cache.delete(self.name)
        except Exception:  # the lock expires on its own
            logger.warning("idempotency_lock_release_failed", exc_info=True)
        self.held = False


def render_success(data: dict[str, Any], request_id: str | None) -> bytes:
    # Rendered once: these bytes are both sent and stored, so a replay is identical.
    return orjson.dumps(success_body(data, requestId=request_id))


def render_error(exc: ApplicationError, request_id: str | None) -> bytes:
    body = error_body(
        status=exc.status_code,
        code=exc.code,
        message=exc.message,
        request_id=request_id,
        errors=exc.errors,
    )
    body.update(exc.extra)
    return orjson.dumps(body)


def _storable(exc: ApplicationError) -> bool:
    """Completed 4xx outcomes are kept; an in-progress refusal, a rate limit or a 5xx is not."""
    return (
        400 <= exc.status_code < 500
        and exc.status_code != 429
        and not isinstance(exc, IdempotencyKeyInProgress)
    )


def record_build(
    call: KeyedRequest, status: int, body: bytes, created_at: dt.datetime | None = None
) -> IdempotencyRecord:
    """The unsaved record of `call`'s answer (`created_at` None: set when saved)."""
    record = IdempotencyRecord(
        # The id, not the object: the caller's user may be a lazy one without its row.
        user_id=call.user.pk,
        key=call.key,
        endpoint=call.endpoint,
        fingerprint=call.fingerprint,
        response_status=status,
        response_body=body.decode("utf-8"),
    )
    if created_at is not None:
        record.created_at = created_at
    return record


def _json_response(body: bytes, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="application/json")


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_WINDOW_HOURS)


def _stored(call: KeyedRequest) -> IdempotencyRecord | None:
    # At most one row (unique user and key): a slice, not first(), which would add an
    # ORDER BY for the ORM to compile on every keyed request.
    found = IdempotencyRecord.objects.filter(user_id=call.user.pk, key=call.key)[:1]
    return next(iter(found), None)


def _replay(record: IdempotencyRecord, call: KeyedRequest) -> HttpResponse:
    """The stored answer, byte for byte; 422 if the key was used for another request."""
    if record.fingerprint != call.fingerprint or record.endpoint != call.endpoint:
        raise IdempotencyKeyReused()
    IDEMPOTENT_REPLAYS.inc()
    response = _json_response(record.response_body.encode("utf-8"), record.response_status)
    response[REPLAYED_HEADER] = "true"
    return response


def _execute(
    call: KeyedRequest, operation: Callable[[], Outcome], *, expired_id: int | None
) -> HttpResponse:
    try:
        with transaction.atomic():
            if expired_id is not None:
                # The key outlived its window: this request starts it afresh.
                IdempotencyRecord.objects.filter(pk=expired_id).delete()
            try:
                outcome = operation()
                status, body = outcome.status, render_success(outcome.data, call.request_id)
            except ApplicationError as exc:
                # The operation's own transaction (a savepoint here) has rolled back.
                if not _storable(exc):
                    raise
                status, body = exc.status_code, render_error(exc, call.request_id)
            record_build(call, status, body).save(force_insert=True)
    except IntegrityError as exc:
        if not is_violation_of(exc, KEY_CONSTRAINT):
            raise
        # A concurrent request with the same key committed first; this one's work
        # has been rolled back with the transaction. Answer what the winner answered.
        winner = _stored(call)
        if winner is None or winner.created_at < _window_start():
            raise IdempotencyKeyInProgress() from exc
        return _replay(winner, call)
    return _json_response(body, status)


def run_idempotent(*, call: KeyedRequest, operation: Callable[[], Outcome]) -> HttpResponse:
    """Answer a keyed request: replay, refuse (409 in progress, 422 reused) or run
    `operation` once and store its outcome with it, in one transaction."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            _hold_key_lock(call)
            return _answer(call, operation)
    lock = InFlightLock(user_id=call.user.pk, key=call.key)
    if not lock.acquire():
        raise IdempotencyKeyInProgress()
    try:
        return _answer(call, operation)
    finally:
        lock.release()


def _answer(call: KeyedRequest, operation: Callable[[], Outcome]) -> HttpResponse:
    record = _stored(call)
    if record is not None and record.created_at >= _window_start():
        return _replay(record, call)
    return _execute(call, operation, expired_id=record.pk if record else None)


def idempotency_records_purge(*, older_than: dt.datetime, batch_size: int = 5000) -> int:
    """Delete idempotency records created before `older_than`; return how many."""
    total = 0
    # Small batches keep each DELETE's locks and WAL short on a large table.
    while True:
        batch = list(
            idempotency_record_list_older_than(cutoff=older_than)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return total
        deleted, _ = IdempotencyRecord.objects.filter(pk__in=batch).delete()
        total += deleted
