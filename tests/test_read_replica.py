"""Read routing against a real streaming replica: a private primary and a hot standby made
with pg_basebackup, each on its own port, and the app in a child process
(tests/replica/probe.py) pointed at both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from .private_services import PG_BIN, REPO, PrivatePostgres, PrivateStandby, _as_postgres

# django_db: the test database is where the private primary's schema is copied from.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]
DATABASE = "amrutam"
PIN_SECONDS = 1


@dataclass
class Pair:
    primary: PrivatePostgres
    standby: PrivateStandby

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DATABASE_URL=self.primary.url(DATABASE),
            DATABASE_REPLICA_URL=self.standby.url(DATABASE),
            REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            CACHE_KEY_PREFIX=f"replica-probe-{self.primary.port}",
            REPLICA_PIN_SECONDS=str(PIN_SECONDS),
            REPLICA_DOWN_SECONDS="30",
        )
        return env

    def probe(self, scenario: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "tests.replica.probe", scenario],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pair(django_db_setup) -> Iterator[Pair]:
    """A primary holding the test database's schema, and its streaming standby."""
    from django.db import connections

    schema = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "-d",
            os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/amrutam").rsplit(
                "/", 1
            )[0]
            + "/"
            + connections["default"].settings_dict["NAME"],
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    primary = PrivatePostgres()
    standby = None
    try:
        primary.start(options="-c wal_level=replica -c max_wal_senders=4")
        primary.create_database(DATABASE)
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "psql"),
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-d",
                    DATABASE,
                ]
            ),
            input=schema,
            check=True,
            capture_output=True,
            text=True,
        )
        standby = PrivateStandby(primary)
        standby.start()
        with psycopg.connect(standby.url(DATABASE), autocommit=True) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        yield Pair(primary, standby)
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()


def test_a_lag_tolerant_selector_reads_from_the_standby(pair):
    seen = pair.probe("lagging")

    # The entry written while the standby's replay was paused is not there: the audit
    # search was answered by the standby.
    assert seen == {
        "db": "replica",
        "actions": ["probe.lag.before"],
        "inRecovery": True,
    }


def test_a_user_reads_their_own_writes_from_the_primary_until_the_pin_expires(pair):
    seen = pair.probe("own_writes")

    both = ["probe.own.before", "probe.own.written"]
    assert seen["duringWrite"] == {"db": "default", "actions": both, "inRecovery": False}
    assert seen["writerAfter"] == {"db": "default", "actions": both, "inRecovery": False}
    # Another user tolerates the lag: the standby, still paused, has not the new entry.
    assert seen["otherAfter"] == {
        "db": "replica",
        "actions": ["probe.own.before"],
        "inRecovery": True,
    }
    assert seen["writerOncePinExpired"]["db"] == "replica"


def test_writes_locks_and_access_log_entries_go_to_the_primary(pair):
    seen = pair.probe("primary_only")

    assert seen["alias"] == "replica"  # reads in this block would use the standby
    assert seen["seenInTransaction"] is True
    assert {"INSERT", "SELECT"} <= set(seen["primaryStatements"])
    assert seen["primaryLocks"] == 1
    assert not {"INSERT", "UPDATE", "DELETE"} & set(seen["replicaStatements"])
    assert seen["replicaLocks"] == []
    with psycopg.connect(pair.primary.url(DATABASE)) as conn:
        row = conn.execute(
            "SELECT kind, action FROM audit_auditentry WHERE id = %s", [seen["accessEntryId"]]
        ).fetchone()
    assert row == ("access", "probe.primary.viewed")


def test_reads_fall_back_to_the_primary_when_the_standby_goes_away(pair):
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.replica.probe", "standby_stops"],
        cwd=REPO,
        env=pair.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        pair.standby.stop("fast")
        child.stdin.write("go\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err[-3000:]
    seen = json.loads(out.strip().splitlines()[-1])

    assert seen["before"]["db"] == "replica"
    both = ["probe.down.after", "probe.down.before"]
    assert seen["after"] == {"db": "default", "actions": both, "inRecovery": False}
    assert seen["breakerOpen"] is True
    # While the breaker is open the replica is not tried again.
    assert seen["again"] == {"db": "default", "actions": both, "inRecovery": False}
    assert seen["againSeconds"] < seen["afterSeconds"] + 1
