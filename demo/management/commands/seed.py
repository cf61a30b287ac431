"""Demo data for a trial run: an admin, verified doctors with weekly schedules, patients
and a few booked consultations. Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from audit.context import audit_actor
from consultations.models import Consultation
from consultations.services import consultation_book
from doctors.models import AvailabilitySlot, DoctorProfile, ScheduleRule, SlotStatus
from doctors.scheduling import Rule
from doctors.services import schedule_update, slots_generate

DEMO_PASSWORD = "Amrutam-Demo-2025!"  # noqa: S105 - public demo login  # nosec B105
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
# Monday to Saturday, 09:00-13:00 and 17:00-19:00 in the doctor's time zone.
WEEKLY_RULES = [
    Rule(weekday, start * 60, end * 60)
    for weekday in range(6)
    for start, end in ((9, 13), (17, 19))
]
SCHEDULE_DAYS = 7
DEMO_REASONS = [
    "Recurring joint pain in the mornings.",
    "Dry skin patches on both forearms.",
    "Follow-up on seasonal allergies.",
]
PATIENTS = [
    ("priya@amrutam.example", "Priya Patel"),
    ("arjun@amrutam.example", "Arjun Rao"),
    ("meera@amrutam.example", "Meera Nair"),
]


class Command(BaseCommand):
    help = (
        "Load demo data (admin, verified doctors with schedules, patients, consultations). "
        "Safe to run again."
    )

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
        with transaction.atomic(), audit_actor(label="command:seed"):
            self._user(*ADMIN, role=Role.ADMIN, staff=True)
            doctors = []
            for email, name, spec, reg, langs, fee, years in DOCTORS:
                user = self._user(email, name, role=Role.DOCTOR)
                doctor, _ = DoctorProfile.objects.get_or_create(
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
                self._schedule(doctor)
                doctors.append(doctor)
            patients = []
            for email, name in PATIENTS:
                user = self._user(email, name, role=Role.PATIENT)
                PatientProfile.objects.get_or_create(user=user)
                patients.append(user)
            booked = sum(
                self._consultation(patient, doctor, reason)
                for patient, doctor, reason in zip(patients, doctors, DEMO_REASONS, strict=True)
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):")
        )
        if booked:
            self.stdout.write(f"  ({booked} demo consultation(s) booked)")
        self.stdout.write(f"  admin    {ADMIN[0]}  (back office: /admin/)")
        for email, *_ in DOCTORS:
            self.stdout.write(f"  doctor   {email}")
        for email, _ in PATIENTS:
            self.stdout.write(f"  patient  {email}")

    def _schedule(self, doctor: DoctorProfile) -> None:
        """Give the doctor the demo weekly rules once; later runs only extend the slots."""
        owner = doctor.user
        if ScheduleRule.objects.filter(doctor=doctor).exists():
            slots_generate(doctor_id=doctor.pk, days=SCHEDULE_DAYS, generated_by=owner)
            return
        schedule_update(
            doctor=doctor,
            timezone_name=doctor.timezone,
            slot_minutes=doctor.slot_minutes,
            rules=WEEKLY_RULES,
            updated_by=owner,
        )

    def _consultation(self, patient: User, doctor: DoctorProfile, reason: str) -> int:
        """Book the patient's first free slot with `doctor` from tomorrow, unless they have one."""
        if Consultation.objects.filter(patient=patient).exists():
            return 0
        tomorrow = timezone.now() + dt.timedelta(days=1)
        slot = (
            AvailabilitySlot.objects.filter(
                doctor=doctor, status=SlotStatus.AVAILABLE, start_time__gte=tomorrow
            )
            .order_by("start_time")
            .first()
        )
        if slot is None:
            return 0
        consultation_book(patient=patient, doctor_id=doctor.pk, slot_id=slot.pk, reason=reason)
        return 1

    def _user(self, email: str, name: str, *, role: str, staff: bool = False) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user:
            return user
        if staff:
            return User.objects.create_superuser(email, DEMO_PASSWORD, name=name)
        return User.objects.create_user(email, DEMO_PASSWORD, name=name, role=role)
