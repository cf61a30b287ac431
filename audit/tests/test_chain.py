"""The hash chain: sealing, verification, tamper detection and concurrent writers."""

import os
import subprocess
import sys
import threading
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from audit.chain import GENESIS_HASH, entry_hash, seal_pending, verify_chain
from audit.models import AuditEntry
from audit.services import audit_event


def _events(count):
    return [
        audit_event(action="thing.done", object_type="thing", object_id=f"t-{n}", changes={"n": n})
        for n in range(count)
    ]


def _test_database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _tamper(statement, params):
    """Change a row the way an intruder with table-owner rights would: trigger off."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_sealing_links_each_entry_to_the_one_before():
    _events(3)

    assert seal_pending() == 3

    chain = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in chain] == [1, 2, 3]
    assert chain[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert all(e.hash == entry_hash(e, e.prev_hash) for e in chain)


@pytest.mark.django_db
def test_sealing_again_seals_only_new_entries():
    _events(2)
    seal_pending()
    _events(1)

    assert seal_pending() == 1
    assert seal_pending() == 0
    assert list(AuditEntry.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
def test_verify_audit_log_passes_on_an_intact_chain():
    _events(5)
    out = StringIO()

    call_command("verify_audit_log", stdout=out)

    assert "Sealed 5 pending entries." in out.getvalue()
    assert "Audit chain intact: 5 entries, last seq 5" in out.getvalue()


@pytest.mark.django_db
def test_a_directly_altered_entry_makes_verify_fail_naming_it():
    entries = _events(4)
    seal_pending()
    target = entries[2]
    _tamper("UPDATE audit_auditentry SET changes = '{\"n\": 99}' WHERE id = %s", [target.pk])

    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_log", stdout=StringIO())

    assert str(failure.value).startswith(f"Audit chain broken at entry {target.pk} (seq 3)")
    assert "altered" in str(failure.value)


@pytest.mark.django_db(transaction=True)
def test_verify_audit_log_exits_non_zero_from_the_command_line():
    """The process exit status, which is what an operator's scheduled check sees."""
    entries = _events(3)
    _tamper("UPDATE audit_auditentry SET action = 'x.y' WHERE id = %s", [entries[1].pk])

    result = subprocess.run(
        [sys.executable, "manage.py", "verify_audit_log"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": _test_database_url()},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert f"Audit chain broken at entry {entries[1].pk} (seq 2)" in result.stderr


@pytest.mark.django_db
def test_a_removed_entry_breaks_the_sequence():
    entries = _events(3)
    seal_pending()
    _tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])

    report = verify_chain()

    assert report.broken_entry_id == entries[2].pk
    assert "jumps from 1 to 3" in report.problem


@pytest.mark.django_db
def test_a_rewritten_hash_is_caught_at_the_next_link():
    entries = _events(3)
    seal_pending()
    forged = entries[1]
    forged.refresh_from_db()
    forged.action = "thing.forged"
    _tamper(
        "UPDATE audit_auditentry SET action = %s, hash = %s WHERE id = %s",
        [forged.action, entry_hash(forged, forged.prev_hash), forged.pk],
    )

    report = verify_chain()

    assert report.broken_entry_id == entries[2].pk
    assert f"hash of entry {forged.pk}" in report.problem


@pytest.mark.django_db
def test_unsealed_entries_are_reported_by_a_read_only_verify():
    _events(2)
    seal_pending()
    _events(1)
    out, err = StringIO(), StringIO()

    call_command("verify_audit_log", "--no-seal", stdout=out, stderr=err)

    assert "1 entries are not sealed into the chain yet." in err.getvalue()
    assert "Audit chain intact: 2 entries" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_entries_are_sealed_when_the_writing_transaction_commits():
    with transaction.atomic():
        _events(2)
        assert AuditEntry.objects.filter(hash__isnull=True).count() == 2

    assert AuditEntry.objects.filter(hash__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_entry_and_no_gap():
    _events(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        _events(1)
        raise RuntimeError("the caller's work failed")
    _events(1)

    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_leave_an_unbroken_chain():
    writers, per_writer = 20, 5
    barrier = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            barrier.wait(timeout=10)
            for k in range(per_writer):
                with transaction.atomic():
                    audit_event(action="thing.done", object_type="thing", object_id=f"{n}-{k}")
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # Every writer sealed after its commit, or left it to the sealer holding the lock:
    # nothing is left unsealed and nothing needs sealing by the verifier.
    assert AuditEntry.objects.filter(hash__isnull=True).count() == 0
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == writers * per_writer
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, writers * per_writer + 1)
    )
