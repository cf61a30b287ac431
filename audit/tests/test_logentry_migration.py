"""Migration 0004 makes the trail django-auditlog's entry model: existing change entries
take their LogEntry's content type, the chain still verifies, and the table stays
append-only."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from audit.chain import seal_pending, verify_chain
from audit.models import AuditEntry

BEFORE = ("audit", "0003_partition_by_month")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _migrate_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    _migrate(executor.loader.graph.leaf_nodes())


def _old_change(content_type_id, object_pk):
    """A change as written before 0004: a LogEntry and its copy in the trail (plain SQL:
    the model has moved on)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_repr, action, "
            "changes_text, changes, timestamp, serialized_data, remote_port) "
            'VALUES (%s, %s, %s, 0, \'\', \'{"role": ["None", "PATIENT"]}\', now(), '
            "'{\"fields\": {}}', 4431) RETURNING id",
            [content_type_id, object_pk, object_pk],
        )
        logentry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO audit_auditentry (timestamp, kind, actor_role, actor_label, action, "
            "object_type, object_id, changes, request_id, logentry_id) "
            "VALUES (%s, 'change', '', 'system', 'user.created', 'user', %s, "
            '\'{"role": ["None", "PATIENT"]}\', \'req-old\', %s) RETURNING id',
            [timezone.now(), object_pk, logentry_id],
        )
        return cursor.fetchone()[0], logentry_id


def _event(object_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (timestamp, kind, actor_role, actor_label, action, "
            "object_type, object_id, request_id) "
            "VALUES (%s, 'event', '', 'system', 'thing.done', 'thing', %s, '') RETURNING id",
            [timezone.now(), object_id],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def before_merge():
    # Every migration that depends on the merge goes back with it.
    _migrate([BEFORE, ("consultations", "0004_booking_statement")])
    yield
    _migrate_latest()


@pytest.mark.django_db(transaction=True)
def test_existing_changes_take_their_logentry_data_and_the_chain_still_verifies(before_merge):
    user_type = ContentType.objects.get_for_model(User)
    change_id, logentry_id = _old_change(user_type.pk, "u-1")
    event_id = _event("t-1")
    seal_pending()
    hashes = dict(AuditEntry.objects.values_list("id", "hash"))
    assert len(hashes) == 2

    _migrate_latest()

    change = AuditEntry.objects.get(pk=change_id)
    assert (change.content_type_id, change.remote_port) == (user_type.pk, 4431)
    assert change.serialized_data == {"fields": {}}
    assert (change.logentry_id, change.object_pk, change.cid) == (logentry_id, "u-1", "req-old")
    assert AuditEntry.objects.get(pk=event_id).content_type_id is None
    assert dict(AuditEntry.objects.values_list("id", "hash")) == hashes
    report = verify_chain()
    assert (report.ok, report.checked, report.unsealed) == (True, 2, 0)
    # The trigger is back on after the backfill.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=change_id).update(content_type=None)
