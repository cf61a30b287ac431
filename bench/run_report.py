"""The benchmark's report: medians of the rounds against the targets, printed and saved."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from harness import ROOT

# wrk's threads, on the same cores as the server.
WRK_THREADS = 2
# In the order they run. booking books free doctors' slots, booking-paid paid doctors'
# (a payment hold and a sandbox gateway order each), under the same load.
SCENARIO_NAMES = ("health", "availability", "booking", "booking-paid", "contention")
CONNECTIONS = {
    "health": 32,
    "availability": 32,
    "booking": 16,
    "booking-paid": 16,
    "contention": 64,
}
# The targets on a 2-core machine with wrk on the same cores (medians of 3 rounds).
TARGETS = {
    "health": "≥ 4000 req/s",
    "availability": "≥ 1700 req/s, p99 ≤ 50 ms, 0 errors",
    "booking": "≥ 500 2xx/s, p99 ≤ 60 ms, 0 errors",
    # What a fee costs is read from its ratio to booking, printed under the table.
    "booking-paid": "0 errors",
    "contention": "one 201 per slot, rest 409, 0 5xx",
}


def median(rounds: list[dict], scenario: str, field: str) -> float:
    return statistics.median(r[scenario][field] for r in rounds)


def contention_ok(figures: dict) -> bool:
    """Exactly one 201 per contended slot, one active row per slot, every other answer 409."""
    f = figures["contention"]
    return (
        f["statuses"].get("201", 0) == f["slots"] == f["booked_rows"]
        and all(status in ("201", "409") for status in f["statuses"])
        and f["socket_errors"] == 0
    )


def target_met(name: str, f: dict, rounds: list[dict]) -> bool:
    errors = f["non_2xx"] + f["socket_errors"]
    if name == "health":
        return f["rps"] >= 4000 and errors == 0
    if name == "availability":
        return f["rps"] >= 1700 and f["p99_ms"] <= 50 and errors == 0
    if name == "booking":
        return f["ok_per_s"] >= 500 and f["p99_ms"] <= 60 and errors == 0
    if name == "booking-paid":
        return errors == 0
    return all(contention_ok(r) for r in rounds)


def server_cpu_ms(rounds: list[dict], scenario: str) -> float:
    """Median over the rounds of gunicorn's plus its database backends' CPU ms per
    request (wrk's own CPU left out: it is the same work for a free or a paid booking)."""
    return statistics.median(
        r[scenario]["cpu_ms_per_request"]["app"] + r[scenario]["cpu_ms_per_request"]["db"]
        for r in rounds
    )


def paid_vs_free(free: dict[str, float], paid: dict[str, float]) -> dict[str, float | None]:
    """paid / free of req/s and of server CPU ms per request, from each one's `rps` and
    `cpu_ms` medians: below 1 for req/s and above 1 for CPU is what a fee costs."""

    def over(a: float, b: float) -> float | None:
        return a / b if b else None

    return {
        "free_rps": free["rps"],
        "paid_rps": paid["rps"],
        "rps_ratio": over(paid["rps"], free["rps"]),
        "free_cpu_ms": free["cpu_ms"],
        "paid_cpu_ms": paid["cpu_ms"],
        "cpu_ms_ratio": over(paid["cpu_ms"], free["cpu_ms"]),
    }


def paid_vs_free_line(ratio: dict[str, float | None]) -> str:
    def x(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    return (
        f"req/s {ratio['paid_rps']:.0f} / {ratio['free_rps']:.0f} = {x(ratio['rps_ratio'])}; "
        f"CPU ms/req app+db {ratio['paid_cpu_ms']:.2f} / {ratio['free_cpu_ms']:.2f} = "
        f"{x(ratio['cpu_ms_ratio'])}"
    )


def cpu_text(cpu: dict[str, float]) -> str:
    return f"{cpu['app']:.2f}+{cpu['db']:.2f}+{cpu['wrk']:.2f}"


def report(
    rounds: list[dict], names: list[str], meta: dict, ceiling: float | None, path: Path
) -> None:
    summary = {
        name: {
            field: median(rounds, name, field)
            for field in ("rps", "ok_per_s", "p50_ms", "p99_ms", "non_2xx", "socket_errors")
        }
        for name in names
    }
    for name in names:
        summary[name]["cpu_ms_per_request"] = {
            part: statistics.median(r[name]["cpu_ms_per_request"][part] for r in rounds)
            for part in ("app", "db", "wrk")
        }
    five_xx = {
        name: max(
            sum(n for status, n in r[name]["statuses"].items() if status.startswith("5"))
            for r in rounds
        )
        for name in names
    }
    race_ok = all(contention_ok(r) for r in rounds) if "contention" in names else None
    double = max(r["double_booked_slots"]["count"] for r in rounds)
    bookings = summary["booking"]["ok_per_s"] if "booking" in names else None
    fraction = bookings / ceiling if ceiling and bookings else None
    met = {name: target_met(name, summary[name], rounds) for name in names}
    # Only when the fees are as seeded: --doctor-fee gives every doctor the same fee, and
    # both rounds then book alike.
    paid_free = None
    if {"booking", "booking-paid"} <= set(names) and meta.get("doctor_fee") is None:
        paid_free = paid_vs_free(
            *(
                {"rps": summary[name]["rps"], "cpu_ms": server_cpu_ms(rounds, name)}
                for name in ("booking", "booking-paid")
            )
        )
    document = {
        "meta": meta,
        "rounds": rounds,
        "medians": summary,
        "max_5xx_in_a_round": five_xx,
        "targets": {name: {"target": TARGETS[name], "met": met[name]} for name in names},
        "pgbench_booking_tps": ceiling,
        "booking_fraction_of_pgbench": fraction,
        "contention_exactly_one_per_slot": race_ok,
        "double_booked_slots": double,
        "booking_paid_vs_free": paid_free,
    }
    path.write_text(json.dumps(document, indent=2))
    gunicorn = meta["gunicorn"]
    print()
    print(
        f"gunicorn {gunicorn['worker_class']} {gunicorn['workers']} workers x "
        f"{gunicorn['threads']} threads, {meta['cpus']} CPUs, wrk {WRK_THREADS} threads on the "
        f"same machine; load average at start {meta['load_at_start']}, at end "
        f"{meta['load_at_end']}"
    )
    if meta.get("audit_log"):
        print(f"after the run, verify_audit_log: {meta['audit_log']}")
    print(
        f"{'scenario':14s}{'conns':>6s}{'req/s':>9s}{'2xx/s':>9s}{'p50 ms':>8s}{'p99 ms':>8s}"
        f"{'non-2xx':>9s}{'5xx':>6s}{'sockerr':>8s}  {'CPU ms/req app+db+wrk':23s}"
        f"{'target':38s}{'met':>4s}"
    )
    for name, f in summary.items():
        print(
            f"{name:14s}{CONNECTIONS[name]:6d}{f['rps']:9.0f}{f['ok_per_s']:9.0f}"
            f"{f['p50_ms']:8.1f}{f['p99_ms']:8.1f}{f['non_2xx']:9.0f}{five_xx[name]:6d}"
            f"{f['socket_errors']:8.0f}  {cpu_text(f['cpu_ms_per_request']):23s}"
            f"{TARGETS[name]:38s}{'yes' if met[name] else 'NO':>4s}"
        )
    print(
        f"\nmedians of {len(rounds)} rounds (5xx: the worst round); load average per scenario "
        f"is in the JSON.\nCPU ms/req: CPU time of gunicorn, of this database's PostgreSQL "
        f"backends and of wrk per request; {meta['cpus']} cores / their sum bounds req/s, "
        "whatever else the machine runs."
    )
    if race_ok is not None:
        print(
            "contention: exactly one 201 per slot, one active consultation per slot, only 409 "
            f"otherwise: {'yes' if race_ok else 'NO'}"
        )
    if paid_free is not None:
        print(f"paid / free bookings: {paid_vs_free_line(paid_free)}")
    print(f"slots with two active consultations (SQL, after every round): {double}")
    if ceiling:
        line = f"pgbench, the booking transaction's SQL alone: {ceiling:.0f} bookings/s"
        if fraction is not None:
            line += f"; bookings/s through the API are {fraction:.0%} of it"
        print(line)
    print(f"results: {path.relative_to(ROOT)}")
    if double or race_ok is False:
        sys.exit(1)
