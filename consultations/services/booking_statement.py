"""A free booking in one transaction of one statement (PostgreSQL).

Every row a booking of a free doctor writes is known before it is written: the
consultation, the slot's new status, the audit trail's change entries (django-auditlog's
own) and the `consultation.booked` event, the outbox row, the idempotency record
holding the answer's bytes (encrypted) and, on a first booking, the implied consent.
This module reads what they depend on in one query, builds them with the same code the
ORM path uses (so both write the same rows), and hands them to the
`consultation_book_statement` function (migrations 0004 and 0005), which takes the key's
and the slot's locks, checks again under them and writes everything, or nothing.

A taken or blocked slot is refused the same way: the 409 answer is rendered, and the
statement stores it under the key after checking that the slot is still held by the
consultation that was read. Anything else (a replay, a paid doctor, a cap reached, a
hold that may have lapsed, a race for a first consent) answers None, and the caller
books through the ORM path (`consultation_book` under `run_idempotent`), which handles
it precisely.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.utils import timezone

from accounts.models import Role
from amrutam.common.metrics import BOOKING_CONFLICTS, BOOKINGS
from audit import chain
from audit.models import EntryKind
from audit.services import entry_build, logentry_build
from consent.models import Purpose
from consent.services import consent_implied_build
from doctors.cache import invalidate_availability
from doctors.models import AvailabilitySlot, SlotStatus
from notifications import outbox

from ..errors import IdempotencyKeyInProgress, SlotUnavailable
from ..idempotency import KEY_LOCK, KeyedRequest, record_build, render_error, render_success
from ..models import ACTIVE_STATUSES, Consultation, ConsultationStatus
from ._base import TAKEN, field_checks
from .limits import PATIENT_BOOKINGS_LOCK

# Everything the statement's checks depend on, in one round trip: the key's record, the
# slot with its doctor's fee and standing, the newest telemedicine consent, and the
# consultation holding the slot, if any, with its payment's status.
_FACTS_SQL = """
SELECT r.id, sl.id, sl.created_at, sl.updated_at, sl.doctor_id, sl.start_time,
       sl.end_time, sl.status, d.consultation_fee, d.is_verified AND u.is_active,
       cr.id, cr.granted, h.id, h.payment_status
