"""manage.py enforce_retention: erase erased patients' clinical records once retention ends."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.context import audit_actor
from privacy.services import retention_enforce


class Command(BaseCommand):
    help = (
        "Erase the health information of erased patients whose retention date "
        "(MEDICAL_RECORD_RETENTION_YEARS after their last consultation) has passed, "
        "except patients under a legal hold. Safe to run repeatedly (daily)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with audit_actor(label="command:enforce_retention"):
                report = retention_enforce()
        except Exception as exc:
            raise CommandError(f"retention enforcement failed: {exc.__class__.__name__}") from exc
        self.stdout.write(
            f"erased clinical records of {len(report.erased)} patient(s); "
            f"{len(report.held)} held by a legal hold"
        )
