"""GET /consultations and /consultations/{id}: scoping, filters, query counts, access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from doctors.models import SlotStatus
from doctors.tests.factories import SlotFactory

from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/consultations"


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200
    return {c["id"] for c in response.json()["data"]["consultations"]}


@pytest.fixture
def world(doctor, doctor_b, patient, patient_b) -> dict[str, Any]:
    """Three consultations: A with doctor X, B with doctor X, A with doctor Y."""
    return {
        "a_x": ConsultationFactory(
            patient=patient, slot=SlotFactory(doctor=doctor, status="BOOKED")
        ),
        "b_x": ConsultationFactory(
            patient=patient_b, slot=SlotFactory(doctor=doctor, status="BOOKED")
        ),
        "a_y": ConsultationFactory(
            patient=patient, slot=SlotFactory(doctor=doctor_b, status="BOOKED")
        ),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("patient", {"a_x", "a_y"}),
        ("patient_b", {"b_x"}),
        ("doctor", {"a_x", "b_x"}),
        ("doctor_b", {"a_y"}),
        ("admin_user", {"a_x", "b_x", "a_y"}),
    ],
)
def test_the_list_is_scoped_to_the_caller(request, client_for, world, who, sees):
    user = request.getfixturevalue(who)

    response = client_for(getattr(user, "user", user)).get(LIST_URL)

    assert _ids(response) == {str(world[name].pk) for name in sees}
    assert response.json()["data"]["pagination"]["total"] == len(sees)


def test_list_items_leave_out_health_information(client_for, patient, world):
    response = client_for(patient).get(LIST_URL)

    item = response.json()["data"]["consultations"][0]
    assert "reason" not in item
    assert "notes" not in item
    assert "prescription" not in item
    assert "cancellationReason" not in item
    assert {"id", "status", "startTime", "endTime", "meetingLink", "doctorId"} <= set(item)


def test_the_list_filters_by_status(client_for, admin_user, world):
    world["b_x"].status = "CANCELLED"
    world["b_x"].cancelled_at = timezone.now()
    world["b_x"].save()

    response = client_for(admin_user).get(LIST_URL, {"status": "CANCELLED"})

    assert _ids(response) == {str(world["b_x"].pk)}


def test_the_list_filters_by_start_time(client_for, patient, doctor, slot_at):
    soon = ConsultationFactory(patient=patient, slot=slot_at(60, status="BOOKED"))
    later = ConsultationFactory(patient=patient, slot=slot_at(60 * 24 * 3, status="BOOKED"))
    boundary = (timezone.now() + dt.timedelta(days=1)).isoformat()
    client = client_for(patient)

    after = client.get(LIST_URL, {"from": boundary})
    before = client.get(LIST_URL, {"to": boundary})
    that_day = client.get(
        LIST_URL,
        {
            "from": later.slot.start_time.date().isoformat(),
            "to": later.slot.start_time.date().isoformat(),
        },
    )

    assert _ids(after) == {str(later.pk)}
    assert _ids(before) == {str(soon.pk)}
    assert _ids(that_day) == {str(later.pk)}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "DONE"},
        {"from": "2025-13-40"},
        {"from": "2025-01-01T10:00:00"},
        {"from": "2025-02-01", "to": "2025-01-01"},
        {"pageSize": 101},
    ],
)
def test_bad_list_filters_are_400(client_for, patient, params):
    response = client_for(patient).get(LIST_URL, params)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_the_list_is_paginated_latest_start_first(client_for, patient, doctor, slot_at):
    made = [
        ConsultationFactory(patient=patient, slot=slot_at(60 * (i + 2), status="BOOKED"))
        for i in range(3)
    ]

    response = client_for(patient).get(LIST_URL, {"page": 1, "pageSize": 2})

    body = response.json()["data"]
    assert [c["id"] for c in body["consultations"]] == [str(made[2].pk), str(made[1].pk)]
    pagination = body["pagination"]
    assert pagination == {
        "page": 1,
        "pageSize": 2,
        "total": 3,
        "totalPages": 2,
        "totalIsEstimate": False,
        "nextCursor": pagination["nextCursor"],
    }
    after = client_for(patient).get(LIST_URL, {"pageSize": 2, "cursor": pagination["nextCursor"]})
    rest = after.json()["data"]
    assert [c["id"] for c in rest["consultations"]] == [str(made[0].pk)]
    assert rest["pagination"]["nextCursor"] is None


def _list_queries(client: Any, size: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL, {"pageSize": size})
    assert len(response.json()["data"]["consultations"]) == size
    return len(captured)


@pytest.mark.parametrize("role", ["patient", "admin_user"])
def test_the_list_query_count_does_not_grow_with_the_page(request, client_for, doctor, role):
    user = request.getfixturevalue(role)
    patient = user if role == "patient" else request.getfixturevalue("patient")
    for _ in range(20):
        ConsultationFactory(patient=patient, slot=SlotFactory(doctor=doctor, status="BOOKED"))
    client = client_for(user)
    client.get(LIST_URL)  # warm what authentication caches per user

    small, large = _list_queries(client, 2), _list_queries(client, 20)

    assert small == large
    assert large <= 3  # (authentication,) count, page


@pytest.mark.parametrize("who", ["patient", "doctor", "admin_user"])
def test_participants_and_admins_read_the_detail_on_the_access_log(
    request, client_for, phi_reads, patient, world, who
):
    user = request.getfixturevalue(who)
    actor = getattr(user, "user", user)
    consultation = world["a_x"]

    response = client_for(actor).get(f"{LIST_URL}/{consultation.pk}")

    assert response.status_code == 200
    assert response.json()["data"]["consultation"]["reason"] == consultation.reason
    assert phi_reads == [
        {
            "action": "consultation.viewed",
            "object_type": "consultation",
            "object_id": consultation.pk,
            "subject_id": patient.pk,
            "actor": actor,
        }
    ]


@pytest.mark.parametrize("who", ["patient_b", "doctor_b"])
def test_anyone_else_gets_404_and_nothing_is_logged(request, client_for, phi_reads, world, who):
    user = request.getfixturevalue(who)

    response = client_for(getattr(user, "user", user)).get(f"{LIST_URL}/{world['a_x'].pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert phi_reads == []


@pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_and_malformed_ids_are_404(client_for, admin_user, bad):
    response = client_for(admin_user).get(f"{LIST_URL}/{bad}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_list_and_detail_are_401(api_client, world):
    assert api_client.get(LIST_URL).status_code == 401
    assert api_client.get(f"{LIST_URL}/{world['a_x'].pk}").status_code == 401


def test_lifecycle_answers_are_on_the_access_log_too(
    client_for, phi_reads, doctor, slot_at, patient
):
    consultation = ConsultationFactory(patient=patient, slot=slot_at(5, status=SlotStatus.BOOKED))

    client_for(doctor.user).post(f"{LIST_URL}/{consultation.pk}/start")

    assert [r["action"] for r in phi_reads] == ["consultation.viewed"]
    assert phi_reads[0]["actor"] == doctor.user


def test_from_and_to_both_include_the_instant_they_name(client_for, patient, slot_at):
    # One meaning of from/to on every list (amrutam/common/contract/window.py), as on
    # the audit log: a timestamp bound counts the instant itself at either end.
    booked = ConsultationFactory(patient=patient, slot=slot_at(60 * 5, status="BOOKED"))
    instant = booked.slot.start_time.isoformat()
    just_before = (booked.slot.start_time - dt.timedelta(microseconds=1)).isoformat()
    client = client_for(patient)

    assert _ids(client.get(LIST_URL, {"to": instant})) == {str(booked.pk)}
    assert _ids(client.get(LIST_URL, {"from": instant})) == {str(booked.pk)}
    assert _ids(client.get(LIST_URL, {"from": instant, "to": instant})) == {str(booked.pk)}
    assert _ids(client.get(LIST_URL, {"to": just_before})) == set()
