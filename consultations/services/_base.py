"""What the consultation services share: field checks, the consultation lock, the slot
status write and the refusals they answer with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, models

from amrutam.common.exceptions import InvalidState, NotFound, PermissionDenied
from amrutam.common.metrics import BOOKING_CONFLICTS
from amrutam.common.typing import Actor
from audit.services import tracked_update
from doctors.models import AvailabilitySlot, SlotStatus

from ..errors import SlotUnavailable
from ..integrity import is_violation_of
from ..models import Consultation, can_transition
from ..selectors import consultation_visible_q
from .slot_lock import LockedSlot

ONE_ACTIVE_PER_SLOT = "consultations_one_active_per_slot"
TAKEN = "This slot is already booked or blocked."


def field_checks(instance: models.Model) -> None:
    """full_clean() minus the checks the database makes anyway (uniqueness, constraints,
    foreign keys), which would each cost a query inside the locked section."""
    relations = [f.name for f in instance._meta.fields if f.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


def unavailable(message: str) -> SlotUnavailable:
    BOOKING_CONFLICTS.inc()
    return SlotUnavailable(message)


def require_bookable(locked: LockedSlot, *, now: dt.datetime) -> None:
    if locked.slot.status != SlotStatus.AVAILABLE:
        raise unavailable(TAKEN)
    if locked.slot.start_time <= now:
        raise unavailable("This slot has already started.")
    if not locked.doctor_bookable:
        raise unavailable("This doctor is not taking bookings.")


def save_on_slot(consultation: Consultation, **save_kwargs: Any) -> None:
    """Save; the partial unique index on active consultations per slot is the last word."""
    try:
        consultation.save(**save_kwargs)
    except IntegrityError as exc:
        # Only a write that skipped the slot lock can get here; the database refused
        # the double booking, and the caller's transaction rolls back.
        if is_violation_of(exc, ONE_ACTIVE_PER_SLOT):
            raise unavailable("This slot has just been booked.") from exc
        raise


def set_slot_status(slot: AvailabilitySlot, status: str) -> None:
    # The slot was read under its row lock, so its current status is known: the audit
    # diff needs no second read of the row.
    previous = {"status": slot.status}
    slot.status = status
    tracked_update(slot, previous=previous, update_fields=["status", "updated_at"])


def lock_visible(
    *, consultation_id: Any, user: Actor | None, with_slot: bool = True
) -> Consultation:
    """Lock and return the consultation if `user` may see it (None: the system). NotFound."""
    # The consultation row lock serialises every action on one consultation: a cancel
    # racing a start runs second and sees the first one's outcome.
    locked = ("self", "slot") if with_slot else ("self",)
    consultations = Consultation.objects.select_for_update(of=locked).select_related(
        "slot", "doctor__user"
    )
    if user is not None:
        consultations = consultations.filter(consultation_visible_q(user))
    consultation = consultations.filter(pk=consultation_id).first()
    if consultation is None:
        raise NotFound("No such consultation.")
    return consultation


def require_transition(consultation: Consultation, target: str) -> None:
    if not can_transition(consultation.status, target):
        raise InvalidState(
            f"A {consultation.status.lower()} consultation cannot become {target.lower()}."
        )


def require_role(user: Actor | None, roles: tuple[str, ...], message: str) -> None:
    if user is not None and user.role not in roles:
        raise PermissionDenied(message)
