"""`manage.py verify_audit_log`: walk the hash chain; exit non-zero at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import seal_pending, verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit trail's SHA-256 hash chain. Seals committed entries still "
        "waiting for the chain first (unless --no-seal), then recomputes every hash in "
        "chain order and reports the first entry that was altered, removed or re-linked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Only read: do not seal pending entries before verifying.",
        )

    def handle(self, *args: Any, no_seal: bool, **options: Any) -> None:
        if not no_seal:
            sealed = seal_pending()
            if sealed:
                self.stdout.write(f"Sealed {sealed} pending entries.")
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at entry {report.broken_entry_id} "
                f"(seq {report.broken_seq}): {report.problem}. "
                f"{report.checked} entries before it are intact."
            )
        if report.unsealed:
            self.stderr.write(
                self.style.WARNING(f"{report.unsealed} entries are not sealed into the chain yet.")
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} entries, "
                f"last seq {report.last_seq}, head {report.last_hash}."
            )
        )
