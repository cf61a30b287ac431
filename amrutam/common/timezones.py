"""The clinic's time zone, in which the back office shows every date and time."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils import timezone


@functools.cache
def clinic_zone() -> ZoneInfo:
    """`CLINIC_TIME_ZONE` as a zone; ImproperlyConfigured when it names none."""
    name = settings.CLINIC_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"CLINIC_TIME_ZONE={name!r} is not a time zone name (e.g. Asia/Kolkata)."
        ) from exc


def _forget(*, setting: str, **kwargs: object) -> None:
    if setting == "CLINIC_TIME_ZONE":
        clinic_zone.cache_clear()


setting_changed.connect(_forget, dispatch_uid="amrutam_clinic_zone_forget")


def clinic_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), clinic_zone()).date()


def clinic_midnight(day: dt.date) -> dt.datetime:
    """The instant the clinic's `day` begins (aware, in the clinic's zone)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clinic_zone())


def doctor_zone(name: str) -> ZoneInfo:
    """A doctor's own zone, or the clinic's when the stored name is not a zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return clinic_zone()
