"""Soak test (`make soak`): bookings and reads for SOAK_SECONDS against gunicorn.

Creates a fresh database (SOAK_DB, default amrutam_soak) and flushes its Redis db
(SOAK_REDIS_URL, default db 10), seeds verified doctors with enough slots for every
booking of the run and patients, logs the patients in through the API and starts
gunicorn with production settings and several workers (no max-requests recycling, so
a leak shows). Client threads then offer SOAK_RATE requests/s for SOAK_SECONDS
(default 600): availability reads, the doctor directory, the patient's consultation
list and bookings of fresh slots.

Printed and written to bench/results/soak-<stamp>.json: error rate, latency p50/p95/p99
per kind, RSS of every worker and open database connections after the warm-up and at
the end, and a verdict. Exits 1 when a bound is exceeded:

- error rate (anything but the expected 200/201, or a socket error) above SOAK_MAX_ERROR_RATE;
- any worker's RSS grown by more than SOAK_MAX_RSS_GROWTH_MB between the end of the
  warm-up and the end of the run;
- more open database connections than workers x (threads + 1) (each server thread and
  each worker's audit sealer holds at most one persistent connection), or any left idle
  in a transaction at the end;
- a worker that died and was replaced, a slot booked twice, or a 201 booking missing.

`python bench/soak.py --seed DIR` is the seeding step, run with the server's settings.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import harness
import soak_report
from soak_settings import (
    CLIENTS,
    DB_NAME,
    DOCTORS,
    MIX,
    PASSWORD,
    PATIENTS,
    PG_URL,
    PORT,
    PYTHON,
    RATE,
    RECONNECT_EVERY,
    REDIS_URL,
    RESULTS,
    ROOT,
    SAMPLE_EVERY,
    SECONDS,
    SLOTS_PER_DAY,
    THREADS,
    WARMUP,
    WORKERS,
)


def log(message: str) -> None:
    print(f"[soak] {message}", flush=True)


# --- Seeding (runs in a subprocess with the server's settings) --------------------


def seed(data_dir: Path, slot_count: int) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.production")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from bench.population import day_slots_create, doctors_create, patients_create

    zone = ZoneInfo("Asia/Kolkata")
    first_day = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    days = math.ceil(slot_count / (DOCTORS * SLOTS_PER_DAY))
    hashed = make_password(PASSWORD)
    with transaction.atomic():
        doctors = doctors_create(
            prefix="soak",
            count=DOCTORS,
            password_hash=hashed,
            specializations=["Ayurveda", "Dermatology", "Pediatrics"],
        )
        slots = day_slots_create(
            doctors, first_day=first_day, days=days, per_day=SLOTS_PER_DAY, zone=zone
        )
        patients = patients_create(prefix="soak", count=PATIENTS, password_hash=hashed)
    (data_dir / "seed.json").write_text(
        json.dumps(
            {
                "doctors": [str(d.pk) for d in doctors],
                "patients": [p.email for p in patients],
                # Bookings take slots in random order, so they spread over every doctor.
                "slots": random.sample([[str(s.doctor_id), str(s.pk)] for s in slots], len(slots)),
            }
        )
    )


# --- The server --------------------------------------------------------------------


def server_env() -> dict[str, str]:
    return harness.production_env(
        pg_url=PG_URL,
        db_name=DB_NAME,
        redis_url=REDIS_URL,
        port=PORT,
        cache_prefix="soak",
        drop=("DJANGO_", "GUNICORN_"),
        JWT_ACCESS_MINUTES=str(SECONDS // 60 + 30),
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_THREADS=str(THREADS),
        GUNICORN_MAX_REQUESTS="0",
        LOG_LEVEL="WARNING",
    )


def fresh_database() -> None:
    harness.fresh_database(PG_URL, DB_NAME, REDIS_URL)


def start_server(env: dict[str, str], log_file: Path) -> subprocess.Popen:
    # Every worker up, so that RSS and connections are measured from all of them.
    return harness.start_gunicorn(
        env,
        log_file,
        port=PORT,
        timeout=60,
        booted=lambda p: len(harness.worker_pids(p)) == WORKERS,
    )


def stop_server(proc: subprocess.Popen) -> None:
    harness.stop_gunicorn(proc)


def login(email: str) -> str:
    return harness.login(PORT, email, PASSWORD)


# --- Load --------------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    rss: dict[int, float]
    db_connections: int
    idle_in_transaction: int
    requests: int
    errors: int


@dataclass
class Run:
    doctors: list[str]
    slots: deque
    tokens: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (kind, started at, seconds, status) per request; status 0 is a socket error
    results: list[tuple[str, float, float, int]] = field(default_factory=list)
    booked: list[str] = field(default_factory=list)
    unexpected: Counter = field(default_factory=Counter)
    slots_exhausted: bool = False


def client(run: Run, index: int, began: float) -> None:
    rng = random.Random(index)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    interval = CLIENTS / RATE
    next_at = time.monotonic() + rng.random() * interval
    sent = 0
    kinds = [k for k, _, _ in MIX]
    weights = [w for _, w, _ in MIX]
    expected = {k: s for k, _, s in MIX}
    while not run.stop.is_set():
        now = time.monotonic()
        if next_at > now:
            time.sleep(next_at - now)
        elif now - next_at > 1:
            next_at = now  # behind by more than a second: do not burst to catch up
        next_at += interval * rng.uniform(0.5, 1.5)
        kind = rng.choices(kinds, weights)[0]
        body = None
        headers = {
            "Authorization": f"Bearer {rng.choice(run.tokens)}",
            "Content-Type": "application/json",
        }
        if kind == "availability":
            method, path = "GET", f"/api/v1/doctors/{rng.choice(run.doctors)}/availability"
        elif kind == "directory":
            method, path = "GET", f"/api/v1/doctors?page={rng.randint(1, 2)}"
        elif kind == "my_consultations":
            method, path = "GET", "/api/v1/consultations"
        else:
            try:
                doctor, slot = run.slots.popleft()
            except IndexError:
                run.slots_exhausted = True
                continue
            method, path = "POST", "/api/v1/consultations/bookings"
            body = json.dumps({"doctorId": doctor, "slotId": slot})
            headers["Idempotency-Key"] = uuid.uuid4().hex
        sent += 1
        if sent % RECONNECT_EVERY == 0:
            # A kept-alive connection stays with the worker that accepted it; moving on
            # now and then spreads the load over every worker, as many clients would.
            conn.close()
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            status, payload = 0, b""
        seconds = time.monotonic() - started
        with run.lock:
            run.results.append((kind, started - began, seconds, status))
            if status != expected[kind]:
                code = ""
                try:
                    code = json.loads(payload).get("code", "")
                except ValueError:
                    pass
                run.unexpected[f"{kind} {status} {code}".strip()] += 1
            elif kind == "booking":
                run.booked.append(json.loads(payload)["data"]["consultation"]["id"])
    conn.close()


def db_connections(monitor) -> tuple[int, int]:
    row = monitor.execute(
        "SELECT count(*), count(*) FILTER (WHERE state LIKE 'idle in transaction%%') "
        "FROM pg_stat_activity WHERE datname = %s",
        (DB_NAME,),
    ).fetchone()
    return int(row[0]), int(row[1])


def sample(run: Run, proc: subprocess.Popen, monitor, began: float) -> Sample:
    rss = {
        pid: value
        for pid in harness.worker_pids(proc)
        if (value := harness.rss_mb(pid)) is not None
    }
    total, idle_tx = db_connections(monitor)
    with run.lock:
        requests = len(run.results)
        errors = sum(run.unexpected.values())
    return Sample(time.monotonic() - began, rss, total, idle_tx, requests, errors)


def main() -> None:
    import psycopg

    RESULTS.mkdir(parents=True, exist_ok=True)
    data_dir = RESULTS / "soak-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    booking_share = next(w for k, w, _ in MIX if k == "booking")
    slot_count = int(RATE * booking_share * SECONDS * 1.5) + 1000
    env = server_env()
    log(
        f"{SECONDS} s at {RATE:.0f} req/s offered by {CLIENTS} clients; gunicorn "
        f"{WORKERS} workers x {THREADS} threads; database {DB_NAME}, {REDIS_URL}, port {PORT}"
    )
    fresh_database()
    harness.manage(env, "migrate", "--noinput")
    subprocess.run(
        [PYTHON, __file__, "--seed", str(data_dir), str(slot_count)], cwd=ROOT, env=env, check=True
    )
    seeded = json.loads((data_dir / "seed.json").read_text())
    log(f"seeded {DOCTORS} doctors, {len(seeded['slots'])} slots, {PATIENTS} patients")
    server_log = RESULTS / f"soak-{stamp}-server.log"
    server = start_server(env, server_log)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            tokens = list(pool.map(login, seeded["patients"]))
        run = Run(seeded["doctors"], deque(tuple(s) for s in seeded["slots"]), tokens)
        pids_at_start = harness.worker_pids(server)
        monitor = psycopg.connect(f"{PG_URL}/postgres", autocommit=True)
        began = time.monotonic()
        boot = sample(run, server, monitor, began)
        threads = [
            threading.Thread(target=client, args=(run, i, began), daemon=True)
            for i in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        samples = [boot]
        warm: Sample | None = None
        moments = sorted({WARMUP, SECONDS, *range(SAMPLE_EVERY, SECONDS, SAMPLE_EVERY)})
        for moment in moments:
            time.sleep(max(0.0, moment - (time.monotonic() - began)))
            current = sample(run, server, monitor, began)
            samples.append(current)
            if moment == WARMUP:
                warm = current
            log(
                f"t={current.at:5.0f}s requests {current.requests:7d} errors {current.errors:4d} "
                f"db conns {current.db_connections:3d} rss MB "
                + " ".join(f"{v:.0f}" for v in current.rss.values())
            )
        end = samples[-1]
        run.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        pids_at_end = harness.worker_pids(server)
        after = sample(run, server, monitor, began)
        doubles = monitor_query_doubles(run)
        monitor.close()
    finally:
        stop_server(server)
    assert warm is not None
    soak_report.report(
        run, samples, boot, warm, end, after, pids_at_start, pids_at_end, doubles, stamp
    )


def monitor_query_doubles(run: Run) -> dict[str, int]:
    import psycopg

    with psycopg.connect(f"{PG_URL}/{DB_NAME}") as conn:
        doubles = harness.double_booked_slots(conn)
        present = conn.execute(
            "SELECT count(*) FROM consultations_consultation WHERE id = ANY(%s::uuid[])",
            (run.booked,),
        ).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM consultations_consultation").fetchone()[0]
    return {
        "double_booked_slots": int(doubles),
        "answered_201": len(run.booked),
        "of_those_in_database": int(present),
        "consultations_in_database": int(total),
    }


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--seed":
        seed(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
