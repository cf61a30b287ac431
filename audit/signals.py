"""Signal receivers (the only ones in the service): the trail's fields on every entry
django-auditlog writes, and the entry's place in the chain."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save, pre_save

from . import chain
from .context import current, resolve_actor
from .models import AuditEntry, EntryKind
from .naming import type_name

# django-auditlog's actions (AbstractLogEntry.Action) as the trail names them.
VERBS = {0: "created", 1: "updated", 2: "deleted", 3: "accessed"}


def logentry_fill_context(sender: Any, instance: AuditEntry, **kwargs: Any) -> None:
    """Make a new django-auditlog entry a change entry of the trail: its kind, its action
    named as the trail names it ("consultation.created"), the actor, client IP and
    request id.

    An entry the trail writes itself (an event, a read) has its kind already and is left
    alone. django-auditlog's own middleware runs before DRF has authenticated the JWT and
    trusts X-Forwarded-For blindly, so the audit context (bound by
    `AuditContextMiddleware`, read now, after authentication) names these instead.
    """
    if instance.pk is not None or instance.kind:
        return
    ctx = current()
    actor = resolve_actor()
    instance.kind = EntryKind.CHANGE
    if instance.actor_id is None:
        instance.actor_id = actor.id
    # A user is named by id and role; a label only names an actor that is no user.
    if instance.actor_id is not None:
        instance.actor_role, instance.actor_label = actor.role, ""
    else:
        instance.actor_role, instance.actor_label = "", actor.label
    if not instance.ip:
        instance.ip = ctx.ip or None
    if not instance.request_id:
        instance.request_id = ctx.request_id or ""
    content_type = ContentType.objects.get_for_id(instance.content_type_id)
    model = content_type.model_class()
    model_name = type_name(model) if model is not None else content_type.model
    instance.object_type = model_name
    if isinstance(instance.action, int):
        instance.action = f"{model_name}.{VERBS.get(instance.action, str(instance.action))}"


def logentry_seal(sender: Any, instance: AuditEntry, created: bool, **kwargs: Any) -> None:
    """Seal a change entry into the chain once its transaction commits (the trail's own
    writers schedule theirs in `entry_append`)."""
    if created and instance.kind == EntryKind.CHANGE:
        chain.schedule_seal()


def connect() -> None:
    pre_save.connect(logentry_fill_context, sender=AuditEntry, dispatch_uid="audit_logentry_fill")
    post_save.connect(logentry_seal, sender=AuditEntry, dispatch_uid="audit_logentry_seal")
