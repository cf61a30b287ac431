"""POST /consultations/bookings: the answer, idempotency and every bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY

from consultations.models import Consultation, IdempotencyRecord
from doctors.models import AvailabilitySlot, SlotStatus
from doctors.tests.factories import DoctorProfileFactory, SlotFactory

from .conftest import BOOKINGS_URL, new_key

# Every test runs on both booking paths (one statement, ORM).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("booking_path")]


def _counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_booking_answers_201_with_the_consultation(book, patient, slot):
    response = book(patient, slot, reason="Knee pain after running")

    body = response.json()
    consultation = body["data"]["consultation"]
    assert response.status_code == 201
    assert body["status"] == "success"
    assert body["requestId"] == response["X-Request-ID"]
    assert "Idempotent-Replayed" not in response
    assert set(consultation) == {
        "id",
        "patientId",
        "doctorId",
        "slotId",
        "startTime",
        "endTime",
        "status",
        "reason",
        "meetingLink",
        "cancellationReason",
        "cancelledBy",
        "consentId",
        "createdAt",
        "updatedAt",
        "notes",
        "prescription",
        # API.md "Payments": every consultation says whether it needs paying.
        "paymentStatus",
        "payment",
    }
    assert consultation["patientId"] == str(patient.pk)
    assert consultation["doctorId"] == str(slot.doctor_id)
    assert consultation["slotId"] == str(slot.pk)
    assert consultation["status"] == "PENDING"
    assert consultation["reason"] == "Knee pain after running"
    assert consultation["startTime"].endswith("Z")
    assert consultation["notes"] is None
    assert consultation["prescription"] is None
    assert consultation["paymentStatus"] == "NOT_REQUIRED"
    assert consultation["payment"] is None
    assert consultation["cancelledBy"] is None


def test_booking_marks_the_slot_booked_and_stores_one_record(book, patient, slot):
    book(patient, slot)

    slot.refresh_from_db()
    assert slot.status == SlotStatus.BOOKED
    assert Consultation.objects.filter(slot=slot).count() == 1
    assert IdempotencyRecord.objects.filter(user=patient).count() == 1


def test_meeting_links_are_unguessable_and_distinct(book, patient, patient_b, doctor, slot_at):
    first = book(patient, slot_at(120)).json()["data"]["consultation"]["meetingLink"]
    second = book(patient_b, slot_at(180)).json()["data"]["consultation"]["meetingLink"]

    token = first.rsplit("/", 1)[-1]
    assert first != second
    assert len(token) >= 22  # 128 bits in URL-safe base64


def test_replay_returns_the_original_bytes_and_status(book, patient, slot):
    key = new_key()
    first = book(patient, slot, key=key, reason="Back pain")

    replay = book(patient, slot, key=key, reason="Back pain")

    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["X-Request-ID"] != first["X-Request-ID"]
    assert replay.json()["requestId"] == first["X-Request-ID"]
    assert Consultation.objects.count() == 1


def test_replay_ignores_key_order_in_the_body(client_for, patient, slot):
    key = new_key()
    client = client_for(patient)
    ordered = f'{{"doctorId":"{slot.doctor_id}","slotId":"{slot.pk}"}}'
    reversed_ = f'{{ "slotId": "{slot.pk}",  "doctorId": "{slot.doctor_id}" }}'
    first = client.post(
        BOOKINGS_URL, ordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )

    replay = client.post(
        BOOKINGS_URL, reversed_, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert replay.status_code == 201
    assert replay.content == first.content


def test_same_key_with_a_changed_body_is_422_and_books_nothing(book, patient, slot, slot_at):
    key = new_key()
    book(patient, slot, key=key)
    other = slot_at(300)

    response = book(patient, other, key=key)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    other.refresh_from_db()
    assert other.status == SlotStatus.AVAILABLE
    assert Consultation.objects.count() == 1


def test_same_key_on_another_endpoint_is_422(book, client_for, patient, slot, slot_at):
    key = new_key()
    consultation_id = book(patient, slot, key=key).json()["data"]["consultation"]["id"]

    response = client_for(patient).post(
        f"/api/v1/consultations/{consultation_id}/reschedule",
        {"slotId": str(slot_at(300).pk)},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_keys_are_scoped_to_the_user(book, patient, patient_b, doctor, slot_at):
    key = new_key()
    first_slot, second_slot = slot_at(120), slot_at(180)

    first = book(patient, first_slot, key=key)
    second = book(patient_b, second_slot, key=key)

    assert first.status_code == 201
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert second.json()["data"]["consultation"]["patientId"] == str(patient_b.pk)
    assert Consultation.objects.count() == 2


def test_another_user_replaying_a_key_and_body_books_for_themselves(book, patient, patient_b, slot):
    key = new_key()
    book(patient, slot, key=key)

    response = book(patient_b, slot, key=key)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert "Idempotent-Replayed" not in response


def test_a_stored_4xx_is_replayed_too(book, patient, patient_b, slot):
    book(patient, slot)
    key = new_key()
    refused = book(patient_b, slot, key=key)

    replay = book(patient_b, slot, key=key)

    assert refused.status_code == 409
    assert replay.status_code == 409
    assert replay.content == refused.content
    assert replay["Idempotent-Replayed"] == "true"


def test_an_expired_record_is_replaced_by_a_new_outcome(book, patient, slot, slot_at):
    key = new_key()
    book(patient, slot, key=key)
    IdempotencyRecord.objects.filter(user=patient, key=key).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    other = slot_at(400)

    response = book(patient, other, key=key)

    assert response.status_code == 201
    assert response.json()["data"]["consultation"]["slotId"] == str(other.pk)
    record = IdempotencyRecord.objects.get(user=patient, key=key)
    assert str(other.pk) in record.response_body


@pytest.mark.parametrize(
    ("headers", "case"),
    [({}, "missing"), ({"HTTP_IDEMPOTENCY_KEY": "   "}, "blank"), (None, "too long")],
)
def test_a_missing_or_bad_key_is_400_and_books_nothing(client_for, patient, slot, headers, case):
    if headers is None:
        headers = {"HTTP_IDEMPOTENCY_KEY": "k" * 256}
    body = {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk)}

    response = client_for(patient).post(BOOKINGS_URL, body, format="json", **headers)

    assert response.status_code == 400, case
    assert response.json()["code"] == "idempotency_key_required"
    assert Consultation.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_a_key_of_255_characters_is_accepted(book, patient, slot):
    response = book(patient, slot, key="k" * 255)

    assert response.status_code == 201


@pytest.mark.parametrize("role", ["DOCTOR", "ADMIN"])
def test_doctors_and_admins_cannot_book(book, make_user, slot, role):
    user = make_user(role=role)

    response = book(user, slot)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Consultation.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_the_doctor_cannot_book_their_own_slot(book, doctor, slot):
    response = book(doctor.user, slot)

    assert response.status_code == 403
    slot.refresh_from_db()
    assert slot.status == SlotStatus.AVAILABLE


def test_anonymous_booking_is_401(api_client, slot):
    response = api_client.post(
        BOOKINGS_URL,
        {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk)},
        format="json",
        HTTP_IDEMPOTENCY_KEY=new_key(),
    )

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def _assert_nothing_booked(slot: AvailabilitySlot | None = None) -> None:
    assert Consultation.objects.count() == 0
    if slot is not None:
        before = slot.status
        slot.refresh_from_db()
        assert slot.status == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"doctorId": "not-a-uuid"}, "doctorId"),
        ({"slotId": "123"}, "slotId"),
        ({"slotId": None}, "slotId"),
        ({"reason": "x" * 2001}, "reason"),
        ({"reason": 42.5}, None),
    ],
)
def test_malformed_bodies_are_400_and_store_nothing(client_for, patient, slot, body, field):
    payload = {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk), **body}

    response = client_for(patient).post(
        BOOKINGS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=new_key()
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    if field:
        assert field in response.json()["errors"]
    _assert_nothing_booked(slot)
    assert IdempotencyRecord.objects.count() == 0


def test_a_reason_of_2000_characters_is_accepted(book, patient, slot):
    response = book(patient, slot, reason="x" * 2000)

    assert response.status_code == 201


def test_a_missing_field_is_400(client_for, patient, slot):
    response = client_for(patient).post(
        BOOKINGS_URL, {"slotId": str(slot.pk)}, format="json", HTTP_IDEMPOTENCY_KEY=new_key()
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"doctorId": ["This field is required."]}


def test_malformed_json_is_400(client_for, patient):
    response = client_for(patient).post(
        BOOKINGS_URL, "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_an_unknown_slot_is_404(book, patient, slot):
    class Ghost:
        pk = uuid.uuid4()
        doctor_id = slot.doctor_id

    response = book(patient, Ghost)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    _assert_nothing_booked()


def test_an_unknown_doctor_is_404(client_for, patient, slot):
    body = {"doctorId": str(uuid.uuid4()), "slotId": str(slot.pk)}

    response = client_for(patient).post(
        BOOKINGS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=new_key()
    )

    assert response.status_code == 404
    _assert_nothing_booked(slot)


def test_a_slot_of_another_doctor_is_409(client_for, patient, slot, doctor_b):
    body = {"doctorId": str(doctor_b.pk), "slotId": str(slot.pk)}

    response = client_for(patient).post(
        BOOKINGS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=new_key()
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    _assert_nothing_booked(slot)


def test_a_slot_in_the_past_is_409(book, patient, slot_at):
    past = slot_at(-60)

    response = book(patient, past)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    _assert_nothing_booked(past)


def test_a_slot_that_has_just_started_is_409(book, patient, slot_at):
    started = slot_at(-1)

    response = book(patient, started)

    assert response.status_code == 409
    _assert_nothing_booked(started)


@pytest.mark.parametrize("status", [SlotStatus.BLOCKED, SlotStatus.BOOKED])
def test_a_blocked_or_booked_slot_is_409(book, patient, doctor, status):
    taken = SlotFactory(doctor=doctor, status=status)

    response = book(patient, taken)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    _assert_nothing_booked(taken)


def test_a_slot_of_an_unverified_doctor_is_409(book, patient):
    unverified = DoctorProfileFactory(is_verified=False, verified_at=None)
    free = SlotFactory(doctor=unverified)

    response = book(patient, free)

    assert response.status_code == 409
    _assert_nothing_booked(free)


def test_a_slot_of_a_deactivated_doctor_is_409(book, patient, doctor, slot):
    doctor.user.is_active = False
    doctor.user.save(update_fields=["is_active"])

    response = book(patient, slot)

    assert response.status_code == 409
    _assert_nothing_booked(slot)


def test_get_on_the_bookings_url_is_405(client_for, patient):
    response = client_for(patient).get(BOOKINGS_URL)

    assert response.status_code == 405


def test_booking_counts_bookings_conflicts_and_replays(
    book, patient, patient_b, slot, django_capture_on_commit_callbacks
):
    before = {
        name: _counter(name)
        for name in (
            "amrutam_bookings_total",
            "amrutam_booking_conflicts_total",
            "amrutam_idempotent_replays_total",
        )
    }
    key = new_key()

    with django_capture_on_commit_callbacks(execute=True):
        book(patient, slot, key=key)
    book(patient, slot, key=key)
    book(patient_b, slot)

    assert _counter("amrutam_bookings_total") - before["amrutam_bookings_total"] == 1
    assert (
        _counter("amrutam_booking_conflicts_total") - before["amrutam_booking_conflicts_total"] == 1
    )
    assert (
        _counter("amrutam_idempotent_replays_total") - before["amrutam_idempotent_replays_total"]
        == 1
    )


def test_the_reason_and_the_stored_answer_are_encrypted_at_rest(book, patient, slot):
    sentinel = "SENTINEL-migraine-7781"

    book(patient, slot, reason=sentinel)

    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM consultations_consultation")
        reasons = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT response_body FROM consultations_idempotencyrecord")
        bodies = [row[0] for row in cursor.fetchall()]
    assert len(reasons) == 1
    assert len(bodies) == 1
    assert sentinel not in reasons[0]
    assert sentinel not in bodies[0]
    assert Consultation.objects.get().reason == sentinel
