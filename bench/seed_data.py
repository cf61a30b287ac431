"""Benchmark data: verified doctors with slots and patients, written straight to the DB.

Run by bench/run.py with the server's environment. Writes doctor ids and slot lists
to the data directory for the wrk scripts; tokens are fetched by run.py through the
public login endpoint.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.production")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import PatientProfile, Role, User  # noqa: E402
from doctors.models import AvailabilitySlot, DoctorProfile  # noqa: E402

DOCTORS = int(os.environ.get("BENCH_DOCTORS", 50))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 200))
READ_DAYS = 7  # the window the availability round reads
BOOKING_DAYS = int(os.environ.get("BENCH_BOOKING_DAYS", 14))  # after it, for bookings
SLOTS_PER_DAY = 16
SLOT_MINUTES = 30
PASSWORD = os.environ.get("BENCH_PASSWORD", "Bench-Password-2025!")
SPECIALIZATIONS = ["Ayurveda", "Dermatology", "General Medicine", "Pediatrics", "Cardiology"]


def main(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    zone = ZoneInfo("Asia/Kolkata")
    first_day = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    password_hash = make_password(PASSWORD)

    with transaction.atomic():
        doctor_users = [
            User(
                id=uuid.uuid4(),
                email=f"bench.doctor{i}@example.com",
                name=f"Dr Bench {i}",
                role=Role.DOCTOR,
                password=password_hash,
            )
            for i in range(DOCTORS)
        ]
        User.objects.bulk_create(doctor_users)
        doctors = [
            DoctorProfile(
                user=user,
                specialization=SPECIALIZATIONS[i % len(SPECIALIZATIONS)],
                registration_number=f"BENCH-{i:04d}",
                languages=["English", "Hindi"],
                consultation_fee=300 + 10 * i,
                experience_years=i % 30,
                is_verified=True,
                verified_at=timezone.now(),
            )
            for i, user in enumerate(doctor_users)
        ]
        DoctorProfile.objects.bulk_create(doctors)

        slots = []
        for doctor in doctors:
            for day_offset in range(READ_DAYS + BOOKING_DAYS):
                day = first_day + dt.timedelta(days=day_offset)
                start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=zone)
                for n in range(SLOTS_PER_DAY):
                    begins = start + dt.timedelta(minutes=SLOT_MINUTES * n)
                    slots.append(
                        AvailabilitySlot(
                            doctor=doctor,
                            start_time=begins,
                            end_time=begins + dt.timedelta(minutes=SLOT_MINUTES),
                        )
                    )
        AvailabilitySlot.objects.bulk_create(slots, batch_size=5000)

        patients = [
            User(
                id=uuid.uuid4(),
                email=f"bench.patient{i}@example.com",
                name=f"Patient {i}",
                role=Role.PATIENT,
                password=password_hash,
            )
            for i in range(PATIENTS)
        ]
        User.objects.bulk_create(patients)
        PatientProfile.objects.bulk_create([PatientProfile(user=p) for p in patients])

    read_end = first_day + dt.timedelta(days=READ_DAYS)
    booking_slots = [s for s in slots if s.start_time.astimezone(zone).date() >= read_end]
    # 20 contended slots per round, never offered to the booking round.
    contention = booking_slots[:60]
    bookable = booking_slots[60:]
    (data_dir / "doctors.txt").write_text("\n".join(str(d.id) for d in doctors) + "\n")
    (data_dir / "patients.txt").write_text("\n".join(p.email for p in patients) + "\n")
    (data_dir / "booking_slots.txt").write_text(
        "\n".join(f"{s.doctor_id},{s.id}" for s in bookable) + "\n"
    )
    for round_no in range(3):
        chunk = contention[round_no * 20 : (round_no + 1) * 20]
        (data_dir / f"contention_slots_{round_no + 1}.txt").write_text(
            "\n".join(f"{s.doctor_id},{s.id}" for s in chunk) + "\n"
        )
    print(f"seeded {len(doctors)} doctors, {len(slots)} slots, {len(patients)} patients")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
