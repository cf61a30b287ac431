"""The audit table's monthly partitions: entries land in their month, the chain and the
append-only guards hold across partitions, and `audit_partitions` makes months ahead."""

import datetime as dt
import json
import subprocess
import sys
from io import StringIO

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.chain import seal_pending
from audit.models import AuditEntry, EntryKind
from audit.partitions import (
    DEFAULT_PARTITION,
    add_months,
    month_start,
    partition_create,
    partition_list,
)

pytestmark = pytest.mark.django_db

TABLE = "audit_auditentry"


def _name(month):
    return f"{TABLE}_{month:%Y_%m}"


def _start(month):
    return dt.datetime.combine(month, dt.time.min, tzinfo=dt.UTC)


def _this_month():
    return month_start(timezone.now().date())


def _entry(at, **fields):
    # The services stamp entries with the current time; an explicit timestamp stands in
    # for an entry written in another month.
    return AuditEntry.objects.create(
        timestamp=at,
        kind=EntryKind.EVENT,
        action="thing.done",
        object_type="thing",
        object_id=f"t-{at:%Y%m%d%H%M%S%f}",
        **fields,
    )


def _partition_of(entry):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM audit_auditentry WHERE id = %s", [entry.pk]
        )
        return cursor.fetchone()[0]


def _partitions(*args):
    out, err = StringIO(), StringIO()
    call_command("audit_partitions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _verify():
    out = StringIO()
    call_command("verify_audit_log", stdout=out, stderr=StringIO())
    return out.getvalue()


def _tamper(statement, params):
    """Change rows as an intruder with table-owner rights would: triggers off (the
    row triggers are the partitioned table's, so this reaches every partition)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        cursor.execute(statement, params)
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


@pytest.fixture
def two_months():
    """An entry at the last instant of last month and one at the first of this month."""
    this_month = _this_month()
    partition_create(month=add_months(this_month, -1))
    _partitions("--months-ahead", "0")
    older = _entry(_start(this_month) - dt.timedelta(microseconds=1))
    newer = _entry(_start(this_month))
    seal_pending()
    older.refresh_from_db()
    newer.refresh_from_db()
    return older, newer


def test_entries_of_two_months_are_stored_in_their_months_partitions(two_months):
    older, newer = two_months
    this_month = _this_month()

    assert _partition_of(older) == _name(add_months(this_month, -1))
    assert _partition_of(newer) == _name(this_month)


def test_the_chain_links_entries_across_the_month_boundary(two_months):
    older, newer = two_months

    assert (older.seq, newer.seq) == (1, 2)
    assert newer.prev_hash == older.hash


def test_verify_audit_log_passes_across_partitions(two_months):
    out = _verify()

    assert "Audit chain intact: 2 entries, last seq 2, head " in out
    assert out.rstrip().endswith(f", across {len(partition_list())} partitions.")


def test_tampering_with_an_entry_of_the_older_partition_is_detected(two_months):
    older, _ = two_months
    _tamper("UPDATE audit_auditentry SET action = 'thing.undone' WHERE id = %s", [older.pk])

    with pytest.raises(CommandError) as failure:
        _verify()

    assert str(failure.value).startswith(f"Audit chain broken at entry {older.pk} (seq 1)")
    assert "altered" in str(failure.value)


def test_a_seq_given_twice_in_two_partitions_is_detected(two_months):
    # The unique index on seq is per partition, so only the verifier can see this.
    older, newer = two_months
    _tamper("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [older.seq, newer.pk])

    with pytest.raises(CommandError) as failure:
        _verify()

    assert f"(seq {older.seq}): its seq {older.seq} is also that of entry " in str(failure.value)
    assert "forked" in str(failure.value)


def test_a_logentry_mirrored_twice_in_two_partitions_is_detected():
    this_month = _this_month()
    partition_create(month=add_months(this_month, -1))
    first = _entry(_start(this_month) - dt.timedelta(hours=1), logentry_id=424242)
    second = _entry(_start(this_month), logentry_id=424242)
    seal_pending()

    with pytest.raises(CommandError) as failure:
        _verify()

    assert f"Audit chain broken at entry {second.pk}" in str(failure.value)
    assert f"mirrors LogEntry 424242, as entry {first.pk} does" in str(failure.value)


def test_a_seq_given_twice_within_one_partition_is_refused(two_months):
    older, _ = two_months
    extra = _entry(older.timestamp - dt.timedelta(seconds=1))

    with pytest.raises(DatabaseError, match="duplicate key"):
        _tamper(
            "UPDATE audit_auditentry SET seq = %s, prev_hash = 'x', hash = 'y' WHERE id = %s",
            [older.seq, extra.pk],
        )


def test_export_walks_both_months_oldest_first(two_months):
    older, newer = two_months
    out, err = StringIO(), StringIO()

    call_command(
        "export_audit_log",
        "--from",
        f"{older.timestamp:%Y-%m-%d}",
        "--to",
        f"{newer.timestamp:%Y-%m-%d}",
        stdout=out,
        stderr=err,
    )

    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["id"], r["seq"]) for r in records] == [(older.pk, 1), (newer.pk, 2)]
    assert err.getvalue().strip() == "Exported 2 entries."


def test_sealing_updates_only_the_partition_of_the_sealed_entries(two_months):
    # Index-driven across partitions: the seal's UPDATE is planned against the one
    # partition its entries are in, not every month of the table.
    this_month = _this_month()
    _entry(_start(this_month) + dt.timedelta(seconds=1))
    with CaptureQueriesContext(connection) as queries:
        seal_pending()
    update = next(q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{TABLE}"'))

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {update}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert plan.count(f"Update on {TABLE}_") == 1
    assert f"Update on {_name(this_month)}" in plan


def test_audit_partitions_creates_this_month_and_the_months_ahead():
    this_month = _this_month()

    out, _ = _partitions("--months-ahead", "9")

    assert f"Created partition {_name(add_months(this_month, 9))} " in out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass "
            "AND inhrelid::regclass::text = ANY(%s)",
            [TABLE, [_name(add_months(this_month, n)) for n in range(10)]],
        )
        assert cursor.fetchone()[0] == 10


def test_audit_partitions_is_idempotent():
    _partitions("--months-ahead", "5")

    out, err = _partitions("--months-ahead", "5")

    last = add_months(_this_month(), 5)
    assert out == f"Partitions through {last:%Y-%m} already exist.\n"
    assert err == ""


def test_an_entry_in_a_new_partition_lands_there():
    month = add_months(_this_month(), 6)
    _partitions("--months-ahead", "6")

    entry = _entry(_start(month) + dt.timedelta(days=3))

    assert _partition_of(entry) == _name(month)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'thing.undone' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_a_partition_made_by_audit_partitions_refuses_update_and_delete(statement):
    month = add_months(_this_month(), 6)
    _partitions("--months-ahead", "6")
    entry = _entry(_start(month) + dt.timedelta(days=3))
    seal_pending()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])

    entry.refresh_from_db()
    assert entry.action == "thing.done"


def test_a_partition_made_by_audit_partitions_refuses_truncate():
    month = add_months(_this_month(), 6)
    _partitions("--months-ahead", "6")
    entry = _entry(_start(month) + dt.timedelta(days=3))

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL amrutam.audit_allow_truncate = 'off'")
        cursor.execute(f"TRUNCATE {_name(month)}")

    assert AuditEntry.objects.filter(pk=entry.pk).count() == 1


def test_the_default_partition_refuses_truncate():
    entry = _entry(dt.datetime(2001, 1, 1, tzinfo=dt.UTC))

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL amrutam.audit_allow_truncate = 'off'")
        cursor.execute(f"TRUNCATE {DEFAULT_PARTITION}")

    assert _partition_of(entry) == DEFAULT_PARTITION
    assert AuditEntry.objects.filter(pk=entry.pk).count() == 1


def test_a_month_whose_entries_are_in_the_default_partition_fails_clearly():
    late = add_months(_this_month(), 8)
    stray = _entry(_start(late) + dt.timedelta(days=1))

    with pytest.raises(CommandError) as failure:
        _partitions("--months-ahead", "8")

    message = str(failure.value)
    assert message.startswith(f"Audit partitions failed: {late:%Y-%m}: cannot create partition ")
    assert f"1 entries of that month are in {DEFAULT_PARTITION}" in message
    assert _partition_of(stray) == DEFAULT_PARTITION
    # The months before it were still made.
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [_name(add_months(late, -1))])
        assert cursor.fetchone()[0] is True


def test_verify_audit_log_fails_on_a_partition_without_its_truncate_trigger():
    name = _name(_this_month())
    _partitions("--months-ahead", "0")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER audit_entry_no_truncate ON {name}")

    with pytest.raises(CommandError, match=f"{name} lacks its TRUNCATE trigger"):
        _verify()


def test_audit_partitions_restores_a_missing_truncate_trigger():
    name = _name(_this_month())
    _partitions("--months-ahead", "0")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER audit_entry_no_truncate ON {name}")

    out, _ = _partitions("--months-ahead", "0")

    assert f"Added the TRUNCATE trigger of partition {name}." in out
    assert "Audit chain intact" in _verify()


def test_audit_partitions_gives_up_on_a_table_lock_it_cannot_get():
    # Any session reading the table holds a lock that creating a partition must wait for.
    # The first month ahead without a partition: the ones before it exist, so only this
    # one waits for the lock. (Creating them here would lock the table in this test's
    # own transaction, which the other session would then wait for.)
    ahead = next(n for n in range(120) if not _exists(_name(add_months(_this_month(), n))))
    month = add_months(_this_month(), ahead)
    with psycopg.connect(**_libpq_params(), autocommit=False) as reader:
        reader.execute("SET lock_timeout = '10s'")  # fail, rather than hang, if blocked
        reader.execute("LOCK TABLE audit_auditentry IN ACCESS SHARE MODE")

        with pytest.raises(CommandError) as failure:
            _partitions("--months-ahead", str(ahead))

    assert str(failure.value) == (
        f"Audit partitions failed: {month:%Y-%m}: canceling statement due to lock timeout"
    )
    assert not _exists(_name(month))


def _exists(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def _libpq_params():
    db = connection.settings_dict
    return {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": db["NAME"],
    }


@pytest.mark.parametrize("months", ["-1", "121"])
def test_audit_partitions_refuses_a_bad_months_ahead(months):
    with pytest.raises(CommandError, match="--months-ahead must be between 0 and 120"):
        _partitions("--months-ahead", months)


def test_audit_partitions_exits_non_zero_from_the_command_line():
    """The process exit status, which is what the beat and an operator's shell see."""
    result = subprocess.run(
        [sys.executable, "manage.py", "audit_partitions", "--months-ahead", "-1"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "--months-ahead must be between 0 and 120." in result.stderr
