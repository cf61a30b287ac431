"""Migration 0003 converts a filled, sealed plain audit table into monthly partitions
without breaking the chain, and back."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.chain import seal_pending, verify_chain
from audit.models import AuditEntry
from audit.partitions import add_months, month_start

PLAIN = ("audit", "0002_append_only_triggers")
PARTITIONED = ("audit", "0003_partition_by_month")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _migrate_latest():
    # Back to every app's newest migration: going back to PLAIN also unapplied the
    # migrations of other apps that depend on PARTITIONED.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _relkind():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'audit_auditentry'::regclass")
        return cursor.fetchone()[0]


def _insert(at, object_id):
    # Plain SQL: the model's state at 0002 and now differ only in uniqueness.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (timestamp, kind, actor_role, actor_label, action, "
            "object_type, object_id, request_id) "
            "VALUES (%s, 'event', '', '', 'thing.done', 'thing', %s, '') RETURNING id",
            [at, object_id],
        )
        return cursor.fetchone()[0]


def _partitions_of(ids):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM audit_auditentry WHERE id = ANY(%s) ORDER BY id",
            [ids],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def plain_table():
    _migrate(PLAIN)
    yield
    _migrate_latest()


@pytest.mark.django_db(transaction=True)
def test_conversion_moves_sealed_entries_into_their_months_and_keeps_the_chain(plain_table):
    this_month = month_start(timezone.now().date())
    two_ago = add_months(this_month, -2)
    far_ahead = add_months(this_month, 5)
    ids = [
        _insert(dt.datetime.combine(two_ago, dt.time(12), tzinfo=dt.UTC), "t-1"),
        _insert(timezone.now(), "t-2"),
        _insert(dt.datetime.combine(far_ahead, dt.time(12), tzinfo=dt.UTC), "t-3"),
    ]
    seal_pending()
    assert _relkind() == "r"

    _migrate(PARTITIONED)

    assert _relkind() == "p"
    assert _partitions_of(ids) == [
        f"audit_auditentry_{two_ago:%Y_%m}",
        f"audit_auditentry_{this_month:%Y_%m}",
        f"audit_auditentry_{far_ahead:%Y_%m}",
    ]
    report = verify_chain()
    assert (report.ok, report.checked, report.unsealed) == (True, 3, 0)
    # The new identity sequence carries on after the copied ids.
    assert _insert(timezone.now(), "t-4") > max(ids)


@pytest.mark.django_db(transaction=True)
def test_reverting_the_conversion_restores_a_plain_table_with_the_chain(plain_table):
    _migrate(PARTITIONED)
    ids = [_insert(timezone.now(), "t-1"), _insert(timezone.now(), "t-2")]
    seal_pending()

    _migrate(PLAIN)

    assert _relkind() == "r"
    assert list(AuditEntry.objects.order_by("id").values_list("id", "seq")) == [
        (ids[0], 1),
        (ids[1], 2),
    ]
    assert verify_chain().ok
