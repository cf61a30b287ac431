"""Delete idempotency records older than IDEMPOTENCY_WINDOW_HOURS (they replay nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from audit.context import audit_actor
from consultations.idempotency import idempotency_records_purge
from consultations.selectors import idempotency_record_list_older_than


class Command(BaseCommand):
    help = (
        "Delete idempotency records older than IDEMPOTENCY_WINDOW_HOURS (default 24): past "
        "their window they are never replayed. Meant for a daily cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_WINDOW_HOURS)
        if dry_run:
            count = idempotency_record_list_older_than(cutoff=cutoff).count()
            self.stdout.write(f"Would delete {count} idempotency record(s).")
            return
        with audit_actor(label="command:purge_idempotency_keys"):
            deleted = idempotency_records_purge(older_than=cutoff)
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} idempotency record(s)."))
