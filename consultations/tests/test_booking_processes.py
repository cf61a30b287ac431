"""Two gunicorn servers on one database, raced: still exactly one booking per slot."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import UserFactory
from consultations.models import Consultation, IdempotencyRecord
from tests.pgbouncer import PrivatePgBouncer

from .concurrency import race
from .conftest import new_key

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_until_up(base: str, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not come up")


class Servers(list[str]):
    """The servers' base URLs, and the PgBouncer between them and PostgreSQL, if any."""

    bouncer: PrivatePgBouncer | None = None

    def transactions(self) -> int:
        assert self.bouncer is not None
        return self.bouncer.transactions(connection.settings_dict["NAME"])


@pytest.fixture(params=["direct", "pgbouncer"])
def servers(request, transactional_db) -> Iterator[Servers]:
    """Two gunicorn masters (two workers each) serving the test database and cache,
    connected to PostgreSQL directly or through PgBouncer in transaction pooling."""
    cache = settings.CACHES["default"]
    database_url, pooler = _database_url(), ""
    bases = Servers()
    if request.param == "pgbouncer":
        bases.bouncer = request.getfixturevalue("pgbouncer")
        database_url = bases.bouncer.url(connection.settings_dict["NAME"])
        pooler = "pgbouncer"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "amrutam.settings.test",
        "DATABASE_URL": database_url,
        "DATABASE_POOLER": pooler,
        "REDIS_URL": cache["LOCATION"],
        "CACHE_KEY_PREFIX": cache["KEY_PREFIX"],
        "DB_CONN_MAX_AGE": "0",
        "LOG_LEVEL": "ERROR",
    }
    procs = []
    try:
        for _ in range(2):
            port = _free_port()
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "amrutam.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "2",
                        "--threads",
                        "4",
                    ],
                    cwd=REPO,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        # Generous: two masters and four workers start at once on a shared machine.
        deadline = time.monotonic() + 60
        for base, proc in zip(bases, procs, strict=True):
            _wait_until_up(base, proc, deadline)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _post(url: str, token: str, key: str, body: dict[str, str]) -> tuple[int, bytes, bool]:
    request = urllib.request.Request(  # noqa: S310 - a local test server
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read(), "Idempotent-Replayed" in response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), "Idempotent-Replayed" in exc.headers


def _kind(status: int, body: bytes, replayed: bool, original: bytes) -> str:
    if status == 201 and not replayed:
        return "original"
    if status == 201 and body == original:
        return "replay"
    if status == 409 and json.loads(body)["code"] == "idempotency_key_in_progress":
        return "in progress"
    return f"unexpected {status}"


@pytest.mark.slow
def test_two_server_processes_book_each_slot_exactly_once(servers, token_for, doctor, slot_at):
    slots = [slot_at(120 + 60 * i) for i in range(4)]
    tokens = [token_for(UserFactory(role="PATIENT")) for _ in range(8)]
    jobs = []
    for s in slots:
        body = {"doctorId": str(s.doctor_id), "slotId": str(s.pk)}
        for index, token in enumerate(tokens):
            url = f"{servers[index % 2]}/api/v1/consultations/bookings"
            jobs.append(lambda u=url, t=token, b=body: _post(u, t, new_key(), b))
    same_key_slot = slot_at(600)
    same_key_body = {"doctorId": str(doctor.pk), "slotId": str(same_key_slot.pk)}
    same_key_token, same_key = token_for(UserFactory(role="PATIENT")), new_key()
    for index in range(8):
        url = f"{servers[index % 2]}/api/v1/consultations/bookings"
        jobs.append(lambda u=url: _post(u, same_key_token, same_key, same_key_body))

    served_before = servers.transactions() if servers.bouncer else 0

    results = race(jobs)

    assert not [r for r in results if isinstance(r, Exception)]
    if servers.bouncer:
        # Every racer's transactions went through the pooler.
        assert servers.transactions() - served_before >= len(jobs)
    distinct, same = results[:32], results[32:]
    assert Counter(status for status, _, _ in distinct) == {201: 4, 409: 28}
    for s in slots:
        assert Consultation.objects.filter(slot=s).count() == 1
    original = next(body for status, body, replayed in same if status == 201 and not replayed)
    kinds = Counter(_kind(status, body, replayed, original) for status, body, replayed in same)
    assert kinds["original"] == 1
    assert kinds["original"] + kinds["replay"] + kinds["in progress"] == 8
    assert Consultation.objects.filter(slot=same_key_slot).count() == 1
    assert IdempotencyRecord.objects.filter(key=same_key).count() == 1
