"""The background sealer: one thread per process seals what commits leave pending."""

import logging
import os
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection, transaction

from audit.chain import sealer as chain
from audit.chain import verify_chain
from audit.models import AuditEntry
from audit.services import audit_event
from consultations.tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sealer(settings, transactional_db):
    """Background sealing on; afterwards the thread is stopped and its session closed.

    Requesting transactional_db makes this teardown run before the tables are emptied,
    and the test database cannot be dropped while the thread holds a session on it.
    """
    settings.AUDIT_SEAL_IN_BACKGROUND = True
    yield chain._background
    chain._background.stop()
    assert not chain._background._running(), "the sealer thread did not stop"


@pytest.fixture
def gate():
    """An event a patched sealer waits on; opened at teardown so no test leaves it stuck."""
    event = threading.Event()
    yield event
    event.set()


def _commit(object_id="t-1"):
    with transaction.atomic():
        audit_event(action="thing.done", object_type="thing", object_id=object_id)


def _unsealed():
    return AuditEntry.objects.filter(hash__isnull=True).count()


def _wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _failures(caplog):
    return [r for r in caplog.records if r.name == "amrutam.audit" and r.msg == "audit_seal_failed"]


def _test_database_url():
    db = django_settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_the_commit_returns_and_the_sealer_thread_seals_after_it(monkeypatch, gate):
    callers = []
    real = chain.seal_pending

    def held():
        callers.append(threading.current_thread().name)
        gate.wait(timeout=10)
        return real()

    monkeypatch.setattr(chain, "seal_pending", held)

    with transaction.atomic():
        audit_event(action="thing.done", object_type="thing", object_id="t-1")
        audit_event(action="thing.done", object_type="thing", object_id="t-2")

    # The sealer is held before sealing: had the commit sealed, or waited for the seal,
    # nothing would be pending here.
    assert _unsealed() == 2
    gate.set()
    assert _wait_until(lambda: _unsealed() == 0)
    assert callers == ["audit-sealer"]
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == 2


def test_a_commit_during_a_round_wakes_another_round(monkeypatch, gate):
    real = chain.seal_pending
    rounds = []

    def first_round_ends_early():
        sealed = real()
        rounds.append(sealed)
        if len(rounds) == 1:
            # The round stays open until the test has committed again, then ends as if
            # nothing were left: only that commit's wake-up can get its entry sealed.
            gate.wait(timeout=10)
            return 0
        return sealed

    monkeypatch.setattr(chain, "seal_pending", first_round_ends_early)

    _commit("first")
    assert _wait_until(lambda: len(rounds) == 1)
    _commit("second")
    gate.set()

    assert _wait_until(lambda: _unsealed() == 0)
    assert rounds[:2] == [1, 1]
    assert verify_chain().checked == 2


def test_writers_released_together_are_all_sealed_by_the_thread(monkeypatch):
    writers, per_writer = 8, 5
    seals = []
    real = chain._seal_batch

    def recording():
        count = real()
        seals.append((threading.current_thread().name, count))
        return count

    monkeypatch.setattr(chain, "_seal_batch", recording)

    def writer(n):
        def write():
            for k in range(per_writer):
                _commit(f"{n}-{k}")

        return write

    results = race([writer(n) for n in range(writers)])
    errors = [result for result in results if isinstance(result, Exception)]

    assert errors == []
    total = writers * per_writer
    assert AuditEntry.objects.count() == total
    assert _wait_until(lambda: _unsealed() == 0)
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == total
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    # Every entry was sealed once, and only by the sealer thread.
    assert {name for name, count in seals if count} == {"audit-sealer"}
    assert sum(count or 0 for _, count in seals) == total


def test_a_failed_round_is_logged_and_the_next_wake_seals_its_entries(monkeypatch, caplog):
    monkeypatch.setattr(chain, "SEAL_RETRY_SECONDS", 60.0)  # only a commit wakes it in time
    real = chain._seal_batch
    raised = []

    def fails_once():
        if not raised:
            raised.append(threading.current_thread().name)
            raise OperationalError("server closed the connection unexpectedly")
        return real()

    monkeypatch.setattr(chain, "_seal_batch", fails_once)
    caplog.set_level(logging.ERROR, logger="amrutam.audit")

    _commit("first")
    assert _wait_until(lambda: _failures(caplog))
    (failure,) = _failures(caplog)
    assert failure.threadName == "audit-sealer"
    assert failure.exc_info[0] is OperationalError
    assert _unsealed() == 1

    _commit("second")

    assert _wait_until(lambda: _unsealed() == 0)
    assert raised == ["audit-sealer"]
    assert len(_failures(caplog)) == 1
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == 2


def test_a_failed_round_is_retried_without_another_commit(monkeypatch, caplog):
    monkeypatch.setattr(chain, "SEAL_RETRY_SECONDS", 0.2)
    real = chain._seal_batch
    raised = []

    def fails_once():
        if not raised:
            raised.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return real()

    monkeypatch.setattr(chain, "_seal_batch", fails_once)
    caplog.set_level(logging.ERROR, logger="amrutam.audit")

    _commit()

    assert _wait_until(lambda: _unsealed() == 0)
    assert raised == [True]
    assert len(_failures(caplog)) == 1
    assert verify_chain().checked == 1


