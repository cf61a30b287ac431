"""Writes of consent records: grants, refusals, withdrawals and the booking's implied consent."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from amrutam.common.exceptions import InvalidState, PermissionDenied
from amrutam.common.typing import Actor
from audit.models import AuditEntry, EntryKind
from audit.services import audit_event, entry_build

from .errors import ConsentWithdrawn
from .models import ConsentRecord, Mode, Purpose
from .selectors import consent_current, consent_get_visible


def _require_patient(user: Actor) -> None:
    if user.role != Role.PATIENT:
        raise PermissionDenied("Only patients hold consent records.")


def _audit(record: ConsentRecord, action: str, actor: Actor | str | None) -> None:
    audit_event(**_event_values(record, action, actor))


def _event_values(record: ConsentRecord, action: str, actor: Actor | str | None) -> dict[str, Any]:
    return {
        "action": action,
        "object_type": ConsentRecord,
        "object_id": record.pk,
        # Purposes and modes are not health data.
        "changes": {"purpose": record.purpose, "granted": record.granted, "mode": record.mode},
        "actor": actor,
    }


def _implied(patient_id: Any) -> ConsentRecord:
    return ConsentRecord(
        user_id=patient_id,
        purpose=Purpose.TELEMEDICINE,
        granted=True,
        mode=Mode.IMPLIED,
        notice_version=settings.CONSENT_NOTICE_VERSION,
        created_at=timezone.now(),
    )


def consent_implied_build(*, patient: Actor) -> tuple[ConsentRecord, AuditEntry]:
    """The unsaved implied consent of `patient`'s first booking and its audit entry, as
    `consent_for_booking` writes them, for a writer that inserts them itself."""
    record = _implied(patient.pk)
    return record, entry_build(
        kind=EntryKind.EVENT, **_event_values(record, "consent.implied", patient)
    )


def consent_record(
    *,
    user: Actor,
    purpose: str,
    granted: bool,
    notice_version: str | None = None,
    ip: str | None = None,
) -> ConsentRecord:
    """Record the patient's explicit grant or refusal of `purpose`. Raises PermissionDenied."""
    _require_patient(user)
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            user_id=user.pk,
            purpose=purpose,
            granted=granted,
            mode=Mode.EXPLICIT,
            notice_version=notice_version or settings.CONSENT_NOTICE_VERSION,
            ip=ip or None,
        )
        _audit(record, "consent.granted" if granted else "consent.refused", user)
    return record


def consent_withdraw(*, user: Actor, consent_id: Any, ip: str | None = None) -> ConsentRecord:
    """Withdraw grant `consent_id`: a refusal naming it is appended; the grant stays.

    Returns the withdrawn grant (its withdrawal joined). Raises NotFound (unknown or
    another's), PermissionDenied, InvalidState (not a grant, or already withdrawn).
    """
    _require_patient(user)
    with transaction.atomic():
        # Locks the grant so two withdrawals of it queue; the second sees the first.
        record = consent_get_visible(consent_id=consent_id, user_id=user.pk)
        ConsentRecord.objects.select_for_update().filter(pk=record.pk).values("pk").get()
        if not record.granted:
            raise InvalidState("Only a grant of consent can be withdrawn.")
        if ConsentRecord.objects.filter(withdraws_id=record.pk).exists():
            raise InvalidState("This consent has already been withdrawn.")
        withdrawal = ConsentRecord.objects.create(
            user_id=user.pk,
            purpose=record.purpose,
            granted=False,
            mode=Mode.EXPLICIT,
            notice_version=settings.CONSENT_NOTICE_VERSION,
            withdraws=record,
            ip=ip or None,
        )
        _audit(withdrawal, "consent.withdrawn", user)
    record.withdrawal = withdrawal
    return record


def consent_for_booking(*, patient_id: Any) -> uuid.UUID:
    """The telemedicine consent a booking relies on; records IMPLIED consent when the
    patient holds none. Runs inside the booking's transaction, so the implied record
    commits or rolls back with the booking. Raises ConsentWithdrawn.
    """
    current = consent_current(user_id=patient_id, purpose=Purpose.TELEMEDICINE)
    if current is not None:
        if not current[1]:
            raise ConsentWithdrawn()
        return current[0]
    try:
        # A savepoint: a concurrent first booking of the same patient may insert the
        # implied record first (the partial unique index waits for it to commit).
        with transaction.atomic():
            record = _implied(patient_id)
            record.save(force_insert=True)
    except IntegrityError:
        current = consent_current(user_id=patient_id, purpose=Purpose.TELEMEDICINE)
        if current is None:
            raise
        if not current[1]:
            raise ConsentWithdrawn() from None
        return current[0]
    # The actor is the request's user: the booking patient.
    _audit(record, "consent.implied", None)
    return record.pk


def consents_withdraw_all(*, user_id: Any, withdrawn_by: Actor | str | None) -> int:
    """Withdraw every grant still in force of `user_id` (an erasure withdraws them all),
    in the caller's transaction. Returns how many were withdrawn."""
    grants = (
        ConsentRecord.objects.filter(user_id=user_id, granted=True, withdrawal__isnull=True)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    count = 0
    for grant in grants:
        withdrawal = ConsentRecord.objects.create(
            user_id=user_id,
            purpose=grant.purpose,
            granted=False,
            mode=Mode.EXPLICIT,
            notice_version=settings.CONSENT_NOTICE_VERSION,
            withdraws=grant,
        )
        _audit(withdrawal, "consent.withdrawn", withdrawn_by)
        count += 1
    return count
