"""One-command benchmark (`make bench`): gunicorn + PostgreSQL + Redis, measured with wrk.

Creates a fresh database, seeds 50 verified doctors (16 slots a day) and 200 patients,
logs the patients in through the API, starts gunicorn with production settings and
runs three rounds of: /health, availability reads, bookings, and a contention race.
After every booking round it checks in SQL that no slot has two active consultations.
Then it runs pgbench with the booking transaction's own SQL as the database's ceiling.
Prints a table of medians and writes every figure to bench/results/<stamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness
import psycopg
import redis
import run_report

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "amrutam_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PORT = int(os.environ.get("BENCH_PORT", 8100))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
WRK_THREADS = run_report.WRK_THREADS
PASSWORD = "Bench-Password-2025!"
SERVER_PID: int | None = None

SCENARIO_NAMES = ("health", "availability", "booking", "contention")


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def server_env() -> dict[str, str]:
    return harness.production_env(
        pg_url=PG_URL,
        db_name=DB_NAME,
        redis_url=REDIS_URL,
        port=PORT,
        cache_prefix="bench",
        RATELIMIT_ENABLE="false",  # for this run only: 200 patients book thousands of times
        BOOKING_MAX_UPCOMING_PER_PATIENT="0",  # and each holds hundreds of bookings
        BOOKING_MAX_UPCOMING_PER_DOCTOR="0",
        JWT_ACCESS_MINUTES="120",
    )


def ensure_tools() -> None:
    missing = [tool for tool in ("wrk", "pgbench") if shutil.which(tool) is None]
    if "wrk" in missing:
        log("installing wrk from Debian's packages")
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL
        )
        if shutil.which("wrk") is None:
            subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL
            )
    if shutil.which("pgbench") is None:
        sys.exit("pgbench is missing: apt-get install postgresql-contrib (or postgresql-client)")


def fresh_database() -> None:
    harness.fresh_database(PG_URL, DB_NAME, REDIS_URL)


def start_server(env: dict[str, str], log_file: Path) -> subprocess.Popen:
    global SERVER_PID
    proc = harness.start_gunicorn(env, log_file, port=PORT, timeout=30)
    SERVER_PID = proc.pid
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    harness.stop_gunicorn(proc, timeout=20)


def login(email: str) -> str:
    return harness.login(PORT, email, PASSWORD, timeout=30)


def fetch_tokens(data_dir: Path) -> None:
    emails = (data_dir / "patients.txt").read_text().split()
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(login, emails))
    (data_dir / "tokens.txt").write_text("\n".join(tokens) + "\n")


def cpu_snapshot(conn: psycopg.Connection | None) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the gunicorn processes and of this database's backends."""
    app = [SERVER_PID, *harness.children(SERVER_PID)] if SERVER_PID else []
    db: list[int] = []
    if conn is not None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (DB_NAME,),
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
    name: str,
    connections: int,
    seconds: int,
    script: str,
    *args: str,
    conn: psycopg.Connection | None = None,
) -> dict:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / script),
        f"http://127.0.0.1:{PORT}/health" if name == "health" else f"http://127.0.0.1:{PORT}",
        "--",
        *args,
    ]
    cpu_before = cpu_snapshot(conn)
    own_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    own_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_used(cpu_before, cpu_snapshot(conn))
    cpu["wrk"] = (own_after.ru_utime + own_after.ru_stime) - (
        own_before.ru_utime + own_before.ru_stime
    )
    match = re.search(r"^BENCH_JSON (.*)$", output, re.M)
    if not match:
        sys.exit(f"wrk printed no summary for {name}:\n{output}")
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


def reset_bookings(conn: psycopg.Connection) -> None:
    """Free every slot between rounds so each booking round has the same supply."""
    settle(conn)
    with conn.transaction():
        # Requests still in flight when wrk stopped may be inside a booking: these locks
        # wait for them to commit and hold off new ones, so no booking commits between the
        # DELETE and the UPDATE below (which would leave a PENDING consultation on a slot
        # marked AVAILABLE).
        conn.execute(
            "LOCK TABLE consultations_consultation, doctors_availabilityslot IN EXCLUSIVE MODE"
        )
        conn.execute("DELETE FROM consultations_idempotencyrecord")
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
    redis.Redis.from_url(REDIS_URL).flushdb()


def settle(conn: psycopg.Connection, timeout: float = 15.0) -> None:
    """Wait until no request of the last scenario is still working in the database."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'",
            (DB_NAME,),
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


def pgbench_ceiling(env: dict[str, str]) -> float | None:
    """Bookings/s PostgreSQL itself sustains for the booking transaction's SQL
    (bench/booking_txn.sql), at the booking round's 16 connections."""
    dsn = f"{PG_URL}/{DB_NAME}"
    with psycopg.connect(dsn, autocommit=True) as conn:
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
    command += ["-f", str(BENCH / "booking_txn.sql"), dsn]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if not match or result.returncode != 0:
        log(f"pgbench failed: {result.stdout[-500:]} {result.stderr[-500:]}")
        return None
    return float(match.group(1))


