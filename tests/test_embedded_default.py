"""The embedded default of `make run`: no DATABASE_URL, no REDIS_URL, a SQLite file and an
in-process cache. Migrations, demo data and the main flows work on it, including the
concurrency guarantees, which SQLite keeps by serialising write transactions."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOGIN_LINE = re.compile(r"^\s+(admin|doctor|patient)\s+(\S+@\S+)", re.MULTILINE)
PASSWORD = re.compile(r"password for all: (\S+?)\)")
SECRET_LINE = re.compile(
    r"^\s+(?:admin|doctor)\s+(\S+@\S+)\s+TOTP secret ([A-Z2-7]+)", re.MULTILINE
)

pytestmark = pytest.mark.slow


def _embedded_env(sqlite_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "CACHE_KEY_PREFIX"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="amrutam.settings.local",
        SQLITE_PATH=str(sqlite_path),
        LOG_LEVEL="ERROR",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        # TOTP secrets the seed printed, and the last time step used per email: a
        # code is accepted once, so a second login in the same 30 s takes the next one.
        self.secrets: dict[str, str] = {}
        self.last_step: dict[str, int] = {}

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(  # noqa: S310 - a local test server
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers=all_headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    def json(self, *args, **kwargs) -> tuple[int, dict]:
        status, body, _ = self.call(*args, **kwargs)
        return status, json.loads(body) if body else {}

    def login(self, email: str, password: str) -> str:
        status, body = self.json(
            "POST", "/api/v1/auth/login", body={"email": email, "password": password}
        )
        assert status == 200, body
        if body["data"].get("mfaRequired"):
            status, body = self.json(
                "POST",
                "/api/v1/auth/mfa/verify",
                body={"mfaToken": body["data"]["mfaToken"], "code": self._code(email)},
            )
            assert status == 200, body
        return body["data"]["token"]

    def _code(self, email: str) -> str:
        import pyotp

        step = max(int(time.time()) // 30, self.last_step.get(email, 0) + 1)
        while step > int(time.time()) // 30 + 1:  # only one step ahead is accepted
            time.sleep(1)
        self.last_step[email] = step
        return pyotp.TOTP(self.secrets[email]).at(step * 30)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Iterator[tuple[Api, dict[str, str], str, dict[str, str]]]:
    """A trial instance as `make run` starts it: migrate, seed, runserver."""
    env = _embedded_env(tmp_path_factory.mktemp("embedded") / "db.sqlite3")
    migrated = _manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    seeded = _manage(env, "seed")
    assert seeded.returncode == 0, seeded.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "runserver exited"
            try:
                if api.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "runserver did not come up"
            time.sleep(0.2)
        logins = {email: role for role, email in LOGIN_LINE.findall(seeded.stdout)}
        api.secrets = dict(SECRET_LINE.findall(seeded.stdout))
        yield api, env, PASSWORD.search(seeded.stdout).group(1), logins
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def _first(logins: dict[str, str], role: str) -> str:
    return next(email for email, r in logins.items() if r == role)


def _race(jobs: list) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index: int, job) -> None:
        barrier.wait(timeout=30)
        results[index] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_the_trial_instance_is_up_ready_and_documented(embedded):
    api, _, _, _ = embedded

    health = api.json("GET", "/health")
    ready = api.json("GET", "/ready")
    schema = api.call("GET", "/api/schema")

    assert health[0] == 200 and health[1]["status"] == "UP"
    assert ready == (
        200,
        {"status": "UP", "checks": {"database": "UP", "cache": "UP", "encryption": "UP"}},
    )
    assert schema[0] == 200 and schema[1].startswith(b"openapi: 3")


def test_seed_runs_again_without_duplicating_anything(embedded):
    api, env, password, logins = embedded
    again = _manage(env, "seed")

    assert again.returncode == 0, again.stderr
    admin = api.login(_first(logins, "admin"), password)
    status, body = api.json("GET", "/api/v1/doctors", token=admin)
    assert status == 200
    assert body["data"]["pagination"]["total"] == 3


def test_a_slot_raced_by_three_patients_is_booked_once(embedded):
    api, _, password, logins = embedded
    patients = [api.login(e, password) for e, r in logins.items() if r == "patient"]
    _, doctors = api.json("GET", "/api/v1/doctors", token=patients[0])
    doctor_id = doctors["data"]["doctors"][0]["id"]
    _, availability = api.json(
        "GET", f"/api/v1/doctors/{doctor_id}/availability?days=7", token=patients[0]
    )
    slot_id = availability["data"]["slots"][-1]["id"]
    body = {"doctorId": doctor_id, "slotId": slot_id}

    responses = _race(
        [
            lambda token=token: api.call(
                "POST",
                "/api/v1/consultations/bookings",
                token=token,
                body=body,
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            for token in patients
        ]
    )

    assert Counter(status for status, _, _ in responses) == {201: 1, 409: 2}
    assert {json.loads(b)["code"] for s, b, _ in responses if s == 409} == {"slot_unavailable"}
    _, after = api.json(
        "GET", f"/api/v1/doctors/{doctor_id}/availability?days=7", token=patients[0]
    )
    assert slot_id not in {s["id"] for s in after["data"]["slots"]}


def test_a_replay_is_byte_identical_and_a_changed_body_is_422(embedded):
    api, _, password, logins = embedded
    token = api.login(_first(logins, "patient"), password)
    _, doctors = api.json("GET", "/api/v1/doctors", token=token)
    doctor_id = doctors["data"]["doctors"][1]["id"]
    _, availability = api.json(
        "GET", f"/api/v1/doctors/{doctor_id}/availability?days=7", token=token
    )
    slot_id = availability["data"]["slots"][-2]["id"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"doctorId": doctor_id, "slotId": slot_id, "reason": "Headache"}

    first = api.call("POST", "/api/v1/consultations/bookings", token=token, body=body, headers=key)
    replay = api.call("POST", "/api/v1/consultations/bookings", token=token, body=body, headers=key)
    changed = api.call(
        "POST",
        "/api/v1/consultations/bookings",
        token=token,
        body={**body, "reason": "Fever"},
        headers=key,
    )

    assert first[0] == 201
    assert (replay[0], replay[1]) == (201, first[1])
    assert replay[2].get("Idempotent-Replayed") == "true"
    assert changed[0] == 422
    assert json.loads(changed[1])["code"] == "idempotency_key_reused"


def test_overlapping_slots_raced_by_one_doctor_give_one_201_and_409s(embedded):
    api, _, password, logins = embedded
    token = api.login(_first(logins, "doctor"), password)
    jobs = [
        lambda minute=minute: api.call(
            "POST",
            "/api/v1/doctors/me/slots",
            token=token,
            body={
                "slots": [
                    {
                        "startTime": f"2099-06-01T10:{minute:02d}:00Z",
                        "endTime": f"2099-06-01T11:{minute:02d}:00Z",
                    }
                ]
            },
        )
        for minute in range(0, 40, 10)
    ]

    responses = _race(jobs)

    assert Counter(status for status, _, _ in responses) == {201: 1, 409: 3}
    assert {json.loads(b)["code"] for s, b, _ in responses if s == 409} == {"slot_overlap"}


def test_the_audit_trail_verifies_on_sqlite(embedded):
    _, env, _, _ = embedded

    result = _manage(env, "verify_audit_log")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Audit chain intact" in result.stdout
