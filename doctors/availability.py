"""The availability read: a doctor's bookable slots in a window, cached as response bytes.

Each cached entry is the encoded response body, keyed by doctor, start date and days,
stored with the doctor's cache version it was computed under (the version is bumped
when any slot change of the doctor commits) and the instant it stops being true: the
start of the earliest slot it lists (that slot is no longer bookable then) and, for the
default window, the doctor's next local midnight (the default start date moves then).
The version and the entry are fetched in one cache round trip; an entry under another
version than the current one is a miss. A hit costs that round trip and no query.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.settings import api_settings

from amrutam.common.contract.envelope import success_body
from amrutam.common.replica import PRIMARY, replica_reads

from .cache import availability_version, version_key
from .models import AvailabilitySlot
from .scheduling import day_bounds_utc, today_in, zone
from .selectors import doctor_get_public, slot_list_bookable

logger = logging.getLogger("amrutam.cache")

CONTENT_TYPE = "application/json"


def _key(doctor_id: Any, start_date: dt.date | None, days: int) -> str:
    day = start_date.isoformat() if start_date else "today"
    return f"avail:body:{doctor_id}:{day}:{days}"


def _cached(doctor_id: Any, key: str, now: dt.datetime) -> tuple[int | None, bytes | None]:
    """The doctor's current version (None: cache down) and the entry's body if valid."""
    try:
        found = cache.get_many([version_key(doctor_id), key])
    except Exception:  # a lost Redis costs speed, never correctness
        logger.warning("availability_cache_read_failed", exc_info=True)
        return None, None
    version = found.get(version_key(doctor_id))
    if version is None:
        return availability_version(doctor_id), None
    entry = found.get(key)
    if not entry:
        return int(version), None
    try:
        entry_version, valid_until, body = entry
    except (TypeError, ValueError):  # an entry of another layout: recompute it
        return int(version), None
    if entry_version != int(version) or now.timestamp() >= valid_until:
        return int(version), None
    return int(version), body


def _store(
    key: str, body: bytes, *, version: int, valid_until: dt.datetime, now: dt.datetime
) -> None:
    seconds = min(settings.AVAILABILITY_CACHE_SECONDS, int((valid_until - now).total_seconds()))
    if seconds < 1:
        return
    try:
        cache.set(key, (version, valid_until.timestamp(), body), timeout=seconds)
    except Exception:
        logger.warning("availability_cache_write_failed", exc_info=True)


def _render(payload: dict[str, Any]) -> bytes:
    """Encode with the API's own renderer, so the bytes equal what a DRF Response sends."""
    renderer = api_settings.DEFAULT_RENDERER_CLASSES[0]()  # type: ignore[operator]  # a class
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
    # The version is read before the database: a change committing after this point
    # bumps it, so what is stored below, tagged with the version read here, is a miss
    # for every later reader.
    key = _key(doctor_id, start_date, days)
    version, body = _cached(doctor_id, key, now)
    if body is not None:
        return body

    with replica_reads() as alias:
        doctor = doctor_get_public(doctor_id=doctor_id, now=now)
        tz = zone(doctor.timezone)
        today = today_in(tz, now)
        window = day_bounds_utc(start_date or today, days, tz)
        slots: list[AvailabilitySlot] = list(
            slot_list_bookable(now=now)
            .filter(doctor=doctor, start_time__gte=window.start, start_time__lt=window.end)
            .order_by("start_time")
        )
    payload = success_body(
        {
            "doctorId": str(doctor.pk),
            "timezone": doctor.timezone,
            "slots": SlotOutputSerializer(slots, many=True).data,
        }
    )
    body = _render(payload)

    if version is not None:
        valid_until = now + dt.timedelta(seconds=settings.AVAILABILITY_CACHE_SECONDS)
        if slots:
            valid_until = min(valid_until, slots[0].start_time)
        if start_date is None:
            valid_until = min(valid_until, day_bounds_utc(today, 1, tz).end)
        if alias != PRIMARY:
            # The replica may not have replayed a booking whose version bump was read
            # above; such an entry must not outlive the lag the replica is allowed.
            valid_until = min(valid_until, now + dt.timedelta(seconds=settings.REPLICA_PIN_SECONDS))
        _store(key, body, version=version, valid_until=valid_until, now=now)
    return body
