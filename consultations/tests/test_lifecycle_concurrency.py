"""Lifecycle actions raced by threads, and availability right after every change."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from consultations.models import Consultation
from doctors.models import AvailabilitySlot, SlotStatus

from .concurrency import race
from .conftest import new_key
from .factories import ConsultationFactory

concurrent = pytest.mark.django_db(transaction=True)


def _job(token: str, url: str, body: dict[str, Any] | None = None, key: str | None = None):
    def job() -> Any:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return client.post(url, body, format="json", **headers)

    return job


def _statuses(responses: list[Any]) -> Counter:
    assert not [r for r in responses if isinstance(r, Exception)]
    return Counter(r.status_code for r in responses)


@concurrent
def test_crossing_reschedules_never_deadlock(token_for, doctor, slot_at):
    # Each consultation asks for the other's slot: the slots are locked in one order, so
    # both requests finish (refused: the slot is taken) instead of deadlocking.
    for round_ in range(5):
        first = ConsultationFactory(slot=slot_at(120 + 600 * round_, status=SlotStatus.BOOKED))
        second = ConsultationFactory(slot=slot_at(180 + 600 * round_, status=SlotStatus.BOOKED))
        jobs = [
            _job(
                token_for(c.patient),
                f"/api/v1/consultations/{c.pk}/reschedule",
                {"slotId": str(other.slot_id)},
                key=new_key(),
            )
            for c, other in ((first, second), (second, first))
        ]

        responses = race(jobs)

        assert _statuses(responses) == {409: 2}
        assert {r.json()["code"] for r in responses} == {"slot_unavailable"}


@concurrent
def test_a_booking_and_a_reschedule_racing_for_one_slot_take_it_once(token_for, doctor, slot_at):
    for round_ in range(5):
        moving = ConsultationFactory(slot=slot_at(120 + 600 * round_, status=SlotStatus.BOOKED))
        contested = slot_at(300 + 600 * round_)
        newcomer = UserFactory(role="PATIENT")
        jobs = [
            _job(
                token_for(moving.patient),
                f"/api/v1/consultations/{moving.pk}/reschedule",
                {"slotId": str(contested.pk)},
                key=new_key(),
            ),
            _job(
                token_for(newcomer),
                "/api/v1/consultations/bookings",
                {"doctorId": str(doctor.pk), "slotId": str(contested.pk)},
                key=new_key(),
            ),
        ]

        responses = race(jobs)

        assert sorted(_statuses(responses).elements()) in ([200, 409], [201, 409])
        assert Consultation.objects.filter(slot=contested).active().count() == 1
        moving.refresh_from_db()
        old_slot_status = AvailabilitySlot.objects.get(pk=moving.slot_id).status
        assert old_slot_status == SlotStatus.BOOKED


@concurrent
def test_a_cancel_racing_a_start_leaves_one_outcome(token_for, doctor, slot_at):
    consultation = ConsultationFactory(slot=slot_at(5, status=SlotStatus.BOOKED))
    token = token_for(doctor.user)
    base = f"/api/v1/consultations/{consultation.pk}"

    responses = race([_job(token, f"{base}/cancel"), _job(token, f"{base}/start")])

    assert _statuses(responses) == {200: 1, 409: 1}
    consultation.refresh_from_db()
    winner = next(r for r in responses if r.status_code == 200)
    assert consultation.status == winner.json()["data"]["consultation"]["status"]


def _available_ids(client: APIClient, doctor: Any) -> set[str]:
    response = client.get(f"/api/v1/doctors/{doctor.pk}/availability", {"days": 7})
    assert response.status_code == 200
    return {s["id"] for s in response.json()["data"]["slots"]}


@concurrent
def test_availability_reflects_each_change_at_once(client_for, book, patient, doctor, slot_at):
    first, second = slot_at(180), slot_at(300)
    reader = client_for(patient)
    assert _available_ids(reader, doctor) == {str(first.pk), str(second.pk)}  # now cached

    consultation_id = book(patient, first).json()["data"]["consultation"]["id"]
    after_booking = _available_ids(reader, doctor)
    client_for(patient).post(
        f"/api/v1/consultations/{consultation_id}/reschedule",
        {"slotId": str(second.pk)},
        format="json",
        HTTP_IDEMPOTENCY_KEY=new_key(),
    )
    after_reschedule = _available_ids(reader, doctor)
    client_for(patient).post(f"/api/v1/consultations/{consultation_id}/cancel")
    after_cancel = _available_ids(reader, doctor)

    assert after_booking == {str(second.pk)}
    assert after_reschedule == {str(first.pk)}
    assert after_cancel == {str(first.pk), str(second.pk)}
