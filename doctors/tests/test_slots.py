"""/doctors/me/slots: bulk create (all or nothing), list own, delete a free slot."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from doctors.models import AvailabilitySlot, SlotStatus
from doctors.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/doctors/me/slots"


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.now().date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def ranges(*pairs: tuple[dt.datetime, dt.datetime]) -> dict:
    return {"slots": [{"startTime": iso(s), "endTime": iso(e)} for s, e in pairs]}


def test_doctor_creates_slots_in_bulk(client_for, doctor, audit_events):
    nine, half_past, ten = tomorrow_at(9), tomorrow_at(9, 30), tomorrow_at(10)

    response = client_for(doctor.user).post(
        URL, ranges((half_past, ten), (nine, half_past)), format="json"
    )

    body = response.json()["data"]["slots"]
    assert response.status_code == 201
    assert [(s["startTime"], s["endTime"], s["status"]) for s in body] == [
        (iso(nine), iso(half_past), "AVAILABLE"),
        (iso(half_past), iso(ten), "AVAILABLE"),
    ]
    assert {s["doctorId"] for s in body} == {str(doctor.pk)}
    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == 2
    assert [(e["action"], e["changes"]) for e in audit_events] == [("slots.created", {"count": 2})]


def test_any_offset_is_accepted_and_stored_as_utc(client_for, doctor):
    start = "2099-01-05T09:00:00+05:30"

    response = client_for(doctor.user).post(
        URL,
        {"slots": [{"startTime": start, "endTime": "2099-01-05T09:30:00+05:30"}]},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["slots"][0]["startTime"] == "2099-01-05T03:30:00Z"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (tomorrow_at(9), tomorrow_at(9, 4), "slots[1].endTime"),  # under 5 minutes
        (tomorrow_at(9), tomorrow_at(13, 1), "slots[1].endTime"),  # over 4 hours
        (tomorrow_at(9), tomorrow_at(8), "slots[1].endTime"),  # end before start
        (
            timezone.now() - dt.timedelta(hours=1),
            timezone.now() - dt.timedelta(minutes=30),
            "slots[1].startTime",
        ),  # past
    ],
)
def test_an_invalid_slot_fails_the_whole_batch(client_for, doctor, start, end, field):
    good = (tomorrow_at(15), tomorrow_at(15, 30))

    response = client_for(doctor.user).post(URL, ranges(good, (start, end)), format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert field in body["errors"]
    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"slots": [{"startTime": "2099-01-05T09:00:00", "endTime": "2099-01-05T09:30:00Z"}]},
        {"slots": [{"startTime": "2099-13-05T09:00:00Z", "endTime": "2099-01-05T09:30:00Z"}]},
        {"slots": [{"startTime": "2099-01-05T09:00:00Z"}]},
        {"slots": []},
        {"slots": "nope"},
        {},
    ],
)
def test_malformed_bodies_are_400(client_for, doctor, payload):
    response = client_for(doctor.user).post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert AvailabilitySlot.objects.count() == 0


def test_a_batch_over_500_slots_is_400(client_for, doctor):
    start = tomorrow_at(0)
    pairs = [
        (start + dt.timedelta(minutes=5 * i), start + dt.timedelta(minutes=5 * i + 5))
        for i in range(501)
    ]

    response = client_for(doctor.user).post(URL, ranges(*pairs), format="json")

    assert response.status_code == 400
    assert "slots" in response.json()["errors"]
    assert AvailabilitySlot.objects.count() == 0


def test_overlap_inside_the_batch_is_409(client_for, doctor):
    response = client_for(doctor.user).post(
        URL,
        ranges((tomorrow_at(9), tomorrow_at(10)), (tomorrow_at(9, 30), tomorrow_at(10, 30))),
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_overlap"
    assert AvailabilitySlot.objects.count() == 0


@pytest.mark.parametrize("status", SlotStatus.values)
def test_overlap_with_an_existing_slot_of_any_status_is_409_and_creates_nothing(
    client_for, doctor, status
):
    SlotFactory(
        doctor=doctor, start_time=tomorrow_at(9), end_time=tomorrow_at(9, 30), status=status
    )

    response = client_for(doctor.user).post(
        URL,
        ranges((tomorrow_at(8), tomorrow_at(8, 30)), (tomorrow_at(9, 15), tomorrow_at(9, 45))),
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_overlap"
    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == 1


def test_another_doctors_slot_at_the_same_time_is_no_overlap(client_for, doctor, doctor_b):
    SlotFactory(doctor=doctor_b, start_time=tomorrow_at(9), end_time=tomorrow_at(9, 30))

    response = client_for(doctor.user).post(
        URL, ranges((tomorrow_at(9), tomorrow_at(9, 30))), format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize("role", ["patient", "admin_user"])
def test_only_doctors_create_slots(request, client_for, role):
    response = client_for(request.getfixturevalue(role)).post(
        URL, ranges((tomorrow_at(9), tomorrow_at(9, 30))), format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert AvailabilitySlot.objects.count() == 0


# --- List own ------------------------------------------------------------------------------


def test_doctor_lists_own_slots_of_every_status_in_the_window(client_for, doctor, doctor_b):
    now = timezone.now().replace(microsecond=0)
    mine = [
        SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=h), status=status)
        for h, status in [(1, "AVAILABLE"), (2, "BOOKED"), (3, "BLOCKED")]
    ]
    SlotFactory(doctor=doctor, start_time=now + dt.timedelta(days=9))  # outside 7 days
    SlotFactory(doctor=doctor_b, start_time=now + dt.timedelta(hours=1))

    response = client_for(doctor.user).get(URL)

    body = response.json()["data"]
    assert response.status_code == 200
    assert [s["id"] for s in body["slots"]] == [str(s.pk) for s in mine]
    assert body["pagination"]["total"] == 3


def test_own_slots_filter_by_status_and_window(client_for, doctor):
    start = tomorrow_at(12)
    booked = SlotFactory(doctor=doctor, start_time=start, status=SlotStatus.BOOKED)
    SlotFactory(doctor=doctor, start_time=start + dt.timedelta(hours=1))
    SlotFactory(doctor=doctor, start_time=start + dt.timedelta(days=2), status=SlotStatus.BOOKED)
    local_day = start.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).date()

    response = client_for(doctor.user).get(
        f"{URL}?status=BOOKED&days=1&start_date={local_day.isoformat()}"
    )

    assert [s["id"] for s in response.json()["data"]["slots"]] == [str(booked.pk)]


def test_own_slots_are_paginated(client_for, doctor):
    for hour in range(1, 6):
        SlotFactory(doctor=doctor, start_time=timezone.now() + dt.timedelta(hours=hour))

    response = client_for(doctor.user).get(f"{URL}?pageSize=2&page=3")

    body = response.json()["data"]
    assert len(body["slots"]) == 1
    assert body["pagination"] == {"page": 3, "pageSize": 2, "total": 5, "totalPages": 3}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=FREE", "status"),
        ("days=0", "days"),
        ("days=32", "days"),
        ("days=x", "days"),
        ("start_date=2024-13-40", "start_date"),
    ],
)
def test_bad_own_slot_queries_are_400(client_for, doctor, query, field):
    response = client_for(doctor.user).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- Delete --------------------------------------------------------------------------------


def test_doctor_deletes_a_free_slot(client_for, doctor, slot, audit_events):
    response = client_for(doctor.user).delete(f"{URL}/{slot.pk}")

    assert response.status_code == 204
    assert not AvailabilitySlot.objects.filter(pk=slot.pk).exists()
    assert [(e["action"], e["changes"]) for e in audit_events] == [
        ("slot.deleted", {"outcome": "deleted"})
    ]


def test_deleting_a_booked_slot_is_409(client_for, doctor, slot, patient, book):
    book(slot, patient)

    response = client_for(doctor.user).delete(f"{URL}/{slot.pk}")

    slot.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert slot.status == SlotStatus.BOOKED


def test_a_free_slot_with_consultation_history_is_blocked_not_deleted(
    client_for, doctor, slot, patient, book
):
    book(slot, patient, status="CANCELLED")

    response = client_for(doctor.user).delete(f"{URL}/{slot.pk}")

    slot.refresh_from_db()
    assert response.status_code == 204
    assert slot.status == SlotStatus.BLOCKED


@pytest.mark.parametrize("which", ["other_doctor", "unknown", "malformed"])
def test_deleting_a_slot_that_is_not_ones_own_is_404(client_for, doctor, doctor_b, which):
    other = SlotFactory(doctor=doctor_b)
    target = {"other_doctor": other.pk, "unknown": uuid.uuid4(), "malformed": "nope"}[which]

    response = client_for(doctor.user).delete(f"{URL}/{target}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert AvailabilitySlot.objects.filter(pk=other.pk).exists()


def test_patients_cannot_delete_slots(client_for, patient, slot):
    response = client_for(patient).delete(f"{URL}/{slot.pk}")

    assert response.status_code == 403
    assert AvailabilitySlot.objects.filter(pk=slot.pk).exists()
