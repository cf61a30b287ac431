"""Fixtures of the doctors tests: an audit-event recorder and a way to book a slot."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from doctors.models import AvailabilitySlot, SlotStatus


@pytest.fixture(autouse=True)
def _slots_start_soon() -> None:
    """Factory slots start 2, 3, 4... hours from now in every test, whatever ran before.

    The factory's sequence counts across the session; unreset, a slot made late in a
    long run would start weeks ahead, outside the windows these tests read.
    """
    from doctors.tests.factories import SlotFactory

    SlotFactory.reset_sequence(0)


@pytest.fixture
def audit_events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every audit event recorded while the test runs (the real writer still runs)."""
    from audit import services as audit_services

    recorded: list[dict[str, Any]] = []
    real = audit_services.audit_event

    def spy(**kwargs: Any) -> None:
        recorded.append(kwargs)
        real(**kwargs)

    monkeypatch.setattr(audit_services, "audit_event", spy)
    return recorded


def consultation_model() -> Any:
    # Reached through the slot's reverse relation: the doctors app never imports the
    # consultations app, not even in its tests.
    return AvailabilitySlot._meta.get_field("consultations").related_model


@pytest.fixture
def book() -> Callable[..., Any]:
    """Book `slot` for `patient` as the booking service leaves it: slot BOOKED + consultation."""

    def make(slot: AvailabilitySlot, patient: Any, status: str = "PENDING") -> Any:
        slot.status = SlotStatus.BOOKED if status != "CANCELLED" else SlotStatus.AVAILABLE
        slot.save(update_fields=["status"])
        return consultation_model().objects.create(
            patient=patient,
            doctor=slot.doctor,
            slot=slot,
            status=status,
            meeting_token=secrets.token_urlsafe(16),
            cancelled_at=timezone.now() if status == "CANCELLED" else None,
        )

    return make
