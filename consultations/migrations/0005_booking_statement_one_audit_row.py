"""The booking statement writes each audit entry once (PostgreSQL only).

The audit trail became django-auditlog's log-entry model (audit 0004): a field change is
one row of `audit_auditentry`, no longer a django-auditlog LogEntry plus its copy. The
document's `audit_entries` (the consultation's creation, the slot's change and the
`consultation.booked` event, in the order the ORM path writes them) are inserted as they
are; everything else is as in 0004.
"""

import importlib

from django.db import migrations

# The columns each row is inserted with: every column the model writes, the generated
# id (audit_auditentry.id) left to its sequence.
COLUMNS = {
    "consultations_idempotencyrecord": (
        "user_id",
        "key",
        "endpoint",
        "fingerprint",
        "response_status",
        "response_body",
        "created_at",
    ),
    "consent_consentrecord": (
        "id",
        "user_id",
        "purpose",
        "granted",
        "mode",
        "notice_version",
        "withdraws_id",
        "ip",
        "created_at",
    ),
    "audit_auditentry": (
        "timestamp",
        "kind",
        "actor_id",
        "actor_role",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "subject_id",
        "changes",
        "ip",
        "request_id",
        "content_type_id",
        "serialized_data",
        "additional_data",
        "remote_port",
    ),
    "consultations_consultation": (
        "id",
        "created_at",
        "updated_at",
        "status",
        "reason",
        "meeting_token",
        "cancellation_reason",
        "cancelled_at",
        "started_at",
        "completed_at",
        "cancelled_by_id",
        "doctor_id",
        "patient_id",
        "slot_id",
        "consent_id",
    ),
    "notifications_outboxevent": (
        "id",
        "event",
        "consultation_id",
        "data",
        "created_at",
    ),
}


def _insert(table: str, source: str) -> str:
    """INSERT of the row a JSON object of the document holds (its keys are the columns;
    a missing key is NULL)."""
    columns = ", ".join(COLUMNS[table])
    # Only the constant names above are formatted in: the values are the document's.
    return (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608  # nosec B608
        f"FROM jsonb_populate_record(NULL::{table}, {source});"
    )


