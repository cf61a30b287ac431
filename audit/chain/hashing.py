"""The hash of an audit entry: SHA-256 over the canonical JSON of its covered fields
and the previous entry's hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..models import AuditEntry

GENESIS_HASH = "0" * 64
# Every column the hash covers, in a fixed order. `hash` itself is not covered;
# `prev_hash` is appended to the canonical text.
HASHED_FIELDS = (
    "id",
    "seq",
    "timestamp",
    "kind",
    "actor_id",
    "actor_role",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "subject_id",
    "changes",
    "ip",
    "request_id",
    "logentry_id",
)


def canonical_values(values: Mapping[str, Any]) -> str:
    """Covered fields as canonical JSON (sorted keys, no spaces, UTC microsecond times)."""
    out: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = values[name]
        if name == "timestamp":
            value = _utc(value).isoformat(timespec="microseconds")
        elif name in ("actor_id", "subject_id") and value is not None:
            value = str(value)
        out[name] = value
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(entry: AuditEntry) -> str:
    return canonical_values({name: getattr(entry, name) for name in HASHED_FIELDS})


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def digest(text: str, prev_hash: str) -> str:
    return hashlib.sha256((text + prev_hash).encode("utf-8")).hexdigest()


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    return digest(canonical(entry), prev_hash)
