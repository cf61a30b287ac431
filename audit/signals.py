"""Signal receivers (the only ones in the service): actor and request data on every
django-auditlog LogEntry, and a copy of each LogEntry in the hash-chained trail."""

from __future__ import annotations

from typing import Any

from auditlog import get_logentry_model
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save, pre_save

from .context import current, resolve_actor
from .models import EntryKind
from .naming import type_name
from .services import entry_append

VERBS = {0: "created", 1: "updated", 2: "deleted", 3: "accessed"}


def logentry_fill_context(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Name the actor, client IP and request id on a new LogEntry.

    django-auditlog's own middleware runs before DRF has authenticated the JWT and
    trusts X-Forwarded-For blindly, so the audit context (bound by
    `AuditContextMiddleware`, read now, after authentication) fills these instead.
    """
    if instance.pk is not None:
        return
    ctx = current()
    actor = resolve_actor()
    if instance.actor_id is None and actor.id is not None:
        instance.actor_id = actor.id
    if not instance.remote_addr:
        instance.remote_addr = ctx.ip or None
    if not instance.cid:
        instance.cid = ctx.request_id or None
    # Ids only: django-auditlog names the object by str(instance) (a user's email) and
    # may copy the actor's email; neither may outlive an erasure in an append-only row.
    instance.object_repr = f"{instance.object_pk}"
    instance.actor_email = None
    instance.additional_data = {
        **(instance.additional_data or {}),
        "request_id": ctx.request_id,
        "actor_role": actor.role or None,
        "actor_label": actor.label or None,
    }


def logentry_mirror(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Copy a new LogEntry (already masked) into the chained trail, same transaction."""
    if not created:
        return
    entry_append(**mirror_values(instance))


def mirror_values(logentry: Any) -> dict[str, Any]:
    """The arguments of `entry_append` that copy `logentry` into the chained trail."""
    content_type = ContentType.objects.get_for_id(logentry.content_type_id)
    extra = logentry.additional_data or {}
    model = content_type.model_class()
    model_name = type_name(model) if model is not None else content_type.model
    verb = VERBS.get(logentry.action, str(logentry.action))
    return {
        "kind": EntryKind.CHANGE,
        "action": f"{model_name}.{verb}",
        "object_type": model_name,
        "object_id": logentry.object_pk,
        "changes": logentry.changes,
        "actor": _actor_of(logentry, extra),
        "ip": logentry.remote_addr or None,
        "request_id": logentry.cid or "",
        "logentry_id": logentry.pk,
    }


class _LoggedActor:
    """The LogEntry's actor as `resolve_actor` understands it, without a user query."""

    is_authenticated = True

    def __init__(self, pk: Any, role: str | None) -> None:
        self.pk = pk
        self.role = role or ""


def _actor_of(instance: Any, extra: dict[str, Any]) -> Any:
    if instance.actor_id is not None:
        return _LoggedActor(instance.actor_id, extra.get("actor_role"))
    return extra.get("actor_label") or None


def connect() -> None:
    log_entry = get_logentry_model()
    pre_save.connect(logentry_fill_context, sender=log_entry, dispatch_uid="audit_logentry_fill")
    post_save.connect(logentry_mirror, sender=log_entry, dispatch_uid="audit_logentry_mirror")
