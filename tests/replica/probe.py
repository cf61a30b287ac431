"""One scenario of read routing, run in a child process against a private primary and its
streaming standby (tests/test_read_replica.py); prints what it saw as one JSON line.

`python -m tests.replica.probe <scenario>` with DATABASE_URL (the primary),
DATABASE_REPLICA_URL (the standby) and REDIS_URL set.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.replica.settings")

import django

django.setup()

import psycopg  # noqa: E402
from django.db import close_old_connections, connections, transaction  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from amrutam.common.replica import ReplicaPinMiddleware, breaker, replica_reads  # noqa: E402
from audit.models import AuditEntry  # noqa: E402
from audit.selectors import audit_entry_list  # noqa: E402
from audit.services import audit_event, phi_access_record  # noqa: E402

PRIMARY_URL = os.environ["DATABASE_URL"]
STANDBY_URL = os.environ["DATABASE_REPLICA_URL"]


def _sql(url: str, statement: str) -> Any:
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        return conn.execute(statement).fetchone()


def wait_replayed() -> None:
    """Until the standby has replayed everything the primary has written so far."""
    (lsn,) = _sql(PRIMARY_URL, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        (done,) = _sql(STANDBY_URL, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")
        if done:
            return
        time.sleep(0.02)
    raise RuntimeError("the standby did not catch up")


def pause_replay() -> None:
    wait_replayed()
    _sql(STANDBY_URL, "SELECT pg_wal_replay_pause()")


def resume_replay() -> None:
    _sql(STANDBY_URL, "SELECT pg_wal_replay_resume()")


def event(action: str) -> None:
    audit_event(action=action, object_type="probe", object_id="1", actor="probe")


def listed(prefix: str) -> dict[str, Any]:
    """The audit search (a lag-tolerant selector): where it read and what it found."""
    entries = audit_entry_list(action=f"{prefix}.*")
    actions = sorted(entry.action for entry in entries)
    with connections[entries.db].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        in_recovery = cursor.fetchone()[0]
    return {"db": entries.db, "actions": actions, "inRecovery": in_recovery}


def serve(method: str, user: Any, view: Callable[[], Any]) -> Any:
    """`view` run as the request `method` of `user`, through the pinning middleware."""

    def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse(json.dumps(view()), content_type="application/json")

    request = getattr(RequestFactory(), method.lower())("/probe")
    request.user = user
    close_old_connections()  # as at the start of every request
    return json.loads(ReplicaPinMiddleware(get_response)(request).content)


def lagging() -> dict[str, Any]:
    event("probe.lag.before")
    pause_replay()
    try:
        event("probe.lag.after")
        return listed("probe.lag")
    finally:
        resume_replay()


def own_writes() -> dict[str, Any]:
    writer = SimpleNamespace(pk=uuid.uuid4(), is_authenticated=True)
    other = SimpleNamespace(pk=uuid.uuid4(), is_authenticated=True)
    event("probe.own.before")
    pause_replay()
    try:

        def write() -> dict[str, Any]:
            event("probe.own.written")
            return listed("probe.own")

        seen = {
            "duringWrite": serve("POST", writer, write),
            "writerAfter": serve("GET", writer, lambda: listed("probe.own")),
            "otherAfter": serve("GET", other, lambda: listed("probe.own")),
        }
        time.sleep(float(os.environ["REPLICA_PIN_SECONDS"]) + 0.2)
        seen["writerOncePinExpired"] = serve("GET", writer, lambda: listed("probe.own"))
        return seen
    finally:
        resume_replay()


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured.captured_queries]


def primary_only() -> dict[str, Any]:
    reader = SimpleNamespace(pk=uuid.uuid4(), is_authenticated=True)

    def read_and_write() -> dict[str, Any]:
        with (
            CaptureQueriesContext(connections["default"]) as on_primary,
            CaptureQueriesContext(connections["replica"]) as on_replica,
            replica_reads() as alias,
        ):
            entry = phi_access_record(
                action="probe.primary.viewed",
                object_type="probe",
                object_id="1",
                subject_id=uuid.uuid4(),
                actor="probe",
            )
            event("probe.primary.event")
            with transaction.atomic():
                locked = AuditEntry.objects.select_for_update().get(pk=entry.pk)
                in_transaction = AuditEntry.objects.filter(pk=locked.pk).exists()
        locks = [q["sql"] for q in on_primary.captured_queries if "FOR UPDATE" in q["sql"]]
        return {
            "alias": alias,
            "accessEntryId": entry.pk,
            "seenInTransaction": in_transaction,
            "primaryStatements": sorted(set(_statements(on_primary))),
            "replicaStatements": sorted(set(_statements(on_replica))),
            "replicaLocks": [q["sql"] for q in on_replica.captured_queries if "FOR " in q["sql"]],
            "primaryLocks": len(locks),
        }

    return serve("GET", reader, read_and_write)


def standby_stops() -> dict[str, Any]:
    """Read from the standby, wait while the test stops it, then read again twice."""
    reader = SimpleNamespace(pk=uuid.uuid4(), is_authenticated=True)
    event("probe.down.before")
    wait_replayed()
    seen: dict[str, Any] = {"before": serve("GET", reader, lambda: listed("probe.down"))}
    print("ready", flush=True)
    sys.stdin.readline()  # the standby is stopped now
    event("probe.down.after")
    started = time.monotonic()
    seen["after"] = serve("GET", reader, lambda: listed("probe.down"))
    seen["afterSeconds"] = time.monotonic() - started
    seen["breakerOpen"] = breaker.is_open()
    started = time.monotonic()
    seen["again"] = serve("GET", reader, lambda: listed("probe.down"))
    seen["againSeconds"] = time.monotonic() - started
    return seen


SCENARIOS = {
    "lagging": lagging,
    "own_writes": own_writes,
    "primary_only": primary_only,
    "standby_stops": standby_stops,
}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]](), default=str), flush=True)
