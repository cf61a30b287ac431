"""`manage.py audit_partitions`: create the audit table's monthly partitions ahead of time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.utils import timezone

from audit.partitions import (
    DEFAULT_MONTHS_AHEAD,
    DEFAULT_PARTITION,
    add_months,
    default_partition_count,
    month_start,
    partition_create,
    partition_guard,
    partition_list,
    partitioned,
)

MAX_MONTHS_AHEAD = 120


class Command(BaseCommand):
    help = (
        "Create the audit table's partitions for this month and the next --months-ahead "
        "months (UTC), each with its unique indexes and TRUNCATE trigger, and adds those "
        "to any partition that lacks them. Idempotent: existing months are left alone. "
        "The beat runs it daily. PostgreSQL only; "
        "SQLite keeps one plain table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=DEFAULT_MONTHS_AHEAD,
            help=f"Months after the current one to create (default {DEFAULT_MONTHS_AHEAD}).",
        )

    def handle(self, *args: Any, months_ahead: int, **options: Any) -> None:
        if not 0 <= months_ahead <= MAX_MONTHS_AHEAD:
            raise CommandError(f"--months-ahead must be between 0 and {MAX_MONTHS_AHEAD}.")
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"The database is {connection.vendor}: the audit table is not "
                "partitioned there. Nothing to do."
            )
            return
        try:
            if not partitioned():
                raise CommandError(
                    "The audit table is not partitioned: run `manage.py migrate audit` first."
                )
            first = month_start(timezone.now().date())
            months = [add_months(first, n) for n in range(months_ahead + 1)]
            created, failures = 0, []
            for month in months:
                try:
                    name = partition_create(month=month)
                except DatabaseError as exc:
                    # One month failing (its entries already in the default partition, a
                    # lock not granted) does not stop the months after it.
                    failures.append(f"{month:%Y-%m}: {str(exc).splitlines()[0]}")
                    continue
                if name:
                    created += 1
                    self.stdout.write(f"Created partition {name} for {month:%Y-%m}.")
            for partition in partition_list():
                if not partition.missing_guards:
                    continue
                try:
                    partition_guard(name=partition.name)
                except DatabaseError as exc:
                    failures.append(f"{partition.name}: {str(exc).splitlines()[0]}")
                    continue
                missing = " and ".join(partition.missing_guards)
                self.stdout.write(f"Added the {missing} of partition {partition.name}.")
            strays = default_partition_count()
        except DatabaseError as exc:
            raise CommandError(f"Cannot read the audit partitions: {exc}") from exc
        if strays:
            self.stderr.write(
                self.style.WARNING(
                    f"{strays} entries are in {DEFAULT_PARTITION}: their months have no "
                    "partition of their own."
                )
            )
        if failures:
            raise CommandError("Audit partitions failed: " + "; ".join(failures))
        if not created:
            self.stdout.write(f"Partitions through {months[-1]:%Y-%m} already exist.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Created {created} partitions."))
