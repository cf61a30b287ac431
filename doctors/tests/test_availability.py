"""GET /doctors/{id}/availability: bookable slots only, windows, and the Redis cache."""

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from doctors.availability import availability_body
from doctors.cache import invalidate_availability
from doctors.models import AvailabilitySlot, DoctorProfile, SlotStatus
from doctors.tests.factories import SlotFactory
from doctors.tests.helpers import expected_starts

KOLKATA = ZoneInfo("Asia/Kolkata")


def url(doctor_id, query: str = "") -> str:
    return f"/api/v1/doctors/{doctor_id}/availability{'?' + query if query else ''}"


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def slot_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["data"]["slots"]]


def doctor_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "doctors_" in q["sql"]]


@pytest.mark.django_db
def test_lists_only_bookable_future_slots_soonest_first(client_for, patient, doctor, doctor_b):
    now = timezone.now().replace(microsecond=0)
    later = SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=5))
    sooner = SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=1))
    SlotFactory(doctor=doctor, start_time=now - dt.timedelta(minutes=1))  # started
    SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=2), status=SlotStatus.BOOKED)
    SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=3), status=SlotStatus.BLOCKED)
    SlotFactory(doctor=doctor_b, start_time=now + dt.timedelta(hours=1))

    response = client_for(patient).get(url(doctor.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "success",
        "data": {
            "doctorId": str(doctor.pk),
            "timezone": "Asia/Kolkata",
            "slots": [
                {
                    "id": str(s.pk),
                    "doctorId": str(doctor.pk),
                    "startTime": iso(s.start_time),
                    "endTime": iso(s.end_time),
                    "status": "AVAILABLE",
                }
                for s in (sooner, later)
            ],
        },
    }


@pytest.mark.django_db
def test_the_window_is_counted_in_local_days_of_the_doctors_zone(client_for, patient, doctor):
    day = timezone.now().astimezone(KOLKATA).date() + dt.timedelta(days=3)

    def at(d: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(hour, minute), tzinfo=KOLKATA).astimezone(dt.UTC)

    first = SlotFactory(doctor=doctor, start_time=at(day, 0, 0))
    last = SlotFactory(doctor=doctor, start_time=at(day, 23, 30))
    next_day = SlotFactory(doctor=doctor, start_time=at(day + dt.timedelta(days=1), 0, 0))
    SlotFactory(doctor=doctor, start_time=at(day - dt.timedelta(days=1), 23, 0))

    one_day = client_for(patient).get(url(doctor.pk, f"start_date={day}&days=1"))
    two_days = client_for(patient).get(url(doctor.pk, f"start_date={day}&days=2"))

    assert slot_ids(one_day) == [str(first.pk), str(last.pk)]
    assert slot_ids(two_days) == [str(first.pk), str(last.pk), str(next_day.pk)]


@pytest.mark.django_db
def test_defaults_are_today_in_the_doctors_zone_and_seven_days(client_for, patient, doctor):
    today = timezone.now().astimezone(KOLKATA).date()
    edge = dt.datetime.combine(today + dt.timedelta(days=7), dt.time(), tzinfo=KOLKATA)
    inside = SlotFactory(doctor=doctor, start_time=edge - dt.timedelta(minutes=30))
    SlotFactory(doctor=doctor, start_time=edge)

    response = client_for(patient).get(url(doctor.pk))

    assert slot_ids(response) == [str(inside.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start_date=2024-13-40", "start_date"),
        ("start_date=24-01-01", "start_date"),
        ("start_date=1999-12-31", "start_date"),
        ("days=0", "days"),
        ("days=32", "days"),
        ("days=seven", "days"),
        ("days=1.5", "days"),
        ("days=" + "9" * 5000, "days"),
    ],
)
def test_bad_parameters_are_400(client_for, patient, doctor, query, field):
    response = client_for(patient).get(url(doctor.pk, query))

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert field in body["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["unknown", "unverified", "deactivated", "malformed"])
def test_unlisted_doctors_are_404(client_for, patient, doctor, kind):
    SlotFactory(doctor=doctor)
    if kind == "unverified":
        DoctorProfile.objects.filter(pk=doctor.pk).update(is_verified=False)
    if kind == "deactivated":
        doctor.user.is_active = False
        doctor.user.save()
    target = {"unknown": uuid.uuid4(), "malformed": "abc"}.get(kind, doctor.pk)

    response = client_for(patient).get(url(target))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_availability_needs_a_token(api_client, doctor):
    assert api_client.get(url(doctor.pk)).status_code == 401


# --- The cache -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_repeat_read_is_served_from_the_cache_byte_for_byte(client_for, patient, doctor):
    SlotFactory(doctor=doctor)
    client = client_for(patient)
    first = client.get(url(doctor.pk))

    with CaptureQueriesContext(connection) as queries:
        second = client.get(url(doctor.pk))

    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert doctor_queries(queries) == []


@pytest.mark.django_db
def test_the_cache_is_keyed_by_window(client_for, patient, doctor):
    far = SlotFactory(doctor=doctor, start_time=timezone.now() + dt.timedelta(days=10))
    client = client_for(patient)

    assert slot_ids(client.get(url(doctor.pk, "days=7"))) == []
    assert slot_ids(client.get(url(doctor.pk, "days=14"))) == [str(far.pk)]


@pytest.mark.django_db
def test_an_unannounced_change_is_not_seen_so_writers_must_invalidate(client_for, patient, doctor):
    # The contract every slot writer relies on: the cache answers until the doctor's
    # version is bumped. This proves the cache is really in the path.
    slot = SlotFactory(doctor=doctor)
    client = client_for(patient)
    client.get(url(doctor.pk))
    AvailabilitySlot.objects.filter(pk=slot.pk).update(status=SlotStatus.BOOKED)

    assert slot_ids(client.get(url(doctor.pk))) == [str(slot.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_booked_slot_disappears_right_after_the_booking_commits_and_returns_on_cancel(
    client_for, patient, doctor
):
    first, second = SlotFactory(doctor=doctor), SlotFactory(doctor=doctor)
    client = client_for(patient)
    assert slot_ids(client.get(url(doctor.pk))) == [str(first.pk), str(second.pk)]

    def set_status(status: str) -> None:
        # What the booking and cancel services do: change the slot under its row lock
        # and announce the change for when the transaction commits.
        with transaction.atomic():
            slot = AvailabilitySlot.objects.select_for_update().get(pk=first.pk)
            slot.status = status
            slot.save(update_fields=["status"])
            invalidate_availability(doctor.pk)

    set_status(SlotStatus.BOOKED)
    after_booking = client.get(url(doctor.pk))
    set_status(SlotStatus.AVAILABLE)
    after_cancel = client.get(url(doctor.pk))

    assert slot_ids(after_booking) == [str(second.pk)]
    assert slot_ids(after_cancel) == [str(first.pk), str(second.pk)]


@pytest.mark.django_db(transaction=True)
def test_every_slot_change_through_the_api_is_seen_at_once(client_for, patient, doctor):
    doctor_client, patient_client = client_for(doctor.user), client_for(patient)
    start = timezone.now().replace(microsecond=0, second=0) + dt.timedelta(days=1)
    existing = SlotFactory(doctor=doctor, start_time=start)
    assert slot_ids(patient_client.get(url(doctor.pk))) == [str(existing.pk)]

    created = doctor_client.post(
        "/api/v1/doctors/me/slots",
        {
            "slots": [
                {
                    "startTime": iso(start + dt.timedelta(hours=1)),
                    "endTime": iso(start + dt.timedelta(hours=1, minutes=30)),
                }
            ]
        },
        format="json",
    ).json()["data"]["slots"][0]["id"]
    after_create = slot_ids(patient_client.get(url(doctor.pk)))
    doctor_client.delete(f"/api/v1/doctors/me/slots/{existing.pk}")
    after_delete = slot_ids(patient_client.get(url(doctor.pk)))
    doctor_client.post(
        "/api/v1/doctors/me/time-off",
        {"start": iso(start), "end": iso(start + dt.timedelta(hours=3))},
        format="json",
    )
    after_time_off = slot_ids(patient_client.get(url(doctor.pk)))

    assert after_create == [str(existing.pk), created]
    assert after_delete == [created]
    assert after_time_off == []


@pytest.mark.django_db(transaction=True)
def test_a_schedule_save_and_a_time_zone_change_are_seen_at_once(client_for, patient, doctor):
    doctor_client, patient_client = client_for(doctor.user), client_for(patient)
    assert slot_ids(patient_client.get(url(doctor.pk))) == []

    doctor_client.put(
        "/api/v1/doctors/me/schedule",
        {"rules": [{"weekday": d, "start": "09:00", "end": "09:30"} for d in range(7)]},
        format="json",
    )
    after_schedule = patient_client.get(url(doctor.pk, "days=3"))
    doctor_client.patch("/api/v1/doctors/me", {"timezone": "Europe/London"}, format="json")
    after_zone = patient_client.get(url(doctor.pk, "days=3"))

    assert len(slot_ids(after_schedule)) == len(expected_starts(KOLKATA, [dt.time(9)], 3))
    assert after_zone.json()["data"]["timezone"] == "Europe/London"


@pytest.mark.django_db
def test_a_cached_answer_never_lists_a_slot_that_has_started(doctor):
    slot = SlotFactory(doctor=doctor, start_time=timezone.now() + dt.timedelta(hours=2))
    # Two minutes before the slot: well inside the cache TTL when the slot starts.
    before = slot.start_time - dt.timedelta(minutes=2)
    availability_body(doctor_id=doctor.pk, start_date=None, days=7, now=before)

    with CaptureQueriesContext(connection) as hit:
        still_before = availability_body(
            doctor_id=doctor.pk, start_date=None, days=7, now=before + dt.timedelta(minutes=1)
        )
    started = availability_body(
        doctor_id=doctor.pk, start_date=None, days=7, now=slot.start_time + dt.timedelta(seconds=1)
    )

    assert doctor_queries(hit) == []
    assert [s["id"] for s in json.loads(still_before)["data"]["slots"]] == [str(slot.pk)]
    assert json.loads(started)["data"]["slots"] == []


@pytest.mark.django_db
def test_the_default_window_moves_at_the_doctors_local_midnight(doctor):
    day = timezone.now().astimezone(KOLKATA).date() + dt.timedelta(days=2)
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=KOLKATA)
    slot = SlotFactory(doctor=doctor, start_time=midnight + dt.timedelta(hours=10))

    on_day = availability_body(
        doctor_id=doctor.pk, start_date=None, days=1, now=midnight - dt.timedelta(minutes=2)
    )
    next_day = availability_body(
        doctor_id=doctor.pk, start_date=None, days=1, now=midnight + dt.timedelta(minutes=1)
    )

    assert json.loads(on_day)["data"]["slots"] == []
    assert [s["id"] for s in json.loads(next_day)["data"]["slots"]] == [str(slot.pk)]


@pytest.mark.django_db
def test_availability_answers_from_the_database_when_redis_is_down(
    client_for, patient, doctor, settings
):
    slot = SlotFactory(doctor=doctor)
    client = client_for(patient)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    first = client.get(url(doctor.pk))
    AvailabilitySlot.objects.filter(pk=slot.pk).update(status=SlotStatus.BLOCKED)
    second = client.get(url(doctor.pk))

    assert slot_ids(first) == [str(slot.pk)]
    assert slot_ids(second) == []
