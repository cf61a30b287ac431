"""Fault injection: Redis and PostgreSQL fail under a running gunicorn, mid-traffic.

The server runs with production settings against a private PostgreSQL cluster and a
private redis-server (tests/private_services.py), so they can be killed, paused and
restarted without touching anyone else's services. While threads book, log in, read
and probe /ready, a dependency fails and comes back. Whatever happens, every answer is
either what the endpoint normally says or 503 `service_unavailable` in the error
envelope (never a 500, never a stack trace), /ready names the dependency that is down,
the same workers recover on their own, no request outlives the configured timeouts,
and in SQL every booking answered 201 exists exactly once.

Every test runs twice: with the server connected to PostgreSQL directly, and through a
private PgBouncer in transaction pooling mode (DATABASE_POOLER=pgbouncer), where the
timeouts are applied per transaction and the pooler stands between the faults and the
server.
"""

from __future__ import annotations

import itertools
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
import pytest

from .pgbouncer import PrivatePgBouncer
from .private_services import REPO, Answer, AppServer, PrivatePostgres, PrivateRedis, request

pytestmark = pytest.mark.slow

PASSWORD = "Fault-Password-2025!"
ACTIVE = ["PENDING", "ACTIVE", "COMPLETED"]
# The server's timeouts: a new database connection gives up after CONNECT_TIMEOUT,
# a lock wait after LOCK_TIMEOUT_MS, a statement after STATEMENT_TIMEOUT_MS; a Redis
# call after the production default of 0.5 s.
CONNECT_TIMEOUT = 2
LOCK_TIMEOUT_MS = 1500
STATEMENT_TIMEOUT_MS = 3000
# No request may take longer than the worst chain of those timeouts plus some slack
# for two shared cores.
DB_REQUEST_BOUND = CONNECT_TIMEOUT + STATEMENT_TIMEOUT_MS / 1000 + 3
REDIS_SOCKET_TIMEOUT = 0.5
REDIS_REQUEST_BOUND = 4.0
# /ready answering 200 is one worker's circuit closed; every other worker's lets a probe
# through within REDIS_CIRCUIT_SECONDS (2) of its own last failure.
REDIS_CIRCUITS_CLOSED = 2.0 + 0.5
# /ready's own deadline for the database's answer.
READY_DB_TIMEOUT = 1.0


@dataclass
class Stack:
    pg: PrivatePostgres
    redis: PrivateRedis
    app: AppServer
    doctor: str
    slots: Iterator[str]
    tokens: list[str]
    bouncer: PrivatePgBouncer | None = None

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.pg.url("amrutam"), connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module", params=["direct", "pgbouncer"])
def route(request: pytest.FixtureRequest) -> str:
    """PostgreSQL directly, or through PgBouncer in transaction pooling (a private one
    in front of the private cluster: the faults stay PostgreSQL's)."""
    return request.param


@pytest.fixture(scope="module")
def stack(route: str) -> Iterator[Stack]:
    pg = PrivatePostgres()
    redis = PrivateRedis()
    bouncer = None
    database_url, pooler = pg.url("amrutam"), ""
    if route == "pgbouncer":
        # A request waiting for a server connection gives up as a connect would: after
        # CONNECT_TIMEOUT, within the bound every request is held to.
        bouncer = PrivatePgBouncer(
            server_host="127.0.0.1", server_port=pg.port, query_wait_timeout=CONNECT_TIMEOUT
        )
        database_url, pooler = bouncer.url("amrutam"), "pgbouncer"
    app = AppServer(
        database_url,
        redis.url,
        extra_env={
            "DATABASE_POOLER": pooler,
            "DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            "DB_LOCK_TIMEOUT_MS": str(LOCK_TIMEOUT_MS),
            "DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
            "JWT_ACCESS_MINUTES": "60",
            "READY_DB_TIMEOUT_SECONDS": str(READY_DB_TIMEOUT),
            # Four patients book a fresh slot every 0.15 s for the whole module.
            "BOOKING_MAX_UPCOMING_PER_PATIENT": "0",
            "BOOKING_MAX_UPCOMING_PER_DOCTOR": "0",
        },
    )
    try:
        pg.start()
        pg.create_database("amrutam")
        if bouncer is not None:
            bouncer.start()
        redis.start()
        app.manage("migrate", "--noinput")
        output = app.run_script(REPO / "tests" / "fault_seed.py", "3000", "5", PASSWORD)
        seeded = json.loads(
            next(line for line in output.splitlines() if line.startswith("RESULT "))[7:]
        )
        app.start()
        tokens = [
            request(
                "POST",
                f"{app.base}/api/v1/auth/login",
                body={"email": email, "password": PASSWORD},
            ).json()["data"]["token"]
            for email in seeded["patients"]
        ]
        yield Stack(pg, redis, app, seeded["doctor"], iter(seeded["slots"]), tokens, bouncer)
    finally:
        app.destroy()
        redis.destroy()
        if bouncer is not None:
            bouncer.destroy()
        pg.destroy()


