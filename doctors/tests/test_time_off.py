"""POST /doctors/me/time-off: block free slots in a range, list booked ones untouched."""

import datetime as dt

import pytest
from django.utils import timezone

from doctors.models import AvailabilitySlot, SlotStatus, TimeOff
from doctors.tests.factories import SlotFactory
from doctors.tests.helpers import error_keys

pytestmark = pytest.mark.django_db

URL = "/api/v1/doctors/me/time-off"


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
def day_start():
    return timezone.now().replace(microsecond=0, second=0, minute=0) + dt.timedelta(days=2)


def test_time_off_blocks_free_slots_and_lists_booked_ones(
    client_for, doctor, doctor_b, patient, book, day_start, audit_events
):
    before = SlotFactory(doctor=doctor, start_time=day_start - dt.timedelta(hours=1))
    free_1 = SlotFactory(doctor=doctor, start_time=day_start)
    booked = SlotFactory(doctor=doctor, start_time=day_start + dt.timedelta(hours=1))
    consultation = book(booked, patient)
    free_2 = SlotFactory(doctor=doctor, start_time=day_start + dt.timedelta(hours=2, minutes=15))
    after = SlotFactory(doctor=doctor, start_time=day_start + dt.timedelta(hours=3))
    other_doctor = SlotFactory(doctor=doctor_b, start_time=day_start)

    response = client_for(doctor.user).post(
        URL,
        {
            "start": iso(day_start),
            "end": iso(day_start + dt.timedelta(hours=3)),
            "reason": "Conference",
        },
        format="json",
    )

    body = response.json()["data"]
    assert response.status_code == 201
    assert [s["id"] for s in body["blockedSlots"]] == [str(free_1.pk), str(free_2.pk)]
    assert {s["status"] for s in body["blockedSlots"]} == {"BLOCKED"}
    assert body["bookedConsultations"] == [
        {
            "id": str(consultation.pk),
            "slotId": str(booked.pk),
            "startTime": iso(booked.start_time),
            "endTime": iso(booked.end_time),
            "status": "PENDING",
        }
    ]
    statuses = dict(AvailabilitySlot.objects.values_list("pk", "status"))
    assert statuses[free_1.pk] == statuses[free_2.pk] == SlotStatus.BLOCKED
    assert statuses[booked.pk] == SlotStatus.BOOKED
    assert statuses[before.pk] == statuses[after.pk] == statuses[other_doctor.pk] == "AVAILABLE"
    consultation.refresh_from_db()
    assert consultation.status == "PENDING"
    record = TimeOff.objects.get()
    assert record.reason == "Conference"
    assert [(e["action"], e["changes"]) for e in audit_events] == [
        (
            "time_off.created",
            {
                "blockedSlots": 2,
                "blockedSlotIds": [str(free_1.pk), str(free_2.pk)],
                "bookedConsultations": 1,
            },
        )
    ]


def test_a_slot_partly_inside_the_range_is_blocked(client_for, doctor, day_start):
    straddling = SlotFactory(doctor=doctor, start_time=day_start - dt.timedelta(minutes=15))

    response = client_for(doctor.user).post(
        URL,
        {"start": iso(day_start), "end": iso(day_start + dt.timedelta(hours=1))},
        format="json",
    )

    straddling.refresh_from_db()
    assert response.status_code == 201
    assert straddling.status == SlotStatus.BLOCKED


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start": "2099-01-01T10:00:00Z", "end": "2099-01-01T09:00:00Z"}, "end"),
        ({"start": "2099-01-01T10:00:00Z", "end": "2099-01-01T10:00:00Z"}, "end"),
        ({"start": "2020-01-01T10:00:00Z", "end": "2020-01-02T10:00:00Z"}, "end"),
        ({"start": "2099-01-01T10:00:00", "end": "2099-01-02T10:00:00Z"}, "start"),
        ({"start": "2099-01-01T10:00:00Z", "end": "2100-06-01T10:00:00Z"}, "end"),
        ({"start": "2099-01-01T10:00:00Z"}, "end"),
        ({"start": "yesterday", "end": "2099-01-02T10:00:00Z"}, "start"),
        (
            {"start": "2099-01-01T10:00:00Z", "end": "2099-01-02T10:00:00Z", "reason": "x" * 501},
            "reason",
        ),
    ],
)
def test_bad_time_off_is_400_and_blocks_nothing(client_for, doctor, slot, payload, field):
    response = client_for(doctor.user).post(URL, payload, format="json")

    body = response.json()
    slot.refresh_from_db()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert field in error_keys(body)
    assert slot.status == SlotStatus.AVAILABLE
    assert TimeOff.objects.count() == 0


@pytest.mark.parametrize("role", ["patient", "admin_user"])
def test_only_doctors_take_time_off(request, client_for, slot, role):
    response = client_for(request.getfixturevalue(role)).post(
        URL, {"start": "2099-01-01T10:00:00Z", "end": "2099-01-02T10:00:00Z"}, format="json"
    )

    assert response.status_code == 403
    assert TimeOff.objects.count() == 0


def test_the_trail_names_every_slot_time_off_blocked(client_for, doctor, admin_user, day_start):
    free = [
        SlotFactory(doctor=doctor, start_time=day_start + dt.timedelta(hours=h)) for h in (0, 1)
    ]

    response = client_for(doctor.user).post(
        URL,
        {"start": iso(day_start), "end": iso(day_start + dt.timedelta(hours=2))},
        format="json",
        HTTP_X_REQUEST_ID="req-time-off",
    )
    logs = client_for(admin_user).get("/api/v1/audit/logs?action=time_off.created").json()

    assert response.status_code == 201
    events = [e for e in logs["data"]["logs"] if e["requestId"] == "req-time-off"]
    assert [
        e["changes"]["blockedSlotIds"] for e in events if "blockedSlotIds" in (e["changes"] or {})
    ] == [[str(s.pk) for s in free]]
    assert {e["actorId"] for e in events} == {str(doctor.user.pk)}
