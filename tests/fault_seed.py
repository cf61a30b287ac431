"""Seed a private database for the fault tests; print the ids as one RESULT line.

Run as a script with the server's environment (production settings): one verified
doctor with `slots` free slots from tomorrow on, and `patients` patients who share
one password. Usage: fault_seed.py SLOTS PATIENTS PASSWORD
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.production")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.population import doctors_create, patients_create  # noqa: E402
from doctors.models import AvailabilitySlot  # noqa: E402

# The service logs on the same stdout (queued lines may follow this one).
RESULT_PREFIX = "RESULT "


def main(slot_count: int, patient_count: int, password: str) -> None:
    hashed = make_password(password)
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    with transaction.atomic():
        (doctor,) = doctors_create(
            prefix="fault", count=1, password_hash=hashed, specializations=["Ayurveda"]
        )
        # Back to back from tomorrow, round the clock: one doctor holds them all.
        slots = AvailabilitySlot.objects.bulk_create(
            AvailabilitySlot(
                doctor=doctor,
                start_time=first + dt.timedelta(minutes=30 * n),
                end_time=first + dt.timedelta(minutes=30 * n + 30),
            )
            for n in range(slot_count)
        )
        patients = patients_create(prefix="fault", count=patient_count, password_hash=hashed)
    print(
        RESULT_PREFIX
        + json.dumps(
            {
                "doctor": str(doctor.pk),
                "slots": [str(s.pk) for s in slots],
                "patients": [p.email for p in patients],
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
