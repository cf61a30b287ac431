"""Reads of the audit trail: the admin's filtered log and a patient's access report."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from .models import AuditEntry, EntryKind

# Columns the API lists; the chain columns stay in the export and the verifier.
LIST_FIELDS = (
    "id",
    "timestamp",
    "actor_id",
    "actor_role",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "changes",
    "ip",
    "request_id",
)


def audit_entry_list(
    *,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Every kind of entry (changes, events, PHI reads), newest first, filtered.

    `action` matches exactly, or as a prefix when it ends with `*`
    (`consultation.*`); `since` is inclusive and `until` exclusive.
    """
    entries = AuditEntry.objects.only(*LIST_FIELDS).order_by("-id")
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if action:
        if action.endswith("*"):
            entries = entries.filter(action__startswith=action[:-1])
        else:
            entries = entries.filter(action=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if since is not None:
        entries = entries.filter(timestamp__gte=since)
    if until is not None:
        entries = entries.filter(timestamp__lt=until)
    return entries


def access_log_list(*, user_id: uuid.UUID | str) -> QuerySet[AuditEntry]:
    """Reads of `user_id`'s health data by anyone else, newest first."""
    return (
        AuditEntry.objects.filter(kind=EntryKind.ACCESS, subject_id=user_id)
        .exclude(actor_id=user_id)
        .only(*LIST_FIELDS)
        .order_by("-id")
    )