def prepare(env: dict[str, str], data_dir: Path) -> None:
    log(f"fresh database {DB_NAME}, Redis {REDIS_URL}")
    fresh_database()
    harness.manage(env, "migrate", "--noinput")
    subprocess.run(
        [PYTHON, str(BENCH / "seed_data.py"), str(data_dir)], cwd=ROOT, env=env, check=True
    )


def warm_up(data_dir: Path) -> None:
    """A few seconds of reads, not measured: every worker imports its lazy modules,
    opens its database and Redis connections and fills the caches before round 1."""
    log("warming up (not measured)")
    wrk("health", 32, 3, "health.lua")
    wrk("availability", 32, 3, "availability.lua", str(data_dir))


def run_round(conn: psycopg.Connection, data_dir: Path, round_no: int, only: list[str]) -> dict:
    reset_bookings(conn)
    figures: dict[str, dict] = {}
    for name in only:
        before = harness.load_average()
        pressure = harness.cpu_pressure()
        if name == "health":
            result = wrk("health", 32, 10, "health.lua", conn=conn)
        elif name == "availability":
            result = wrk("availability", 32, 15, "availability.lua", str(data_dir), conn=conn)
        elif name == "booking":
            result = wrk(
                "booking",
                16,
                10,
                "booking.lua",
                str(data_dir),
                "booking_slots.txt",
                str(WRK_THREADS),
                f"r{round_no}",
                conn=conn,
            )
        else:
            # Every round starts with all slots free, so the three contended sets repeat.
            contention_file = f"contention_slots_{(round_no - 1) % 3 + 1}.txt"
            result = wrk(
                "contention",
                64,
                5,
                "contention.lua",
                str(data_dir),
                contention_file,
                f"r{round_no}",
                str(WRK_THREADS),
                conn=conn,
            )
            contended = [
                line.split(",")[1] for line in (data_dir / contention_file).read_text().split()
            ]
            result["slots"] = len(contended)
            result["booked_rows"] = active_bookings(conn, contended)
        result["load_before"] = before
        settle(conn)  # requests wrk left in flight finish before anything else runs
        result["load_after"] = harness.load_average()
        result["cpu_pressure_before"] = pressure
        figures[name] = result
        log(
            f"  {name:13s} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.1f} ms  "
            f"p99 {result['p99_ms']:6.1f} ms  statuses {result['statuses']}  "
            f"load {before[0]:.2f}  cpu pressure {pressure}%"
        )
    figures["double_booked_slots"] = {"count": harness.double_booked_slots(conn)}
    return figures


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds (default 3)")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIO_NAMES),
        help=f"comma-separated scenarios out of {','.join(SCENARIO_NAMES)}",
    )
    parser.add_argument("--label", default="", help="a note stored with the results")
    parser.add_argument(
        "--doctor-fee",
        type=int,
        default=0,
        help="every doctor's fee in rupees (default 0: free bookings); above 0 each "
        "booking also opens a payment hold and a sandbox gateway order",
    )
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench ceiling")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="seed, start gunicorn and wait (for profiling); tokens in bench/results/data",
    )
    args = parser.parse_args()
    args.only = [name for name in args.only.split(",") if name]
    unknown = set(args.only) - set(SCENARIO_NAMES)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def main() -> None:
    args = parse_args()
    ensure_tools()
    RESULTS.mkdir(parents=True, exist_ok=True)
    data_dir = RESULTS / "data"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    env = server_env()
    prepare(env, data_dir)
    server = start_server(env, RESULTS / "server.log")
    rounds: list[dict[str, dict]] = []
    meta = {
        "label": args.label,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "load_at_start": harness.load_average(),
        "gunicorn": harness.gunicorn_settings(env),
        "commit": harness.git_commit(),
    }
    try:
        fetch_tokens(data_dir)
        if args.serve:
            log(f"serving on http://127.0.0.1:{PORT} (pid {server.pid}); Ctrl-C stops")
            try:
                server.wait()
            except KeyboardInterrupt:
                pass
            return
        conn = psycopg.connect(f"{PG_URL}/{DB_NAME}", autocommit=True)
        conn.execute("UPDATE doctors_doctorprofile SET consultation_fee = %s", (args.doctor_fee,))
        meta["doctor_fee"] = args.doctor_fee
        warm_up(data_dir)
        for round_no in range(1, args.rounds + 1):
            log(f"round {round_no}/{args.rounds}")
            rounds.append(run_round(conn, data_dir, round_no, args.only))
        reset_bookings(conn)
        conn.close()
    finally:
        stop_server(server)
    meta["load_at_end"] = harness.load_average()
    ceiling = None if args.no_pgbench else pgbench_ceiling(env)
    run_report.report(rounds, args.only, meta, ceiling, RESULTS / f"bench-{stamp}.json")


if __name__ == "__main__":
    main()
