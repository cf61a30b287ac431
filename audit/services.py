"""Writes to the audit trail: business events, PHI reads and field changes."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from auditlog.cid import get_cid
from auditlog.context import disable_auditlog
from auditlog.diff import model_instance_diff
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_save

from amrutam.common.typing import Actor

from . import chain
from .context import current, resolve_actor
from .models import AuditEntry, EntryKind
from .naming import type_name

# A name ("consultation"), or a model class or instance, named as `naming.type_name` does.
ObjectType = str | type[models.Model] | models.Model


def _id_text(value: Any) -> str:
    if isinstance(value, models.Model):
        value = value.pk
    return "" if value is None else str(value)


def entry_build(
    *,
    kind: str,
    action: str,
    object_type: ObjectType,
    object_id: Any,
    changes: dict[str, Any] | None = None,
    subject_id: Any = None,
    actor: Actor | str | None = None,
    ip: str | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    """An unsaved entry named with the current actor, IP and request id (see entry_append)."""
    ctx = current()
    who = resolve_actor(actor)
    subject = subject_id.pk if isinstance(subject_id, models.Model) else subject_id
    return AuditEntry(
        kind=kind,
        actor_id=who.id,
        actor_role=who.role,
        actor_label=who.label,
        action=action,
        object_type=type_name(object_type),
        object_id=_id_text(object_id),
        subject_id=subject or None,
        changes=changes,
        ip=ip if ip is not None else (ctx.ip or None),
        request_id=request_id if request_id is not None else (ctx.request_id or ""),
    )


def entry_append(**values: Any) -> AuditEntry:
    """Insert one entry (the arguments of `entry_build`) in the caller's transaction and
    seal it into the chain on commit."""
    entry = entry_build(**values)
    entry.save(force_insert=True)
    chain.schedule_seal()
    return entry


def audit_event(
    *,
    action: str,
    object_type: ObjectType,
    object_id: Any,
    changes: dict[str, Any] | None = None,
    actor: Actor | str | None = None,
) -> AuditEntry:
    """Append business event `action` (e.g. "consultation.booked") to the audit trail.

    Runs inside the caller's transaction. `changes` must never hold PHI in clear.
    `actor` is a user, a label such as "command:mark_no_shows", or None for the
    current request's user (or the bound actor, else "system").
    """
    return entry_append(
        kind=EntryKind.EVENT,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=changes,
        actor=actor,
    )


def phi_access_record(
    *,
    action: str,
    object_type: ObjectType,
    object_id: Any,
    subject_id: Any,
    actor: Actor | str | None = None,
) -> AuditEntry:
    """Record that `actor` read PHI of patient `subject_id` (e.g. "consultation.viewed")."""
    return entry_append(
        kind=EntryKind.ACCESS,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject_id=subject_id,
        actor=actor,
    )


def _changes(
    instance: models.Model,
    *,
    previous: Mapping[str, Any] | None,
    update_fields: list[str] | None,
) -> dict[str, Any] | None:
    """django-auditlog's masked diff of `instance` from the values in `previous` (None:
    its creation)."""
    old = None
    if previous is not None:
        old = copy.copy(instance)
        old.__dict__.update(previous)
    changes: dict[str, Any] | None = model_instance_diff(
        old,
        instance,
        fields_to_check=update_fields,
        use_json_for_changes=getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False),
    )
    return changes


def logentry_build(
    instance: models.Model,
    *,
    previous: Mapping[str, Any] | None = None,
    update_fields: list[str] | None = None,
) -> AuditEntry | None:
    """The unsaved change entry django-auditlog would write for saving `instance`: its
    creation when `previous` is None, else the change of `update_fields` from the values
    in `previous`; masked, and named with the actor, IP and request id (the pre_save
    receivers run as on a real save). None when nothing changed."""
    changes = _changes(instance, previous=previous, update_fields=update_fields)
    if not changes:
        return None
    # What LogEntryManager.log_create sets before its create().
    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(instance),
        object_id=_id_text(instance),
        serialized_data=AuditEntry.objects._get_serialized_data_or_none(instance),
        action=AuditEntry.Action.CREATE if previous is None else AuditEntry.Action.UPDATE,
        changes=changes,
        request_id=get_cid() or "",
    )
    get_additional_data = getattr(instance, "get_additional_data", None)
    if callable(get_additional_data):
        entry.additional_data = get_additional_data()
    pre_save.send(sender=AuditEntry, instance=entry, raw=False, using="default", update_fields=None)
    return entry


def tracked_update(
    instance: models.Model, *, previous: Mapping[str, Any], update_fields: list[str]
) -> None:
    """Save `update_fields` of a model django-auditlog tracks, logging the change as its
    receiver would, but diffed against `previous` (the values the caller read, under a
    row lock) instead of the extra SELECT of the old row its receiver makes."""
    # Diffed before saving, as the receiver does on pre_save: auto_now fields are not
    # set yet, so they are no change.
    changes = _changes(instance, previous=previous, update_fields=update_fields)
    if changes:
        AuditEntry.objects.log_create(instance, action=AuditEntry.Action.UPDATE, changes=changes)
    with disable_auditlog():
        instance.save(update_fields=update_fields)
