"""`make bench BASELINE=<ref>`: the benchmark's scenarios against a baseline and the
working tree, alternating, in one run on one machine.

Checks the baseline out into a temporary git worktree with its own virtualenv (its
requirements.txt, from pip's cache), database (BENCH_BASE_DB, default
amrutam_bench_base), Redis database (BENCH_BASE_REDIS_URL, default db 11) and port
(BENCH_BASE_PORT, default 8101). Each side migrates its database with its own
migrations and serves with its own code and gunicorn.conf.py; both are driven by the
working tree's wrk scripts. Each scenario runs on both sides back to back, the order
swapped every round (see ab_report.side_order). Prints each side's medians and the
ratios current/baseline, writes every figure to bench/results/bench-ab-<stamp>.json,
and removes the worktree and its virtualenv afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ab_report
import harness
import psycopg
import run
import scenarios
from scenarios import Side, log

ROOT = harness.ROOT
BASE_DB = os.environ.get("BENCH_BASE_DB", "amrutam_bench_base")
BASE_REDIS_URL = os.environ.get("BENCH_BASE_REDIS_URL", "redis://127.0.0.1:6379/11")
BASE_PORT = int(os.environ.get("BENCH_BASE_PORT", 8101))
# The seeding code: the working tree's is used on the baseline's schema when it works
# there, so both databases hold the same population; otherwise the baseline's own.
SEED_FILES = ("bench/seed_data.py", "bench/population.py")


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def checkout(ref: str, tree: Path) -> str:
    """The baseline at `tree` (a detached worktree); its short commit."""
    log(f"baseline: git worktree add --detach {tree} {ref}")
    git("worktree", "add", "--detach", str(tree), ref)
    return git("rev-parse", "--short", "HEAD", cwd=tree)


def virtualenv(tree: Path, venv: Path) -> str:
    """A virtualenv with the baseline's requirements.txt; its interpreter."""
    log(f"baseline: virtualenv {venv} with its requirements.txt")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # pip's warnings about the machine's index configuration would bury the report;
    # they are shown when the install fails.
    result = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-r", str(tree / "requirements.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"the baseline's requirements did not install:\n{result.stderr[-3000:]}")
    return python


def remove(tree: Path, scratch: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=False)
    shutil.rmtree(scratch, ignore_errors=True)


def seed_baseline(side: Side, env: dict[str, str]) -> str:
    """Seed the migrated baseline database; which seeding code did it."""
    own = [side.root / name for name in SEED_FILES]
    if all(path.exists() for path in own) and all(
        path.read_bytes() == (ROOT / name).read_bytes()
        for path, name in zip(own, SEED_FILES, strict=True)
    ):
        scenarios.seed(side, env)
        return "the baseline's own, identical to the working tree's"
    for path, name in zip(own, SEED_FILES, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, path)
    try:
        scenarios.seed(side, env)
        return "the working tree's, on the baseline's schema"
    except subprocess.CalledProcessError:
        log("baseline: the working tree's seeding failed on its schema; using its own")
    git("checkout", "--", *SEED_FILES, cwd=side.root)
    scenarios.migrate_fresh(side, env)
    scenarios.seed(side, env)
    return "the baseline's own"


def skipped_scenarios(sides: dict[str, Side], only: list[str]) -> dict[str, set[str]]:
    """Per side, the scenarios of `only` it cannot run (a baseline without paid bookings
    has no booking-paid round); each is named in the log."""
    skipped: dict[str, set[str]] = {}
    for name, side in sides.items():
        for scenario in only:
            reason = scenarios.skip_reason(side, scenario)
            if reason:
                log(f"{name}: skipping {scenario}: {reason}")
                skipped.setdefault(name, set()).add(scenario)
    return skipped


def measure(
    sides: dict[str, Side], rounds: int, only: list[str], doctor_fee: int | None = None
) -> list[dict]:
    """Every round: both databases reset, then ab_report.schedule's pairs, then the SQL
    check for double bookings on each side. `doctor_fee`, when given, is set on both
    sides alike (a baseline without payments books such doctors for free). A scenario a
    side cannot run is left out of that side's rounds only."""
    conns = {name: psycopg.connect(side.dsn, autocommit=True) for name, side in sides.items()}
    plan = ab_report.schedule(rounds, only, skipped_scenarios(sides, only))
    figures: list[dict] = []
    try:
        for name, side in sides.items():
            scenarios.doctor_fee_set(conns[name], doctor_fee)
            scenarios.fetch_tokens(side)
            scenarios.warm_up(side)
        for round_no in range(1, rounds + 1):
            log(f"round {round_no}/{rounds}: {' then '.join(ab_report.side_order(round_no))}")
            for name, side in sides.items():
                scenarios.reset_bookings(side, conns[name])
            this_round: dict[str, dict] = {name: {} for name in sides}
            for _, scenario, name in (step for step in plan if step[0] == round_no):
                this_round[name][scenario] = scenarios.run_scenario(
                    sides[name], conns[name], scenario, round_no
                )
            for name in sides:
                count = harness.double_booked_slots(conns[name])
                this_round[name]["double_booked_slots"] = {"count": count}
            figures.append(this_round)
        for name, side in sides.items():
            scenarios.reset_bookings(side, conns[name])
    finally:
        for conn in conns.values():
            conn.close()
    return figures


def main() -> None:
    args = run.parse_args(baseline=True)
    run.ensure_tools()
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    scratch = Path(tempfile.mkdtemp(prefix="amrutam-baseline-"))
    tree = scratch / "tree"
    current = run.current_side()
    sides: dict[str, Side] = {}
    try:
        commit = checkout(args.baseline, tree)
        baseline = Side(
            name="baseline",
            root=tree,
            python=virtualenv(tree, scratch / "venv"),
            pg_url=run.PG_URL,
            db_name=BASE_DB,
            redis_url=BASE_REDIS_URL,
            port=BASE_PORT,
            cache_prefix="benchbase",
            data_dir=run.RESULTS / "data-baseline",
        )
        sides = {"baseline": baseline, "current": current}
        envs = {name: side.env() for name, side in sides.items()}
        scenarios.migrate_fresh(baseline, envs["baseline"])
        seeding = seed_baseline(baseline, envs["baseline"])
        log(f"baseline seeded by {seeding}")
        scenarios.prepare(current, envs["current"])
        for name, side in sides.items():
            scenarios.start_server(side, envs[name], run.RESULTS / f"server-{name}.log")
        meta = {
            "label": args.label,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "cpus": os.cpu_count(),
            "load_at_start": harness.load_average(),
            "doctor_fee": args.doctor_fee,
            "baseline": {
                "ref": args.baseline,
                "commit": commit,
                "seeding": seeding,
                "gunicorn": harness.gunicorn_settings(envs["baseline"], tree, baseline.python),
            },
            "current": {
                "commit": harness.git_commit(),
                "gunicorn": harness.gunicorn_settings(envs["current"]),
            },
        }
        rounds = measure(sides, args.rounds, args.only, args.doctor_fee)
        for side in sides.values():
            scenarios.stop_server(side)
        meta["audit_log"] = scenarios.verify_audit(current, envs["current"])
    finally:
        for side in sides.values():
            scenarios.stop_server(side)
        remove(tree, scratch)
    meta["load_at_end"] = harness.load_average()
    ceiling = None if args.no_pgbench else scenarios.pgbench_ceiling(current)
    path = run.RESULTS / f"bench-ab-{stamp}.json"
    if not ab_report.report(rounds, args.only, meta, ceiling, path):
        sys.exit(1)


if __name__ == "__main__":
    main()
