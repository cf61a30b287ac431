"""Bulk populations for the benchmark, the soak and the fault tests.

Verified doctors, their slots and patients sharing one password, written straight to
the database with bulk inserts: fast enough for tens of thousands of rows, and, as
bulk inserts send no signals, with no audit entries (load-test data, not a clinic's).
Import after `django.setup()`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from doctors.models import AvailabilitySlot, DoctorProfile

SLOT_MINUTES = 30


def doctors_create(
    *,
    prefix: str,
    count: int,
    password_hash: str,
    specializations: Sequence[str],
    paid: int = 0,
    fee: int = 0,
) -> list[DoctorProfile]:
    """`count` verified doctors, <prefix>.doctor<i>@example.com; the last `paid` of them
    charge `fee` rupees, the others nothing."""
    first_paid = count - paid
    users = User.objects.bulk_create(
        User(
            id=uuid.uuid4(),
            email=f"{prefix}.doctor{i}@example.com",
            name=f"Dr {prefix.title()} {i}",
            role=Role.DOCTOR,
            password=password_hash,
        )
        for i in range(count)
    )
    return DoctorProfile.objects.bulk_create(
        DoctorProfile(
            user=user,
            specialization=specializations[i % len(specializations)],
            registration_number=f"{prefix.upper()}-{i:04d}",
            languages=["English", "Hindi"],
            # Free doctors' bookings measure the booking itself; a paid doctor's also open
            # a payment hold and an order at the configured (sandbox) gateway.
            consultation_fee=fee if i >= first_paid else 0,
            experience_years=i % 30,
            is_verified=True,
            verified_at=timezone.now(),
        )
        for i, user in enumerate(users)
    )


def patients_create(*, prefix: str, count: int, password_hash: str) -> list[User]:
    """`count` patients with profiles, <prefix>.patient<i>@example.com."""
    patients = User.objects.bulk_create(
        User(
            id=uuid.uuid4(),
            email=f"{prefix}.patient{i}@example.com",
            name=f"Patient {i}",
            role=Role.PATIENT,
            password=password_hash,
        )
        for i in range(count)
    )
    PatientProfile.objects.bulk_create(PatientProfile(user=p) for p in patients)
    return patients


def day_slots_create(
    doctors: Sequence[DoctorProfile],
    *,
    first_day: dt.date,
    days: int,
    per_day: int,
    zone: ZoneInfo,
) -> list[AvailabilitySlot]:
    """`per_day` back-to-back slots from 09:00 in `zone`, each day, for each doctor
    (in doctor order, then by time)."""
    slots = []
    for doctor in doctors:
        for day_offset in range(days):
            day = first_day + dt.timedelta(days=day_offset)
            start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=zone)
            for n in range(per_day):
                begins = start + dt.timedelta(minutes=SLOT_MINUTES * n)
                slots.append(
                    AvailabilitySlot(
                        doctor=doctor,
                        start_time=begins,
                        end_time=begins + dt.timedelta(minutes=SLOT_MINUTES),
                    )
                )
    return AvailabilitySlot.objects.bulk_create(slots, batch_size=5000)
