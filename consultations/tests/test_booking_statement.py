"""The one-statement booking (PostgreSQL): its round trips, and rows the same as the ORM
path's, so that either path leaves the same consultation, trail, outbox and replay."""

from __future__ import annotations

import uuid
from io import StringIO
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from audit.models import AuditEntry
from consent.models import ConsentRecord, Mode, Purpose
from consent.services import consent_record
from consultations.models import Consultation, IdempotencyRecord
from doctors.models import AvailabilitySlot, SlotStatus
from notifications.models import OutboxEvent

from .conftest import new_key

pytestmark = pytest.mark.django_db

# The statement path: one read of what the checks depend on, then the statement.
STATEMENT_QUERIES = 2
# The ORM path of the same booking: the key's in-flight lock and record, the slot lock,
# the consent, the caps, each row's INSERT or UPDATE (each audit entry one row; and, in a
# request, BEGIN, COMMIT and two savepoints besides).
ORM_QUERIES = 12


def _consenting_patient() -> Any:
    patient = UserFactory(role="PATIENT")
    consent_record(user=patient, purpose=Purpose.TELEMEDICINE, granted=True)
    return patient


def _work(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, less the savepoints a test's own transaction adds (a request
    runs the statement path in autocommit, without them). Work deferred until commit
    (sealing, the outbox hand-over) is not run in a test's transaction, so not counted."""
    savepoint = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    return [q["sql"] for q in queries if not q["sql"].lstrip().startswith(savepoint)]


def _queries_of_booking(settings, book, patient: Any, slot: Any, *, statement: bool) -> list[str]:
    settings.BOOKING_SINGLE_STATEMENT = statement
    with CaptureQueriesContext(connection) as queries:
        response = book(patient, slot, reason="Fever since Monday")
    assert response.status_code == 201, response.content
    return _work(queries)


def test_a_free_booking_is_one_read_and_one_statement(settings, book, doctor, slot_at):
    patient = _consenting_patient()
    # The first request caches the caller's authentication state, as in steady use.
    assert book(patient, slot_at(60)).status_code == 201

    slots = [slot_at(120), slot_at(180)]
    statement = _queries_of_booking(settings, book, patient, slots[0], statement=True)
    orm = _queries_of_booking(settings, book, patient, slots[1], statement=False)

    assert len(statement) == STATEMENT_QUERIES
    assert "consultation_book_statement" in statement[-1]
    assert len(orm) == ORM_QUERIES
    assert not any("consultation_book_statement" in sql for sql in orm)
    assert Consultation.objects.filter(patient=patient).count() == 3


def test_a_first_booking_records_implied_consent_in_the_statement(
    settings, book, client_for, patient, slot_at
):
    settings.BOOKING_SINGLE_STATEMENT = True
    slot = slot_at(120)
    # The caller's authentication state is cached, as in steady use.
    assert client_for(patient).get("/api/v1/consultations").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = book(patient, slot)

    assert response.status_code == 201
    assert len(_work(queries)) == STATEMENT_QUERIES
    implied = ConsentRecord.objects.get(user=patient)
    assert (implied.purpose, implied.granted, implied.mode) == (
        Purpose.TELEMEDICINE,
        True,
        Mode.IMPLIED,
    )
    assert response.json()["data"]["consultation"]["consentId"] == str(implied.pk)
    event = AuditEntry.objects.get(action="consent.implied", object_id=str(implied.pk))
    assert event.actor_id == patient.pk


def _shape(consultation: Consultation, response: Any) -> dict[str, Any]:
    """Everything one booking wrote, with its own ids and times replaced by names."""
    names = {
        str(consultation.pk): "<consultation>",
        str(consultation.slot_id): "<slot>",
        str(consultation.patient_id): "<patient>",
        str(consultation.consent_id): "<consent>",
        consultation.meeting_token: "<token>",
    }

    def named(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: named(v) for k, v in value.items()}
        if isinstance(value, list):
            return [named(v) for v in value]
        return names.get(str(value), value) if value is not None else None

    # Everything written under the request's id: the id on each row is part of the shape.
    request_id = response.json()["requestId"]
    chained = AuditEntry.objects.filter(request_id=request_id).order_by("id")
    outbox = OutboxEvent.objects.get(consultation_id=consultation.pk)
    record = IdempotencyRecord.objects.get(key=response.key)
    return {
        "consultation": named(
            {
                f.attname: getattr(consultation, f.attname)
                for f in Consultation._meta.concrete_fields
                if f.attname not in ("created_at", "updated_at")
            }
        ),
        "chained": [
            named(
                {
                    "kind": a.kind,
                    "action": a.action,
                    "object_type": a.object_type,
                    "object_id": a.object_id,
                    "actor": [a.actor_id, a.actor_role, a.actor_label],
                    "ip": a.ip,
                    "request_id": a.request_id == request_id,
                    # django-auditlog's columns of a change entry.
                    "content_type": a.content_type_id,
                    "serialized_data": a.serialized_data,
                    "additional_data": a.additional_data,
                    "logentry_id": a.logentry_id,
                    "changes": {
                        k: v
                        for k, v in (a.changes or {}).items()
                        if k not in ("created_at", "updated_at")
                    },
                }
            )
            for a in chained
        ],
        "outbox": named({"event": outbox.event, "data": outbox.data}),
        "consent": named(
            list(
                ConsentRecord.objects.filter(user_id=consultation.patient_id).values(
                    "id", "purpose", "granted", "mode", "notice_version", "withdraws", "ip"
                )
            )
        ),
        "replay": (record.response_status, record.response_body.encode() == response.content),
    }


