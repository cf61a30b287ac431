"""The outbox: a state change records its event in its own transaction; after the commit
the relay hands the row to a worker. Rows the relay could not hand over (broker down,
process killed between commit and publish) are picked up by the periodic sweep."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction

from .models import ONCE_PER_CONSULTATION, OUTBOX_EVENTS, OutboxEvent

logger = logging.getLogger("amrutam.outbox")

# Monotonic time until which publishing is not even tried after a failure: requests
# must not each wait out a dead broker's timeout.
_broker_down_until = 0.0


def event_data(consultation: Any) -> dict[str, Any]:
    """What receivers learn of a consultation: ids and its status, never PHI."""
    return {
        "consultationId": str(consultation.pk),
        "patientId": str(consultation.patient_id),
        "doctorId": str(consultation.doctor_id),
        "slotId": str(consultation.slot_id),
        "status": consultation.status,
    }


def record(event: str, consultation: Any, data: dict[str, Any] | None = None) -> OutboxEvent:
    """Write `event` about `consultation` into the outbox (one INSERT, inside the caller's
    transaction) and hand it to a worker once that transaction commits.

    `data` adds to (or overrides) the consultation's ids and status; the caller passes
    ids, statuses and amounts only, never PHI. An event of ONCE_PER_CONSULTATION that the
    consultation already has is not written again (the unique index decides, without
    aborting the caller's transaction)."""
    row = build(event, consultation, data)
    if event in ONCE_PER_CONSULTATION:
        # A row that lost to the index is never stored; its hand-over finds nothing to do.
        OutboxEvent.objects.bulk_create([row], ignore_conflicts=True)
    else:
        row.save(force_insert=True)
    transaction.on_commit(lambda: hand_over(row.pk))
    return row


def build(event: str, consultation: Any, data: dict[str, Any] | None = None) -> OutboxEvent:
    """The unsaved outbox row of `record`, for a writer that inserts it itself (and then
    hands it over after its commit)."""
    if event not in OUTBOX_EVENTS:
        raise ValueError(f"Unknown outbox event {event!r}")
    return OutboxEvent(
        event=event,
        consultation_id=consultation.pk,
        data={**event_data(consultation), **(data or {})},
    )


def hand_over(event_id: Any) -> bool:
    """Enqueue the dispatch of a committed event. Never raises: the sweep catches up.

    With OUTBOX_RELAY_IN_BACKGROUND (and a broker) the process's relay thread publishes
    it a few milliseconds later, with the events committed meanwhile, in one message;
    otherwise it is published here."""
    if settings.OUTBOX_RELAY_IN_BACKGROUND and not settings.CELERY_TASK_ALWAYS_EAGER:
        from .relay import relay

        try:
            relay.add(event_id)
        except Exception:  # a thread that cannot start: the sweep hands the row over
            logger.exception("outbox_relay_unavailable", extra={"outbox_event": str(event_id)})
            return False
        return True
    return publish_batch([str(event_id)])


def publish_batch(event_ids: list[str]) -> bool:
    """Publish the dispatch of committed events as one message. Never raises."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    from .tasks import dispatch_event, dispatch_events

    try:
        if len(event_ids) == 1:
            dispatch_event.apply_async(args=[event_ids[0]])
        else:
            dispatch_events.apply_async(args=[event_ids])
    except Exception:  # any broker error: the rows stay pending for the sweep
        _broker_down_until = time.monotonic() + settings.OUTBOX_BROKER_BACKOFF_SECONDS
        logger.warning("outbox_hand_over_failed", extra={"outbox_events": len(event_ids)})
        return False
    return True


def reset_broker_backoff() -> None:
    global _broker_down_until
    _broker_down_until = 0.0
