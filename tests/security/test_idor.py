"""Object-level authorization beyond the matrix: lists hold only the caller's own objects,
and another user's object answers exactly like one that does not exist."""

from __future__ import annotations

import uuid

import pytest

from consultations.models import Consultation

pytestmark = pytest.mark.django_db


def _own_consultations(world, actor):
    user = world.user(actor)
    if actor == "admin":
        return set(Consultation.objects.values_list("pk", flat=True))
    if user.role == "PATIENT":
        return set(Consultation.objects.filter(patient=user).values_list("pk", flat=True))
    return set(Consultation.objects.filter(doctor__user=user).values_list("pk", flat=True))


@pytest.mark.parametrize("actor", ["patient_a", "patient_b", "doctor_x", "doctor_y", "admin"])
def test_the_consultation_list_holds_exactly_the_callers_own(world, client_as, actor):
    response = client_as(actor).get("/api/v1/consultations", {"pageSize": 100})

    listed = {uuid.UUID(c["id"]) for c in response.json()["data"]["consultations"]}
    assert response.status_code == 200
    assert listed == _own_consultations(world, actor)
    assert listed


@pytest.mark.parametrize("actor", ["doctor_x", "doctor_y"])
def test_a_doctors_slot_list_holds_only_their_own_slots(world, client_as, actor):
    from doctors.models import DoctorProfile

    own = DoctorProfile.objects.get(user=world.user(actor)).pk

    response = client_as(actor).get("/api/v1/doctors/me/slots", {"days": 31, "pageSize": 100})

    slots = response.json()["data"]["slots"]
    assert response.status_code == 200
    assert slots
    assert {s["doctorId"] for s in slots} == {str(own)}


@pytest.mark.parametrize("actor", ["patient_a", "patient_b", "doctor_x", "admin"])
def test_me_is_always_the_caller(world, client_as, actor):
    response = client_as(actor).get("/api/v1/auth/me")

    assert response.json()["data"]["user"]["id"] == str(world.user(actor).pk)


def test_the_access_log_shows_only_reads_of_the_callers_own_records(world, client_as):
    client_as("doctor_x").get(f"/api/v1/consultations/{world.ids['c_done']}")
    client_as("doctor_y").get(f"/api/v1/consultations/{world.ids['c_theirs']}")

    mine = client_as("patient_a").get("/api/v1/auth/me/access-log").json()["data"]["entries"]
    theirs = client_as("patient_b").get("/api/v1/auth/me/access-log").json()["data"]["entries"]

    assert {e["objectId"] for e in mine} == {world.ids["c_done"]}
    assert {e["objectId"] for e in theirs} == {world.ids["c_theirs"]}


@pytest.mark.parametrize(
    ("actor", "method", "path"),
    [
        ("patient_b", "get", "/api/v1/consultations/{id}"),
        ("patient_b", "post", "/api/v1/consultations/{id}/cancel"),
        ("doctor_y", "get", "/api/v1/consultations/{id}"),
        ("doctor_y", "put", "/api/v1/consultations/{id}/notes"),
        ("doctor_y", "post", "/api/v1/consultations/{id}/prescription"),
        ("doctor_y", "post", "/api/v1/consultations/{id}/start"),
    ],
)
def test_another_users_consultation_answers_like_a_missing_one(
    world, client_as, actor, method, path
):
    client = client_as(actor)
    body = {"symptoms": "x", "diagnosis": "y", "advice": "z", "items": []}

    theirs = getattr(client, method)(path.format(id=world.ids["c_active"]), body, format="json")
    missing = getattr(client, method)(path.format(id=uuid.uuid4()), body, format="json")

    assert theirs.status_code == missing.status_code
    strip = {"requestId"}
    assert {k: v for k, v in theirs.json().items() if k not in strip} == {
        k: v for k, v in missing.json().items() if k not in strip
    }


def test_another_doctors_slot_answers_like_a_missing_one(world, client_as):
    client = client_as("doctor_y")

    theirs = client.delete(f"/api/v1/doctors/me/slots/{world.ids['slot_free']}")
    missing = client.delete(f"/api/v1/doctors/me/slots/{uuid.uuid4()}")

    assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")
    assert (missing.status_code, missing.json()["message"]) == (404, theirs.json()["message"])