@dataclass
class Call:
    kind: str
    answer: Answer | None
    started: float
    seconds: float
    error: str | None = None
    slot: str | None = None
    key: str | None = None
    token: str | None = None


@dataclass
class Traffic:
    """Threads that book fresh slots, log in, read and probe /ready until stopped."""

    stack: Stack
    calls: list[Call] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def _record(self, kind: str, send: Callable[[], Answer], **about: str) -> None:
        started = time.monotonic()
        try:
            answer, error = send(), None
        except OSError as exc:  # refused, reset or timed out at the client: never expected
            answer, error = None, f"{type(exc).__name__}: {exc}"
        with self.lock:
            self.calls.append(
                Call(kind, answer, started, time.monotonic() - started, error, **about)
            )

    def _loop(self, pause: float, step: Callable[[], None]) -> None:
        while not self.stop.is_set():
            step()
            self.stop.wait(pause)

    def book(self, token: str) -> None:
        with self.lock:
            slot = next(self.stack.slots)
        key = uuid.uuid4().hex
        self._record(
            "booking",
            lambda: book(self.stack, token, slot, key),
            slot=slot,
            key=key,
            token=token,
        )

    def login(self, email_index: Iterator[int]) -> None:
        email = f"fault.patient{next(email_index)}@example.com"
        self._record(
            "login",
            lambda: request(
                "POST",
                f"{self.stack.app.base}/api/v1/auth/login",
                body={"email": email, "password": PASSWORD},
                timeout=30,
            ),
        )

    def read(self, token: str) -> None:
        base = self.stack.app.base
        headers = {"Authorization": f"Bearer {token}"}
        self._record(
            "availability",
            lambda: request(
                "GET",
                f"{base}/api/v1/doctors/{self.stack.doctor}/availability",
                headers=headers,
                timeout=30,
            ),
        )
        self._record(
            "list",
            lambda: request("GET", f"{base}/api/v1/consultations", headers=headers, timeout=30),
        )

    def ready(self) -> None:
        self._record("ready", lambda: request("GET", f"{self.stack.app.base}/ready", timeout=30))

    def start(self) -> None:
        tokens = self.stack.tokens
        emails = itertools.cycle(range(len(tokens)))
        jobs: list[tuple[float, Callable[[], None]]] = [
            (0.15, lambda t=token: self.book(t)) for token in tokens[:4]
        ]
        jobs += [
            (1.0, lambda: self.login(emails)),
            (0.1, lambda: self.read(tokens[4])),
            (0.1, self.ready),
        ]
        for pause, step in jobs:
            thread = threading.Thread(target=self._loop, args=(pause, step), daemon=True)
            thread.start()
            self.threads.append(thread)

    def wait_for(self, kind: str, *, since: float, count: int, within: float = 30) -> None:
        """Go on until `count` calls of `kind` that started after `since` have answered."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.lock:
                done = sum(1 for c in self.calls if c.kind == kind and c.started >= since)
            if done >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"fewer than {count} {kind} calls answered within {within} s")

    def finish(self) -> list[Call]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in self.threads), "a request never returned"
        return list(self.calls)


def book(stack: Stack, token: str, slot: str, key: str, timeout: float = 30) -> Answer:
    return request(
        "POST",
        f"{stack.app.base}/api/v1/consultations/bookings",
        body={"doctorId": stack.doctor, "slotId": slot},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        timeout=timeout,
    )


def wait_until_ready(stack: Stack, *, within: float) -> float:
    """Seconds until /ready answers 200 again."""
    began = time.monotonic()
    while time.monotonic() - began < within:
        try:
            if request("GET", f"{stack.app.base}/ready", timeout=5).status == 200:
                return time.monotonic() - began
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"/ready did not recover within {within} s")


def between(calls: list[Call], kind: str, start: float, end: float) -> list[Call]:
    return [c for c in calls if c.kind == kind and start <= c.started and c.started < end]


def within(calls: list[Call], kind: str, start: float, end: float) -> list[Call]:
    """Calls that started after `start` and had their answer before `end`: a probe that
    outlives an outage (queued behind other requests on a loaded machine) may rightly
    find the dependency back."""
    return [c for c in between(calls, kind, start, end) if c.started + c.seconds < end]


def assert_no_server_errors(calls: list[Call]) -> None:
    """Every call got an HTTP answer; a 5xx is only ever 503 service_unavailable."""
    failed = [c for c in calls if c.answer is None]
    assert not failed, [(c.kind, c.error) for c in failed[:5]]
    for call in calls:
        answer = call.answer
        assert answer is not None
        assert b"Traceback" not in answer.body, answer.body[:500]
        if answer.status >= 500 and call.kind != "ready":
            body = answer.json()
            assert (answer.status, body["code"], body["status"]) == (
                503,
                "service_unavailable",
                "error",
            ), (call.kind, answer.status, answer.body[:300])
            assert set(body) == {"status", "code", "message", "requestId"}


def assert_fast(calls: list[Call], bound: float) -> None:
    slowest = max(calls, key=lambda c: c.seconds)
    assert slowest.seconds < bound, (slowest.kind, slowest.seconds, slowest.answer)


def assert_every_booking_kept_once(stack: Stack, calls: list[Call]) -> None:
    """Retry what did not complete with the same key; then SQL holds each booking once."""
    bookings = [c for c in calls if c.kind == "booking"]
    assert bookings
    outcome: dict[str, str] = {}
    for call in bookings:
        answer = call.answer
        assert answer is not None
        if answer.status != 201:
            # A client retries a 503 (or 409 in progress) with the same key; the key
            # makes the retry safe even if the first attempt committed after all.
            assert (answer.status, answer.code) in {
                (503, "service_unavailable"),
                (409, "idempotency_key_in_progress"),
            }, answer.body[:300]
            assert call.token and call.slot and call.key
            answer = book(stack, call.token, call.slot, call.key)
        assert answer.status == 201, answer.body[:300]
        outcome[call.slot or ""] = answer.json()["data"]["consultation"]["id"]
    rows = stack.sql(
        "SELECT slot_id::text, id::text, status FROM consultations_consultation "
        "WHERE slot_id = ANY(%s::uuid[])",
        (list(outcome),),
    )
    per_slot: dict[str, list[str]] = {}
    for slot, consultation, status in rows:
        assert status in ACTIVE
        per_slot.setdefault(slot, []).append(consultation)
    assert per_slot == {slot: [consultation] for slot, consultation in outcome.items()}
    records = stack.sql(
        "SELECT key, count(*) FROM consultations_idempotencyrecord "
        "WHERE key = ANY(%s) GROUP BY key",
        ([c.key for c in bookings],),
    )
    assert sorted(records) == sorted((c.key, 1) for c in bookings)


@pytest.fixture
def healthy(stack: Stack) -> Iterator[Stack]:
    """Each test starts with every dependency up and the same workers serving."""
    wait_until_ready(stack, within=15)
    workers = stack.app.worker_pids()
    yield stack
    if stack.redis.proc is None or stack.redis.proc.poll() is not None:
        stack.redis.start()
    else:
        stack.redis.resume()
    wait_until_ready(stack, within=30)
    assert stack.app.worker_pids() == workers, "a worker died and was replaced"


def test_redis_killed_mid_run_bookings_go_on_logins_503_and_ready_names_the_cache(healthy):
    stack = healthy
    traffic = Traffic(stack)
    traffic.start()
    time.sleep(2)
    down = time.monotonic()
    stack.redis.kill()
    time.sleep(4)
    stack.redis.start()
    up = time.monotonic()
    recovered = up + wait_until_ready(stack, within=10)
    traffic.wait_for("login", since=recovered + REDIS_CIRCUITS_CLOSED, count=2)
    calls = traffic.finish()

    assert_no_server_errors(calls)
    assert_fast(calls, REDIS_REQUEST_BOUND)
    # Requests that started once Redis was gone and before it was back.
    outage = (down + 0.2, up - 0.2)
    probes = within(calls, "ready", *outage)
    assert probes
    for probe in probes:
        assert probe.answer is not None
        assert probe.answer.status == 503
        assert probe.answer.json() == {
            "status": "DOWN",
            "checks": {"database": "UP", "cache": "DOWN", "encryption": "UP", "broker": "DOWN"},
        }
    # Booking needs only PostgreSQL: it goes on without Redis.
    booked = between(calls, "booking", *outage)
    assert len(booked) >= 4
    assert {c.answer.status for c in booked if c.answer} == {201}
    # Brute-force protection of passwords fails closed without its counters.
    logins = between(calls, "login", *outage)
    assert logins
    assert {(c.answer.status, c.answer.code) for c in logins if c.answer} <= {
        (503, "service_unavailable")
    }
    reads = between(calls, "availability", *outage) + between(calls, "list", *outage)
    assert reads
    assert {c.answer.status for c in reads if c.answer} == {200}
    # Back without restarting the server: logins work again.
    assert recovered - up < 5
    after = between(calls, "login", recovered + REDIS_CIRCUITS_CLOSED, float("inf"))
    assert after
    assert {c.answer.status for c in after if c.answer} == {200}
    assert_every_booking_kept_once(stack, calls)


def test_redis_unreachable_mid_run_costs_a_socket_timeout_not_a_hang(healthy):
    stack = healthy
    traffic = Traffic(stack)
    traffic.start()
    time.sleep(2)
    down = time.monotonic()
    stack.redis.pause()
    time.sleep(4)
    stack.redis.resume()
    up = time.monotonic()
    recovered = up + wait_until_ready(stack, within=10)
    traffic.wait_for("login", since=recovered + REDIS_CIRCUITS_CLOSED, count=2)
    calls = traffic.finish()

    assert_no_server_errors(calls)
    assert_fast(calls, REDIS_REQUEST_BOUND)
    outage = (down + 0.2, up - 0.6)
    probes = within(calls, "ready", *outage)
    assert probes
    assert {json.dumps(c.answer.json()) for c in probes if c.answer} == {
        json.dumps(
            {
                "status": "DOWN",
                "checks": {"database": "UP", "cache": "DOWN", "encryption": "UP", "broker": "DOWN"},
            }
        )
    }
    booked = between(calls, "booking", *outage)
    assert len(booked) >= 4
    assert {c.answer.status for c in booked if c.answer} == {201}
    # After the first timeout the server stops waiting on Redis for a while (its
    # circuit breaker): a typical booking does not wait out even one socket timeout.
    before = between(calls, "booking", 0, down)
    slower = statistics.median(c.seconds for c in booked) - statistics.median(
        c.seconds for c in before
    )
    assert slower < REDIS_SOCKET_TIMEOUT
    logins = between(calls, "login", *outage)
    assert {(c.answer.status, c.answer.code) for c in logins if c.answer} <= {
        (503, "service_unavailable")
    }
    after = between(calls, "login", recovered + REDIS_CIRCUITS_CLOSED, float("inf"))
    assert after
    assert {c.answer.status for c in after if c.answer} == {200}
    assert_every_booking_kept_once(stack, calls)


def test_postgres_crash_restart_mid_run_recovers_without_restarting_the_server(healthy):
    stack = healthy
    traffic = Traffic(stack)
    traffic.start()
    time.sleep(2)
    down = time.monotonic()
    # A crash: clients are cut off mid-transaction and the server replays its WAL.
    stack.pg.stop("immediate")
    time.sleep(3)
    stack.pg.start()
    up = time.monotonic()
    recovered = up + wait_until_ready(stack, within=15)
    traffic.wait_for("booking", since=recovered + 0.5, count=8)
    traffic.wait_for("login", since=recovered + 0.5, count=2)
    calls = traffic.finish()

    assert_no_server_errors(calls)
    assert_fast(calls, DB_REQUEST_BOUND)
    outage = (down + 0.5, up - 0.5)
    probes = between(calls, "ready", *outage)
    assert probes
    down_body = {
        "status": "DOWN",
        "checks": {"database": "DOWN", "cache": "UP", "encryption": "UNKNOWN", "broker": "UP"},
    }
    if stack.bouncer is not None:
        # PgBouncer holds a query while it retries the server (query_wait_timeout), where
        # PostgreSQL itself would refuse the connection: a probe may find the database
        # not answering in time rather than gone. Down either way.
        slow = {**down_body, "problems": {"database": "The database did not answer in time."}}
        assert {json.dumps(c.answer.json()) for c in probes if c.answer} <= {
            json.dumps(down_body),
            json.dumps(slow),
        }
    else:
        assert {json.dumps(c.answer.json()) for c in probes if c.answer} == {json.dumps(down_body)}
    booked = between(calls, "booking", *outage)
    assert booked
    assert {(c.answer.status, c.answer.code) for c in booked if c.answer} == {
        (503, "service_unavailable")
    }
    logins = between(calls, "login", *outage)
    assert {(c.answer.status, c.answer.code) for c in logins if c.answer} <= {
        (503, "service_unavailable")
    }
    # Every worker reconnects on its own: nothing fails once the database is back.
    assert recovered - up < 5
    after = [c for c in calls if c.started >= recovered + 0.5 and c.kind != "ready"]
    assert len([c for c in after if c.kind == "booking"]) >= 4
    assert all(c.answer and c.answer.status in (200, 201) for c in after), [
        (c.kind, c.answer.status, c.answer.body[:200]) for c in after if c.answer
    ]
    assert_every_booking_kept_once(stack, calls)


def test_a_booking_behind_a_held_row_lock_gives_up_at_the_lock_timeout(healthy):
    stack = healthy
    slot, key, token = next(stack.slots), uuid.uuid4().hex, stack.tokens[0]
    with psycopg.connect(stack.pg.url("amrutam")) as conn:
        conn.execute("SELECT 1 FROM doctors_availabilityslot WHERE id = %s FOR UPDATE", (slot,))
        answer = book(stack, token, slot, key)
        conn.rollback()

    assert (answer.status, answer.code) == (503, "service_unavailable")
    assert LOCK_TIMEOUT_MS / 1000 <= answer.seconds < LOCK_TIMEOUT_MS / 1000 + 2
    retry = book(stack, token, slot, key)
    assert retry.status == 201
    rows = stack.sql("SELECT count(*) FROM consultations_consultation WHERE slot_id = %s", (slot,))
    assert rows == [(1,)]


def test_ready_reports_a_frozen_postgres_within_its_own_timeout(healthy):
    stack = healthy
    # Every PostgreSQL process stopped: connections stay open and nothing answers, so
    # no statement timeout fires (the server enforces it).
    stack.pg.pause()
    try:
        probes = [request("GET", f"{stack.app.base}/ready", timeout=15) for _ in range(4)]
    finally:
        stack.pg.resume()

    for probe in probes:
        assert probe.status == 503, probe.body
        assert probe.json()["checks"]["database"] == "DOWN"
        assert probe.json()["problems"] == {"database": "The database did not answer in time."}
        assert probe.seconds < READY_DB_TIMEOUT + 1.5
    # Back to ready as soon as the database answers again.
    assert wait_until_ready(stack, within=15) < 5


def test_the_back_office_answers_a_503_page_with_postgres_stopped(healthy):
    stack = healthy
    # A staff session cookie: the back office looks the session up before any page.
    headers = {"Cookie": "sessionid=" + "s" * 32, "Accept": "text/html"}
    stack.pg.stop("fast")
    try:
        pages = [
            request("GET", f"{stack.app.base}{path}", headers=headers, timeout=15)
            for path in ("/admin/", "/admin/login/", "/admin/consultations/consultation/")
        ]
    finally:
        stack.pg.start()

    for page in pages:
        text = page.body.decode()
        assert page.status == 503, text[:300]
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Service unavailable" in text
        assert page.headers["X-Request-ID"] in text
        assert "Traceback" not in text and "OperationalError" not in text
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.seconds < DB_REQUEST_BOUND
    wait_until_ready(stack, within=15)
