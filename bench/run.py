"""One-command benchmark (`make bench`): gunicorn + PostgreSQL + Redis, measured with wrk.

Creates a fresh database, seeds 50 verified doctors (16 slots a day; 10 of them charge a
fee) and 200 patients, logs the patients in through the API, starts gunicorn with
production settings and runs three rounds of: /health, availability reads, bookings of
free doctors, bookings of paid doctors, and a contention race. After every round it
checks in SQL that no slot has two active consultations.
Then it runs pgbench with the booking transaction's own SQL as the database's ceiling.
Prints a table of medians and writes every figure to bench/results/<stamp>.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

import harness
import psycopg
import run_report
import scenarios
from scenarios import SCENARIO_NAMES, Side, log

ROOT = harness.ROOT
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "amrutam_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PORT = int(os.environ.get("BENCH_PORT", 8100))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))


def current_side() -> Side:
    """The working tree, served by this interpreter."""
    return Side(
        name="current",
        root=ROOT,
        python=sys.executable,
        pg_url=PG_URL,
        db_name=DB_NAME,
        redis_url=REDIS_URL,
        port=PORT,
        cache_prefix="bench",
        data_dir=RESULTS / "data",
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


def runnable(side: Side, only: list[str]) -> list[str]:
    """The scenarios of `only` the side can run; the others are named and left out."""
    kept = []
    for name in only:
        reason = scenarios.skip_reason(side, name)
        if reason:
            log(f"{side.name}: skipping {name}: {reason}")
        else:
            kept.append(name)
    return kept


def run_round(side: Side, conn: psycopg.Connection, round_no: int, only: list[str]) -> dict:
    scenarios.reset_bookings(side, conn)
    figures: dict[str, dict] = {
        name: scenarios.run_scenario(side, conn, name, round_no) for name in only
    }
    figures["double_booked_slots"] = {"count": harness.double_booked_slots(conn)}
    return figures


def parse_args(baseline: bool = False) -> argparse.Namespace:
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
        default=None,
        help="every doctor's fee in rupees, the same for all (default: as seeded, the "
        "paid round's doctors paid and the others free); above 0 each booking also opens "
        "a payment hold and a sandbox gateway order",
    )
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench ceiling")
    if baseline:
        parser.add_argument("--baseline", required=True, help="git ref measured against")
    else:
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
    stamp = time.strftime("%Y%m%d-%H%M%S")
    side = current_side()
    env = side.env()
    scenarios.prepare(side, env)
    scenarios.start_server(side, env, RESULTS / "server.log")
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
        scenarios.fetch_tokens(side)
        if args.serve:
            assert side.server is not None
            log(f"serving on http://127.0.0.1:{PORT} (pid {side.server.pid}); Ctrl-C stops")
            try:
                side.server.wait()
            except KeyboardInterrupt:
                pass
            return
        conn = psycopg.connect(side.dsn, autocommit=True)
        scenarios.doctor_fee_set(conn, args.doctor_fee)
        meta["doctor_fee"] = args.doctor_fee
        args.only = runnable(side, args.only)
        scenarios.warm_up(side)
        for round_no in range(1, args.rounds + 1):
            log(f"round {round_no}/{args.rounds}")
            rounds.append(run_round(side, conn, round_no, args.only))
        scenarios.reset_bookings(side, conn)
        conn.close()
    finally:
        scenarios.stop_server(side)
    meta["audit_log"] = scenarios.verify_audit(side, env)
    meta["load_at_end"] = harness.load_average()
    ceiling = None if args.no_pgbench else scenarios.pgbench_ceiling(side)
    run_report.report(rounds, args.only, meta, ceiling, RESULTS / f"bench-{stamp}.json")


if __name__ == "__main__":
    main()