FROM (SELECT 1) one
LEFT JOIN consultations_idempotencyrecord r ON r.user_id = %(user)s AND r.key = %(key)s
LEFT JOIN doctors_availabilityslot sl ON sl.id = %(slot)s
LEFT JOIN doctors_doctorprofile d ON d.id = sl.doctor_id
LEFT JOIN accounts_user u ON u.id = d.user_id
LEFT JOIN LATERAL (
    SELECT c.id, c.granted FROM consent_consentrecord c
    WHERE c.user_id = %(user)s AND c.purpose = %(purpose)s
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1
) cr ON true
LEFT JOIN LATERAL (
    SELECT cn.id, p.status AS payment_status FROM consultations_consultation cn
    LEFT JOIN {payment} p ON p.consultation_id = cn.id
    WHERE cn.slot_id = sl.id AND cn.status IN ({active})
) h ON true
"""

# The payments app sits above this one: its table is named through the relation. The
# active statuses are constants of the code, written into the text: an array parameter
# costs more to send than the rest of the query's parameters together.
_FACTS = _FACTS_SQL.replace(
    "{payment}", str(Consultation.payment.related.related_model._meta.db_table)
).replace("{active}", ", ".join(f"'{status}'" for status in ACTIVE_STATUSES))
# A holder whose payment is settled (or who has none) keeps the slot: nothing lapses.
_SETTLED = {None, "PAID"}

_SLOT_FIELDS = ["id", "created_at", "updated_at", "doctor_id", "start_time", "end_time", "status"]


def statement_applies(patient: Any) -> bool:
    """Whether a booking by `patient` may try the one-statement path."""
    return (
        settings.BOOKING_SINGLE_STATEMENT
        and connection.vendor == "postgresql"
        and getattr(patient, "role", None) == Role.PATIENT
    )


def consultation_book_statement(
    *,
    call: KeyedRequest,
    doctor_id: Any,
    slot_id: Any,
    reason: str | None,
    render: Callable[[Consultation], dict[str, Any]],
) -> Answer | None:
    """Book a free slot in one statement, or refuse a taken one; return the answer (also
    stored as the key's record), or None when the ORM path must handle the request.
    Raise IdempotencyKeyInProgress when a request with the same key holds its lock."""
    patient = call.user
    if not statement_applies(patient):
        return None
    facts = _facts(patient_id=patient.pk, key=call.key, slot_id=slot_id)
    if (
        facts.record_id is not None
        or facts.slot_values[0] is None
        or str(facts.slot_values[3]) != str(doctor_id)
    ):
        return None
    if facts.slot_values[6] != SlotStatus.AVAILABLE:
        return _refuse(call, facts)
    if (
        not facts.bookable
        or facts.fee != 0
        or facts.slot_values[4] <= timezone.now()
        or (facts.consent_id is not None and not facts.granted)
    ):
        return None
    slot = AvailabilitySlot.from_db(connection.alias, _SLOT_FIELDS, facts.slot_values)
    consent_id = facts.consent_id
    implied = None
    if consent_id is None:
        # A first booking records implied consent, in the same statement.
        implied = consent_implied_build(patient=patient)
        consent_id = implied[0].pk
    now = timezone.now()
    consultation = Consultation(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        patient_id=patient.pk,
        doctor_id=slot.doctor_id,
        slot=slot,
        status=ConsultationStatus.PENDING,
        reason=reason or None,
        meeting_token=secrets.token_urlsafe(16),
        consent_id=consent_id,
    )
    field_checks(consultation)
    # A free booking has no payment: serialising it reads nothing.
    Consultation.payment.related.set_cached_value(consultation, None)
    body = render_success(render(consultation), call.request_id)
    doc = _document(call, consultation, slot, body, now)
    if implied is not None:
        doc["consent"], doc["consent_event"] = _row(implied[0]), _row(implied[1])
    if _run(doc) != "ok":
        return None
    chain.schedule_seal()
    event_id = doc["outbox"]["id"]
    transaction.on_commit(lambda: outbox.hand_over(event_id))
    invalidate_availability(slot.doctor_id)
    transaction.on_commit(BOOKINGS.inc)
    return Answer(201, body)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


@dataclass(frozen=True)
class _Facts:
    record_id: int | None
    slot_values: list[Any]
    fee: Any
    bookable: bool | None
    consent_id: uuid.UUID | None
    granted: bool | None
    holder_id: uuid.UUID | None
    holder_payment: str | None


def _facts(*, patient_id: Any, key: str, slot_id: Any) -> _Facts:
    params = {
        "user": patient_id,
        "key": key,
        "slot": slot_id,
        "purpose": Purpose.TELEMEDICINE,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FACTS, params)
        record_id, *slot_values, fee, bookable, consent_id, granted, holder, paid = (
            cursor.fetchone()
        )
    return _Facts(record_id, slot_values, fee, bookable, consent_id, granted, holder, paid)


def _refuse(call: KeyedRequest, facts: _Facts) -> Answer | None:
    """409 `slot_unavailable` for a taken or blocked slot, stored under the key in one
    statement, as the ORM path answers and stores it. None when the holder's unpaid
    payment hold may have lapsed: the ORM path then expires it and books."""
    if facts.holder_payment not in _SETTLED:
        return None
    error = SlotUnavailable(TAKEN)
    body = render_error(error, call.request_id)
    record = record_build(call, error.status_code, body, timezone.now())
    slot_pk, doctor_pk = facts.slot_values[0], facts.slot_values[3]
    doc = {
        "key": call.key,
        "key_lock_class": KEY_LOCK,
        "consultation": {"patient_id": call.user.pk, "doctor_id": doctor_pk, "slot_id": slot_pk},
        "refusal": True,
        "holder": facts.holder_id,
        "active_statuses": list(ACTIVE_STATUSES),
        "idempotency": _row(record),
    }
    if _run(doc) != "refused":
        return None
    BOOKING_CONFLICTS.inc()
    return Answer(error.status_code, body)


def _document(
    call: KeyedRequest,
    consultation: Consultation,
    slot: AvailabilitySlot,
    body: bytes,
    now: dt.datetime,
) -> dict[str, Any]:
    """The statement's argument: every row, in the columns' database form."""
    changes = [logentry_build(consultation)]
    previous = {"status": slot.status}
    slot.status = SlotStatus.BOOKED
    # Logged as tracked_update logs it: before the save sets updated_at.
    changes.append(logentry_build(slot, previous=previous, update_fields=["status", "updated_at"]))
    slot.updated_at = now
    event = entry_build(
        kind=EntryKind.EVENT,
        action="consultation.booked",
        object_type="consultation",
        object_id=consultation.pk,
        changes={"status": [None, ConsultationStatus.PENDING], "slotId": [None, str(slot.pk)]},
        actor=call.user,
    )
    outbox_row = outbox.build("consultation.booked", consultation)
    outbox_row.created_at = now
    record = record_build(call, 201, body, now)
    return {
        "key": call.key,
        "key_lock_class": KEY_LOCK,
        "consultation": _row(consultation),
        "start_time": slot.start_time,
        "end_time": slot.end_time,
        "slot_updated_at": now,
        "cap_total": settings.BOOKING_MAX_UPCOMING_PER_PATIENT,
        "cap_doctor": settings.BOOKING_MAX_UPCOMING_PER_DOCTOR,
        "caps_lock_class": PATIENT_BOOKINGS_LOCK,
        # In the order the ORM path writes them: the sealer chains entries in id order.
        "audit_entries": [_row(entry) for entry in (*changes, event) if entry is not None],
        "outbox": _row(outbox_row),
        "idempotency": _row(record),
    }


def _row(instance: models.Model) -> dict[str, Any]:
    """`instance`'s column values as the ORM would send them (encrypted fields
    encrypted); NULLs left out, which the statement reads as NULL."""
    values: dict[str, Any] = {}
    # The wrapper itself, not the `connection` proxy: a field's preparation asks it for
    # its operations, and each question to the proxy is a thread-local lookup.
    wrapper = connections[DEFAULT_DB_ALIAS]
    for attname, column, prepared_by in _columns(type(instance)):
        value = getattr(instance, attname)
        if value is None:
            continue
        if prepared_by is not None:
            value = prepared_by.get_db_prep_save(value, wrapper)
        values[column] = value
    return values


@functools.cache
def _columns(
    model: type[models.Model],
) -> tuple[tuple[str, str, models.Field[Any, Any] | None], ...]:
    """Each concrete field of `model` as (attribute, column, the field that prepares its
    value or None when the value goes as it is), worked out once per model."""
    return tuple(
        (field.attname, str(field.column), field if _prepared(field) else None)
        for field in model._meta.concrete_fields
    )


# Fields whose Python value is already what the column takes (as JSON): preparing them
# would only cost time. Every other field (encrypted ones above all) is prepared.
_AS_IS = (
    models.BooleanField,
    models.CharField,
    models.DateTimeField,
    models.IntegerField,
    models.JSONField,
    models.UUIDField,
)


def _prepared(field: models.Field[Any, Any]) -> bool:
    if isinstance(field, models.ForeignKey):
        # A reference holds its target's value (a uuid, an id): prepared as that is.
        return _prepared(field.target_field)
    return bool(getattr(field, "encrypted", False)) or not isinstance(field, _AS_IS)


def _json_default(value: Any) -> Any:
    # What psycopg adapts itself: Decimal, addresses (inet), and DjangoJSONEncoder's types.
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    return DjangoJSONEncoder().default(value)


def _run(doc: dict[str, Any]) -> str:
    """Run the statement: 'ok' (booked) or 'refused' (the refusal stored), committed
    outside a transaction; 'slow' when the ORM path must take the request."""
    payload = orjson.dumps(doc, default=_json_default).decode("utf-8")
    try:
        if connection.in_atomic_block:
            # Inside a transaction (a test, a batch) a savepoint keeps a failure local.
            with transaction.atomic():
                answer = _call(payload)
        else:
            # Autocommit: the statement is its own transaction, one round trip.
            answer = _call(payload)
    except IntegrityError:
        # A write that skipped the locks got there first; the ORM path says which.
        return "slow"
    if answer == "in_progress":
        raise IdempotencyKeyInProgress()
    return answer


def _call(payload: str) -> str:
    sql, params = "SELECT consultation_book_statement(%s::jsonb)", [payload]
    prefix, prefix_params = "", []
    # Behind PgBouncer the timeouts are set per transaction; this statement is one.
    settings_of = getattr(connection, "implicit_transaction_settings", None)
    if settings_of is not None and not connection.in_atomic_block:
        prefix, prefix_params = settings_of()
    with connection.cursor() as cursor:
        if prefix:
            # Two statements in one query string: one implicit transaction.
            cursor.execute(f"{prefix}; {sql}", [*prefix_params, *params])
            cursor.nextset()
        else:
            cursor.execute(sql, params)
        (answer,) = cursor.fetchone()
    return str(answer)
