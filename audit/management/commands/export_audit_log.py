"""`manage.py export_audit_log`: stream the audit trail of a time window as JSON lines or CSV."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from amrutam.common.contract.window import BadBound, parse_bound
from audit.chain import HASHED_FIELDS
from audit.models import AuditEntry

# Every hashed column, then the chain: an archive can be verified on its own.
COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash")
CHUNK_SIZE = 2000


def _plain(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "timestamp":
        return value.isoformat().replace("+00:00", "Z")
    if name in ("actor_id", "subject_id"):
        return str(value)
    return value


class Command(BaseCommand):
    help = (
        "Export audit entries with from <= timestamp < to, oldest first, for auditors. "
        "Streams rows at constant memory, whatever the size of the window. Hash-chain "
        "columns are included so the export can be checked on its own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="since",
            required=True,
            help="Start: YYYY-MM-DD (UTC) or an ISO 8601 timestamp with offset.",
        )
        parser.add_argument(
            "--to",
            dest="until",
            required=True,
            help="End: YYYY-MM-DD (that whole UTC day included) or a timestamp with offset.",
        )
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args: Any, since: str, until: str, **options: Any) -> None:
        try:
            start = parse_bound(since, end=False)
            end = parse_bound(until, end=True)
        except BadBound as exc:
            raise CommandError(f"Bad --from/--to: {exc}") from exc
        if start >= end:
            raise CommandError("--from must be before --to.")

        with ExitStack() as stack:
            if options.get("output"):
                try:
                    out: TextIO = stack.enter_context(
                        open(options["output"], "w", encoding="utf-8", newline="")
                    )
                except OSError as exc:
                    raise CommandError(f"Cannot write {options['output']}: {exc}") from exc
            else:
                out = cast(TextIO, self.stdout)
            # A server-side cursor lives inside a transaction, so rows stream in chunks
            # instead of being held by the client or materialised at commit.
            stack.enter_context(transaction.atomic())
            try:
                count = self._write(out, options["format"], self._rows(start, end))
            except BrokenPipeError:
                # The reader stopped early (`| head`): not an error of the export.
                # Point stdout at /dev/null so the final flush cannot fail again.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
        self.stderr.write(f"Exported {count} entries.")

    def _rows(self, start: Any, end: Any) -> Iterator[tuple[Any, ...]]:
        entries = (
            AuditEntry.objects.filter(timestamp__gte=start, timestamp__lt=end)
            .order_by("id")
            .values_list(*COLUMNS)
        )
        return entries.iterator(chunk_size=CHUNK_SIZE)

    def _write(self, out: TextIO, fmt: str, rows: Iterator[tuple[Any, ...]]) -> int:
        count = 0
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            for row in rows:
                values = [_plain(n, v) for n, v in zip(COLUMNS, row, strict=True)]
                changes_at = COLUMNS.index("changes")
                if values[changes_at] is not None:
                    values[changes_at] = json.dumps(values[changes_at], sort_keys=True)
                writer.writerow(["" if v is None else v for v in values])
                count += 1
        else:
            for row in rows:
                record = {n: _plain(n, v) for n, v in zip(COLUMNS, row, strict=True)}
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                count += 1
        return count
