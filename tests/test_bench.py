"""The benchmark's pieces without wrk or gunicorn: its scenarios, the seeded paid
doctors and their slot lists, which side may run what, and the paid/free ratio."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import run
import run_report
import scenarios
from scenarios import Side

from doctors.models import AvailabilitySlot, DoctorProfile


def _side(tmp_path: Path, *, payments: bool = True, paid_slots: str | None = "d,s\n") -> Side:
    root = tmp_path / "tree"
    root.mkdir()
    if payments:
        (root / "payments").mkdir()
    data = tmp_path / "data"
    data.mkdir()
    if paid_slots is not None:
        (data / "booking_paid_slots.txt").write_text(paid_slots)
    return Side(
        name="baseline",
        root=root,
        python=sys.executable,
        pg_url="postgres://unused",
        db_name="unused",
        redis_url="redis://unused",
        port=0,
        cache_prefix="t",
        data_dir=data,
    )


def test_booking_paid_runs_right_after_booking_by_default(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["run.py"])

    args = run.parse_args()

    assert args.only == ["health", "availability", "booking", "booking-paid", "contention"]
    assert args.doctor_fee is None  # the seeded fees stay: some doctors paid, most free
    assert run_report.CONNECTIONS["booking-paid"] == run_report.CONNECTIONS["booking"]


def test_only_booking_paid_is_accepted_and_an_unknown_scenario_is_not(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run.py", "--only", "booking-paid", "--rounds", "1"])
    assert run.parse_args().only == ["booking-paid"]

    monkeypatch.setattr(sys, "argv", ["run.py", "--only", "booking-free"])
    with pytest.raises(SystemExit):
        run.parse_args()
    assert "unknown scenarios: booking-free" in capsys.readouterr().err


@pytest.mark.django_db
def test_the_seeded_population_has_paid_doctors_and_their_own_slot_list(tmp_path, monkeypatch):
    from bench import seed_data

    monkeypatch.setattr(seed_data, "DOCTORS", 6)
    monkeypatch.setattr(seed_data, "PAID_DOCTORS", 2)
    monkeypatch.setattr(seed_data, "PAID_FEE", 500)
    monkeypatch.setattr(seed_data, "PATIENTS", 2)
    monkeypatch.setattr(seed_data, "BOOKING_DAYS", 10)  # 160 free slots each: 60 contended

    seed_data.main(tmp_path)

    fees = dict(DoctorProfile.objects.values_list("pk", "consultation_fee"))
    paid = {str(pk) for pk, fee in fees.items() if fee == Decimal("500.00")}
    free = {str(pk) for pk, fee in fees.items() if fee == 0}
    assert (len(paid), len(free)) == (2, 4)

    def doctors_in(name: str) -> list[str]:
        return [line.split(",")[0] for line in (tmp_path / name).read_text().split()]

    paid_slots = doctors_in("booking_paid_slots.txt")
    assert set(paid_slots) == paid
    assert len(paid_slots) == 2 * 10 * seed_data.SLOTS_PER_DAY
    assert set(doctors_in("booking_slots.txt")) == free
    for round_no in (1, 2, 3):
        assert set(doctors_in(f"contention_slots_{round_no}.txt")) <= free
    slot_ids = [
        line.split(",")[1] for line in (tmp_path / "booking_paid_slots.txt").read_text().split()
    ]
    assert AvailabilitySlot.objects.filter(
        pk__in=slot_ids, doctor__consultation_fee=500
    ).count() == len(slot_ids)


def test_a_side_with_paid_doctors_runs_booking_paid(tmp_path):
    side = _side(tmp_path)

    assert scenarios.skip_reason(side, "booking-paid") is None
    assert run.runnable(side, ["booking", "booking-paid"]) == ["booking", "booking-paid"]


@pytest.mark.parametrize(
    ("payments", "paid_slots", "reason"),
    [
        (False, "d,s\n", "this tree has no payments"),
        (True, None, "its seeding made no paid doctors"),
        (True, "\n", "its seeding made no paid doctors"),
    ],
)
def test_a_side_without_paid_bookings_skips_booking_paid_only(
    tmp_path, payments, paid_slots, reason
):
    side = _side(tmp_path, payments=payments, paid_slots=paid_slots)

    assert scenarios.skip_reason(side, "booking-paid") == reason
    assert scenarios.skip_reason(side, "booking") is None
    assert run.runnable(side, ["booking", "booking-paid", "contention"]) == [
        "booking",
        "contention",
    ]


def _figures(rps: float, app: float, db: float, non_2xx: int = 0) -> dict:
    return {
        "rps": rps,
        "ok_per_s": rps,
        "p50_ms": 50.0,
        "p99_ms": 90.0,
        "non_2xx": non_2xx,
        "socket_errors": 0,
        "statuses": {"201": 100},
        "cpu_ms_per_request": {"app": app, "db": db, "wrk": 0.5},
    }


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    # The report names its results file relative to the repository it writes into.
    monkeypatch.setattr(run_report, "ROOT", tmp_path)


def _meta(doctor_fee: int | None = None) -> dict:
    return {
        "label": "",
        "cpus": 2,
        "load_at_start": [1.0],
        "load_at_end": [1.0],
        "gunicorn": {"worker_class": "gthread", "workers": 2, "threads": 4},
        "doctor_fee": doctor_fee,
    }


def test_the_report_prints_paid_over_free_req_s_and_cpu_per_request(tmp_path, capsys):
    # Medians: free 200 req/s at 8+2 ms, paid 150 req/s at 11+4 ms.
    rounds = [
        {
            "booking": _figures(200, 8, 2),
            "booking-paid": _figures(150, 11, 4),
            "double_booked_slots": {"count": 0},
        },
        {
            "booking": _figures(180, 9, 2),
            "booking-paid": _figures(160, 10, 4),
            "double_booked_slots": {"count": 0},
        },
        {
            "booking": _figures(220, 7, 3),
            "booking-paid": _figures(140, 12, 3),
            "double_booked_slots": {"count": 0},
        },
    ]
    path = tmp_path / "run.json"

    run_report.report(rounds, ["booking", "booking-paid"], _meta(), None, path)

    ratio = json.loads(path.read_text())["booking_paid_vs_free"]
    assert ratio["rps_ratio"] == pytest.approx(150 / 200)
    assert ratio["cpu_ms_ratio"] == pytest.approx(15 / 10)  # median of 15, 14, 15 over 10
    printed = capsys.readouterr().out
    assert "booking-paid" in printed
    assert (
        "paid / free bookings: req/s 150 / 200 = 0.75; CPU ms/req app+db 15.00 / 10.00 = 1.50"
        in printed
    )


def test_no_paid_free_ratio_when_every_doctor_has_the_same_fee(tmp_path, capsys):
    rounds = [
        {
            "booking": _figures(200, 8, 2),
            "booking-paid": _figures(150, 11, 4),
            "double_booked_slots": {"count": 0},
        }
    ]
    path = tmp_path / "run.json"

    run_report.report(rounds, ["booking", "booking-paid"], _meta(doctor_fee=500), None, path)

    assert json.loads(path.read_text())["booking_paid_vs_free"] is None
    assert "paid / free" not in capsys.readouterr().out


def test_a_paid_round_with_errors_misses_its_target(tmp_path):
    rounds = [
        {"booking-paid": _figures(150, 11, 4, non_2xx=3), "double_booked_slots": {"count": 0}}
    ]
    path = tmp_path / "run.json"

    run_report.report(rounds, ["booking-paid"], _meta(), None, path)

    assert json.loads(path.read_text())["targets"]["booking-paid"] == {
        "target": "0 errors",
        "met": False,
    }
