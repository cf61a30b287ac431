"""The A/B benchmark's plan and report: which side runs when, medians per side and the
ratios current/baseline, printed and saved."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import run_report

SIDES = ("baseline", "current")
CONNECTIONS = run_report.CONNECTIONS
FIELDS = ("rps", "ok_per_s", "p50_ms", "p99_ms", "non_2xx", "socket_errors")


def side_order(round_no: int) -> tuple[str, str]:
    """Baseline first in odd rounds, current first in even ones.

    The second run of a pair follows the first's load on the shared PostgreSQL cluster
    (its WAL, checkpoints and autovacuum) a few seconds later; swapping the order every
    round spreads that handicap over both sides instead of always charging it to one.
    """
    return SIDES if round_no % 2 else (SIDES[1], SIDES[0])


def schedule(
    rounds: int, scenarios: list[str], skipped: dict[str, set[str]] | None = None
) -> list[tuple[int, str, str]]:
    """(round, scenario, side) in the order they run: each scenario runs on both sides
    back to back, so both of a pair see the machine's load of the same half minute.
    A scenario in `skipped[side]` runs on the other side alone."""
    skipped = skipped or {}
    return [
        (round_no, name, side)
        for round_no in range(1, rounds + 1)
        for name in scenarios
        for side in side_order(round_no)
        if name not in skipped.get(side, set())
    ]


def throughput_field(scenario: str) -> str:
    """2xx/s, the answers clients wanted; for the contention race, where all but one
    answer per slot is a 409 by design, every answer."""
    return "rps" if scenario == "contention" else "ok_per_s"


def ratio(current: float | None, baseline: float | None) -> float | None:
    return current / baseline if baseline and current is not None else None


def ran(rounds: list[dict], side: str, scenario: str) -> bool:
    return all(scenario in r[side] for r in rounds)


def side_medians(rounds: list[dict], side: str, scenario: str) -> dict[str, float]:
    medians = {
        field: statistics.median(r[side][scenario][field] for r in rounds) for field in FIELDS
    }
    # The server's and its database's CPU per request: on a machine busy with other
    # work, the figure that moves least with that work.
    medians["cpu_ms"] = statistics.median(
        r[side][scenario]["cpu_ms_per_request"]["app"]
        + r[side][scenario]["cpu_ms_per_request"]["db"]
        for r in rounds
    )
    return medians


def compare(rounds: list[dict], scenarios: list[str]) -> dict[str, dict]:
    """Per scenario: each side's medians over the rounds, and current/baseline of the
    medians of throughput, p50 and p99 (above 1 is faster for throughput, slower for
    latency); the per-round ratios too, to show their spread."""
    comparison = {}
    for name in scenarios:
        # A side that skipped the scenario has no medians (None), and no ratio is made.
        medians = {
            side: side_medians(rounds, side, name) if ran(rounds, side, name) else None
            for side in SIDES
        }
        cur, base = medians["current"] or {}, medians["baseline"] or {}
        tp = throughput_field(name)
        comparison[name] = {
            **medians,
            "ratio": {
                "throughput": ratio(cur.get(tp), base.get(tp)),
                "p50": ratio(cur.get("p50_ms"), base.get("p50_ms")),
                "p99": ratio(cur.get("p99_ms"), base.get("p99_ms")),
                "cpu_ms": ratio(cur.get("cpu_ms"), base.get("cpu_ms")),
            },
            "round_throughput_ratios": (
                [ratio(r["current"][name][tp], r["baseline"][name][tp]) for r in rounds]
                if cur and base
                else []
            ),
        }
    return comparison


def paid_vs_free(comparison: dict[str, dict]) -> dict[str, dict | None]:
    """Per side, paid / free bookings (run_report.paid_vs_free), None for a side that
    did not run both."""
    if not {"booking", "booking-paid"} <= comparison.keys():
        return dict.fromkeys(SIDES)
    return {
        side: run_report.paid_vs_free(comparison["booking"][side], comparison["booking-paid"][side])
        if comparison["booking"][side] and comparison["booking-paid"][side]
        else None
        for side in SIDES
    }


def checks(rounds: list[dict], scenarios: list[str]) -> dict[str, dict]:
    """Per side: slots with two active consultations (worst round) and whether every
    contention round gave exactly one 201 per slot."""
    return {
        side: {
            "double_booked_slots": max(r[side]["double_booked_slots"]["count"] for r in rounds),
            "contention_exactly_one_per_slot": (
                all(run_report.contention_ok(r[side]) for r in rounds)
                if "contention" in scenarios and ran(rounds, side, "contention")
                else None
            ),
        }
        for side in SIDES
    }


def _x(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _n(value: float | None, spec: str) -> str:
    return format(value, spec) if value is not None else "-"


def table(comparison: dict[str, dict]) -> list[str]:
    lines = [
        f"{'':19s}{'throughput /s':^24s}{'p50 ms':^24s}{'p99 ms':^24s}"
        f"{'CPU ms/req':^24s}{'errors':>10s}",
        f"{'scenario':14s}{'conns':>5s}"
        + f"{'base':>8s}{'current':>9s}{'ratio':>7s}" * 4
        + f"{'base/cur':>10s}",
    ]
    for name, c in comparison.items():
        # A side that skipped the scenario shows "-" in its columns.
        base, cur, r = c["baseline"] or {}, c["current"] or {}, c["ratio"]
        tp = throughput_field(name)
        errors = (
            "-"
            if name == "contention"
            else f"{_n(base.get('non_2xx'), '.0f')}/{_n(cur.get('non_2xx'), '.0f')}"
        )
        sockets = base.get("socket_errors", 0) + cur.get("socket_errors", 0)
        if sockets:
            errors += f" +{sockets:.0f}sock"
        lines.append(
            f"{name:14s}{CONNECTIONS[name]:5d}"
            f"{_n(base.get(tp), '.0f'):>8s}{_n(cur.get(tp), '.0f'):>9s}{_x(r['throughput']):>7s}"
            f"{_n(base.get('p50_ms'), '.1f'):>8s}{_n(cur.get('p50_ms'), '.1f'):>9s}"
            f"{_x(r['p50']):>7s}"
            f"{_n(base.get('p99_ms'), '.1f'):>8s}{_n(cur.get('p99_ms'), '.1f'):>9s}"
            f"{_x(r['p99']):>7s}"
            f"{_n(base.get('cpu_ms'), '.2f'):>8s}{_n(cur.get('cpu_ms'), '.2f'):>9s}"
            f"{_x(r['cpu_ms']):>7s}"
            f"{errors:>10s}"
        )
    return lines


def report(
    rounds: list[dict],
    scenarios: list[str],
    meta: dict,
    ceiling: float | None,
    path: Path,
) -> bool:
    """Print and save the comparison; True when both sides kept one booking per slot."""
    comparison = compare(rounds, scenarios)
    verdicts = checks(rounds, scenarios)
    bookings = (comparison.get("booking", {}).get("current") or {}).get("ok_per_s")
    # As in run_report: only with the seeded fees, not one --doctor-fee for every doctor.
    paid_free = paid_vs_free(comparison) if meta.get("doctor_fee") is None else dict.fromkeys(SIDES)
    document = {
        "meta": meta,
        "rounds": rounds,
        "comparison": comparison,
        "checks": verdicts,
        "booking_paid_vs_free": paid_free,
        "pgbench_booking_tps": ceiling,
        "booking_fraction_of_pgbench": bookings / ceiling if ceiling and bookings else None,
    }
    path.write_text(json.dumps(document, indent=2))
    print()
    print(
        f"baseline {meta['baseline']['ref']} ({meta['baseline']['commit']}) vs current "
        f"{meta['current']['commit']}; {len(rounds)} rounds, order per round "
        f"{' '.join('/'.join(side_order(n)) for n in range(1, len(rounds) + 1))}"
    )
    print(
        f"{meta['cpus']} CPUs, wrk {run_report.WRK_THREADS} threads on the same machine; "
        f"load average at start {meta['load_at_start']}, at end {meta['load_at_end']}"
    )
    if meta.get("audit_log"):
        print(f"after the run, verify_audit_log: {meta['audit_log']}")
    for line in table(comparison):
        print(line)
    print(
        "medians of the rounds per side; ratio = current / baseline (throughput: above 1 is "
        "faster; latency and CPU: below 1 is "
        "faster).\nthroughput: 2xx/s (contention: all answers/s); "
        "CPU ms/req: gunicorn's and its database backends' CPU per request, the figure other "
        "load disturbs least; errors: median non-2xx per round, baseline/current."
    )
    for side in SIDES:
        if paid_free[side] is not None:
            print(f"{side}: paid / free bookings: {run_report.paid_vs_free_line(paid_free[side])}")
    for side in SIDES:
        v = verdicts[side]
        race = v["contention_exactly_one_per_slot"]
        print(
            f"{side}: slots with two active consultations {v['double_booked_slots']}"
            + ("" if race is None else f"; contention one 201 per slot: {'yes' if race else 'NO'}")
        )
    if ceiling:
        line = f"pgbench, the booking transaction's SQL alone: {ceiling:.0f} bookings/s"
        if bookings:
            line += f"; current's bookings/s through the API are {bookings / ceiling:.0%} of it"
        print(line)
    print(f"results: {path}")
    return all(
        v["double_booked_slots"] == 0 and v["contention_exactly_one_per_slot"] is not False
        for v in verdicts.values()
    )
