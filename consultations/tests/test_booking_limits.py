"""A patient's upcoming consultations are capped, in total and per doctor, even when
many bookings of one patient race (BOOKING_MAX_UPCOMING_PER_PATIENT / _PER_DOCTOR)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from consultations.models import Consultation, ConsultationStatus
from doctors.models import AvailabilitySlot, SlotStatus
from doctors.tests.factories import DoctorProfileFactory, SlotFactory

from .concurrency import race
from .conftest import BOOKINGS_URL, new_key

# Every test runs on both booking paths (one statement, ORM).
pytestmark = pytest.mark.usefixtures("booking_path")


def _codes(responses: list[Any]) -> Counter:
    assert not [r for r in responses if isinstance(r, Exception)]
    return Counter((r.status_code, r.json().get("code")) for r in responses)


@pytest.mark.django_db
def test_the_per_doctor_cap_refuses_one_more_with_that_doctor_not_with_another(
    settings, patient, doctor, doctor_b, book, slot_at
):
    settings.BOOKING_MAX_UPCOMING_PER_DOCTOR = 2
    settings.BOOKING_MAX_UPCOMING_PER_PATIENT = 10
    slots = [slot_at(60 * h) for h in (2, 3, 4)]

    assert [book(patient, s).status_code for s in slots[:2]] == [201, 201]
    refused = book(patient, slots[2])
    other_doctor = book(patient, slot_at(5 * 60, doctor=doctor_b))

    assert refused.status_code == 409
    body = refused.json()
    assert (body["status"], body["code"]) == ("fail", "booking_limit_reached")
    assert body["requestId"] == refused["X-Request-ID"]
    assert AvailabilitySlot.objects.get(pk=slots[2].pk).status == SlotStatus.AVAILABLE
    assert other_doctor.status_code == 201


@pytest.mark.django_db
def test_only_pending_consultations_still_to_come_count(
    settings, patient, doctor, book, slot_at, client_for
):
    settings.BOOKING_MAX_UPCOMING_PER_DOCTOR = 1
    first = book(patient, slot_at(3 * 60))
    assert first.status_code == 201
    assert book(patient, slot_at(4 * 60)).json()["code"] == "booking_limit_reached"

    # Cancelling frees the allowance; so does a consultation once it has started.
    consultation_id = first.json()["data"]["consultation"]["id"]
    cancelled = client_for(patient).post(f"/api/v1/consultations/{consultation_id}/cancel")
    assert cancelled.status_code == 200
    assert book(patient, slot_at(5 * 60)).status_code == 201
    Consultation.objects.filter(patient=patient, status=ConsultationStatus.PENDING).update(
        status=ConsultationStatus.ACTIVE, started_at=timezone.now()
    )
    assert book(patient, slot_at(6 * 60)).status_code == 201


@pytest.mark.django_db
def test_a_cap_of_zero_is_no_cap(settings, patient, doctor, book, slot_at):
    settings.BOOKING_MAX_UPCOMING_PER_DOCTOR = 0
    settings.BOOKING_MAX_UPCOMING_PER_PATIENT = 0

    answers = [book(patient, slot_at(60 * h)).status_code for h in range(2, 8)]

    assert answers == [201] * 6


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_by_one_patient_never_exceed_the_cap(
    settings, patient, token_for
):
    settings.BOOKING_MAX_UPCOMING_PER_PATIENT = 3
    settings.BOOKING_MAX_UPCOMING_PER_DOCTOR = 2
    # Twenty free slots over four doctors: the total cap (3) binds before any doctor's.
    doctors = [DoctorProfileFactory() for _ in range(4)]
    slots = [SlotFactory(doctor=doctors[i % 4]) for i in range(20)]
    token = token_for(patient)

    def job(slot: Any) -> Any:
        def call() -> Any:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            body = {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk)}
            return client.post(BOOKINGS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=new_key())

        return call

    responses = race([job(s) for s in slots])

    assert _codes(responses) == {(201, None): 3, (409, "booking_limit_reached"): 17}
    held = Consultation.objects.filter(patient=patient, status=ConsultationStatus.PENDING)
    assert held.count() == 3
    assert AvailabilitySlot.objects.filter(status=SlotStatus.BOOKED).count() == 3


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_with_one_doctor_never_exceed_the_doctor_cap(
    settings, patient, doctor, token_for
):
    settings.BOOKING_MAX_UPCOMING_PER_PATIENT = 10
    settings.BOOKING_MAX_UPCOMING_PER_DOCTOR = 2
    slots = [SlotFactory(doctor=doctor) for _ in range(20)]
    token = token_for(patient)
    client_body = [{"doctorId": str(s.doctor_id), "slotId": str(s.pk)} for s in slots]

    def job(body: dict[str, str]) -> Any:
        def call() -> Any:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            return client.post(BOOKINGS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=new_key())

        return call

    responses = race([job(b) for b in client_body])

    assert _codes(responses) == {(201, None): 2, (409, "booking_limit_reached"): 18}
    assert Consultation.objects.filter(patient=patient, doctor=doctor).count() == 2