def _booked(settings, book, patient: Any, slot: Any, *, statement: bool) -> dict[str, Any]:
    settings.BOOKING_SINGLE_STATEMENT = statement
    key = new_key()
    response = book(patient, slot, key=key, reason="Fever since Monday")
    assert response.status_code == 201, response.content
    response.key = key
    consultation = Consultation.objects.get(pk=response.json()["data"]["consultation"]["id"])
    return _shape(consultation, response)


@pytest.mark.parametrize("first_booking", [False, True], ids=["consent-held", "first-booking"])
def test_both_paths_write_the_same_rows(settings, book, doctor, slot_at, first_booking):
    def patient() -> Any:
        return UserFactory(role="PATIENT") if first_booking else _consenting_patient()

    by_statement = _booked(settings, book, patient(), slot_at(60), statement=True)
    by_orm = _booked(settings, book, patient(), slot_at(120), statement=False)

    for part in ("consultation", "chained", "outbox", "consent", "replay"):
        assert by_statement[part] == by_orm[part], part
    # Two django-auditlog entries (the consultation, the slot), each one row of the trail
    # naming its model, and the event.
    consultation_type = ContentType.objects.get_for_model(Consultation).pk
    slot_type = ContentType.objects.get_for_model(AvailabilitySlot).pk
    implied = [("event", "consent.implied", None)] if first_booking else []
    assert [(c["kind"], c["action"], c["content_type"]) for c in by_statement["chained"]] == [
        *implied,
        ("change", "consultation.created", consultation_type),
        ("change", "availability_slot.updated", slot_type),
        ("event", "consultation.booked", None),
    ]
    assert all(c["request_id"] and c["logentry_id"] is None for c in by_statement["chained"])
    assert by_statement["replay"] == (201, True)


def test_the_reason_is_encrypted_in_every_row_the_statement_writes(settings, book, slot_at):
    settings.BOOKING_SINGLE_STATEMENT = True
    patient = _consenting_patient()
    reason = f"Chest pain {uuid.uuid4().hex}"

    response = book(patient, slot_at(60), reason=reason)

    assert response.status_code == 201
    assert response.json()["data"]["consultation"]["reason"] == reason
    tables = [
        Consultation._meta.db_table,
        IdempotencyRecord._meta.db_table,
        AuditEntry._meta.db_table,
        OutboxEvent._meta.db_table,
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table} t WHERE t::text LIKE %s", [f"%{reason}%"])  # noqa: S608
            assert cursor.fetchone()[0] == 0, table
    assert Consultation.objects.get(patient=patient).reason == reason


@pytest.mark.django_db(transaction=True)
def test_the_audit_chain_verifies_after_statement_bookings(settings, book, doctor, slot_at):
    settings.BOOKING_SINGLE_STATEMENT = True
    patients = [_consenting_patient(), UserFactory(role="PATIENT")]
    for n, patient in enumerate(patients * 2):
        assert book(patient, slot_at(60 * (n + 1))).status_code == 201
    out = StringIO()

    call_command("verify_audit_log", stdout=out)

    assert "Audit chain intact" in out.getvalue()
    # Each change is written once: no entry mirrors a separate django-auditlog row.
    assert not AuditEntry.objects.exclude(logentry_id=None).exists()
    assert AuditEntry.objects.filter(kind="change", content_type=None).count() == 0
    assert AuditEntry.objects.filter(action="consultation.booked").count() == 4


@pytest.mark.parametrize("taken_by", ["booking", "block"])
def test_a_taken_slot_is_refused_in_one_statement_and_the_refusal_replays(
    settings, book, client_for, slot_at, taken_by
):
    settings.BOOKING_SINGLE_STATEMENT = True
    slot = slot_at(60)
    if taken_by == "booking":
        assert book(_consenting_patient(), slot).status_code == 201
    else:
        AvailabilitySlot.objects.filter(pk=slot.pk).update(status=SlotStatus.BLOCKED)
    patient = _consenting_patient()
    assert client_for(patient).get("/api/v1/consultations").status_code == 200
    key = new_key()

    with CaptureQueriesContext(connection) as queries:
        refused = book(patient, slot, key=key)
    work = _work(queries)  # before the next request empties the log
    replay = book(patient, slot, key=key)

    assert refused.status_code == 409
    assert refused.json()["code"] == "slot_unavailable"
    assert refused.json()["message"] == "This slot is already booked or blocked."
    assert len(work) == STATEMENT_QUERIES
    assert "consultation_book_statement" in work[-1]
    record = IdempotencyRecord.objects.get(user_id=patient.pk, key=key)
    assert (record.response_status, record.response_body.encode()) == (409, refused.content)
    assert replay.status_code == 409
    assert replay.content == refused.content
    assert replay["Idempotent-Replayed"] == "true"
    assert not Consultation.objects.filter(patient=patient).exists()


def test_both_paths_store_the_same_refusal(settings, book, slot_at):
    slot = slot_at(60)
    assert book(_consenting_patient(), slot).status_code == 201
    answers = []
    for statement in (True, False):
        settings.BOOKING_SINGLE_STATEMENT = statement
        key = new_key()
        refused = book(_consenting_patient(), slot, key=key)
        record = IdempotencyRecord.objects.get(key=key)
        body = refused.json()
        body.pop("requestId")
        answers.append(
            (refused.status_code, body, record.response_status, record.response_body.encode())
        )
        assert answers[-1][3] == refused.content

    assert answers[0][:3] == answers[1][:3]
