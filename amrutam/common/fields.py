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
    if len(value) == KEY_BYTES and value.isascii():
        return value.encode("ascii")
    # 32 non-ASCII characters are more than 32 bytes: such a value is refused below
    # rather than handed to AESGCM as an empty key.
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
    # Keys of the keyed hashes, the active key's first; the others let lookups still
    # match rows hashed under a previous key until rotation rewrites them.
    hmac_keys: tuple[bytes, ...]

    @property
    def hmac_key(self) -> bytes:
        return self.hmac_keys[0]


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The configured keys, parsed once per process (reset when settings change)."""
    active = getattr(settings, "ENCRYPTION_KEY", None)
    if not active:
        raise EncryptionError("ENCRYPTION_KEY is not set: PHI cannot be read or written.")
    active_key = parse_key(active)
    keys = {key_id(active_key): AESGCM(active_key)}
    hmac_keys = [_hmac_key(active_key)]
    for previous in getattr(settings, "ENCRYPTION_KEYS_PREVIOUS", []) or []:
        if previous.strip():
            raw = parse_key(previous.strip())
            if key_id(raw) not in keys:
                keys[key_id(raw)] = AESGCM(raw)
                hmac_keys.append(_hmac_key(raw))
    return Keyring(active_id=key_id(active_key), keys=keys, hmac_keys=tuple(hmac_keys))


def _hmac_key(key: bytes) -> bytes:
    # A separate key for keyed hashes, so a hash never reveals anything about the
    # encryption key. New hashes use the active key's; rotation recomputes old ones.
    return hmac.new(key, b"amrutam-blind-index-v1", "sha256").digest()


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
    if not isinstance(stored, str):
        raise EncryptionError(f"{context}: stored value is not an encrypted value.")
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
    return _blind_index(value, purpose=purpose, key=keyring().hmac_key)


def blind_index_candidates(value: str | None, *, purpose: str) -> list[str]:
    """The hashes of `value` under every configured key, the active one first.

    Filter with ``<hash>__in=`` so rows not yet rewritten by key rotation still match.
    """
    hashes = (_blind_index(value, purpose=purpose, key=k) for k in keyring().hmac_keys)
    return [h for h in dict.fromkeys(hashes) if h is not None]


def _blind_index(value: str | None, *, purpose: str, key: bytes) -> str | None:
    if value is None or value == "":
        return None
    normalised = " ".join(value.split()).lower()
    return hmac.new(key, f"{purpose}:{normalised}".encode(), "sha256").hexdigest()


# Models declare their keyed-hash columns as ``BLIND_INDEXES = {"phone_hash": "phone"}``
# (hash column -> encrypted source field) and may normalise a source value with a
# ``blind_index_input(source, value)`` classmethod. Saving, lookups and key rotation
# all compute the hashes through the functions below, so they always agree.


def blind_index_purpose(model: Any, source: str) -> str:
    return f"{model._meta.label_lower}.{source}"


def blind_index_of(model: Any, source: str, value: Any) -> str | None:
    """The keyed hash of `value` as `model`'s hash column for `source` stores it."""
    purpose = blind_index_purpose(model, source)
    return blind_index(_index_input(model, source, value), purpose=purpose)


def blind_index_lookup(model: Any, source: str, value: Any) -> list[str]:
    """Every hash under which `model` may have stored `value` (for ``__in`` lookups)."""
    return blind_index_candidates(
        _index_input(model, source, value), purpose=blind_index_purpose(model, source)
    )


def blind_index_values(instance: Any) -> dict[str, str | None]:
    """The value of each keyed-hash column of `instance`, from its decrypted sources."""
    model = type(instance)
    return {
        hash_field: blind_index_of(model, source, getattr(instance, source))
        for hash_field, source in getattr(model, "BLIND_INDEXES", {}).items()
    }


def _index_input(model: Any, source: str, value: Any) -> str | None:
    if value is None:
        return None
    normalise = getattr(model, "blind_index_input", None)
    text = normalise(source, value) if normalise is not None else str(value)
    return text or None


class EncryptedMixin:
    """Turns a Python value into ciphertext on the way in and back on the way out."""

    description: Any = "Encrypted value (AES-256-GCM)"
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
    # A date, stored encrypted as text (the stubs would take the TextField's str).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_text(self, value: Any) -> str:
        return self.to_python(value).isoformat()

    def from_text(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    def to_python(self, value: Any) -> Any:
        # A datetime is a date too, but its isoformat() would not read back as one.
        if isinstance(value, dt.datetime):
            return value.date()
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
    # Any JSON value, stored encrypted as text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_text(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)

    def from_text(self, text: str) -> Any:
        return json.loads(text)

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: Any) -> str:
        return self.to_text(self.value_from_object(obj))
