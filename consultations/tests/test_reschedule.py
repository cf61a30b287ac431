"""POST /consultations/{id}/reschedule: one transaction, same doctor, idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from consultations.models import Consultation, ConsultationStatus, IdempotencyRecord
from doctors.models import SlotStatus
from doctors.tests.factories import SlotFactory

from .conftest import new_key
from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(slot_at, patient) -> Consultation:
    return ConsultationFactory(slot=slot_at(180, status=SlotStatus.BOOKED), patient=patient)


def _reschedule(client_for, user: Any, consultation: Any, slot_id: Any, key: str | None = None):
    return client_for(user).post(
        f"/api/v1/consultations/{consultation.pk}/reschedule",
        {"slotId": str(slot_id)},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or new_key(),
    )


def _slot_status(slot: Any) -> str:
    slot.refresh_from_db()
    return slot.status


def test_reschedule_moves_the_consultation_and_frees_the_old_slot(
    client_for, slot_at, patient, booked
):
    old_slot, new_slot = booked.slot, slot_at(300)

    response = _reschedule(client_for, patient, booked, new_slot.pk)

    data = response.json()["data"]["consultation"]
    assert response.status_code == 200
    assert data["id"] == str(booked.pk)
    assert data["slotId"] == str(new_slot.pk)
    assert data["status"] == "PENDING"
    assert _slot_status(old_slot) == SlotStatus.AVAILABLE
    assert _slot_status(new_slot) == SlotStatus.BOOKED
    assert Consultation.objects.filter(patient=patient).active().count() == 1
    assert Consultation.objects.filter(slot=old_slot).active().count() == 0


def test_the_freed_slot_can_be_booked_again(client_for, book, slot_at, patient_b, booked):
    old_slot = booked.slot
    _reschedule(client_for, booked.patient, booked, slot_at(300).pk)

    response = book(patient_b, old_slot)

    assert response.status_code == 201


def test_reschedule_is_replayed_for_the_same_key(client_for, slot_at, patient, booked):
    key, new_slot = new_key(), slot_at(300)
    first = _reschedule(client_for, patient, booked, new_slot.pk, key=key)

    replay = _reschedule(client_for, patient, booked, new_slot.pk, key=key)

    assert replay.status_code == 200
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.count() == 1


def test_reschedule_without_a_key_is_400(client_for, slot_at, patient, booked):
    response = client_for(patient).post(
        f"/api/v1/consultations/{booked.pk}/reschedule",
        {"slotId": str(slot_at(300).pk)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"


def _assert_unchanged(booked: Consultation, *others: Any) -> None:
    slot_id = booked.slot_id
    booked.refresh_from_db()
    assert booked.slot_id == slot_id
    assert booked.status == ConsultationStatus.PENDING
    assert _slot_status(booked.slot) == SlotStatus.BOOKED
    for other in others:
        before = other.status
        assert _slot_status(other) == before


def test_a_slot_of_another_doctor_is_409(client_for, patient, doctor_b, booked):
    elsewhere = SlotFactory(doctor=doctor_b)

    response = _reschedule(client_for, patient, booked, elsewhere.pk)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    _assert_unchanged(booked, elsewhere)


@pytest.mark.parametrize("status", [SlotStatus.BOOKED, SlotStatus.BLOCKED])
def test_a_taken_or_blocked_slot_is_409(client_for, slot_at, patient, booked, status):
    taken = slot_at(300, status=status)

    response = _reschedule(client_for, patient, booked, taken.pk)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    _assert_unchanged(booked, taken)


def test_its_own_slot_is_409(client_for, patient, booked):
    response = _reschedule(client_for, patient, booked, booked.slot_id)

    assert response.status_code == 409
    _assert_unchanged(booked)


def test_a_started_slot_is_409(client_for, slot_at, patient, booked):
    past = slot_at(-5)

    response = _reschedule(client_for, patient, booked, past.pk)

    assert response.status_code == 409
    _assert_unchanged(booked, past)


def test_inside_the_cutoff_it_is_409_invalid_state(client_for, slot_at, patient):
    soon = ConsultationFactory(slot=slot_at(30, status=SlotStatus.BOOKED), patient=patient)
    target = slot_at(300)

    response = _reschedule(client_for, patient, soon, target.pk)

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    _assert_unchanged(soon, target)


@pytest.mark.parametrize("status", ["ACTIVE", "COMPLETED", "CANCELLED", "NO_SHOW"])
def test_only_a_pending_consultation_moves(client_for, slot_at, patient, status):
    consultation = ConsultationFactory(
        slot=slot_at(180, status=SlotStatus.BOOKED), patient=patient, status=status
    )
    target = slot_at(300)

    response = _reschedule(client_for, patient, consultation, target.pk)

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert _slot_status(target) == SlotStatus.AVAILABLE


def test_an_unknown_target_slot_is_404(client_for, patient, booked):
    response = _reschedule(client_for, patient, booked, "00000000-0000-0000-0000-000000000001")

    assert response.status_code == 404
    _assert_unchanged(booked)


def test_a_malformed_target_slot_is_400(client_for, patient, booked):
    response = _reschedule(client_for, patient, booked, "nope")

    assert response.status_code == 400
    assert response.json()["errors"].keys() == {"slotId"}


@pytest.mark.parametrize("role", ["doctor", "admin_user"])
def test_doctors_and_admins_cannot_reschedule(request, client_for, slot_at, booked, role):
    user = request.getfixturevalue(role)
    target = slot_at(300)

    response = _reschedule(client_for, getattr(user, "user", user), booked, target.pk)

    assert response.status_code == 403
    _assert_unchanged(booked, target)


def test_another_patient_gets_404(client_for, slot_at, patient_b, booked):
    target = slot_at(300)

    response = _reschedule(client_for, patient_b, booked, target.pk)

    assert response.status_code == 404
    _assert_unchanged(booked, target)
