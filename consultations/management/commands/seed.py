"""Demo data for a trial run: an admin, verified doctors and patients. Idempotent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from doctors.models import DoctorProfile

DEMO_PASSWORD = "Amrutam-Demo-2025!"  # noqa: S105 - public demo login
ADMIN = ("admin@amrutam.example", "Clinic Admin")
DOCTORS = [
    (
        "dr.sharma@amrutam.example",
        "Dr Asha Sharma",
        "Ayurveda",
        "KA-AYU-1021",
        ["English", "Hindi"],
        Decimal("500.00"),
        12,
    ),
    (
        "dr.iyer@amrutam.example",
        "Dr Ravi Iyer",
        "Dermatology",
        "TN-DER-2203",
        ["English", "Tamil"],
        Decimal("800.00"),
        8,
    ),
    (
        "dr.khan@amrutam.example",
        "Dr Sara Khan",
        "General Medicine",
        "DL-GEN-3310",
        ["English", "Hindi", "Urdu"],
        Decimal("400.00"),
        5,
    ),
]
PATIENTS = [
    ("priya@amrutam.example", "Priya Patel"),
    ("arjun@amrutam.example", "Arjun Rao"),
    ("meera@amrutam.example", "Meera Nair"),
]


class Command(BaseCommand):
    help = "Load demo data (admin, verified doctors, patients). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Allow running with production settings (never do this on real data).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if settings.SETTINGS_MODULE.endswith(".production") and not force:
            raise CommandError(
                "Refusing to load demo data with production settings; "
                "pass --force if you really mean it."
            )
        with transaction.atomic():
            self._user(*ADMIN, role=Role.ADMIN, staff=True)
            for email, name, spec, reg, langs, fee, years in DOCTORS:
                user = self._user(email, name, role=Role.DOCTOR)
                DoctorProfile.objects.get_or_create(
                    user=user,
                    defaults={
                        "specialization": spec,
                        "registration_number": reg,
                        "qualifications": "BAMS, MD",
                        "languages": langs,
                        "consultation_fee": fee,
                        "experience_years": years,
                        "is_verified": True,
                        "verified_at": timezone.now(),
                    },
                )
            for email, name in PATIENTS:
                user = self._user(email, name, role=Role.PATIENT)
                PatientProfile.objects.get_or_create(user=user)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):")
        )
        self.stdout.write(f"  admin    {ADMIN[0]}  (back office: /admin/)")
        for email, *_ in DOCTORS:
            self.stdout.write(f"  doctor   {email}")
        for email, _ in PATIENTS:
            self.stdout.write(f"  patient  {email}")

    def _user(self, email: str, name: str, *, role: str, staff: bool = False) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user:
            return user
        if staff:
            return User.objects.create_superuser(email, DEMO_PASSWORD, name=name)
        return User.objects.create_user(email, DEMO_PASSWORD, name=name, role=role)
