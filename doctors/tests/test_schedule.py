"""Weekly schedule: rules, validation, slot materialisation (idempotent, DST-correct)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from doctors.models import AvailabilitySlot, DoctorProfile, ScheduleRule, SlotStatus
from doctors.scheduling import Rule
from doctors.services import schedule_update, slots_generate
from doctors.tests.factories import SlotFactory
from doctors.tests.helpers import error_keys, expected_starts

pytestmark = pytest.mark.django_db

URL = "/api/v1/doctors/me/schedule"
LONDON = ZoneInfo("Europe/London")
EVERY_DAY_NINE_TO_TEN = [{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(7)]


def test_schedule_starts_empty(client_for, doctor):
    response = client_for(doctor.user).get(URL)

    assert response.status_code == 200
    assert response.json()["data"]["schedule"] == {
        "timezone": "Asia/Kolkata",
        "slotMinutes": 30,
        "rules": [],
    }


def test_saving_a_schedule_creates_its_slots_for_the_booking_horizon(
    client_for, doctor, settings, audit_events
):
    settings.BOOKING_HORIZON_DAYS = 14
    kolkata = ZoneInfo("Asia/Kolkata")

    response = client_for(doctor.user).put(
        URL,
        {"timezone": "Asia/Kolkata", "slotMinutes": 30, "rules": EVERY_DAY_NINE_TO_TEN},
        format="json",
    )

    expected = expected_starts(kolkata, [dt.time(9, 0), dt.time(9, 30)], 14)
    slots = AvailabilitySlot.objects.filter(doctor=doctor).order_by("start_time")
    assert response.status_code == 200
    assert response.json()["data"]["slotsCreated"] == len(expected)
    assert [s.start_time for s in slots] == expected
    assert {s.status for s in slots} == {SlotStatus.AVAILABLE}
    assert all(s.end_time - s.start_time == dt.timedelta(minutes=30) for s in slots)
    assert [e["action"] for e in audit_events] == ["schedule.updated", "slots.generated"]


def test_saved_rules_are_read_back(client_for, doctor):
    rules = [
        {"weekday": 4, "start": "14:00", "end": "17:30"},
        {"weekday": 0, "start": "13:00", "end": "24:00"},
        {"weekday": 0, "start": "09:00", "end": "13:00"},
    ]
    client_for(doctor.user).put(
        URL, {"timezone": "Europe/London", "slotMinutes": 15, "rules": rules}, format="json"
    )

    response = client_for(doctor.user).get(URL)

    assert response.json()["data"]["schedule"] == {
        "timezone": "Europe/London",
        "slotMinutes": 15,
        "rules": [
            {"weekday": 0, "start": "09:00", "end": "13:00"},
            {"weekday": 0, "start": "13:00", "end": "24:00"},
            {"weekday": 4, "start": "14:00", "end": "17:30"},
        ],
    }


def test_saving_the_same_schedule_again_creates_nothing(client_for, doctor):
    body = {"timezone": "Asia/Kolkata", "slotMinutes": 30, "rules": EVERY_DAY_NINE_TO_TEN}
    client_for(doctor.user).put(URL, body, format="json")
    count = AvailabilitySlot.objects.filter(doctor=doctor).count()

    response = client_for(doctor.user).put(URL, body, format="json")

    assert response.json()["data"]["slotsCreated"] == 0
    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == count


def test_timezone_and_slot_length_keep_their_values_when_left_out(client_for, doctor):
    response = client_for(doctor.user).put(URL, {"rules": []}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["schedule"]["timezone"] == "Asia/Kolkata"
    assert response.json()["data"]["schedule"]["slotMinutes"] == 30


def test_existing_slots_are_never_touched_or_duplicated(doctor, patient, book, settings):
    settings.BOOKING_HORIZON_DAYS = 14
    now = dt.datetime(2027, 1, 4, 0, 0, tzinfo=dt.UTC)  # a Monday
    DoctorProfile.objects.filter(pk=doctor.pk).update(timezone="UTC")
    doctor.refresh_from_db()
    booked = SlotFactory(
        doctor=doctor,
        start_time=dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC),
        end_time=dt.datetime(2027, 1, 4, 9, 30, tzinfo=dt.UTC),
    )
    book(booked, patient)
    odd = SlotFactory(
        doctor=doctor,
        start_time=dt.datetime(2027, 1, 4, 9, 45, tzinfo=dt.UTC),
        end_time=dt.datetime(2027, 1, 4, 9, 50, tzinfo=dt.UTC),
        status=SlotStatus.BLOCKED,
    )

    outcome = schedule_update(
        doctor=doctor,
        timezone_name="UTC",
        slot_minutes=30,
        rules=[Rule(0, 9 * 60, 11 * 60)],
        updated_by=doctor.user,
        now=now,
    )

    monday = AvailabilitySlot.objects.filter(doctor=doctor, start_time__date=now.date())
    assert [(s.start_time.strftime("%H:%M"), s.status) for s in monday.order_by("start_time")] == [
        ("09:00", SlotStatus.BOOKED),
        ("09:45", SlotStatus.BLOCKED),
        ("10:00", SlotStatus.AVAILABLE),
        ("10:30", SlotStatus.AVAILABLE),
    ]
    assert AvailabilitySlot.objects.get(pk=odd.pk).end_time.strftime("%H:%M") == "09:50"
    # This Monday's 10:00 and 10:30, and all four of the next Monday's.
    assert outcome.slots_created == 2 + 4


def test_only_future_slots_are_created(doctor):
    DoctorProfile.objects.filter(pk=doctor.pk).update(timezone="UTC")
    doctor.refresh_from_db()
    now = dt.datetime(2027, 1, 4, 9, 40, tzinfo=dt.UTC)  # Monday, during the rule

    schedule_update(
        doctor=doctor,
        timezone_name="UTC",
        slot_minutes=30,
        rules=[Rule(0, 9 * 60, 11 * 60)],
        updated_by=doctor.user,
        now=now,
    )

    first = AvailabilitySlot.objects.filter(doctor=doctor).order_by("start_time").first()
    assert first.start_time == dt.datetime(2027, 1, 4, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "change_day"),
    [
        (dt.datetime(2027, 3, 22, 12, 0, tzinfo=dt.UTC), dt.date(2027, 3, 28)),
        (dt.datetime(2027, 10, 25, 12, 0, tzinfo=dt.UTC), dt.date(2027, 10, 31)),
    ],
)
def test_a_0900_london_rule_stays_0900_local_across_the_dst_change(
    doctor, now, change_day, settings
):
    settings.BOOKING_HORIZON_DAYS = 14
    schedule_update(
        doctor=doctor,
        timezone_name="Europe/London",
        slot_minutes=30,
        rules=[Rule(d, 9 * 60, 9 * 60 + 30) for d in range(7)],
        updated_by=doctor.user,
        now=now,
    )

    slots = list(AvailabilitySlot.objects.filter(doctor=doctor).order_by("start_time"))
    local = [s.start_time.astimezone(LONDON) for s in slots]
    # Fourteen local days from today, today's 09:00 having passed at `now`.
    assert len(slots) == 13
    assert {t.strftime("%H:%M") for t in local} == {"09:00"}
    before = [s for s in slots if s.start_time.date() < change_day]
    after = [s for s in slots if s.start_time.date() >= change_day]
    assert len({s.start_time.hour for s in before}) == 1
    assert len({s.start_time.hour for s in after}) == 1
    assert before[0].start_time.hour != after[0].start_time.hour


def test_generation_is_idempotent_and_extends_the_horizon(doctor):
    now = dt.datetime(2027, 1, 4, 0, 0, tzinfo=dt.UTC)
    ScheduleRule.objects.create(doctor=doctor, weekday=2, start_minute=600, end_minute=660)

    first = slots_generate(doctor_id=doctor.pk, days=7, now=now)
    again = slots_generate(doctor_id=doctor.pk, days=7, now=now)
    further = slots_generate(doctor_id=doctor.pk, days=14, now=now)

    assert len(first) == 2
    assert again == []
    assert len(further) == 2
    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == 4


def test_changing_rules_leaves_existing_slots_alone(client_for, doctor):
    client_for(doctor.user).put(URL, {"rules": EVERY_DAY_NINE_TO_TEN}, format="json")
    before = set(AvailabilitySlot.objects.filter(doctor=doctor).values_list("pk", flat=True))

    client_for(doctor.user).put(
        URL, {"rules": [{"weekday": 0, "start": "18:00", "end": "19:00"}]}, format="json"
    )

    after = set(AvailabilitySlot.objects.filter(doctor=doctor).values_list("pk", flat=True))
    assert before <= after
    assert list(ScheduleRule.objects.filter(doctor=doctor).values_list("weekday", flat=True)) == [0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {
                "rules": [
                    {"weekday": 1, "start": "09:00", "end": "13:00"},
                    {"weekday": 1, "start": "12:00", "end": "15:00"},
                ]
            },
            "rules",
        ),
        ({"rules": [{"weekday": 7, "start": "09:00", "end": "10:00"}]}, "rules[0].weekday"),
        ({"rules": [{"weekday": -1, "start": "09:00", "end": "10:00"}]}, "rules[0].weekday"),
        ({"rules": [{"weekday": "x", "start": "09:00", "end": "10:00"}]}, "rules[0].weekday"),
        ({"timezone": "Mars/Olympus", "rules": []}, "timezone"),
        ({"rules": [{"weekday": 1, "start": "25:00", "end": "26:00"}]}, "rules[0].start"),
        ({"rules": [{"weekday": 1, "start": "9am", "end": "10:00"}]}, "rules[0].start"),
        ({"rules": [{"weekday": 1, "start": "10:00", "end": "09:00"}]}, "rules[0].end"),
        ({"rules": [{"weekday": 1, "start": "09:00", "end": "09:10"}]}, "rules[0].end"),
        ({"slotMinutes": 1, "rules": []}, "slotMinutes"),
        ({"slotMinutes": 300, "rules": []}, "slotMinutes"),
        ({"timezone": "Asia/Kolkata"}, "rules"),
        ({"rules": "Mondays"}, "rules"),
        ({"rules": [{"weekday": 0, "start": "09:00", "end": "09:30"}] * 101}, "rules"),
    ],
)
def test_invalid_schedules_are_400_and_write_nothing(client_for, doctor, payload, field):
    response = client_for(doctor.user).put(
        URL, {"timezone": "Europe/London", **payload}, format="json"
    )

    body = response.json()
    doctor.refresh_from_db()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert field in error_keys(body)
    assert doctor.timezone == "Asia/Kolkata"
    assert ScheduleRule.objects.count() == 0
    assert AvailabilitySlot.objects.count() == 0


@pytest.mark.parametrize("role", ["patient", "admin_user"])
def test_only_doctors_have_a_schedule(request, client_for, role):
    client = client_for(request.getfixturevalue(role))

    assert client.get(URL).status_code == 403
    assert client.put(URL, {"rules": []}, format="json").status_code == 403
