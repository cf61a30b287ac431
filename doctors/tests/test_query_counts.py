"""Query counts of the doctors app's list reads: the same whatever the number of rows.

Each test measures a request over a few rows, adds three times as many (of other
doctors, zones and statuses too), and expects exactly the same count again, with every
row in the answer: a per-row query (an N+1) fails it. The caller's first request is
made before measuring, so its authentication state is cached as in steady use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from doctors.cache import invalidate_availability
from doctors.models import ScheduleRule, SlotStatus
from doctors.tests.factories import DoctorProfileFactory, SlotFactory
from tests.backoffice import changelist

pytestmark = pytest.mark.django_db

FEW, MORE = 3, 9  # then 3 + 9 = 12 rows: four times the first read, one page
STATUSES = [SlotStatus.AVAILABLE, SlotStatus.BOOKED, SlotStatus.BLOCKED]
ZONES = ["Asia/Kolkata", "Europe/London", "America/New_York", "Asia/Dubai"]


def read(client: Any, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return response.json()["data"]


def make_doctors(count: int, start: int) -> list[Any]:
    """Listed doctors, each with its own user and zone and two bookable slots (2-26 h ahead)."""
    doctors = []
    for n in range(start, start + count):
        doctor = DoctorProfileFactory(
            user=UserFactory(role="DOCTOR", name=f"Doctor {n:02d}"),
            timezone=ZONES[n % len(ZONES)],
            consultation_fee=Decimal("300.00") + n,
        )
        SlotFactory(doctor=doctor)
        SlotFactory(doctor=doctor)
        doctors.append(doctor)
    return doctors


# --- GET /doctors --------------------------------------------------------------------------

# The count and the page (the next slot is a subquery of the page's query); with
# `availableOn`, one more for the doctors' distinct zones (one Exists per zone).
DIRECTORY_QUERIES = 2
DIRECTORY_FILTERED_QUERIES = 3


def test_directory_query_count_does_not_grow_with_the_doctors(
    client_for, patient, django_assert_num_queries
):
    client = client_for(patient)
    make_doctors(FEW, 0)
    read(client, "/api/v1/doctors")

    with django_assert_num_queries(DIRECTORY_QUERIES):
        few = read(client, "/api/v1/doctors", {"ordering": "nextAvailable"})
    make_doctors(MORE, FEW)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        many = read(client, "/api/v1/doctors", {"ordering": "nextAvailable"})

    assert len(few["doctors"]) == FEW
    assert len(many["doctors"]) == FEW + MORE == many["pagination"]["total"]
    assert all(d["nextAvailableSlot"] for d in many["doctors"])


def test_filtered_directory_query_count_does_not_grow_with_doctors_or_zones(
    client_for, patient, django_assert_num_queries
):
    # Every filter at once; the doctors span four zones, so availableOn builds one
    # Exists per zone inside the same query.
    client = client_for(patient)
    make_doctors(FEW, 0)
    read(client, "/api/v1/doctors")
    # Factory slots start 2 to 26 hours from now: in any zone, local yesterday to the day
    # after tomorrow holds them all.
    params = {
        "language": "Hindi",
        "q": "doctor",
        "minFee": "100",
        "maxFee": "900",
        "specialization": "Ayurveda",
    }
    days = [timezone.now().date() + dt.timedelta(days=n) for n in range(-1, 3)]

    def listed() -> set[str]:
        names: set[str] = set()
        for day in days:
            with django_assert_num_queries(DIRECTORY_FILTERED_QUERIES):
                data = read(client, "/api/v1/doctors", {**params, "availableOn": day})
            names |= {d["name"] for d in data["doctors"]}
        return names

    few = listed()
    make_doctors(MORE, FEW)
    many = listed()

    assert len(few) == FEW
    assert len(many) == FEW + MORE


# --- GET /doctors/{id}/availability (a cache miss: a hit costs no query at all) ------------

AVAILABILITY_QUERIES = 2  # the doctor, its slots in the window


def test_availability_query_count_does_not_grow_with_the_slots(
    client_for,
    patient,
    doctor,
    doctor_b,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    client = client_for(patient)
    url = f"/api/v1/doctors/{doctor.pk}/availability"

    def fresh_read() -> list[Any]:
        # Drop the cached answer the way every slot writer does, so the read computes.
        with django_capture_on_commit_callbacks(execute=True):
            invalidate_availability(doctor.pk)
        with django_assert_num_queries(AVAILABILITY_QUERIES):
            return read(client, url, {"days": 7})["slots"]

    for _ in range(FEW):
        SlotFactory(doctor=doctor)
    read(client, url)
    few = fresh_read()
    for n in range(MORE):
        SlotFactory(doctor=doctor)
        SlotFactory(doctor=doctor_b, status=STATUSES[n % len(STATUSES)])
    many = fresh_read()

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert {s["doctorId"] for s in many} == {str(doctor.pk)}


# --- GET /doctors/me/slots -----------------------------------------------------------------

MY_SLOTS_QUERIES = 3  # the caller's profile, the count, the page


def test_own_slots_query_count_does_not_grow_with_the_slots(
    client_for, doctor, doctor_b, django_assert_num_queries
):
    client = client_for(doctor.user)
    url = "/api/v1/doctors/me/slots"
    for n in range(FEW):
        SlotFactory(doctor=doctor, status=STATUSES[n % len(STATUSES)])
    read(client, url)

    with django_assert_num_queries(MY_SLOTS_QUERIES):
        few = read(client, url)["slots"]
    for n in range(MORE):
        SlotFactory(doctor=doctor, status=STATUSES[n % len(STATUSES)])
        SlotFactory(doctor=doctor_b)
    with django_assert_num_queries(MY_SLOTS_QUERIES):
        many = read(client, url)["slots"]

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert {s["status"] for s in many} == set(STATUSES)
    assert {s["doctorId"] for s in many} == {str(doctor.pk)}


# --- GET /doctors/me/schedule --------------------------------------------------------------

SCHEDULE_QUERIES = 2  # the caller's profile, its rules


def add_rules(doctor: Any, numbers: range) -> None:
    """Half-hour rules: rule n on weekday n % 7, an hour later for each week it wraps."""
    for n in numbers:
        start = 8 * 60 + 60 * (n // 7)
        ScheduleRule.objects.create(
            doctor=doctor, weekday=n % 7, start_minute=start, end_minute=start + 30
        )


def test_schedule_query_count_does_not_grow_with_the_rules(
    client_for, doctor, doctor_b, django_assert_num_queries
):
    client = client_for(doctor.user)
    url = "/api/v1/doctors/me/schedule"
    add_rules(doctor, range(FEW))
    read(client, url)

    with django_assert_num_queries(SCHEDULE_QUERIES):
        few = read(client, url)["schedule"]["rules"]
    add_rules(doctor, range(FEW, FEW + MORE))
    add_rules(doctor_b, range(7))
    with django_assert_num_queries(SCHEDULE_QUERIES):
        many = read(client, url)["schedule"]["rules"]

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert len({(r["weekday"], r["start"]) for r in many}) == FEW + MORE


# --- The back office's lists: /admin/doctors/doctorprofile/, /admin/doctors/availabilityslot/

# The session, its user, the filtered and the total count, the page (the user joined;
# for slots the doctor and its user) and the specializations of the filter. The slot
# list's date hierarchy adds its first and last start and its distinct days.
DOCTOR_CHANGELIST_QUERIES = 6
SLOT_CHANGELIST_QUERIES = 8


def test_doctor_changelist_query_count_does_not_grow(staff_browser, django_assert_num_queries):
    url = "/admin/doctors/doctorprofile/"
    make_doctors(FEW, 0)
    changelist(staff_browser, url)

    with django_assert_num_queries(DOCTOR_CHANGELIST_QUERIES):
        few = changelist(staff_browser, url)
    make_doctors(MORE, FEW)
    with django_assert_num_queries(DOCTOR_CHANGELIST_QUERIES):
        many = changelist(staff_browser, url)

    assert len(few) == FEW
    assert len(many) == FEW + MORE


def test_slot_changelist_query_count_does_not_grow(staff_browser, django_assert_num_queries):
    url = "/admin/doctors/availabilityslot/"
    make_doctors(FEW, 0)
    changelist(staff_browser, url)

    with django_assert_num_queries(SLOT_CHANGELIST_QUERIES):
        few = changelist(staff_browser, url)
    make_doctors(MORE, FEW)
    with django_assert_num_queries(SLOT_CHANGELIST_QUERIES):
        many = changelist(staff_browser, url)

    assert len(few) == 2 * FEW
    assert len(many) == 2 * (FEW + MORE)
    assert len({s.doctor_id for s in many}) == FEW + MORE
