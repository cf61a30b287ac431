"""One server under test (a `Side`) and the wrk scenarios run against it.

`make bench` measures one side, the working tree; `make bench BASELINE=<ref>` measures
two, the baseline's tree and the working tree, each with its own interpreter, database,
Redis database, port and data files, driven by these same scenarios.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import harness
import psycopg
import redis
import run_report

BENCH = harness.ROOT / "bench"
WRK_THREADS = run_report.WRK_THREADS
PASSWORD = "Bench-Password-2025!"
SCENARIO_NAMES = run_report.SCENARIO_NAMES
# The slots each booking round books, as bench/seed_data.py writes them: the free
# doctors' and the paid doctors'.
BOOKING_SLOTS = {"booking": "booking_slots.txt", "booking-paid": "booking_paid_slots.txt"}


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


@dataclass
class Side:
    """A tree of the code and the services its server uses during the run."""

    name: str
    root: Path
    python: str
    pg_url: str
    db_name: str
    redis_url: str
    port: int
    cache_prefix: str
    data_dir: Path
    server: subprocess.Popen | None = None

    @property
    def dsn(self) -> str:
        return f"{self.pg_url}/{self.db_name}"

    def env(self) -> dict[str, str]:
        return harness.production_env(
            pg_url=self.pg_url,
            db_name=self.db_name,
            redis_url=self.redis_url,
            port=self.port,
            cache_prefix=self.cache_prefix,
            # For this run only: 200 patients book thousands of times and each holds
            # hundreds of bookings. A baseline older than these settings ignores them.
            RATELIMIT_ENABLE="false",
            BOOKING_MAX_UPCOMING_PER_PATIENT="0",
            BOOKING_MAX_UPCOMING_PER_DOCTOR="0",
            JWT_ACCESS_MINUTES="120",
        )


def prepare(side: Side, env: dict[str, str]) -> None:
    """A fresh database migrated and seeded by the side's own code."""
    migrate_fresh(side, env)
    seed(side, env)


def migrate_fresh(side: Side, env: dict[str, str]) -> None:
    log(f"{side.name}: fresh database {side.db_name}, Redis {side.redis_url}")
    harness.fresh_database(side.pg_url, side.db_name, side.redis_url)
    harness.manage(env, "migrate", "--noinput", root=side.root, python=side.python)


def seed(side: Side, env: dict[str, str]) -> None:
    """bench/seed_data.py of the side's tree: doctors, slots and patients, and the data
    files the wrk scripts read."""
    subprocess.run(
        [side.python, str(side.root / "bench" / "seed_data.py"), str(side.data_dir)],
        cwd=side.root,
        env=env,
        check=True,
    )


def start_server(side: Side, env: dict[str, str], log_file: Path) -> None:
    side.server = harness.start_gunicorn(
        env, log_file, port=side.port, timeout=30, root=side.root, python=side.python
    )


def stop_server(side: Side) -> None:
    if side.server is not None:
        harness.stop_gunicorn(side.server, timeout=20)
        side.server = None


