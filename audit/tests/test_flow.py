"""One booking, one cancellation and one notes write through the API leave the expected
trail: actor, the X-Request-ID sent, and no PHI in clear anywhere in the audit tables."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from audit.chain import seal_pending, verify_chain
from audit.models import AuditEntry, EntryKind

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-PHI-c0ffee42"


def _slot(doctor, minutes):
    from doctors.tests.factories import SlotFactory

    start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=minutes)
    return SlotFactory(doctor=doctor, start_time=start, end_time=start + dt.timedelta(minutes=30))


def _book(client, slot, request_id, key):
    return client.post(
        "/api/v1/consultations/bookings",
        {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk), "reason": SENTINEL},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        HTTP_X_REQUEST_ID=request_id,
    )


def _trail(request_id):
    return [
        (e.kind, e.action, str(e.actor_id), e.actor_role)
        for e in AuditEntry.objects.filter(request_id=request_id).order_by("id")
    ]


def _leaks():
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM audit_auditentry t")
        return [row[0] for row in cursor.fetchall() if "SENTINEL" in row[0] or "c0ffee42" in row[0]]


def test_booking_cancel_and_notes_leave_the_expected_trail(patient, doctor, client_for):
    patient_client, doctor_client = client_for(patient), client_for(doctor.user)
    later, soon = _slot(doctor, 24 * 60), _slot(doctor, 5)

    booked = _book(patient_client, later, "req-book-1", "key-1")
    cancelled = patient_client.post(
        f"/api/v1/consultations/{booked.json()['data']['consultation']['id']}/cancel",
        {"reason": SENTINEL},
        format="json",
        HTTP_X_REQUEST_ID="req-cancel-1",
    )
    started_id = _book(patient_client, soon, "req-book-2", "key-2").json()["data"]["consultation"][
        "id"
    ]
    doctor_client.post(f"/api/v1/consultations/{started_id}/start")
    notes = doctor_client.put(
        f"/api/v1/consultations/{started_id}/notes",
        {"symptoms": SENTINEL, "diagnosis": SENTINEL, "advice": SENTINEL, "followUpInDays": 7},
        format="json",
        HTTP_X_REQUEST_ID="req-notes-1",
    )

    assert (booked.status_code, cancelled.status_code, notes.status_code) == (201, 200, 201)
    p, d = str(patient.pk), str(doctor.user.pk)
    expected = {
        "req-book-1": (
            p,
            {
                (EntryKind.CHANGE, "consultation.created"),
                (EntryKind.CHANGE, "availability_slot.updated"),
                (EntryKind.EVENT, "consultation.booked"),
            },
        ),
        "req-cancel-1": (
            p,
            {
                (EntryKind.CHANGE, "consultation.updated"),
                (EntryKind.CHANGE, "availability_slot.updated"),
                (EntryKind.EVENT, "consultation.cancelled"),
            },
        ),
        "req-notes-1": (
            d,
            {
                (EntryKind.CHANGE, "clinical_notes.created"),
                (EntryKind.EVENT, "consultation.notes_written"),
            },
        ),
    }
    for request_id, (actor, actions) in expected.items():
        trail = _trail(request_id)
        assert actions <= {(kind, action) for kind, action, _, _ in trail}, request_id
        # Every entry of the request names its user, whatever else it recorded.
        assert {(who, role) for _, _, who, role in trail} == {
            (actor, "PATIENT" if actor == p else "DOCTOR")
        }
    notes_change = AuditEntry.objects.get(action="clinical_notes.created")
    assert notes_change.changes["diagnosis"] == ["[REDACTED]", "[REDACTED]"]
    seal_pending()
    assert _leaks() == []
    assert verify_chain().ok
    # Each change was written once, in the trail: django-auditlog's old table is not used.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM auditlog_logentry")
        assert cursor.fetchone()[0] == 0


def test_reading_a_consultation_writes_an_access_entry(patient, doctor, client_for):
    slot = _slot(doctor, 24 * 60)
    consultation_id = _book(client_for(patient), slot, "req-book-3", "key-3").json()["data"][
        "consultation"
    ]["id"]

    response = client_for(doctor.user).get(
        f"/api/v1/consultations/{consultation_id}", HTTP_X_REQUEST_ID="req-read-2"
    )

    assert response.status_code == 200
    entry = AuditEntry.objects.get(kind=EntryKind.ACCESS, request_id="req-read-2")
    assert (entry.action, entry.object_id, entry.subject_id, entry.actor_id) == (
        "consultation.viewed",
        consultation_id,
        patient.pk,
        doctor.user.pk,
    )
    assert _leaks() == []
