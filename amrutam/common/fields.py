"""Encrypted model fields (AES-256-GCM) and keyed hashes for exact lookup of PHI.

Stored form: ``v1:<key id>:<base64(nonce || ciphertext+tag)>``. Each value gets a
random 96-bit nonce; the model label and field name are bound as associated data,
so a value copied into another column does not decrypt. ``ENCRYPTION_KEY`` encrypts;
it and every key in ``ENCRYPTION_KEYS_PREVIOUS`` decrypt, which is what rotation needs.
This is the only module that imports the encryption library.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

PREFIX = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class EncryptionError(Exception):
    """A stored value cannot be decrypted with any configured key, or no key is set."""


class EncryptedLookupError(TypeError):
    """Encrypted columns cannot be filtered: the ciphertext never equals the value."""


def parse_key(value: str) -> bytes:
    """Return the 32 key bytes of `value`: 32 characters raw, else base64 of 32 bytes."""
    if len(value) == KEY_BYTES:
        return value.encode("utf-8") if value.isascii() else b""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(
            "An encryption key must be 32 characters or standard base64 of 32 bytes."
        )
    return raw


def key_id(key: bytes) -> str:
    """A short, non-secret name of `key`, stored with every value it encrypts."""
    return hashlib.sha256(b"amrutam-key-id:" + key).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    active_id: str
    keys: dict[str, AESGCM]
    hmac_key: bytes


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The configured keys, parsed once per process (reset when settings change)."""
    active = getattr(settings, "ENCRYPTION_KEY", None)
    if not active:
        raise EncryptionError("ENCRYPTION_KEY is not set: PHI cannot be read or written.")
    active_key = parse_key(active)
    keys = {key_id(active_key): AESGCM(active_key)}
    for previous in getattr(settings, "ENCRYPTION_KEYS_PREVIOUS", []) or []:
        if previous.strip():
            raw = parse_key(previous.strip())
            keys.setdefault(key_id(raw), AESGCM(raw))
    # A separate key for keyed hashes, so a hash never reveals anything about the
    # encryption key. It follows the active key: rotation recomputes the hashes.
    hmac_key = hmac.new(active_key, b"amrutam-blind-index-v1", "sha256").digest()
    return Keyring(active_id=key_id(active_key), keys=keys, hmac_key=hmac_key)


@receiver(setting_changed)
def _reset_keyring(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ENCRYPTION_KEY", "ENCRYPTION_KEYS_PREVIOUS"):
        keyring.cache_clear()


def encrypt_text(plaintext: str, *, context: str) -> str:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.keys[ring.active_id].encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    payload = base64.b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{ring.active_id}:{payload}"


def decrypt_text(stored: str, *, context: str) -> str:
    try:
        prefix, kid, payload = stored.split(":", 2)
        blob = base64.b64decode(payload, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise EncryptionError(f"{context}: stored value is not an encrypted value.") from exc
    if prefix != PREFIX or len(blob) <= NONCE_BYTES:
        raise EncryptionError(f"{context}: stored value is not an encrypted value.")
    cipher = keyring().keys.get(kid)
    if cipher is None:
        raise EncryptionError(
            f"{context}: encrypted with key {kid}, which is not configured "
            "(ENCRYPTION_KEY / ENCRYPTION_KEYS_PREVIOUS)."
        )
    try:
        plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise EncryptionError(
            f"{context}: value failed authentication (wrong key or moved column)."
        ) from exc
    return plain.decode("utf-8")


def stored_key_id(stored: str | None) -> str | None:
    """The key id a stored value was encrypted with (None for NULL)."""
    if stored is None:
        return None
    return stored.split(":", 2)[1] if stored.count(":") >= 2 else None


def blind_index(value: str | None, *, purpose: str) -> str | None:
    """Keyed hash (HMAC-SHA256) of a normalised value, for exact lookups of PHI."""
    if value is None or value == "":
        return None
    normalised = " ".join(value.split()).lower()
    mac = hmac.new(keyring().hmac_key, f"{purpose}:{normalised}".encode(), "sha256")
    return mac.hexdigest()


class EncryptedMixin:
    """Turns a Python value into ciphertext on the way in and back on the way out."""

    description = "Encrypted value (AES-256-GCM)"
    encrypted = True

    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"  # type: ignore[attr-defined]

    # Subclasses turn their Python value into text and back.
    def to_text(self, value: Any) -> str:
        raise NotImplementedError

    def from_text(self, text: str) -> Any:
        raise NotImplementedError

    def get_internal_type(self) -> str:
        return "TextField"

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_text(self.to_text(value), context=self.context())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.from_text(decrypt_text(value, context=self.context()))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)  # type: ignore[misc]
        raise EncryptedLookupError(
            f"{self.context()} is encrypted and cannot be filtered with "
            f"'{lookup_name}'; use a keyed-hash column for exact lookups."
        )

    def get_transform(self, lookup_name: str) -> Any:
        raise EncryptedLookupError(f"{self.context()} is encrypted and has no transforms.")


class EncryptedTextField(EncryptedMixin, models.TextField):
    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> str:
        return text

    def to_python(self, value: Any) -> Any:
        return value if value is None else str(value)


class EncryptedDateField(EncryptedMixin, models.TextField):
    def to_text(self, value: Any) -> str:
        return self.to_python(value).isoformat()

    def from_text(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            from django.core.exceptions import ValidationError

            raise ValidationError("Enter a valid date (YYYY-MM-DD).") from exc

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return forms.DateField(**{"required": not self.blank, **kwargs})


class EncryptedJSONField(EncryptedMixin, models.TextField):
    def to_text(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)

    def from_text(self, text: str) -> Any:
        return json.loads(text)

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: Any) -> str:
        return self.to_text(self.value_from_object(obj))
