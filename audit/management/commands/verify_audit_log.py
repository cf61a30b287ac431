"""`manage.py verify_audit_log`: walk the hash chain; exit non-zero at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.chain import seal_pending, verify_chain
from audit.partitions import partition_list, partitioned


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
        spread = self._check_partitions()
        if report.unsealed:
            self.stderr.write(
                self.style.WARNING(f"{report.unsealed} entries are not sealed into the chain yet.")
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} entries, "
                f"last seq {report.last_seq}, head {report.last_hash}{spread}."
            )
        )

    def _check_partitions(self) -> str:
        """Fail on a partition without its guards; name how many partitions were walked."""
        if not partitioned():
            return ""
        partitions = partition_list()
        # A partition attached by hand lacks what only audit_entry_partition_create()
        # adds: TRUNCATE would empty it, and seq would not be unique within it.
        unguarded = [
            f"{p.name} lacks its {' and '.join(p.missing_guards)}"
            for p in partitions
            if p.missing_guards
        ]
        if unguarded:
            raise CommandError(
                "Audit partitions unprotected: "
                + "; ".join(unguarded)
                + ". Run `manage.py audit_partitions` to add them."
            )
        now = timezone.now()
        if not any(p.lower and p.upper and p.lower <= now < p.upper for p in partitions):
            self.stderr.write(
                self.style.WARNING(
                    "This month has no audit partition: new entries go to the default "
                    "partition. Run `manage.py audit_partitions`."
                )
            )
        return f", across {len(partitions)} partitions"
