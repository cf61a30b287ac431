"""Mark PENDING consultations as NO_SHOW once NO_SHOW_GRACE_MINUTES have passed since start."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from amrutam.common.exceptions import ApplicationError
from audit.context import audit_actor
from consultations.selectors import consultation_list_missed
from consultations.services import consultation_mark_no_show


class Command(BaseCommand):
    help = (
        "Mark pending consultations as no-show once NO_SHOW_GRACE_MINUTES have passed since "
        "their start. Safe to run often (e.g. every 5 minutes from cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be marked."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        grace = dt.timedelta(minutes=settings.NO_SHOW_GRACE_MINUTES)
        missed = consultation_list_missed(started_before=timezone.now() - grace)
        if dry_run:
            self.stdout.write(f"Would mark {missed.count()} consultation(s) as no-show.")
            return
        marked = skipped = 0
        with audit_actor(label="command:mark_no_shows"):
            for consultation_id in missed.values_list("pk", flat=True).iterator():
                try:
                    # The service re-checks under its lock: a consultation started or
                    # cancelled since the query above is left alone.
                    consultation_mark_no_show(consultation_id=consultation_id, marked_by=None)
                    marked += 1
                except ApplicationError:
                    skipped += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Marked {marked} consultation(s) as no-show; {skipped} changed meanwhile."
            )
        )
