"""Reads of the audit trail: the admin's filtered log and a patient's access report."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from amrutam.common.drf.filtering import filtered
from amrutam.common.replica import replica_ok

from .filters import AuditEntryFilter
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


@replica_ok
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
    values = {
        "actor_id": actor_id,
        "action": action or None,
        "object_type": object_type or None,
        "object_id": object_id or None,
        "since": since,
        "until": until,
    }
    return filtered(AuditEntryFilter, values, AuditEntry.objects.only(*LIST_FIELDS)).order_by("-id")


def access_log_list(*, user_id: uuid.UUID | str) -> QuerySet[AuditEntry]:
    """Reads of `user_id`'s health data by anyone else, newest first."""
    return (
        AuditEntry.objects.filter(kind=EntryKind.ACCESS, subject_id=user_id)
        .exclude(actor_id=user_id)
        .only(*LIST_FIELDS)
        .order_by("-id")
    )
