"""GET /api/v1/admin/analytics: consultations booked in a window, counted by the database."""

import datetime as dt

import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/analytics"


def _book(status, day, doctor=None, hour=10):
    from consultations.tests.factories import ConsultationFactory
    from doctors.tests.factories import SlotFactory

    slot = SlotFactory(**({"doctor": doctor} if doctor else {}))
    consultation = ConsultationFactory(slot=slot, status=status)
    created = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
    apps.get_model("consultations", "Consultation").objects.filter(pk=consultation.pk).update(
        created_at=created
    )
    return consultation


@pytest.fixture
def bookings(doctor, doctor_b):
    jan = dt.date(2025, 1, 1)
    _book("PENDING", jan, doctor)
    _book("COMPLETED", jan, doctor)
    _book("CANCELLED", jan + dt.timedelta(days=2), doctor_b)
    _book("NO_SHOW", jan + dt.timedelta(days=2), doctor_b)
    _book("COMPLETED", jan + dt.timedelta(days=2), doctor_b, hour=23)
    _book("ACTIVE", jan + dt.timedelta(days=3), doctor)
    _book("COMPLETED", dt.date(2024, 12, 31), doctor, hour=23)  # outside the window
    _book("CANCELLED", dt.date(2025, 1, 5), doctor)  # outside the window


def test_analytics_counts_the_window(
    bookings, admin_user, client_for, django_assert_max_num_queries
):
    client = client_for(admin_user)

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"from": "2025-01-01", "to": "2025-01-04"})

    assert response.status_code == 200
    assert response.json()["data"] == {
        "totalConsultations": 6,
        "byStatus": {"PENDING": 1, "ACTIVE": 1, "COMPLETED": 2, "CANCELLED": 1, "NO_SHOW": 1},
        "activeDoctors": 2,
        "bookingsPerDay": [
            {"date": "2025-01-01", "count": 2},
            {"date": "2025-01-02", "count": 0},
            {"date": "2025-01-03", "count": 3},
            {"date": "2025-01-04", "count": 1},
        ],
        # 1 cancelled of 6 booked; 1 no-show of the 4 that reached their time.
        "cancellationRate": 0.1667,
        "noShowRate": 0.25,
        # Free consultations only here; payments/tests count the money.
        "revenue": {"currency": "INR", "paid": "0.00", "refunded": "0.00"},
    }


def test_analytics_of_an_empty_window_is_all_zeros(admin_user, client_for):
    response = client_for(admin_user).get(URL, {"from": "2030-01-01", "to": "2030-01-02"})

    data = response.json()["data"]
    assert data["totalConsultations"] == 0
    assert set(data["byStatus"].values()) == {0}
    assert (data["cancellationRate"], data["noShowRate"], data["activeDoctors"]) == (0.0, 0.0, 0)
    assert data["bookingsPerDay"] == [
        {"date": "2030-01-01", "count": 0},
        {"date": "2030-01-02", "count": 0},
    ]


def test_analytics_defaults_to_the_last_thirty_days(admin_user, client_for):
    response = client_for(admin_user).get(URL)

    days = response.json()["data"]["bookingsPerDay"]
    assert len(days) == 30
    assert days[-1]["date"] == dt.datetime.now(dt.UTC).date().isoformat()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"from": "2024-01-01", "to": "2025-06-01"}, "to"),
        ({"from": "2025-13-01"}, "from"),
        ({"to": "2025-01-01T00:00:00"}, "to"),
    ],
)
def test_bad_analytics_windows_are_a_400(params, field, admin_user, client_for):
    response = client_for(admin_user).get(URL, params)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("patient", 403), ("doctor", 403)])
def test_only_admins_see_analytics(who, status, api_client, client_for, request):
    users = {
        "patient": lambda: request.getfixturevalue("patient"),
        "doctor": lambda: request.getfixturevalue("doctor").user,
    }
    client = api_client if who == "anonymous" else client_for(users[who]())

    response = client.get(URL)

    assert response.status_code == status
    assert "totalConsultations" not in response.json()
