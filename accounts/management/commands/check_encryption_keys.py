"""Check that the configured encryption keys decrypt a sample of the stored values.

Exit 0 when they do (or nothing is stored yet), 1 when none of the sampled values
decrypts, 2 when the database cannot be read. gunicorn.conf.py runs it before starting
the workers, so a wrong key stops the start instead of failing every request.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amrutam.common.keycheck import SAMPLE_PER_COLUMN, DatabaseUnavailable, encryption_keys_check

EXIT_WRONG_KEY = 1
EXIT_DATABASE_UNAVAILABLE = 2


class Command(BaseCommand):
    help = "Check that ENCRYPTION_KEY / ENCRYPTION_KEYS_PREVIOUS decrypt the stored data."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sample",
            type=int,
            default=SAMPLE_PER_COLUMN,
            help=f"values read per encrypted column (default {SAMPLE_PER_COLUMN})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sample"] < 1:
            self.stderr.write("--sample must be at least 1.")
            sys.exit(EXIT_WRONG_KEY)
        try:
            result = encryption_keys_check(options["sample"])
        except DatabaseUnavailable as exc:
            self.stderr.write(f"Cannot read the database to check the encryption keys ({exc}).")
            sys.exit(EXIT_DATABASE_UNAVAILABLE)
        if not result.ok:
            self.stderr.write(result.describe())
            sys.exit(EXIT_WRONG_KEY)
        if result.partial:
            self.stderr.write(
                f"WARNING: {result.describe()} Unreadable: {', '.join(result.failures)}."
            )
        self.stdout.write(f"Encryption keys OK. {result.describe()}")
