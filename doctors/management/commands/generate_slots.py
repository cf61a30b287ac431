"""Extend every verified doctor's scheduled slots to the booking horizon (a daily cron)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amrutam.common.exceptions import ApplicationError
from audit.context import audit_actor
from doctors.models import DoctorProfile
from doctors.selectors import doctor_list_schedulable
from doctors.services import MAX_GENERATE_DAYS, slots_generate


class Command(BaseCommand):
    help = (
        "Create the slots of every verified doctor's weekly schedule for the next --days "
        "local days (default BOOKING_HORIZON_DAYS). Existing slots are never touched, so "
        "running it again creates nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help=f"Days ahead, 1-{MAX_GENERATE_DAYS}."
        )
        parser.add_argument("--doctor", default=None, help="Only this doctor (profile id).")

    def handle(self, *args: Any, days: int | None, doctor: str | None, **options: Any) -> None:
        days = settings.BOOKING_HORIZON_DAYS if days is None else days
        if not 1 <= days <= MAX_GENERATE_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_GENERATE_DAYS}.")
        doctors = doctor_list_schedulable()
        if doctor is not None:
            doctors = doctors.filter(pk=self._doctor_id(doctor))

        total = failures = 0
        with audit_actor(label="command:generate_slots"):
            for profile in doctors:
                try:
                    created = slots_generate(doctor_id=profile.pk, days=days)
                except ApplicationError as exc:
                    failures += 1
                    self.stderr.write(f"{profile.pk} {profile}: failed: {exc.message}")
                    continue
                total += len(created)
                self.stdout.write(f"{profile.pk} {profile}: {len(created)} slots created")
        self.stdout.write(f"Created {total} slots.")
        if failures:
            raise CommandError(f"Slot generation failed for {failures} doctor(s).")

    def _doctor_id(self, raw: str) -> uuid.UUID:
        try:
            doctor_id = uuid.UUID(raw)
        except ValueError as exc:
            raise CommandError(
                f"--doctor must be a doctor profile id (UUID), not {raw!r}."
            ) from exc
        profile = DoctorProfile.objects.filter(pk=doctor_id).select_related("user").first()
        if profile is None:
            raise CommandError(f"No doctor with id {doctor_id}.")
        if not doctor_list_schedulable().filter(pk=doctor_id).exists():
            raise CommandError(
                f"Doctor {doctor_id} is not verified, is deactivated or has no weekly schedule."
            )
        return doctor_id
