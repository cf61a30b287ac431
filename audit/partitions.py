"""The monthly partitions of the audit table (PostgreSQL): listing, checking, creating ahead.

The table is range-partitioned by month of `timestamp` (UTC), with a default partition
for entries outside every created month (audit/migrations/0003_partition_by_month.py).
Months are created ahead by `manage.py audit_partitions`, daily on the beat, through the
database function `audit_entry_partition_create()`, which the migration defines so that
both make a partition the same way: the partition, its unique indexes on `seq` and
`logentry_id`, and its own TRUNCATE trigger (statement triggers are not inherited).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from .models import AuditEntry

DEFAULT_PARTITION = "audit_auditentry_default"
DEFAULT_MONTHS_AHEAD = 3
# Creating a partition takes an ACCESS EXCLUSIVE lock on the audit table, so every
# audited write queues behind it while it waits for the transactions already writing.
# Giving up after this long keeps that queue short; the next daily run tries again, and
# the months ahead leave weeks of slack.
PARTITION_LOCK_TIMEOUT = "3s"
# What every partition must carry besides what PostgreSQL clones from the table itself.
GUARD_TRIGGER = "audit_entry_no_truncate"
GUARD_INDEX_COLUMNS = ("seq", "logentry_id")


@dataclass(frozen=True)
class Partition:
    name: str
    # The month's first instant and the next month's (None for the default partition).
    lower: dt.datetime | None
    upper: dt.datetime | None
    # Guards it lacks: "TRUNCATE trigger", "unique index on seq", ...
    missing_guards: tuple[str, ...] = ()


def partitioned() -> bool:
    """Whether the audit table is partitioned (PostgreSQL once 0003 ran; never SQLite)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)",
            [AuditEntry._meta.db_table],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_list() -> list[Partition]:
    """Every partition of the audit table, oldest month first, the default one last."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   pg_get_expr(c.relpartbound, c.oid),
                   EXISTS (SELECT 1 FROM pg_trigger t
                           WHERE t.tgrelid = c.oid AND t.tgname = %s AND t.tgenabled <> 'D'),
                   ARRAY(SELECT a.attname FROM pg_index i
                         JOIN pg_attribute a
                           ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                         WHERE i.indrelid = c.oid AND i.indisunique AND i.indnatts = 1
                           AND i.indpred IS NULL)
            FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
            WHERE h.inhparent = to_regclass(%s)
            """,
            [GUARD_TRIGGER, AuditEntry._meta.db_table],
        )
        rows = cursor.fetchall()
    partitions = []
    for name, bound, has_trigger, unique_columns in rows:
        missing = [] if has_trigger else ["TRUNCATE trigger"]
        missing += [f"unique index on {c}" for c in GUARD_INDEX_COLUMNS if c not in unique_columns]
        partitions.append(Partition(name, *_bounds(bound), missing_guards=tuple(missing)))
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(partitions, key=lambda p: (p.lower or far_future, p.name))


# "FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')" (the
# connection's time zone is UTC), or "DEFAULT".
_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


def _bounds(expression: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    match = _BOUND.search(expression)
    if not match:
        return None, None
    lower, upper = (parse_datetime(text) for text in match.groups())
    return lower, upper


def partition_create(*, month: dt.date) -> str | None:
    """Create the partition of `month`; its name, or None when it already exists.

    Raises django.db.DatabaseError when it cannot: entries of that month are already in
    the default partition, or the table lock was not granted in time.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{PARTITION_LOCK_TIMEOUT}'")
        cursor.execute("SELECT audit_entry_partition_create(%s)", [month_start(month)])
        row = cursor.fetchone()
    return row[0] if row else None


def partition_guard(*, name: str) -> None:
    """Give partition `name` the unique indexes and TRUNCATE trigger it lacks."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{PARTITION_LOCK_TIMEOUT}'")
        cursor.execute("SELECT audit_entry_partition_guard(%s)", [name])


def default_partition_count() -> int:
    """Entries outside every created month (they belong in a partition of their own)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{DEFAULT_PARTITION}"')  # noqa: S608  # nosec B608
        row = cursor.fetchone()
    return int(row[0]) if row else 0
