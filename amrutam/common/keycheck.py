"""Whether the configured encryption keys can read the data already stored.

A key that matches no stored value (a typo, another environment's secret) would let the
service start and then fail every request that reads PHI. This check decrypts a small
sample of every encrypted column and names the key ids found in the data next to the
configured ones. It runs at start (`manage.py check_encryption_keys`, which
gunicorn.conf.py runs before the workers start, and the `--database` system checks) and,
cached for KEY_CHECK_CACHE_SECONDS, in `/ready`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, connection

from .fields import EncryptedMixin, EncryptionError, decrypt_text, keyring, stored_key_id

# Values read per encrypted column: enough to tell a wrong key from a right one, few
# enough that the whole check is a few milliseconds.
SAMPLE_PER_COLUMN = 3


class DatabaseUnavailable(Exception):
    """The sample could not be read: the check says nothing about the keys."""


@dataclass(frozen=True)
class KeyCheck:
    sampled: int
    decrypted: int
    stored_key_ids: tuple[str, ...]
    configured_key_ids: tuple[str, ...]
    failures: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True unless values were sampled and not one of them decrypts."""
        return self.sampled == 0 or self.decrypted > 0

    @property
    def partial(self) -> bool:
        return self.decrypted < self.sampled

    def describe(self) -> str:
        stored = ", ".join(self.stored_key_ids) or "none"
        configured = ", ".join(self.configured_key_ids) or "none"
        if self.sampled == 0:
            return "No encrypted value is stored yet."
        summary = (
            f"{self.decrypted} of {self.sampled} sampled encrypted values decrypt. "
            f"Key ids in the data: {stored}; configured (ENCRYPTION_KEY first, then "
            f"ENCRYPTION_KEYS_PREVIOUS): {configured}."
        )
        if not self.ok:
            return (
                "The configured encryption keys cannot decrypt the stored data: "
                f"{summary} Set ENCRYPTION_KEY (or ENCRYPTION_KEYS_PREVIOUS) to the key "
                "the data was written with."
            )
        return summary


def _encrypted_columns() -> list[tuple[str, str, str]]:
    """(table, column, context) of every encrypted field of every installed model."""
    columns: list[tuple[str, str, str]] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue  # a proxy's table is its concrete model's, sampled there
        for model_field in model._meta.local_concrete_fields:
            if isinstance(model_field, EncryptedMixin):
                columns.append(
                    (model._meta.db_table, str(model_field.column), model_field.context())
                )
    return columns


def encryption_keys_check(sample_per_column: int = SAMPLE_PER_COLUMN) -> KeyCheck:
    """Decrypt up to `sample_per_column` stored values of each encrypted column.

    Raise DatabaseUnavailable when the database cannot be read (down, or not migrated).
    Reads the raw column with SQL: the ORM would decrypt on read, and raise on the first
    value that fails.
    """
    ring = keyring()
    configured = (ring.active_id, *[k for k in ring.keys if k != ring.active_id])
    quote = connection.ops.quote_name
    sampled = decrypted = 0
    stored: dict[str, None] = {}
    failures: list[str] = []
    try:
        with connection.cursor() as cursor:
            for table, column, context in _encrypted_columns():
                # Only names from the models' metadata are formatted in.
                cursor.execute(
                    f"SELECT {quote(column)} FROM {quote(table)} "  # noqa: S608  # nosec B608
                    f"WHERE {quote(column)} IS NOT NULL LIMIT %s",
                    [sample_per_column],
                )
                for (value,) in cursor.fetchall():
                    sampled += 1
                    stored.setdefault(stored_key_id(value) or "unknown", None)
                    try:
                        decrypt_text(value, context=context)
                    except EncryptionError:
                        failures.append(context)
                    else:
                        decrypted += 1
    except DatabaseError as exc:
        raise DatabaseUnavailable(type(exc).__name__) from exc
    return KeyCheck(
        sampled=sampled,
        decrypted=decrypted,
        stored_key_ids=tuple(stored),
        configured_key_ids=configured,
        failures=tuple(dict.fromkeys(failures)),
    )


class _Cached:
    """The last check's result for KEY_CHECK_CACHE_SECONDS, per process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.result: KeyCheck | None = None
        self.at = 0.0

    def get(self) -> KeyCheck:
        """The cached result, or a new check's. DatabaseUnavailable if it cannot run."""
        with self.lock:
            fresh = time.monotonic() - self.at < settings.KEY_CHECK_CACHE_SECONDS
            if self.result is not None and fresh:
                return self.result
        result = encryption_keys_check()
        with self.lock:
            self.result, self.at = result, time.monotonic()
        return result

    def forget(self) -> None:
        with self.lock:
            self.result = None


cached_check = _Cached()


def _forget_on_key_change(*, setting: str, **kwargs: object) -> None:
    if setting in ("ENCRYPTION_KEY", "ENCRYPTION_KEYS_PREVIOUS"):
        cached_check.forget()


setting_changed.connect(_forget_on_key_change, dispatch_uid="amrutam_keycheck_forget")
