"""Reads: endpoints, delivery logs, rows due for a send, and the outbox's figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from .models import (
    DeliveryStatus,
    Notification,
    OutboxEvent,
    SendStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

BATCH = 500


def webhook_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("created_at", "id")


def webhook_get(*, webhook_id: Any) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=webhook_id).first()


def delivery_list_for(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "id")


def outbox_list_stale(
    *, now: dt.datetime | None = None, older_than: int | None = None
) -> list[Any]:
    """Committed events the relay did not hand over (broker down, crash after commit)."""
    now = now or timezone.now()
    seconds = settings.OUTBOX_SWEEP_AFTER_SECONDS if older_than is None else older_than
    cutoff = now - dt.timedelta(seconds=seconds)
    rows = OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
    return list(rows.order_by("created_at").values_list("pk", flat=True)[:BATCH])


def notification_list_due(*, now: dt.datetime | None = None) -> list[Any]:
    """Emails whose moment has come (reminders, retries) or whose worker died mid-send."""
    now = now or timezone.now()
    rows = Notification.objects.filter(
        Q(status=SendStatus.PENDING, send_after__lte=now)
        | Q(status=SendStatus.SENDING, lease_until__lt=now)
    )
    return list(rows.order_by("send_after").values_list("pk", flat=True)[:BATCH])


def delivery_list_due(*, now: dt.datetime | None = None) -> list[Any]:
    now = now or timezone.now()
    rows = WebhookDelivery.objects.filter(
        Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    )
    return list(rows.order_by("next_attempt_at").values_list("pk", flat=True)[:BATCH])


@dataclass(frozen=True)
class OutboxFigures:
    depth: int
    oldest_pending_seconds: float
    deliveries: dict[str, int]
    delivery_failures: int
    notifications: dict[str, int]


def outbox_figures() -> OutboxFigures:
    """The figures /metrics exports, read from the database (the source of truth for
    every process: web, worker and beat alike)."""
    now = timezone.now()
    pending = OutboxEvent.objects.filter(dispatched_at__isnull=True).aggregate(
        depth=Count("id"), oldest=Min("created_at")
    )
    deliveries = dict(
        WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    # Every attempt that did not end in a 2xx: all attempts, minus the one that succeeded
    # and the ones still in flight. It only grows, as a Prometheus counter must.
    attempts = WebhookDelivery.objects.aggregate(
        all_attempts=Sum("attempts"),
        settled=Count(
            "id", filter=Q(status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.SENDING])
        ),
    )
    notifications = dict(
        Notification.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    oldest = pending["oldest"]
    return OutboxFigures(
        depth=pending["depth"],
        oldest_pending_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        deliveries={s: deliveries.get(s, 0) for s in DeliveryStatus.values},
        delivery_failures=(attempts["all_attempts"] or 0) - attempts["settled"],
        notifications={s: notifications.get(s, 0) for s in SendStatus.values},
    )
