"""Benchmark data: verified doctors with slots and patients, written straight to the DB.

Run by bench/run.py with the server's environment. Writes doctor ids and slot lists
to the data directory for the wrk scripts: the free doctors' slots for the booking and
contention rounds, the paid doctors' for the paid booking round. Tokens are fetched by
run.py through the public login endpoint.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.production")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.population import (  # noqa: E402
    day_slots_create,
    doctors_create,
    patients_create,
)

DOCTORS = int(os.environ.get("BENCH_DOCTORS", 50))
# The last of them charge a fee: their slots are the booking-paid round's supply.
PAID_DOCTORS = int(os.environ.get("BENCH_PAID_DOCTORS", 10))
PAID_FEE = int(os.environ.get("BENCH_PAID_FEE", 500))  # rupees
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 200))
READ_DAYS = 7  # the window the availability round reads
BOOKING_DAYS = int(os.environ.get("BENCH_BOOKING_DAYS", 14))  # after it, for bookings
SLOTS_PER_DAY = 16
PASSWORD = os.environ.get("BENCH_PASSWORD", "Bench-Password-2025!")
SPECIALIZATIONS = ["Ayurveda", "Dermatology", "General Medicine", "Pediatrics", "Cardiology"]


def main(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    zone = ZoneInfo("Asia/Kolkata")
    first_day = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    password_hash = make_password(PASSWORD)

    with transaction.atomic():
        doctors = doctors_create(
            prefix="bench",
            count=DOCTORS,
            password_hash=password_hash,
            specializations=SPECIALIZATIONS,
            paid=PAID_DOCTORS,
            fee=PAID_FEE,
        )
        slots = day_slots_create(
            doctors,
            first_day=first_day,
            days=READ_DAYS + BOOKING_DAYS,
            per_day=SLOTS_PER_DAY,
            zone=zone,
        )
        patients = patients_create(prefix="bench", count=PATIENTS, password_hash=password_hash)

    read_end = first_day + dt.timedelta(days=READ_DAYS)
    paid = {d.pk for d in doctors if d.consultation_fee > 0}
    booking_slots = [s for s in slots if s.start_time.astimezone(zone).date() >= read_end]
    free_slots = [s for s in booking_slots if s.doctor_id not in paid]
    # 20 contended slots per round, never offered to the booking round.
    contention = free_slots[:60]
    bookable = free_slots[60:]
    (data_dir / "doctors.txt").write_text("\n".join(str(d.id) for d in doctors) + "\n")
    (data_dir / "patients.txt").write_text("\n".join(p.email for p in patients) + "\n")
    for name, chosen in (
        ("booking_slots.txt", bookable),
        ("booking_paid_slots.txt", [s for s in booking_slots if s.doctor_id in paid]),
    ):
        (data_dir / name).write_text("\n".join(f"{s.doctor_id},{s.id}" for s in chosen) + "\n")
    for round_no in range(3):
        chunk = contention[round_no * 20 : (round_no + 1) * 20]
        (data_dir / f"contention_slots_{round_no + 1}.txt").write_text(
            "\n".join(f"{s.doctor_id},{s.id}" for s in chunk) + "\n"
        )
    print(
        f"seeded {len(doctors)} doctors ({len(paid)} paid, ₹{PAID_FEE} each), {len(slots)} "
        f"slots, {len(patients)} patients"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
