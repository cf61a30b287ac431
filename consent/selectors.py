"""Reads of consent records: a patient's history and the current state of a purpose."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from amrutam.common.exceptions import NotFound

from .models import ConsentRecord


def consent_list(*, user_id: Any) -> QuerySet[ConsentRecord]:
    """Every consent record of `user_id`, newest first, each with its withdrawal joined."""
    return (
        ConsentRecord.objects.filter(user_id=user_id)
        .select_related("withdrawal")
        .order_by("-created_at", "-id")
    )


def consent_get_visible(*, consent_id: Any, user_id: Any) -> ConsentRecord:
    """The record `consent_id` if it is `user_id`'s. Raises NotFound (also for others')."""
    record = consent_list(user_id=user_id).filter(pk=consent_id).first()
    if record is None:
        raise NotFound("No such consent.")
    return record


def consent_current(*, user_id: Any, purpose: str) -> tuple[uuid.UUID, bool] | None:
    """(id, granted) of the newest record of `purpose`, or None when there is none.

    One indexed read: the booking calls it on every request.
    """
    row = (
        ConsentRecord.objects.filter(user_id=user_id, purpose=purpose)
        .order_by("-created_at", "-id")
        .values_list("id", "granted")
        .first()
    )
    return None if row is None else (row[0], row[1])


def consent_is_withdrawn(*, user_id: Any, purpose: str) -> bool:
    """Whether `purpose`'s newest record refuses it (no record at all is not a refusal)."""
    current = consent_current(user_id=user_id, purpose=purpose)
    return current is not None and not current[1]
