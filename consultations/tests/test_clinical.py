"""Clinical notes and the prescription: who writes them, when, validation, encryption."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from consultations.models import ClinicalNotes, Prescription
from doctors.models import SlotStatus

from .concurrency import race
from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db

NOTES = {"symptoms": "Cough, mild fever", "diagnosis": "Viral URTI", "advice": "Rest, fluids"}
ITEM = {"medicine": "Paracetamol", "dosage": "500 mg", "frequency": "TID", "durationDays": 3}


@pytest.fixture
def active(slot_at, patient) -> Any:
    slot = slot_at(-5, status=SlotStatus.BOOKED)
    return ConsultationFactory(slot=slot, patient=patient, status="ACTIVE")


def _notes(client_for, user: Any, consultation: Any, body: dict[str, Any]) -> Any:
    url = f"/api/v1/consultations/{consultation.pk}/notes"
    return client_for(user).put(url, body, format="json")


def _prescribe(client_for, user: Any, consultation: Any, body: dict[str, Any]) -> Any:
    url = f"/api/v1/consultations/{consultation.pk}/prescription"
    return client_for(user).post(url, body, format="json")


def test_first_notes_are_201_then_200_replacing_them(client_for, doctor, active):
    first = _notes(client_for, doctor.user, active, {**NOTES, "followUpInDays": 7})

    second = _notes(client_for, doctor.user, active, {**NOTES, "advice": "Steam inhalation"})

    assert first.status_code == 201
    assert first.json()["data"]["notes"]["followUpInDays"] == 7
    assert second.status_code == 200
    assert second.json()["data"]["notes"]["advice"] == "Steam inhalation"
    assert second.json()["data"]["notes"]["followUpInDays"] is None
    assert ClinicalNotes.objects.filter(consultation=active).count() == 1


def test_notes_may_be_written_after_completion(client_for, doctor, slot_at, patient):
    done = ConsultationFactory(slot=slot_at(-60, status=SlotStatus.BOOKED), status="COMPLETED")

    response = _notes(client_for, doctor.user, done, NOTES)

    assert response.status_code == 201


@pytest.mark.parametrize("status", ["PENDING", "CANCELLED", "NO_SHOW"])
def test_notes_outside_active_or_completed_are_409(client_for, doctor, slot_at, status):
    consultation = ConsultationFactory(slot=slot_at(30, status=SlotStatus.BOOKED), status=status)

    response = _notes(client_for, doctor.user, consultation, NOTES)

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert ClinicalNotes.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"symptoms": "x"},
        {**NOTES, "diagnosis": ""},
        {**NOTES, "symptoms": "x" * 10_001},
        {**NOTES, "followUpInDays": 0},
        {**NOTES, "followUpInDays": -3},
        {**NOTES, "followUpInDays": "soon"},
        {**NOTES, "advice": ["a", "b"]},
    ],
)
def test_bad_notes_are_400_and_write_nothing(client_for, doctor, active, body):
    response = _notes(client_for, doctor.user, active, body)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert ClinicalNotes.objects.count() == 0


@pytest.mark.parametrize(("who", "expected"), [("patient", 403), ("admin_user", 403)])
def test_only_the_doctor_writes_notes(request, client_for, active, who, expected):
    user = request.getfixturevalue(who)

    response = _notes(client_for, user, active, NOTES)

    assert response.status_code == expected
    assert ClinicalNotes.objects.count() == 0


def test_another_doctor_gets_404_for_notes(client_for, doctor_b, active):
    response = _notes(client_for, doctor_b.user, active, NOTES)

    assert response.status_code == 404
    assert ClinicalNotes.objects.count() == 0


def test_prescription_is_201_and_signed_by_the_doctor(client_for, doctor, active):
    body = {"items": [ITEM, {**ITEM, "medicine": "ORS", "instructions": "After meals"}]}

    response = _prescribe(client_for, doctor.user, active, {**body, "notes": "Review in 3 days"})

    prescription = response.json()["data"]["prescription"]
    assert response.status_code == 201
    assert prescription["doctorName"] == doctor.user.name
    assert prescription["registrationNumber"] == doctor.registration_number
    assert prescription["consultationId"] == str(active.pk)
    assert prescription["notes"] == "Review in 3 days"
    assert prescription["items"] == [
        {**ITEM, "instructions": None},
        {**ITEM, "medicine": "ORS", "instructions": "After meals"},
    ]


def test_a_second_prescription_is_409(client_for, doctor, active):
    _prescribe(client_for, doctor.user, active, {"items": [ITEM]})

    response = _prescribe(client_for, doctor.user, active, {"items": [ITEM]})

    assert response.status_code == 409
    assert response.json()["code"] == "prescription_exists"
    assert Prescription.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {},
        {"items": [{**ITEM, "durationDays": -1}]},
        {"items": [{**ITEM, "durationDays": 0}]},
        {"items": [{**ITEM, "medicine": ""}]},
        {"items": [{k: v for k, v in ITEM.items() if k != "dosage"}]},
        {"items": [ITEM] * 51},
        {"items": "Paracetamol"},
        {"items": [ITEM], "notes": "x" * 10_001},
    ],
)
def test_bad_prescriptions_are_400_and_write_nothing(client_for, doctor, active, body):
    response = _prescribe(client_for, doctor.user, active, body)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert Prescription.objects.count() == 0


@pytest.mark.parametrize("status", ["PENDING", "CANCELLED", "NO_SHOW"])
def test_prescription_outside_active_or_completed_is_409(client_for, doctor, slot_at, status):
    consultation = ConsultationFactory(slot=slot_at(30, status=SlotStatus.BOOKED), status=status)

    response = _prescribe(client_for, doctor.user, consultation, {"items": [ITEM]})

    assert response.status_code == 409
    assert Prescription.objects.count() == 0


@pytest.mark.parametrize("who", ["patient", "admin_user"])
def test_only_the_doctor_prescribes(request, client_for, active, who):
    response = _prescribe(client_for, request.getfixturevalue(who), active, {"items": [ITEM]})

    assert response.status_code == 403
    assert Prescription.objects.count() == 0


def test_another_doctor_gets_404_for_a_prescription(client_for, doctor_b, active):
    response = _prescribe(client_for, doctor_b.user, active, {"items": [ITEM]})

    assert response.status_code == 404


def test_the_patient_reads_notes_and_prescription_in_the_detail(
    client_for, doctor, patient, active
):
    _notes(client_for, doctor.user, active, NOTES)
    _prescribe(client_for, doctor.user, active, {"items": [ITEM]})

    response = client_for(patient).get(f"/api/v1/consultations/{active.pk}")

    data = response.json()["data"]["consultation"]
    assert data["notes"]["diagnosis"] == "Viral URTI"
    assert data["prescription"]["items"][0]["medicine"] == "Paracetamol"
    assert data["prescription"]["registrationNumber"] == doctor.registration_number


def test_notes_and_prescription_are_encrypted_at_rest(client_for, doctor, active):
    sentinel = "SENTINEL-dx-4417"
    _notes(client_for, doctor.user, active, {**NOTES, "diagnosis": sentinel})
    _prescribe(client_for, doctor.user, active, {"items": [{**ITEM, "medicine": sentinel}]})

    with connection.cursor() as cursor:
        cursor.execute("SELECT symptoms, diagnosis, advice FROM consultations_clinicalnotes")
        notes_row = cursor.fetchone()
        cursor.execute("SELECT items, notes FROM consultations_prescription")
        prescription_row = cursor.fetchone()

    assert all(sentinel not in (value or "") for value in (*notes_row, *prescription_row))
    assert ClinicalNotes.objects.get().diagnosis == sentinel
    assert Prescription.objects.get().items[0]["medicine"] == sentinel


def test_the_database_refuses_a_second_prescription_written_around_the_service(doctor, active):
    from django.db import IntegrityError, transaction

    fields = {
        "consultation": active,
        "doctor": doctor,
        "doctor_name": "x",
        "registration_number": "y",
        "items": [ITEM],
        "item_count": 1,
    }
    Prescription.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Prescription.objects.create(**fields)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_prescriptions_leave_one(token_for, doctor, slot_at):
    from rest_framework.test import APIClient

    consultation = ConsultationFactory(slot=slot_at(-5, status=SlotStatus.BOOKED), status="ACTIVE")
    token = token_for(doctor.user)

    def job() -> Any:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        url = f"/api/v1/consultations/{consultation.pk}/prescription"
        return client.post(url, {"items": [ITEM]}, format="json")

    responses = race([job, job])

    assert sorted(r.status_code for r in responses) == [201, 409]
    assert Prescription.objects.count() == 1
