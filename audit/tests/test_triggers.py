"""The database keeps the audit tables append-only, whatever code path writes."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction

from audit.chain import seal_pending
from audit.models import AuditEntry, EntryKind
from audit.services import audit_event, entry_append

pytestmark = pytest.mark.django_db


def _sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def sealed_entry():
    entry = audit_event(action="thing.done", object_type="thing", object_id="t-1")
    seal_pending()
    entry.refresh_from_db()
    return entry


def test_update_of_an_audit_entry_fails_at_the_database(sealed_entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("UPDATE audit_auditentry SET action = 'thing.undone' WHERE id = %s", [sealed_entry.pk])

    sealed_entry.refresh_from_db()
    assert sealed_entry.action == "thing.done"


def test_delete_of_an_audit_entry_fails_at_the_database(sealed_entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("DELETE FROM audit_auditentry WHERE id = %s", [sealed_entry.pk])

    assert AuditEntry.objects.filter(pk=sealed_entry.pk).count() == 1


def test_orm_update_and_delete_are_refused_too(sealed_entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=sealed_entry.pk).update(object_id="t-2")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=sealed_entry.pk).delete()

    assert AuditEntry.objects.get(pk=sealed_entry.pk).object_id == "t-1"


def test_a_sealed_entry_cannot_be_resealed(sealed_entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("UPDATE audit_auditentry SET hash = repeat('0', 64) WHERE id = %s", [sealed_entry.pk])


def test_an_unsealed_entry_may_only_gain_its_chain_columns():
    entry = audit_event(action="thing.done", object_type="thing", object_id="t-1")

    with pytest.raises(DatabaseError, match="append-only"):
        _sql(
            "UPDATE audit_auditentry SET seq = 99, prev_hash = 'x', hash = 'y', "
            "object_id = 't-9' WHERE id = %s",
            [entry.pk],
        )
    _sql(
        "UPDATE audit_auditentry SET seq = 99, prev_hash = 'x', hash = 'y' WHERE id = %s",
        [entry.pk],
    )

    entry.refresh_from_db()
    assert (entry.seq, entry.object_id) == (99, "t-1")


@pytest.mark.parametrize(
    "change",
    [
        "subject_id = gen_random_uuid()",  # empty to set
        "ip = NULL",  # set to empty
        'changes = \'{"status": [null, "BOOKED"]}\'',  # a document for another
        '"timestamp" = "timestamp" + interval \'1 microsecond\'',
        "kind = 'access'",
        "additional_data = '{}'",
    ],
)
def test_sealing_refuses_any_other_change_with_it(change):
    entry = entry_append(
        kind=EntryKind.EVENT,
        action="thing.done",
        object_type="thing",
        object_id="t-1",
        changes={"status": [None, "X"]},
        ip="10.0.0.1",
    )

    with pytest.raises(DatabaseError, match="append-only"):
        _sql(
            # The change is one of the fixed texts above.
            f"UPDATE audit_auditentry SET seq = 99, prev_hash = 'x', hash = 'y', {change} "  # noqa: S608
            "WHERE id = %s",
            [entry.pk],
        )

    entry.refresh_from_db()
    assert (entry.seq, entry.hash, entry.changes) == (None, None, {"status": [None, "X"]})


def test_truncate_is_refused_unless_the_session_allows_it(sealed_entry):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL amrutam.audit_allow_truncate = 'off'")
        cursor.execute("TRUNCATE audit_auditentry")

    assert AuditEntry.objects.filter(pk=sealed_entry.pk).count() == 1


def test_auditlog_change_entries_refuse_update_and_delete(patient):
    change = AuditEntry.objects.get_for_object(patient).get()

    with pytest.raises(DatabaseError, match="append-only"):
        _sql("UPDATE audit_auditentry SET changes = '{}' WHERE id = %s", [change.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("UPDATE audit_auditentry SET content_type_id = NULL WHERE id = %s", [change.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("DELETE FROM audit_auditentry WHERE id = %s", [change.pk])

    change.refresh_from_db()
    assert change.changes["role"] == ["None", "PATIENT"]
    assert change.content_type.model == "user"


def test_the_archived_logentry_table_still_refuses_update_and_delete(patient):
    # Entries written before the trail became django-auditlog's model stay where they
    # were, append-only (audit/migrations/0004).
    _sql(
        "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_repr, action, "
        "changes_text, timestamp) VALUES (%s, %s, %s, 0, '', now())",
        [ContentType.objects.get_for_model(patient).pk, str(patient.pk), str(patient.pk)],
    )

    with pytest.raises(DatabaseError, match="append-only"):
        _sql(
            "UPDATE auditlog_logentry SET changes_text = 'x' WHERE object_pk = %s",
            [str(patient.pk)],
        )
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("DELETE FROM auditlog_logentry WHERE object_pk = %s", [str(patient.pk)])
