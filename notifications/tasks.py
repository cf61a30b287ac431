"""Celery tasks: dispatch of outbox events, email sends, webhook deliveries, and the
periodic passes that pick up whatever was missed (and bring reminders due)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import selectors, services, webhooks
from .models import ScheduledRun

logger = logging.getLogger("amrutam.notifications")

# How long the claims of past scheduled runs are kept.
RUN_CLAIMS_KEPT = dt.timedelta(days=7)


def _enqueue(task: Any, ids: list[Any], **kwargs: Any) -> None:
    for pk in ids:
        task.apply_async(args=[str(pk)], kwargs=kwargs)


def _clock(now: str | None) -> dt.datetime | None:
    # The periodic passes take the time as an argument so that tests can move it; the
    # beat sends none and the worker's clock is used.
    return dt.datetime.fromisoformat(now) if now else None


def _hand_on(dispatched: services.Dispatched) -> None:
    _enqueue(send_notification, dispatched.notification_ids)
    _enqueue(deliver_webhook, dispatched.delivery_ids)


@shared_task(name="notifications.tasks.dispatch_event")
def dispatch_event(event_id: str) -> None:
    _hand_on(services.event_dispatch(event_id=event_id))


@shared_task(name="notifications.tasks.dispatch_events")
def dispatch_events(event_ids: list[str]) -> None:
    """Dispatch the events a process's relay published together, one by one."""
    for event_id in event_ids:
        try:
            _hand_on(services.event_dispatch(event_id=event_id))
        except Exception:  # one event's failure leaves it for the sweep, not the others
            logger.exception("outbox_dispatch_failed", extra={"outbox_event": event_id})


@shared_task(name="notifications.tasks.send_notification")
def send_notification(notification_id: str, now: str | None = None) -> str:
    return services.notification_send(notification_id=notification_id, now=_clock(now))


@shared_task(name="notifications.tasks.deliver_webhook")
def deliver_webhook(delivery_id: str) -> str:
    return webhooks.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="notifications.tasks.outbox_sweep")
def outbox_sweep(older_than: int | None = None) -> int:
    """Dispatch committed events the relay missed and re-enqueue due webhook deliveries.
    Returns the number of events dispatched."""
    dispatched = 0
    for event_id in selectors.outbox_list_stale(older_than=older_than):
        result = services.event_dispatch(event_id=event_id)
        _hand_on(result)
        dispatched += 1
    _enqueue(deliver_webhook, selectors.delivery_list_due())
    with transaction.atomic():
        ScheduledRun.objects.filter(tick__lt=timezone.now() - RUN_CLAIMS_KEPT).delete()
    if dispatched:
        logger.info("outbox_sweep_dispatched", extra={"events": dispatched})
    return dispatched


@shared_task(name="notifications.tasks.send_due_reminders")
def send_due_reminders(now: str | None = None) -> int:
    """Enqueue every email now due: reminders, retries, sends of a worker that died."""
    due = selectors.notification_list_due(now=_clock(now))
    if now:
        _enqueue(send_notification, due, now=now)
    else:
        _enqueue(send_notification, due)
    return len(due)
