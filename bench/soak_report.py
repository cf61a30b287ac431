"""The soak's report: latency, RSS, connections and bookings against the bounds."""

from __future__ import annotations

import json
import math
import sys
from typing import TYPE_CHECKING

from soak_settings import (
    CLIENTS,
    MAX_DB_CONNECTIONS,
    MAX_ERROR_RATE,
    MAX_RSS_GROWTH_MB,
    MIX,
    RATE,
    RESULTS,
    ROOT,
    SECONDS,
    THREADS,
    WARMUP,
    WORKERS,
)

if TYPE_CHECKING:
    from soak import Run, Sample


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def latency(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": percentile(values, 0.50) * 1000,
        "p95_ms": percentile(values, 0.95) * 1000,
        "p99_ms": percentile(values, 0.99) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
    }


def report(
    run: Run,
    samples: list[Sample],
    boot: Sample,
    warm: Sample,
    end: Sample,
    after: Sample,
    pids_at_start: list[int],
    pids_at_end: list[int],
    bookings: dict[str, int],
    stamp: str,
) -> None:
    measured = [r for r in run.results if r[1] >= warm.at]
    total = len(run.results)
    errors = sum(run.unexpected.values())
    error_rate = errors / total if total else 1.0
    per_kind = {kind: latency([r[2] for r in measured if r[0] == kind]) for kind, _, _ in MIX}
    overall = latency([r[2] for r in measured])
    duration = end.at
    growth = {pid: end.rss[pid] - warm.rss[pid] for pid in warm.rss if pid in end.rss}
    failures = []
    if error_rate > MAX_ERROR_RATE:
        failures.append(f"error rate {error_rate:.4%} > {MAX_ERROR_RATE:.4%}")
    if pids_at_start != pids_at_end or len(growth) != WORKERS:
        failures.append(f"workers changed: {pids_at_start} -> {pids_at_end}")
    for pid, grown in growth.items():
        if grown > MAX_RSS_GROWTH_MB:
            failures.append(f"worker {pid} RSS grew {grown:.1f} MB > {MAX_RSS_GROWTH_MB} MB")
    most_connections = max(s.db_connections for s in samples)
    if most_connections > MAX_DB_CONNECTIONS:
        failures.append(
            f"{most_connections} database connections > {MAX_DB_CONNECTIONS} "
            "(workers x (threads + 1))"
        )
    if after.idle_in_transaction:
        failures.append(f"{after.idle_in_transaction} connections left idle in transaction")
    if bookings["double_booked_slots"]:
        failures.append(f"{bookings['double_booked_slots']} slots booked twice")
    if bookings["of_those_in_database"] != bookings["answered_201"]:
        failures.append("a booking answered 201 is missing from the database")
    if run.slots_exhausted:
        failures.append("the run ran out of slots to book (raise the seeded supply)")

    document = {
        "settings": {
            "seconds": SECONDS,
            "warmup_seconds": WARMUP,
            "offered_rps": RATE,
            "clients": CLIENTS,
            "workers": WORKERS,
            "threads": THREADS,
            "mix": {k: w for k, w, _ in MIX},
        },
        "bounds": {
            "max_error_rate": MAX_ERROR_RATE,
            "max_rss_growth_mb_per_worker": MAX_RSS_GROWTH_MB,
            "max_db_connections": MAX_DB_CONNECTIONS,
        },
        "requests": total,
        "achieved_rps": total / duration if duration else 0,
        "errors": errors,
        "error_rate": error_rate,
        "unexpected": dict(run.unexpected),
        "latency_after_warmup": {"all": overall, **per_kind},
        "rss_mb": {
            str(pid): {
                "boot": boot.rss.get(pid),
                "after_warmup": warm.rss.get(pid),
                "end": end.rss.get(pid),
                "growth": growth.get(pid),
            }
            for pid in warm.rss
        },
        "db_connections": {
            "boot": boot.db_connections,
            "after_warmup": warm.db_connections,
            "end": end.db_connections,
            "max": most_connections,
            "idle_in_transaction_after_stop": after.idle_in_transaction,
        },
        "bookings": bookings,
        "timeline": [
            {
                "t": round(s.at, 1),
                "requests": s.requests,
                "errors": s.errors,
                "db_connections": s.db_connections,
                "rss_mb": list(s.rss.values()),
            }
            for s in samples
        ],
        "failures": failures,
    }
    path = RESULTS / f"soak-{stamp}.json"
    path.write_text(json.dumps(document, indent=2))

    print()
    print(
        f"{total} requests in {duration:.0f} s ({total / duration:.1f} req/s); "
        f"errors {errors} ({error_rate:.4%}, bound {MAX_ERROR_RATE:.2%})"
    )
    if run.unexpected:
        print("unexpected answers: " + ", ".join(f"{k}: {n}" for k, n in run.unexpected.items()))
    print(f"\nlatency after the {WARMUP} s warm-up")
    print(f"{'kind':18s}{'count':>8s}{'p50 ms':>9s}{'p95 ms':>9s}{'p99 ms':>9s}{'max ms':>9s}")
    for kind, figures in {"all": overall, **per_kind}.items():
        print(
            f"{kind:18s}{figures['count']:8d}{figures['p50_ms']:9.1f}{figures['p95_ms']:9.1f}"
            f"{figures['p99_ms']:9.1f}{figures['max_ms']:9.1f}"
        )
    print(f"\nRSS per worker, MB (bound: growth after warm-up <= {MAX_RSS_GROWTH_MB:.0f} MB)")
    print(f"{'pid':>8s}{'boot':>8s}{'warm':>8s}{'end':>8s}{'growth':>8s}")
    for pid in warm.rss:
        print(
            f"{pid:8d}{boot.rss.get(pid, float('nan')):8.1f}{warm.rss[pid]:8.1f}"
            f"{end.rss.get(pid, float('nan')):8.1f}{growth.get(pid, float('nan')):8.1f}"
        )
    print(
        f"\ndatabase connections (bound {MAX_DB_CONNECTIONS} = workers x (threads + 1)): boot "
        f"{boot.db_connections}, after warm-up {warm.db_connections}, end {end.db_connections}, "
        f"max {most_connections}; idle in transaction after stop {after.idle_in_transaction}"
    )
    print(
        f"bookings: {bookings['answered_201']} answered 201, "
        f"{bookings['of_those_in_database']} of them in the database, "
        f"{bookings['double_booked_slots']} slots booked twice"
    )
    print(f"results: {path.relative_to(ROOT)}")
    if failures:
        print("\nSOAK FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nsoak passed: every bound held")
