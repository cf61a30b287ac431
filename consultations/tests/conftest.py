"""Fixtures of the consultation tests: slots at given times, booking calls, Redis outage."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.utils import timezone

BOOKINGS_URL = "/api/v1/consultations/bookings"
_keys = itertools.count()


def new_key() -> str:
    return f"key-{next(_keys)}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=["statement", "orm"])
def booking_path(request, settings) -> str:
    """Run the test on both booking paths: the one statement of PostgreSQL and the ORM
    path (the embedded default's, and the fallback of every case the statement leaves)."""
    settings.BOOKING_SINGLE_STATEMENT = request.param == "statement"
    return str(request.param)


@pytest.fixture
def slot_at(doctor) -> Callable[..., Any]:
    """A slot of `doctor` (or `doctor=`) starting `minutes` from now (negative: in the past)."""
    from doctors.tests.factories import SlotFactory

    def make(minutes: float, **kwargs: Any) -> Any:
        start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=minutes)
        kwargs.setdefault("doctor", doctor)
        return SlotFactory(start_time=start, end_time=start + dt.timedelta(minutes=30), **kwargs)

    return make


@pytest.fixture
def book(client_for) -> Callable[..., Any]:
    """POST a booking as `user` with `key` (a fresh one by default)."""

    def call(user: Any, slot: Any, *, key: str | None = None, **body: Any) -> Any:
        payload = {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk), **body}
        headers = {} if key == "" else {"HTTP_IDEMPOTENCY_KEY": key or new_key()}
        return client_for(user).post(BOOKINGS_URL, payload, format="json", **headers)

    return call


@pytest.fixture
def redis_down(settings) -> Iterator[None]:
    """Point the cache at a closed port: every Redis call fails at once."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    caches._settings = caches.settings = settings.CACHES  # type: ignore[attr-defined]
    try:
        del caches._connections.default  # type: ignore[attr-defined]
    except AttributeError:
        pass
    yield


@pytest.fixture
def phi_reads(monkeypatch) -> list[dict[str, Any]]:
    """Every access-log write made through the consultation selectors, in order."""
    from consultations import selectors

    calls: list[dict[str, Any]] = []
    real = selectors.phi_access_record

    def spy(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(selectors, "phi_access_record", spy)
    return calls
