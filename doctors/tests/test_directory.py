"""GET /doctors and /doctors/{id}: visibility, filters, ordering, pagination, query count."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from doctors.models import SlotStatus
from doctors.tests.factories import DoctorProfileFactory, SlotFactory

pytestmark = pytest.mark.django_db


def make_doctor(name: str, **fields):
    return DoctorProfileFactory(user=UserFactory(role="DOCTOR", name=name), **fields)


def names(response) -> list[str]:
    return [d["name"] for d in response.json()["data"]["doctors"]]


def test_directory_lists_only_verified_doctors_of_active_accounts(client_for, patient, doctor):
    make_doctor("Dr Unverified", is_verified=False, verified_at=None)
    deactivated = make_doctor("Dr Deactivated")
    deactivated.user.is_active = False
    deactivated.user.save()

    response = client_for(patient).get("/api/v1/doctors")

    assert response.status_code == 200
    assert names(response) == ["Doctor X"]
    assert response.json()["data"]["pagination"] == {
        "page": 1,
        "pageSize": 20,
        "total": 1,
        "totalPages": 1,
    }


def test_directory_entry_has_the_documented_shape(client_for, patient, doctor):
    doctor.consultation_fee = Decimal("500.00")
    doctor.save(update_fields=["consultation_fee"])
    slot = SlotFactory(doctor=doctor)

    entry = client_for(patient).get("/api/v1/doctors").json()["data"]["doctors"][0]

    assert entry == {
        "id": str(doctor.pk),
        "name": "Doctor X",
        "specialization": "Ayurveda",
        "qualifications": "BAMS",
        "registrationNumber": doctor.registration_number,
        "languages": ["English", "Hindi"],
        "consultationFee": "500.00",
        "currency": "INR",
        "experienceYears": 10,
        "bio": "",
        "timezone": "Asia/Kolkata",
        "slotMinutes": 30,
        "isVerified": True,
        "nextAvailableSlot": slot.start_time.isoformat().replace("+00:00", "Z"),
    }


def test_next_available_slot_skips_booked_blocked_and_started_slots(client_for, patient, doctor):
    now = timezone.now().replace(microsecond=0)
    SlotFactory(doctor=doctor, start_time=now - dt.timedelta(minutes=5))
    SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=1), status=SlotStatus.BOOKED)
    SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=2), status=SlotStatus.BLOCKED)
    free = SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=3))
    SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=4))

    entry = client_for(patient).get("/api/v1/doctors").json()["data"]["doctors"][0]

    assert entry["nextAvailableSlot"] == free.start_time.isoformat().replace("+00:00", "Z")


def test_next_available_slot_is_null_without_a_bookable_slot(client_for, patient, doctor):
    entry = client_for(patient).get("/api/v1/doctors").json()["data"]["doctors"][0]

    assert entry["nextAvailableSlot"] is None


@pytest.fixture
def three_doctors(db):
    asha = make_doctor(
        "Asha",
        specialization="Ayurveda",
        languages=["English", "Hindi"],
        consultation_fee=Decimal("500.00"),
        experience_years=12,
    )
    ravi = make_doctor(
        "Ravi",
        specialization="Dermatology",
        languages=["English", "Tamil"],
        consultation_fee=Decimal("800.00"),
        experience_years=8,
    )
    sara = make_doctor(
        "Sara",
        specialization="General Medicine",
        languages=["Urdu", "Hindi"],
        consultation_fee=Decimal("400.00"),
        experience_years=5,
    )
    return asha, ravi, sara


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("specialization=dermatology", ["Ravi"]),
        ("language=Hindi", ["Asha", "Sara"]),
        ("language=Tamil", ["Ravi"]),
        ("language=French", []),
        ("q=sar", ["Sara"]),
        ("q=MEDIC", ["Sara"]),
        ("minFee=500", ["Asha", "Ravi"]),
        ("maxFee=500", ["Asha", "Sara"]),
        ("minFee=450&maxFee=600", ["Asha"]),
        ("language=Hindi&maxFee=450", ["Sara"]),
    ],
)
def test_directory_filters(client_for, patient, three_doctors, query, expected):
    response = client_for(patient).get(f"/api/v1/doctors?{query}")

    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("fee", ["Sara", "Asha", "Ravi"]),
        ("-fee", ["Ravi", "Asha", "Sara"]),
        ("experience", ["Sara", "Ravi", "Asha"]),
        ("-experience", ["Asha", "Ravi", "Sara"]),
        ("name", ["Asha", "Ravi", "Sara"]),
    ],
)
def test_directory_ordering(client_for, patient, three_doctors, ordering, expected):
    response = client_for(patient).get(f"/api/v1/doctors?ordering={ordering}")

    assert names(response) == expected


def test_ordering_by_next_available_puts_doctors_without_slots_last(
    client_for, patient, three_doctors
):
    asha, ravi, _sara = three_doctors
    now = timezone.now().replace(microsecond=0)
    SlotFactory(doctor=asha, start_time=now + dt.timedelta(hours=5))
    SlotFactory(doctor=ravi, start_time=now + dt.timedelta(hours=1))

    response = client_for(patient).get("/api/v1/doctors?ordering=nextAvailable")

    assert names(response) == ["Ravi", "Asha", "Sara"]


def test_available_on_uses_each_doctors_own_time_zone(client_for, patient):
    day = timezone.now().date() + dt.timedelta(days=3)
    midnight_utc = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    kolkata = make_doctor("Kolkata", timezone="Asia/Kolkata")
    london = make_doctor("London", timezone="Europe/London")
    # 20:00 UTC the day before is 01:30 IST on `day`, and 20:00 or 21:00 in London the day before.
    SlotFactory(doctor=kolkata, start_time=midnight_utc - dt.timedelta(hours=4))
    SlotFactory(doctor=london, start_time=midnight_utc - dt.timedelta(hours=4))

    on_day = client_for(patient).get(f"/api/v1/doctors?availableOn={day.isoformat()}")
    day_before = client_for(patient).get(
        f"/api/v1/doctors?availableOn={(day - dt.timedelta(days=1)).isoformat()}"
    )

    assert names(on_day) == ["Kolkata"]
    assert names(day_before) == ["London"]


def test_available_on_ignores_booked_and_blocked_slots(client_for, patient, doctor):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    SlotFactory(doctor=doctor, start_time=start, status=SlotStatus.BOOKED)
    SlotFactory(doctor=doctor, start_time=start + dt.timedelta(hours=1), status=SlotStatus.BLOCKED)
    local_day = start.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).date()

    response = client_for(patient).get(f"/api/v1/doctors?availableOn={local_day.isoformat()}")

    assert names(response) == []


def test_directory_pages(client_for, patient):
    for index in range(5):
        make_doctor(f"Doctor {index}")

    response = client_for(patient).get("/api/v1/doctors?page=2&pageSize=2")

    body = response.json()["data"]
    assert names(response) == ["Doctor 2", "Doctor 3"]
    assert body["pagination"] == {"page": 2, "pageSize": 2, "total": 5, "totalPages": 3}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("minFee=abc", "minFee"),
        ("maxFee=-1", "maxFee"),
        ("minFee=NaN", "minFee"),
        ("minFee=900&maxFee=100", "maxFee"),
        ("availableOn=2024-13-40", "availableOn"),
        ("availableOn=9999-12-31", "availableOn"),
        ("ordering=password", "ordering"),
        ("pageSize=101", "pageSize"),
        ("page=0", "page"),
        (f"q={'x' * 101}", "q"),
    ],
)
def test_invalid_directory_parameters_are_400(client_for, patient, doctor, query, field):
    response = client_for(patient).get(f"/api/v1/doctors?{query}")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert field in body["errors"]


def test_directory_needs_a_token(api_client, doctor):
    response = api_client.get("/api/v1/doctors")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def page_queries(client, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/doctors?pageSize={page_size}&ordering=nextAvailable")
    assert response.status_code == 200
    assert len(response.json()["data"]["doctors"]) == page_size
    return len(queries)


def test_directory_query_count_does_not_grow_with_page_size(client_for, patient):
    for index in range(12):
        doctor = make_doctor(f"Doctor {index:02d}")
        SlotFactory(doctor=doctor)
        SlotFactory(doctor=doctor)
    client = client_for(patient)
    client.get("/api/v1/doctors")  # warm whatever authentication caches per user

    small = page_queries(client, 2)
    large = page_queries(client, 12)

    assert small == large
    # At most the caller's user, then the count and the page (with its next slots).
    assert large <= 3


def test_doctor_detail_shows_a_listed_doctor(client_for, patient, doctor):
    response = client_for(patient).get(f"/api/v1/doctors/{doctor.pk}")

    assert response.status_code == 200
    assert response.json()["data"]["doctor"]["id"] == str(doctor.pk)


@pytest.mark.parametrize("kind", ["unverified", "deactivated", "unknown", "malformed"])
def test_doctor_detail_is_404_unless_listed(client_for, patient, kind):
    unverified = make_doctor("Hidden", is_verified=False, verified_at=None)
    deactivated = make_doctor("Gone")
    deactivated.user.is_active = False
    deactivated.user.save()
    path = {
        "unverified": unverified.pk,
        "deactivated": deactivated.pk,
        "unknown": uuid.uuid4(),
        "malformed": "not-a-uuid",
    }[kind]

    response = client_for(patient).get(f"/api/v1/doctors/{path}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
