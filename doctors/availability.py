"""The availability read: a doctor's bookable slots in a window, cached as response bytes.

Each cached entry is the encoded response body, keyed by doctor, the doctor's cache
version (bumped when any slot change commits), start date and days. An entry also
carries the instant it stops being true: the start of the earliest slot it lists (that
slot is no longer bookable then) and, for the default window, the doctor's next local
midnight (the default start date moves then). A hit costs two cache reads and no query.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.settings import api_settings

from .cache import availability_version
from .models import AvailabilitySlot
from .scheduling import day_bounds_utc, today_in, zone
from .selectors import bookable_slots, doctor_get_public

logger = logging.getLogger("amrutam.cache")

CONTENT_TYPE = "application/json"


def _key(doctor_id: Any, version: int, start_date: dt.date | None, days: int) -> str:
    day = start_date.isoformat() if start_date else "today"
    return f"avail:body:{doctor_id}:{version}:{day}:{days}"


def _cached(key: str, now: dt.datetime) -> bytes | None:
    try:
        entry = cache.get(key)
    except Exception:  # a lost Redis costs speed, never correctness
        logger.warning("availability_cache_read_failed", exc_info=True)
        return None
    if not entry:
        return None
    valid_until, body = entry
    return body if now.timestamp() < valid_until else None


def _store(key: str, body: bytes, *, valid_until: dt.datetime, now: dt.datetime) -> None:
    seconds = min(settings.AVAILABILITY_CACHE_SECONDS, int((valid_until - now).total_seconds()))
    if seconds < 1:
        return
    try:
        cache.set(key, (valid_until.timestamp(), body), timeout=seconds)
    except Exception:
        logger.warning("availability_cache_write_failed", exc_info=True)


def _render(payload: dict[str, Any]) -> bytes:
    """Encode with the API's own renderer, so the bytes equal what a DRF Response sends."""
    renderer = api_settings.DEFAULT_RENDERER_CLASSES[0]()
    return renderer.render(payload, CONTENT_TYPE, {})


def availability_body(
    *, doctor_id: Any, start_date: dt.date | None, days: int, now: dt.datetime | None = None
) -> bytes:
    """The encoded success envelope of the doctor's bookable slots in the window.

    `start_date` None means today in the doctor's zone. Raise NotFound for an unknown,
    unverified or deactivated doctor.
    """
    from .serializers import SlotOutputSerializer

    now = now or timezone.now()
    # Read the version before the database: a change committing after this point bumps
    # it, so what is stored below lands under a key no later reader uses.
    version = availability_version(doctor_id)
    key = _key(doctor_id, version, start_date, days) if version is not None else None
    if key is not None:
        body = _cached(key, now)
        if body is not None:
            return body

    doctor = doctor_get_public(doctor_id=doctor_id, now=now)
    tz = zone(doctor.timezone)
    today = today_in(tz, now)
    window = day_bounds_utc(start_date or today, days, tz)
    slots: list[AvailabilitySlot] = list(
        bookable_slots(now=now)
        .filter(doctor=doctor, start_time__gte=window.start, start_time__lt=window.end)
        .order_by("start_time")
    )
    payload = {
        "status": "success",
        "data": {
            "doctorId": str(doctor.pk),
            "timezone": doctor.timezone,
            "slots": SlotOutputSerializer(slots, many=True).data,
        },
    }
    body = _render(payload)

    if key is not None:
        valid_until = now + dt.timedelta(seconds=settings.AVAILABILITY_CACHE_SECONDS)
        if slots:
            valid_until = min(valid_until, slots[0].start_time)
        if start_date is None:
            valid_until = min(valid_until, day_bounds_utc(today, 1, tz).end)
        _store(key, body, valid_until=valid_until, now=now)
    return body
