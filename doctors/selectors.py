"""Reads of the doctors app: the public directory, one doctor, a doctor's own slots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from amrutam.common.drf.filtering import filtered
from amrutam.common.exceptions import NotFound
from amrutam.common.replica import replica_ok
from amrutam.common.typing import Actor

from .filters import DoctorDirectoryFilter
from .models import AvailabilitySlot, DoctorProfile, ScheduleRule, SlotStatus
from .scheduling import day_bounds_utc, today_in, zone

ORDERINGS: dict[str, tuple[Any, ...]] = {
    "fee": ("consultation_fee", "user__name", "id"),
    "-fee": ("-consultation_fee", "user__name", "id"),
    "experience": ("experience_years", "user__name", "id"),
    "-experience": ("-experience_years", "user__name", "id"),
    "name": ("user__name", "id"),
    "nextAvailable": (F("next_available_slot").asc(nulls_last=True), "user__name", "id"),
}
DEFAULT_ORDERING = "name"


@dataclass(frozen=True)
class DirectoryFilters:
    specialization: str | None = None
    language: str | None = None
    q: str | None = None
    min_fee: Decimal | None = None
    max_fee: Decimal | None = None
    available_on: dt.date | None = None
    ordering: str = DEFAULT_ORDERING


def slot_list_bookable(*, now: dt.datetime) -> QuerySet[AvailabilitySlot]:
    """Slots a patient could book at `now`: free and not yet started."""
    return AvailabilitySlot.objects.filter(status=SlotStatus.AVAILABLE, start_time__gt=now)


def _with_next_slot(*, now: dt.datetime) -> QuerySet[DoctorProfile]:
    """Doctor profiles with their user and their soonest bookable slot.

    `next_available_slot` is a correlated subquery, so a page of any size costs one
    query (it uses the (doctor, status, start_time) index once per row).
    """
    soonest = (
        slot_list_bookable(now=now)
        .filter(doctor=OuterRef("pk"))
        .order_by("start_time")
        .values("start_time")[:1]
    )
    return DoctorProfile.objects.select_related("user").annotate(
        next_available_slot=Subquery(soonest)
    )


def _public_doctors(*, now: dt.datetime) -> QuerySet[DoctorProfile]:
    """Verified doctors of active accounts: the only ones patients may see."""
    return _with_next_slot(now=now).filter(is_verified=True, user__is_active=True)


@replica_ok
def doctor_list_public(
    *, filters: DirectoryFilters | None = None, now: dt.datetime | None = None
) -> QuerySet[DoctorProfile]:
    """The directory: verified, active doctors matching `filters`, in the asked order."""
    filters = filters or DirectoryFilters()
    now = now or timezone.now()
    values = {
        "specialization": filters.specialization,
        "language": filters.language,
        "q": filters.q,
        "min_fee": filters.min_fee,
        "max_fee": filters.max_fee,
        "available_on": filters.available_on,
    }
    doctors = filtered(DoctorDirectoryFilter, values, _public_doctors(now=now), now=now)
    return doctors.order_by(*ORDERINGS[filters.ordering])


@replica_ok
def doctor_get_public(*, doctor_id: Any, now: dt.datetime | None = None) -> DoctorProfile:
    """A listed (verified, active) doctor. Raise NotFound otherwise."""
    doctor = _public_doctors(now=now or timezone.now()).filter(pk=doctor_id).first()
    if doctor is None:
        raise NotFound("No such doctor.")
    return doctor


def doctor_get_by_id(*, doctor_id: Any, now: dt.datetime | None = None) -> DoctorProfile:
    """Any doctor's profile, listed or not (for staff). Raise NotFound if there is none."""
    doctor = _with_next_slot(now=now or timezone.now()).filter(pk=doctor_id).first()
    if doctor is None:
        raise NotFound("No such doctor.")
    return doctor


def doctor_get_own(*, user: Actor, now: dt.datetime | None = None) -> DoctorProfile:
    """The calling doctor's own profile. Raise NotFound if the account has none."""
    doctor = _with_next_slot(now=now or timezone.now()).filter(user_id=user.pk).first()
    if doctor is None:
        raise NotFound("This account has no doctor profile.")
    return doctor


def slot_list_own(
    *,
    doctor: DoctorProfile,
    start_date: dt.date | None,
    days: int,
    status: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[AvailabilitySlot]:
    """The doctor's slots starting in `days` local days from `start_date` (default today).

    Any status unless `status` is given; soonest first.
    """
    tz = zone(doctor.timezone)
    window = day_bounds_utc(start_date or today_in(tz, now or timezone.now()), days, tz)
    slots = AvailabilitySlot.objects.filter(
        doctor=doctor, start_time__gte=window.start, start_time__lt=window.end
    )
    if status:
        slots = slots.filter(status=status)
    return slots.order_by("start_time", "id")


def schedule_rule_list(*, doctor: DoctorProfile) -> list[ScheduleRule]:
    """The doctor's weekly rules, by weekday then start."""
    return list(ScheduleRule.objects.filter(doctor=doctor).order_by("weekday", "start_minute"))


def doctor_list_schedulable() -> QuerySet[DoctorProfile]:
    """Verified doctors of active accounts that have weekly rules, in a stable order."""
    with_rules = ScheduleRule.objects.filter(doctor=OuterRef("pk"))
    return (
        DoctorProfile.objects.filter(is_verified=True, user__is_active=True)
        .filter(Exists(with_rules))
        .select_related("user")
        .order_by("user__name", "id")
    )
