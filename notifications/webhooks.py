"""Outbound webhooks: endpoint management and signed deliveries with retries.

A delivery is `POST url` with `{"id", "event", "createdAt", "data"}` and the headers
X-Amrutam-Event, X-Amrutam-Delivery (the delivery's id, for the receiver's dedup),
X-Amrutam-Timestamp and X-Amrutam-Signature: `sha256=` + hex HMAC-SHA256 of
"<timestamp>.<body>" with the endpoint's secret. A 2xx ends it; anything else (an error
status, a redirect, a timeout, a reset) is retried after WEBHOOK_RETRY_SCHEDULE_SECONDS
(with jitter), then the delivery is marked failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import random
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amrutam.common.exceptions import ValidationFailed
from audit.services import audit_event

from . import guard
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("amrutam.webhooks")


@dataclass(frozen=True)
class CreatedWebhook:
    endpoint: WebhookEndpoint
    secret: str


def _checked_url(url: str) -> str:
    try:
        guard.check_target(url)
    except guard.TargetRefused as exc:
        raise ValidationFailed(errors={"url": [str(exc)]}) from exc
    return url


def _audit(action: str, endpoint: WebhookEndpoint, actor: Any) -> None:
    audit_event(
        action=action,
        object_type="webhook",
        object_id=endpoint.pk,
        # The URL is left out: its query may carry a receiver's token.
        changes={"events": endpoint.events, "isActive": endpoint.is_active},
        actor=actor,
    )


def webhook_create(
    *, url: str, events: list[str], is_active: bool = True, created_by: Any
) -> CreatedWebhook:
    """Register an endpoint with a new secret (returned once). Raise ValidationError."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=_checked_url(url),
        events=list(dict.fromkeys(events)),
        is_active=is_active,
        secret=secret,
    )
    with transaction.atomic():
        endpoint.save(force_insert=True)
        _audit("webhook.created", endpoint, created_by)
    return CreatedWebhook(endpoint=endpoint, secret=secret)


def webhook_update(
    *, endpoint: WebhookEndpoint, updated_by: Any, **changes: Any
) -> WebhookEndpoint:
    """Change url, events or is_active. Raise ValidationError."""
    if "url" in changes:
        endpoint.url = _checked_url(changes["url"])
    if "events" in changes:
        endpoint.events = list(dict.fromkeys(changes["events"]))
    if "is_active" in changes:
        endpoint.is_active = changes["is_active"]
    with transaction.atomic():
        endpoint.save()
        _audit("webhook.updated", endpoint, updated_by)
    return endpoint


def webhook_delete(*, endpoint: WebhookEndpoint, deleted_by: Any) -> None:
    """Remove the endpoint and its delivery log."""
    with transaction.atomic():
        _audit("webhook.deleted", endpoint, deleted_by)
        endpoint.delete()


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def delivery_body(delivery: WebhookDelivery) -> bytes:
    event = delivery.outbox_event
    payload = {
        "id": str(event.pk),
        "event": event.event,
        "createdAt": _iso(event.created_at),
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over "<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def retry_wait(attempt: int) -> dt.timedelta | None:
    """Wait after failed attempt `attempt` (1-based), jittered; None once they are spent."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    if attempt > len(schedule):
        return None
    base = schedule[attempt - 1]
    # Jitter spreads the retries of many deliveries that failed together; it guards
    # nothing, so a non-cryptographic generator is right.
    stretch = random.uniform(0, settings.WEBHOOK_RETRY_JITTER)  # nosec B311
    return dt.timedelta(seconds=base * (1 + stretch))


def _send(delivery: WebhookDelivery, now: dt.datetime) -> tuple[int | None, str]:
    endpoint = delivery.endpoint
    try:
        target = guard.check_target(endpoint.url)
    except guard.TargetRefused:
        return None, "target_refused"
    body = delivery_body(delivery)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Amrutam-Webhooks/1",
        "X-Amrutam-Event": delivery.event,
        "X-Amrutam-Delivery": str(delivery.pk),
        "X-Amrutam-Timestamp": timestamp,
        "X-Amrutam-Signature": sign(endpoint.secret, timestamp, body),
    }
    try:
        return guard.post(target, body, headers), ""
    except TimeoutError:
        return None, "timeout"
    except (OSError, http.client.HTTPException) as exc:
        return None, type(exc).__name__[:200]


def delivery_attempt(*, delivery_id: Any, now: dt.datetime | None = None) -> str:
    """Make one attempt of a due delivery. Returns delivered, retrying, failed or
    not_claimed (not due, or another worker has it)."""
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    due = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now)
    expired = Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    # Only the delivery's row is locked (`of`): a lock on the joined endpoint would make
    # every other attempt to the same endpoint skip its own delivery as taken, leaving it
    # to the sweep.
    claimed = WebhookDelivery.objects.filter(Q(pk=delivery_id) & (due | expired)).select_for_update(
        skip_locked=True, of=("self",)
    )
    with transaction.atomic():
        delivery = claimed.select_related("endpoint", "outbox_event").first()
        if delivery is None:
            return "not_claimed"
        delivery.status = DeliveryStatus.SENDING
        delivery.lease_until = lease
        delivery.attempts += 1
        delivery.save(update_fields=["status", "lease_until", "attempts", "updated_at"])

    code, error = _send(delivery, now)
    values: dict[str, Any] = {"last_status_code": code, "last_error": error, "lease_until": None}
    if code is not None and 200 <= code < 300:
        values.update(
            status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
        )
        outcome = "delivered"
    elif (wait := retry_wait(delivery.attempts)) is None:
        values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        outcome = "failed"
    else:
        values.update(status=DeliveryStatus.RETRYING, next_attempt_at=now + wait)
        outcome = "retrying"
    if code is not None and not values["last_error"] and outcome != "delivered":
        values["last_error"] = f"http_{code}"
    WebhookDelivery.objects.filter(pk=delivery.pk, lease_until=lease).update(
        updated_at=timezone.now(), **values
    )
    if outcome != "delivered":
        logger.warning(
            "webhook_delivery_failed",
            extra={"delivery": str(delivery.pk), "outcome": outcome, "error": values["last_error"]},
        )
    return outcome


def delivery_retry(*, delivery_id: Any, retried_by: Any) -> bool:
    """Give a failed delivery one more attempt now (back office). False if not failed."""
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.FAILED
        ).update(
            status=DeliveryStatus.RETRYING,
            next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if updated:
            audit_event(
                action="webhook.delivery_retried",
                object_type="webhook_delivery",
                object_id=delivery_id,
                actor=retried_by,
            )
    return bool(updated)
