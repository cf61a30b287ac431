"""The A/B benchmark's plan and arithmetic (bench/ab_report.py), without running wrk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import ab_report


def figures(rps: float, ok: float, p50: float, p99: float, **extra) -> dict:
    return {
        "rps": rps,
        "ok_per_s": ok,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": rps - ok if "non_2xx" not in extra else extra.pop("non_2xx"),
        "socket_errors": 0,
        "statuses": {"201": 20, "409": 100},
        "cpu_ms_per_request": {"app": p50 / 10, "db": 1.0, "wrk": 0.1},
        **extra,
    }


def a_round(base_booking: float, cur_booking: float, *, cur_rows: int = 20) -> dict:
    def side(booking: float, rows: int) -> dict:
        return {
            "health": figures(1000, 1000, 10, 30),
            "booking": figures(booking, booking, 100, 200),
            "contention": figures(300, 20, 50, 90, slots=20, booked_rows=rows),
            "double_booked_slots": {"count": 0},
        }

    return {"baseline": side(base_booking, 20), "current": side(cur_booking, cur_rows)}


def test_schedule_pairs_each_scenario_and_swaps_who_goes_first():
    plan = ab_report.schedule(3, ["health", "booking"])

    assert plan == [
        (1, "health", "baseline"),
        (1, "health", "current"),
        (1, "booking", "baseline"),
        (1, "booking", "current"),
        (2, "health", "current"),
        (2, "health", "baseline"),
        (2, "booking", "current"),
        (2, "booking", "baseline"),
        (3, "health", "baseline"),
        (3, "health", "current"),
        (3, "booking", "baseline"),
        (3, "booking", "current"),
    ]


def test_ratios_are_current_over_baseline_of_each_sides_median():
    # Booking medians: baseline median(100, 90, 130) = 100, current median(250, 400, 260) = 260.
    rounds = [a_round(100, 250), a_round(90, 400), a_round(130, 260)]
    rounds[1]["current"]["booking"]["p99_ms"] = 80
    rounds[2]["current"]["booking"]["p99_ms"] = 50

    comparison = ab_report.compare(rounds, ["health", "booking", "contention"])

    booking = comparison["booking"]
    assert booking["baseline"]["ok_per_s"] == 100
    assert booking["current"]["ok_per_s"] == 260
    assert booking["ratio"]["throughput"] == pytest.approx(2.6)
    assert booking["ratio"]["p50"] == pytest.approx(1.0)
    assert booking["ratio"]["p99"] == pytest.approx(80 / 200)  # median(200, 80, 50) = 80
    assert booking["baseline"]["cpu_ms"] == pytest.approx(11.0)  # app 100 / 10 + db 1
    assert booking["ratio"]["cpu_ms"] == pytest.approx(1.0)
    assert booking["round_throughput_ratios"] == pytest.approx([2.5, 400 / 90, 2.0])
    assert comparison["health"]["ratio"]["throughput"] == pytest.approx(1.0)
    # The race's throughput counts every answer, since 409s are its expected outcome.
    assert comparison["contention"]["baseline"]["rps"] == 300
    assert comparison["contention"]["ratio"]["throughput"] == pytest.approx(1.0)


def test_a_race_with_two_bookings_on_a_slot_fails_the_report(tmp_path, capsys):
    rounds = [a_round(100, 250), a_round(100, 250, cur_rows=21)]
    meta = {
        "baseline": {"ref": "5facdf3", "commit": "5facdf3"},
        "current": {"commit": "abc1234"},
        "cpus": 2,
        "load_at_start": [1.0, 1.0, 1.0],
        "load_at_end": [1.0, 1.0, 1.0],
    }
    path = tmp_path / "ab.json"

    ok = ab_report.report(rounds, ["booking", "contention"], meta, 1000.0, path)

    assert ok is False
    saved = json.loads(path.read_text())
    assert saved["checks"]["current"]["contention_exactly_one_per_slot"] is False
    assert saved["checks"]["baseline"]["contention_exactly_one_per_slot"] is True
    assert saved["comparison"]["booking"]["ratio"]["throughput"] == pytest.approx(2.5)
    printed = capsys.readouterr().out
    assert "booking" in printed and "2.50" in printed
    assert "current's bookings/s through the API are 25% of it" in printed


def test_a_clean_run_passes(tmp_path):
    meta = {
        "baseline": {"ref": "main", "commit": "1111111"},
        "current": {"commit": "2222222"},
        "cpus": 2,
        "load_at_start": [0.5],
        "load_at_end": [0.5],
    }

    assert ab_report.report(
        [a_round(100, 100)], ["booking", "contention"], meta, None, tmp_path / "r.json"
    )


def test_a_scenario_the_baseline_lacks_runs_on_the_current_side_alone():
    plan = ab_report.schedule(2, ["booking", "booking-paid"], {"baseline": {"booking-paid"}})

    assert plan == [
        (1, "booking", "baseline"),
        (1, "booking", "current"),
        (1, "booking-paid", "current"),
        (2, "booking", "current"),
        (2, "booking", "baseline"),
        (2, "booking-paid", "current"),
    ]


def _with_paid_on_current(a_round: dict, paid_rps: float) -> dict:
    a_round["current"]["booking-paid"] = figures(paid_rps, paid_rps, 150, 300)
    return a_round


def test_the_report_compares_what_both_ran_and_shows_the_rest_without_a_ratio(tmp_path, capsys):
    # The baseline predates paid bookings: its rounds have no booking-paid at all.
    rounds = [_with_paid_on_current(a_round(100, 200), 80) for _ in range(3)]
    meta = {
        "baseline": {"ref": "old", "commit": "1111111"},
        "current": {"commit": "2222222"},
        "cpus": 2,
        "load_at_start": [0.5],
        "load_at_end": [0.5],
    }
    path = tmp_path / "ab.json"

    ok = ab_report.report(rounds, ["booking", "booking-paid", "contention"], meta, None, path)

    assert ok is True
    saved = json.loads(path.read_text())
    paid = saved["comparison"]["booking-paid"]
    assert paid["baseline"] is None
    assert paid["current"]["ok_per_s"] == 80
    assert paid["ratio"] == {"throughput": None, "p50": None, "p99": None, "cpu_ms": None}
    assert saved["comparison"]["booking"]["ratio"]["throughput"] == pytest.approx(2.0)
    # Current's paid/free: 80 / 200 req/s; CPU (app + db) 16.0 / 11.0 ms per request.
    assert saved["booking_paid_vs_free"]["baseline"] is None
    assert saved["booking_paid_vs_free"]["current"]["rps_ratio"] == pytest.approx(0.4)
    assert saved["booking_paid_vs_free"]["current"]["cpu_ms_ratio"] == pytest.approx(16 / 11)
    printed = capsys.readouterr().out
    paid_line = next(line for line in printed.splitlines() if line.startswith("booking-paid"))
    assert paid_line.split()[2:5] == ["-", "80", "-"]
    assert "current: paid / free bookings: req/s 80 / 200 = 0.40" in printed
    assert "baseline: paid / free" not in printed