def test_a_rolled_back_transaction_wakes_nothing_and_leaves_nothing(monkeypatch):
    wakes = []
    real_wake = chain._background.wake

    def counting():
        wakes.append(threading.current_thread().name)
        real_wake()

    monkeypatch.setattr(chain._background, "wake", counting)

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_event(action="thing.done", object_type="thing", object_id="rolled-back")
        raise RuntimeError("the caller's work failed")

    assert wakes == []
    assert not chain._background._running()
    assert AuditEntry.objects.count() == 0

    _commit("kept")

    assert wakes == ["MainThread"]
    assert _wait_until(lambda: _unsealed() == 0)
    assert list(AuditEntry.objects.values_list("object_id", "seq")) == [("kept", 1)]
    assert verify_chain().ok


def _record_sealer_sessions(monkeypatch) -> list[int]:
    """The PostgreSQL backend pid of every sealing round, in order."""
    backends: list[int] = []
    real = chain.seal_pending

    def recording():
        sealed = real()
        # `connection` is per thread: this is the sealer thread's own session.
        backends.append(connection.connection.info.backend_pid)
        return sealed

    monkeypatch.setattr(chain, "seal_pending", recording)
    return backends


def _record_round_ends(monkeypatch) -> list[bool]:
    """True each time a round has found nothing left to seal: its last query is done."""
    ends: list[bool] = []
    real = chain._pending_exists

    def recording():
        pending = real()
        if not pending:
            ends.append(True)
        return pending

    monkeypatch.setattr(chain, "_pending_exists", recording)
    return ends


def test_the_sealer_reconnects_after_its_session_is_killed(monkeypatch, caplog):
    backends = _record_sealer_sessions(monkeypatch)
    round_ends = _record_round_ends(monkeypatch)
    caplog.set_level(logging.ERROR, logger="amrutam.audit")
    _commit("before")
    # Killed between rounds, as a restart while the thread waits: a kill during a
    # round's last query (the pending check after the entry is sealed) fails that round.
    assert _wait_until(lambda: _unsealed() == 0 and backends and round_ends)

    # What a restart of PostgreSQL does to every open session.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [backends[0]])
        assert cursor.fetchone()[0] is True
    _commit("after")

    # The round is recorded once it has returned, just after its commit.
    assert _wait_until(lambda: _unsealed() == 0 and len(backends) >= 2)
    # The health check found the dead session and reconnected before the round's first
    # query: the round did not fail.
    assert _failures(caplog) == []
    assert backends[-1] != backends[0]
    assert verify_chain().checked == 2


def test_stop_seals_what_is_pending_and_ends_the_threads_session(monkeypatch):
    backends = _record_sealer_sessions(monkeypatch)
    _commit("woke-it")
    assert _wait_until(lambda: _unsealed() == 0 and backends)
    # An entry whose commit wakes nobody: only stop's final round can seal it.
    monkeypatch.setattr(chain, "schedule_seal", lambda: None)
    _commit("left-pending")
    assert _unsealed() == 1

    chain._background.stop()

    assert not chain._background._running()
    assert _unsealed() == 0
    assert set(backends) == {backends[0]}

    def session_gone():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backends[0]])
            return cursor.fetchone()[0] == 0

    assert _wait_until(session_gone)


def test_a_process_that_exits_right_after_its_commit_seals_it_first():
    # The sealer is slowed down so that, without the drain at exit, the interpreter
    # would stop the daemon thread before it sealed.
    script = (
        "import time, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.db import transaction\n"
        "from audit.chain import sealer as chain\n"
        "from audit.services import audit_event\n"
        "settings.AUDIT_SEAL_IN_BACKGROUND = True\n"
        "real = chain._seal_batch\n"
        "def slow():\n"
        "    time.sleep(0.5)\n"
        "    return real()\n"
        "chain._seal_batch = slow\n"
        "with transaction.atomic():\n"
        "    audit_event(action='thing.done', object_type='thing', object_id='at-exit')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=django_settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "DJANGO_SETTINGS_MODULE": "amrutam.settings.test",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    entry = AuditEntry.objects.get(object_id="at-exit")
    assert entry.seq == 1
    assert entry.hash is not None
    assert verify_chain().ok


def test_a_sealer_that_cannot_start_does_not_fail_the_committed_write(monkeypatch, caplog):
    def cannot_start():
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(chain._background, "wake", cannot_start)
    caplog.set_level(logging.ERROR, logger="amrutam.audit")

    _commit("committed")

    assert AuditEntry.objects.filter(object_id="committed").exists()
    assert len(_failures(caplog)) == 1
    monkeypatch.undo()

    _commit("next")

    # The next commit's round takes the earlier entry too.
    assert _wait_until(lambda: _unsealed() == 0)
    assert verify_chain().checked == 2


def test_a_forked_child_starts_without_the_parents_sealer_or_its_locks():
    _commit()
    assert _wait_until(lambda: _unsealed() == 0)
    assert chain._background._running()

    with chain._local_sealer:  # as if the parent's sealer were mid-round at the fork
        pid = os.fork()
        if pid == 0:  # the child: report through the exit status only
            ok = (
                not chain._background._running()
                and chain._background._thread.thread is None
                and chain._local_sealer.acquire(blocking=False)
            )
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