FUNCTION = f"""
CREATE OR REPLACE FUNCTION consultation_book_statement(doc jsonb) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    c jsonb := doc->'consultation';
    v_patient uuid := (c->>'patient_id')::uuid;
    v_doctor uuid := (c->>'doctor_id')::uuid;
    v_slot uuid := (c->>'slot_id')::uuid;
    v_now timestamptz;
    v_consent uuid;
    v_total bigint;
    v_with_doctor bigint;
    s record;
    entry jsonb;
BEGIN
    -- The in-flight guard of the key: a concurrent twin is answered 409 at once.
    IF NOT pg_try_advisory_xact_lock(
        (doc->>'key_lock_class')::int, hashtext(v_patient::text || ':' || (doc->>'key'))
    ) THEN
        RETURN 'in_progress';
    END IF;
    -- A record of the key (fresh: a replay; expired: replaced) is the ORM path's work.
    PERFORM 1 FROM consultations_idempotencyrecord
        WHERE user_id = v_patient AND key = doc->>'key';
    IF FOUND THEN
        RETURN 'slow';
    END IF;

    -- A refusal of a taken or blocked slot: stored under the key if the slot is still
    -- held by the consultation the answer was rendered for (none: blocked). Read
    -- without a lock: a booking in flight shows the slot AVAILABLE, and the ORM path
    -- then waits for it.
    IF doc ? 'refusal' THEN
        SELECT sl.status, sl.doctor_id INTO s
            FROM doctors_availabilityslot sl WHERE sl.id = v_slot;
        IF NOT FOUND OR s.status = 'AVAILABLE' OR s.doctor_id <> v_doctor
           OR (SELECT cn.id FROM consultations_consultation cn
                   WHERE cn.slot_id = v_slot
                     AND cn.status IN (SELECT jsonb_array_elements_text(doc->'active_statuses')))
              IS DISTINCT FROM (doc->>'holder')::uuid THEN
            RETURN 'slow';
        END IF;
        {_insert("consultations_idempotencyrecord", "doc->'idempotency'")}
        RETURN 'refused';
    END IF;

    -- Concurrent bookings of the slot queue on its row lock; each then sees the
    -- winner's status. Every fact the answer was rendered from is checked again.
    SELECT sl.status, sl.start_time, sl.end_time, sl.doctor_id,
           d.consultation_fee, d.is_verified AND u.is_active AS bookable
        INTO s
        FROM doctors_availabilityslot sl
        JOIN doctors_doctorprofile d ON d.id = sl.doctor_id
        JOIN accounts_user u ON u.id = d.user_id
        WHERE sl.id = v_slot
        FOR UPDATE OF sl;
    -- The clock is read after the lock: a wait behind other bookings counts.
    v_now := clock_timestamp();
    IF NOT FOUND OR s.status <> 'AVAILABLE' OR NOT s.bookable OR s.doctor_id <> v_doctor
       OR s.consultation_fee <> 0 OR s.start_time <= v_now
       OR s.start_time <> (doc->>'start_time')::timestamptz
       OR s.end_time <> (doc->>'end_time')::timestamptz THEN
        RETURN 'slow';
    END IF;
    -- The telemedicine consent the booking relies on is still the newest record, or
    -- (a first booking, which records implied consent) there is still none.
    v_consent := (SELECT cr.id FROM consent_consentrecord cr
            WHERE cr.user_id = v_patient AND cr.purpose = 'telemedicine'
            ORDER BY cr.created_at DESC, cr.id DESC LIMIT 1);
    IF v_consent IS DISTINCT FROM
       (CASE WHEN doc ? 'consent' THEN NULL ELSE (c->>'consent_id')::uuid END) THEN
        RETURN 'slow';
    END IF;
    -- The caps: a patient's bookings queue on an advisory lock, then count (a statement
    -- of its own, so it sees every booking committed while this one waited).
    IF (doc->>'cap_total')::int > 0 OR (doc->>'cap_doctor')::int > 0 THEN
        PERFORM pg_advisory_xact_lock((doc->>'caps_lock_class')::int, hashtext(v_patient::text));
        SELECT count(*), coalesce(sum(CASE WHEN cn.doctor_id = v_doctor THEN 1 ELSE 0 END), 0)
            INTO v_total, v_with_doctor
            FROM consultations_consultation cn
            JOIN doctors_availabilityslot sl ON sl.id = cn.slot_id
            WHERE cn.patient_id = v_patient AND cn.status = 'PENDING' AND sl.start_time > v_now;
        IF ((doc->>'cap_total')::int > 0 AND v_total >= (doc->>'cap_total')::int)
           OR ((doc->>'cap_doctor')::int > 0 AND v_with_doctor >= (doc->>'cap_doctor')::int) THEN
            RETURN 'slow';
        END IF;
    END IF;

    -- Every check has passed: from here on the rows are written (a RETURN above
    -- writes nothing).
    IF doc ? 'consent' THEN
        -- A concurrent first booking of the patient makes this insert fail on the
        -- one-implied-consent index; the caller then takes the ORM path.
        {_insert("consent_consentrecord", "doc->'consent'")}
        {_insert("audit_auditentry", "doc->'consent_event'")}
    END IF;

    {_insert("consultations_consultation", "c")}

    UPDATE doctors_availabilityslot
        SET status = 'BOOKED', updated_at = (doc->>'slot_updated_at')::timestamptz
        WHERE id = v_slot;

    -- The audit entries in the order the ORM path writes them (the sealer chains
    -- entries in id order).
    FOR entry IN SELECT value FROM jsonb_array_elements(doc->'audit_entries') LOOP
        {_insert("audit_auditentry", "entry")}
    END LOOP;

    {_insert("notifications_outboxevent", "doc->'outbox'")}

    {_insert("consultations_idempotencyrecord", "doc->'idempotency'")}
    RETURN 'ok';
END
$$;
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def restore_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module("consultations.migrations.0004_booking_statement")
        schema_editor.execute(previous.FUNCTION)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditentry_is_logentry"),
        ("consultations", "0004_booking_statement"),
    ]

    operations = [migrations.RunPython(create_function, restore_function)]
