"""The world the API fuzz runs in: users of every role, a verified doctor with slots and
consultations in every state, and the ids the fuzzer may aim at."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone


@dataclass
class FuzzStats:
    """Requests sent by the API fuzz, for the summary line at the end of the run."""

    requests: int = 0
    tests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def record(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


STATS = FuzzStats()


@dataclass
class Targets:
    """What the fuzzer may aim at in the running test's world.

    Filled by the `world` fixture; the generation hooks read it while they draw examples.
    `ids` lists real ids per path parameter, query parameter and body field; `bookings`
    lists (doctorId, slotId) pairs, matching or not, bookable or not; `now` is the
    world's clock, so generated times land where its slots are.
    """

    ids: dict[str, list[str]] = field(default_factory=dict)
    bookings: list[tuple[str, str]] = field(default_factory=list)
    now: dt.datetime | None = None

    def reset(self) -> None:
        self.ids, self.bookings, self.now = {}, [], None


TARGETS = Targets()


@dataclass
class World:
    """What one fuzz test starts from; `tokens` maps a role to its bearer token."""

    tokens: dict[str, str]


@pytest.fixture
def world(db: Any, token_for: Any, settings: Any) -> Iterator[World]:
    from accounts.tests.factories import UserFactory
    from consultations.models import ConsultationStatus
    from consultations.tests.factories import ConsultationFactory
    from doctors.models import ScheduleRule, SlotStatus
    from doctors.tests.factories import DoctorProfileFactory, SlotFactory

    # Rate limits count in fixed windows of the clock: with them on, which generated
    # requests reach validation would depend on when a window turns. They have tests of
    # their own (accounts/tests/test_ratelimits.py).
    settings.RATELIMIT_ENABLE = False
    now = timezone.now().replace(second=0, microsecond=0)
    patient = UserFactory(role="PATIENT", email="fuzz.patient@example.com")
    other_patient = UserFactory(role="PATIENT", email="fuzz.other@example.com")
    admin = UserFactory(
        role="ADMIN", email="fuzz.admin@example.com", is_staff=True, is_superuser=True
    )
    doctor = DoctorProfileFactory(
        user=UserFactory(role="DOCTOR", email="fuzz.doctor@example.com"),
        timezone="Europe/London",
    )
    unverified = DoctorProfileFactory(
        user=UserFactory(role="DOCTOR", email="fuzz.unverified@example.com"),
        is_verified=False,
        verified_at=None,
        registration_number="",
        timezone="America/New_York",
    )
    ScheduleRule.objects.create(doctor=doctor, weekday=0, start_minute=540, end_minute=780)
    ScheduleRule.objects.create(doctor=doctor, weekday=3, start_minute=840, end_minute=1020)

    def slot(minutes: int, status: str = SlotStatus.AVAILABLE, of: Any = doctor) -> Any:
        start = now + dt.timedelta(minutes=minutes)
        return SlotFactory(
            doctor=of, start_time=start, end_time=start + dt.timedelta(minutes=30), status=status
        )

    hour = 60
    free = [slot(m * hour) for m in (26, 27, 28, 50)]
    unverified_free = slot(30 * hour, of=unverified)

    def consultation(minutes: int, status: str, patient_user: Any = patient) -> Any:
        return ConsultationFactory(
            slot=slot(minutes, SlotStatus.BOOKED), patient=patient_user, status=status
        )

    consultations = [
        consultation(3 * hour, ConsultationStatus.PENDING),  # cancellable, reschedulable
        consultation(5, ConsultationStatus.PENDING),  # may be started now
        consultation(-80, ConsultationStatus.PENDING),  # may be marked a no-show
        consultation(-40, ConsultationStatus.ACTIVE),  # takes notes and a prescription
        consultation(-3 * hour, ConsultationStatus.COMPLETED),
        consultation(5 * hour, ConsultationStatus.PENDING, other_patient),  # not the patient's
    ]

    ids = {
        "doctor_id": [str(doctor.pk), str(unverified.pk)],
        "slot_id": [str(s.pk) for s in (*free, unverified_free)]
        + [str(c.slot_id) for c in consultations],
        "id": [str(c.pk) for c in consultations],
    }
    ids["slotId"] = ids["slot_id"]
    ids["actor"] = [str(patient.pk), str(doctor.user_id), str(admin.pk)]
    ids["objectId"] = ids["id"]
    TARGETS.ids = ids
    TARGETS.bookings = [(str(doctor.pk), str(s.pk)) for s in free] + [
        (str(unverified.pk), str(unverified_free.pk)),  # not bookable: unverified
        (str(unverified.pk), str(free[0].pk)),  # another doctor's slot
        (str(doctor.pk), str(consultations[0].slot_id)),  # taken
        (str(doctor.pk), str(consultations[2].slot_id)),  # started
    ]
    TARGETS.now = now
    STATS.tests += 1
    started = time.perf_counter()
    tokens = {
        "patient": token_for(patient),
        "doctor": token_for(doctor.user),
        "admin": token_for(admin),
    }
    yield World(tokens=tokens)
    STATS.seconds += time.perf_counter() - started
    TARGETS.reset()


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Keep the test's database connection across in-process requests.

    The WSGI handler closes "old" connections at the start and end of every request;
    Django's own test client suspends that for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STATS.tests:
        return
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATS.statuses.items()))
    terminalreporter.write_line(
        f"API fuzz: {STATS.requests} requests in {STATS.tests} tests, "
        f"{STATS.seconds:.1f} s ({statuses})"
    )
