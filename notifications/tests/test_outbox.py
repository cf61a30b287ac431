"""The outbox: every state change writes its one row in its own transaction (rolled back
with it), with ids and statuses only; the booking adds a single INSERT."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from consultations.errors import SlotUnavailable
from consultations.services import (
    consultation_book,
    consultation_cancel,
    consultation_complete,
    consultation_mark_no_show,
    consultation_prescription_issue,
    consultation_reschedule,
    consultation_start,
)
from notifications.models import OutboxEvent

from .conftest import PHI_REASON

pytestmark = pytest.mark.django_db


def events() -> list[str]:
    return list(OutboxEvent.objects.order_by("created_at").values_list("event", flat=True))


def test_a_booking_writes_one_outbox_row_in_one_insert_without_phi(slot_in, patient, doctor):
    slot = slot_in(dt.timedelta(hours=30))

    with CaptureQueriesContext(connection) as queries:
        consultation = consultation_book(
            patient=patient, doctor_id=doctor.pk, slot_id=slot.pk, reason=PHI_REASON
        )

    outbox_sql = [q["sql"] for q in queries if "notifications_outboxevent" in q["sql"]]
    assert len(outbox_sql) == 1 and outbox_sql[0].startswith("INSERT")
    row = OutboxEvent.objects.get()
    assert row.event == "consultation.booked"
    assert row.data == {
        "consultationId": str(consultation.pk),
        "patientId": str(patient.pk),
        "doctorId": str(doctor.pk),
        "slotId": str(slot.pk),
        "status": "PENDING",
    }
    assert row.dispatched_at is None


def test_a_refused_or_rolled_back_change_leaves_no_outbox_row(slot_in, patient, patient_b, doctor):
    slot = slot_in(dt.timedelta(hours=30))
    consultation_book(patient=patient, doctor_id=doctor.pk, slot_id=slot.pk)

    with pytest.raises(SlotUnavailable):
        consultation_book(patient=patient_b, doctor_id=doctor.pk, slot_id=slot.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        other = slot_in(dt.timedelta(hours=40))
        consultation_book(patient=patient_b, doctor_id=doctor.pk, slot_id=other.pk)
        raise RuntimeError("the caller's transaction fails after the booking")

    assert events() == ["consultation.booked"]


def test_every_state_change_writes_its_event(
    slot_in, booked, patient, doctor, admin_user, settings
):
    settings.START_EARLY_MINUTES = 24 * 60
    settings.NO_SHOW_GRACE_MINUTES = -24 * 60
    first = booked(slot_in(dt.timedelta(hours=3)))
    consultation_reschedule(
        consultation_id=first.pk,
        new_slot_id=slot_in(dt.timedelta(hours=5)).pk,
        rescheduled_by=patient,
    )
    consultation_start(consultation_id=first.pk, started_by=doctor.user)
    consultation_prescription_issue(
        consultation_id=first.pk,
        issued_by=doctor.user,
        items=[
            {"medicine": "Triphala", "dosage": "1 tsp", "frequency": "nightly", "durationDays": 7}
        ],
    )
    consultation_complete(consultation_id=first.pk, completed_by=doctor.user)
    second = booked(slot_in(dt.timedelta(hours=7)))
    consultation_cancel(consultation_id=second.pk, cancelled_by=patient)
    third = booked(slot_in(dt.timedelta(hours=9)))
    consultation_mark_no_show(consultation_id=third.pk, marked_by=admin_user)

    assert events() == [
        "consultation.booked",
        "consultation.rescheduled",
        "consultation.started",
        "prescription.issued",
        "consultation.completed",
        "consultation.booked",
        "consultation.cancelled",
        "consultation.booked",
        "consultation.no_show",
    ]
    assert "Triphala" not in str(list(OutboxEvent.objects.values_list("data", flat=True)))
