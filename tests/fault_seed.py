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
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.production")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import PatientProfile, Role, User  # noqa: E402
from doctors.models import AvailabilitySlot, DoctorProfile  # noqa: E402

# The service logs on the same stdout (queued lines may follow this one).
RESULT_PREFIX = "RESULT "


def main(slot_count: int, patient_count: int, password: str) -> None:
    hashed = make_password(password)
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    with transaction.atomic():
        doctor_user = User.objects.create(
            id=uuid.uuid4(),
            email="fault.doctor@example.com",
            name="Dr Fault",
            role=Role.DOCTOR,
            password=hashed,
        )
        doctor = DoctorProfile.objects.create(
            user=doctor_user,
            specialization="Ayurveda",
            registration_number="FAULT-0001",
            languages=["English"],
            consultation_fee=500,
            experience_years=5,
            is_verified=True,
            verified_at=timezone.now(),
        )
        slots = AvailabilitySlot.objects.bulk_create(
            AvailabilitySlot(
                doctor=doctor,
                start_time=first + dt.timedelta(minutes=30 * n),
                end_time=first + dt.timedelta(minutes=30 * n + 30),
            )
            for n in range(slot_count)
        )
        patients = User.objects.bulk_create(
            User(
                id=uuid.uuid4(),
                email=f"fault.patient{n}@example.com",
                name=f"Patient {n}",
                role=Role.PATIENT,
                password=hashed,
            )
            for n in range(patient_count)
        )
        PatientProfile.objects.bulk_create(PatientProfile(user=p) for p in patients)
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