def verify_audit(side: Side, env: dict[str, str]) -> str:
    """`manage.py verify_audit_log` on the side's database after its server stopped (it
    seals what is still pending first); its last line. Exit with its output on failure:
    a run whose bookings break the hash chain measured something else."""
    result = subprocess.run(
        [side.python, "manage.py", "verify_audit_log"],
        cwd=side.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        sys.exit(f"{side.name}: verify_audit_log failed after the run:\n{output}")
    last = output.splitlines()[-1] if output else ""
    log(f"{side.name}: {last}")
    return last


def fetch_tokens(side: Side) -> None:
    emails = (side.data_dir / "patients.txt").read_text().split()
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(
            pool.map(lambda email: harness.login(side.port, email, PASSWORD, timeout=30), emails)
        )
    (side.data_dir / "tokens.txt").write_text("\n".join(tokens) + "\n")


def cpu_snapshot(side: Side, conn: psycopg.Connection | None) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the side's gunicorn processes and of its database's backends."""
    pid = side.server.pid if side.server else None
    app = [pid, *harness.children(pid)] if pid else []
    db: list[int] = []
    if conn is not None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (side.db_name,),
        ).fetchall()
        db = [row[0] for row in rows]
    return {
        "app": {pid: harness.cpu_seconds(pid) for pid in app},
        "db": {pid: harness.cpu_seconds(pid) for pid in db},
    }


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict:
    # A process that appeared during the run counts from zero; one that ended is lost,
    # which only happens to a database connection closed mid-run.
    return {
        part: sum(after[part][pid] - before[part].get(pid, 0.0) for pid in after[part])
        for part in ("app", "db")
    }


def wrk(
    side: Side,
    name: str,
    connections: int,
    seconds: int,
    script: str,
    *args: str,
    conn: psycopg.Connection | None = None,
) -> dict:
    base = f"http://127.0.0.1:{side.port}"
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / script),
        f"{base}/health" if name == "health" else base,
        "--",
        *args,
    ]
    cpu_before = cpu_snapshot(side, conn)
    own_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        command, cwd=harness.ROOT, capture_output=True, text=True, check=True
    ).stdout
    own_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_used(cpu_before, cpu_snapshot(side, conn))
    cpu["wrk"] = (own_after.ru_utime + own_after.ru_stime) - (
        own_before.ru_utime + own_before.ru_stime
    )
    match = re.search(r"^BENCH_JSON (.*)$", output, re.M)
    if not match:
        raise SystemExit(f"wrk printed no summary for {name}:\n{output}")
    raw = json.loads(match.group(1))
    ok = sum(n for status, n in raw["statuses"].items() if status.startswith("2"))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds_run,
        "ok_per_s": ok / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "statuses": raw["statuses"],
        "non_2xx": raw["requests"] - ok,
        "socket_errors": raw["socket_errors"] + raw["timeouts"],
        # CPU milliseconds per request: the figure least disturbed by other load on the
        # machine. 2 cores give at most 2000 / (app + db + wrk) requests/s.
        "cpu_ms_per_request": {
            part: round(1000 * used / max(raw["requests"], 1), 3) for part, used in cpu.items()
        },
    }


def reset_bookings(side: Side, conn: psycopg.Connection) -> None:
    """Free every slot between rounds so each booking round has the same supply."""
    settle(side, conn)
    with conn.transaction():
        # Requests still in flight when wrk stopped may be inside a booking: these locks
        # wait for them to commit and hold off new ones, so no booking commits between the
        # DELETE and the UPDATE below (which would leave a PENDING consultation on a slot
        # marked AVAILABLE).
        conn.execute(
            "LOCK TABLE consultations_consultation, doctors_availabilityslot IN EXCLUSIVE MODE"
        )
        conn.execute("DELETE FROM consultations_idempotencyrecord")
        # Payments reference consultations, so they go first; a tree without payments
        # (an older baseline) has no such tables.
        for table in (
            "consultations_prescription",
            "consultations_clinicalnotes",
            "payments_webhookevent",
            "payments_payment",
        ):
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0]:
                conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM consultations_consultation")
        conn.execute("UPDATE doctors_availabilityslot SET status = 'AVAILABLE'")
    redis.Redis.from_url(side.redis_url).flushdb()


def doctor_fee_set(conn: psycopg.Connection, fee: int | None) -> None:
    """Every bench doctor's fee in rupees: 0 books for free; above 0 each booking also
    opens a payment hold and a sandbox gateway order. None keeps the seeded fees (most
    doctors free, the paid round's doctors paid)."""
    if fee is not None:
        conn.execute("UPDATE doctors_doctorprofile SET consultation_fee = %s", (fee,))


def skip_reason(side: Side, name: str) -> str | None:
    """Why `side` cannot run scenario `name`, or None when it can. A baseline older than
    payments, or seeded by its own code without paid doctors, has no paid bookings to
    measure: that scenario is skipped on it rather than run against nothing."""
    if name != "booking-paid":
        return None
    if not (side.root / "payments").is_dir():
        return "this tree has no payments"
    slots = side.data_dir / BOOKING_SLOTS[name]
    if not slots.exists() or not slots.read_text().split():
        return "its seeding made no paid doctors"
    return None


def settle(side: Side, conn: psycopg.Connection, timeout: float = 15.0) -> None:
    """Wait until no request of the last scenario is still working in the database."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'",
            (side.db_name,),
        ).fetchone()[0]
        if not busy:
            return
        time.sleep(0.2)


def active_bookings(conn: psycopg.Connection, slot_ids: list[str]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM consultations_consultation WHERE status = ANY(%s) "
        "AND slot_id = ANY(%s::uuid[])",
        (list(harness.ACTIVE), slot_ids),
    ).fetchone()
    return int(row[0])


def warm_up(side: Side) -> None:
    """A few seconds of reads, not measured: every worker imports its lazy modules,
    opens its database and Redis connections and fills the caches before round 1."""
    log(f"{side.name}: warming up (not measured)")
    wrk(side, "health", 32, 3, "health.lua")
    wrk(side, "availability", 32, 3, "availability.lua", str(side.data_dir))


def run_scenario(side: Side, conn: psycopg.Connection, name: str, round_no: int) -> dict:
    """One scenario against one side: wrk's figures, the load around it and, for the
    contention race, how many active bookings the contended slots hold."""
    data = str(side.data_dir)
    before = harness.load_average()
    pressure = harness.cpu_pressure()
    connections = run_report.CONNECTIONS[name]
    if name == "health":
        result = wrk(side, "health", connections, 10, "health.lua", conn=conn)
    elif name == "availability":
        result = wrk(side, name, connections, 15, "availability.lua", data, conn=conn)
    elif name in BOOKING_SLOTS:
        # The same load for free and paid bookings, so their figures compare one to one;
        # the label keeps the two rounds' Idempotency-Keys apart.
        result = wrk(
            side,
            name,
            connections,
            10,
            "booking.lua",
            data,
            BOOKING_SLOTS[name],
            str(WRK_THREADS),
            f"{'p' if name == 'booking-paid' else 'r'}{round_no}",
            conn=conn,
        )
    else:
        # Every round starts with all slots free, so the three contended sets repeat.
        contention_file = f"contention_slots_{(round_no - 1) % 3 + 1}.txt"
        result = wrk(
            side,
            "contention",
            connections,
            5,
            "contention.lua",
            data,
            contention_file,
            f"r{round_no}",
            str(WRK_THREADS),
            conn=conn,
        )
        contended = [
            line.split(",")[1] for line in (side.data_dir / contention_file).read_text().split()
        ]
        result["slots"] = len(contended)
        result["booked_rows"] = active_bookings(conn, contended)
    result["load_before"] = before
    settle(side, conn)  # requests wrk left in flight finish before anything else runs
    result["load_after"] = harness.load_average()
    result["cpu_pressure_before"] = pressure
    log(
        f"  {side.name:9s}{name:13s}{result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.1f} ms  "
        f"p99 {result['p99_ms']:6.1f} ms  statuses {result['statuses']}  "
        f"load {before[0]:.2f}  cpu pressure {pressure}%"
    )
    return result


def pgbench_ceiling(side: Side) -> float | None:
    """Bookings/s PostgreSQL itself sustains for the booking transaction's SQL
    (bench/booking_txn.sql), at the booking round's 16 connections."""
    with psycopg.connect(side.dsn, autocommit=True) as conn:
        conn.execute((BENCH / "pgbench_prepare.sql").read_text())
        content_types = dict(
            conn.execute(
                "SELECT model, id FROM django_content_type WHERE (app_label, model) IN "
                "(('consultations', 'consultation'), ('doctors', 'availabilityslot'))"
            ).fetchall()
        )
        patients = conn.execute("SELECT count(*) FROM pgbench_patients").fetchone()[0]
    defines = {
        "ct_consultation": content_types["consultation"],
        "ct_slot": content_types["availabilityslot"],
        "patients": patients,
    }
    command = ["pgbench", "-n", "-c", "16", "-j", "2", "-T", "10", "-M", "prepared"]
    for name, value in defines.items():
        command += ["-D", f"{name}={value}"]
    command += ["-f", str(BENCH / "booking_txn.sql"), side.dsn]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if not match or result.returncode != 0:
        log(f"pgbench failed: {result.stdout[-500:]} {result.stderr[-500:]}")
        return None
    return float(match.group(1))
