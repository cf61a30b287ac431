"""Re-encrypt every encrypted column of every model with the active ENCRYPTION_KEY."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from amrutam.common.fields import (
    EncryptionError,
    blind_index_of,
    decrypt_text,
    encrypt_text,
    keyring,
    stored_key_id,
)
from audit.context import audit_actor


@dataclass(frozen=True)
class Target:
    model: Any
    fields: list[Any]

    @property
    def label(self) -> str:
        return str(self.model._meta.label)


def encrypted_targets() -> list[Target]:
    """Every concrete model with encrypted columns, each table once."""
    targets = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.local_concrete_fields if getattr(f, "encrypted", False)]
        if fields:
            targets.append(Target(model=model, fields=fields))
    return targets


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column of every model with the active ENCRYPTION_KEY "
        "and recompute keyed-hash columns. Resumable: only values stored under another key "
        "are rewritten. Run it after every process has the new ENCRYPTION_KEY and the old "
        "one in ENCRYPTION_KEYS_PREVIOUS; afterwards the old key can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count and test-decrypt; write nothing."
        )

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            self.active = keyring().active_id
        except EncryptionError as exc:
            raise CommandError(str(exc)) from exc
        self.dry_run = dry_run
        total = 0
        with audit_actor(label="command:rotate_encryption_key"):
            for target in encrypted_targets():
                total += self._rotate(target, batch_size)
        if dry_run:
            self.stdout.write(
                f"Dry run: {total} row(s) would be re-encrypted to key {self.active}."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Done: {total} row(s) re-encrypted; every value now uses key {self.active}."
                )
            )

    def _sql(self, target: Target) -> tuple[str, str, str]:
        qn = connection.ops.quote_name
        table = qn(target.model._meta.db_table)
        pk = qn(target.model._meta.pk.column)
        columns = ", ".join(qn(f.column) for f in target.fields)
        return table, pk, columns

    def _rotate(self, target: Target, batch_size: int) -> int:
        table, pk, columns = self._sql(target)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - quoted identifiers  # nosec B608
            count = cursor.fetchone()[0]
        scanned = rewritten = 0
        last_pk: Any = None
        while True:
            # Keyset pagination by primary key: each batch is one short statement,
            # and a rerun after an interruption skips rows already on the active key.
            where = f"WHERE {pk} > %s " if last_pk is not None else ""
            params = [last_pk] if last_pk is not None else []
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {pk}, {columns} FROM {table} {where}ORDER BY {pk} LIMIT %s",  # noqa: S608  # nosec B608
                    [*params, batch_size],
                )
                rows = cursor.fetchall()
            if not rows:
                break
            last_pk = rows[-1][0]
            scanned += len(rows)
            stale = [row[0] for row in rows if self._is_stale(row[1:])]
            if stale:
                rewritten += self._rewrite(target, stale)
            verb = "to re-encrypt" if self.dry_run else "re-encrypted"
            self.stdout.write(f"{target.label}: {scanned}/{count} scanned, {rewritten} {verb}")
        if scanned == 0:
            self.stdout.write(f"{target.label}: no rows")
        return rewritten

    def _is_stale(self, values: tuple[Any, ...]) -> bool:
        return any(v is not None and stored_key_id(v) != self.active for v in values)

    def _rewrite(self, target: Target, pks: list[Any]) -> int:
        table, pk, columns = self._sql(target)
        placeholders = ", ".join(["%s"] * len(pks))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(), connection.cursor() as cursor:
            # Re-read under a row lock so that a value written by the application
            # since the scan is not overwritten with an older one.
            cursor.execute(
                f"SELECT {pk}, {columns} FROM {table} WHERE {pk} IN ({placeholders}){lock}",  # noqa: S608  # nosec B608
                pks,
            )
            changed = 0
            for row in cursor.fetchall():
                updates = self._updates(target, row)
                if not updates:
                    continue
                changed += 1
                if self.dry_run:
                    continue
                qn = connection.ops.quote_name
                assignments = ", ".join(f"{qn(column)} = %s" for column in updates)
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608  # nosec B608
                    [*updates.values(), row[0]],
                )
        return changed

    def _updates(self, target: Target, row: tuple[Any, ...]) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        plain: dict[str, Any] = {}
        for field, stored in zip(target.fields, row[1:], strict=True):
            if stored is None:
                plain[field.name] = None
                continue
            try:
                text = decrypt_text(stored, context=field.context())
            except EncryptionError as exc:
                raise CommandError(
                    f"{target.label} {row[0]}: {field.name} cannot be decrypted with the "
                    "configured keys (is the old key in ENCRYPTION_KEYS_PREVIOUS?)."
                ) from exc
            plain[field.name] = field.from_text(text)
            if stored_key_id(stored) != self.active:
                updates[field.column] = encrypt_text(text, context=field.context())
        if not updates:
            return updates
        model = target.model
        for hash_field, source in getattr(model, "BLIND_INDEXES", {}).items():
            if source in plain:
                column = model._meta.get_field(hash_field).column
                updates[column] = blind_index_of(model, source, plain[source])
        return updates
