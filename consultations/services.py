"""Writes of consultations: booking, the lifecycle, clinical notes and prescriptions.

Every service owns its transaction and locks before it checks. Lock order, the same in
every service so that no two of them can deadlock: the consultation row first, then
slot rows in primary-key order.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from accounts.models import Role
from amrutam.common.exceptions import InvalidState, NotFound, PermissionDenied
from amrutam.common.metrics import BOOKING_CONFLICTS, BOOKINGS
from audit.services import audit_event, tracked_update
from doctors.cache import invalidate_availability
from doctors.models import AvailabilitySlot, DoctorProfile, SlotStatus
from payments.services import payment_hold_open, payment_hold_release_expired, payment_on_cancel

from .errors import PrescriptionExists, SlotUnavailable
from .integrity import is_violation_of
from .models import (
    CLINICAL_STATUSES,
    ClinicalNotes,
    Consultation,
    ConsultationStatus,
    Prescription,
    can_transition,
)
from .selectors import consultation_visible_q

ONE_ACTIVE_PER_SLOT = "consultations_one_active_per_slot"


@dataclass(frozen=True)
class NotesWrite:
    notes: ClinicalNotes
    created: bool


def _field_checks(instance: models.Model) -> None:
    """full_clean() minus the checks the database makes anyway (uniqueness, constraints,
    foreign keys), which would each cost a query inside the locked section."""
    relations = [f.name for f in instance._meta.fields if f.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


def _meeting_token() -> str:
    # 128 random bits: the link itself is the invitation, so it must not be guessable.
    return secrets.token_urlsafe(16)


def _unavailable(message: str) -> SlotUnavailable:
    BOOKING_CONFLICTS.inc()
    return SlotUnavailable(message)


@dataclass(frozen=True)
class LockedSlot:
    """A slot read under its row lock, and whether its doctor takes bookings (verified,
    account active) and the doctor's fee, read in the same statement."""

    slot: AvailabilitySlot
    doctor_bookable: bool
    fee: Decimal


def _require_bookable(locked: LockedSlot, *, now: dt.datetime) -> None:
    if locked.slot.status != SlotStatus.AVAILABLE:
        raise _unavailable("This slot is already booked or blocked.")
    if locked.slot.start_time <= now:
        raise _unavailable("This slot has already started.")
    if not locked.doctor_bookable:
        raise _unavailable("This doctor is not taking bookings.")


@functools.cache
def _lock_slots_statement(vendor: str, count: int) -> tuple[str, tuple[list[Any], ...]]:
    """The SQL of `_lock_slots` for `count` ids and each slot column's converters
    (cached per database vendor, which the SQL depends on)."""
    quote = connection.ops.quote_name
    slot, doctor = AvailabilitySlot._meta, DoctorProfile._meta
    user = doctor.get_field("user").related_model._meta
    columns = ", ".join(f"s.{quote(f.column)}" for f in slot.concrete_fields)
    ids = ", ".join(["%s"] * count)
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    # Only names from the models' metadata are formatted in; the ids are parameters.
    sql = (
        f"SELECT {columns}, d.{quote('consultation_fee')}, "  # noqa: S608  # nosec B608
        f"d.{quote('is_verified')} AND u.{quote('is_active')} "
        f"FROM {quote(slot.db_table)} s "
        f"JOIN {quote(doctor.db_table)} d ON d.{quote(doctor.pk.column)} = s.{quote('doctor_id')} "
        f"JOIN {quote(user.db_table)} u ON u.{quote(user.pk.column)} = d.{quote('user_id')} "
        f"WHERE s.{quote(slot.pk.column)} IN ({ids}) ORDER BY s.{quote(slot.pk.column)}{lock}"
    )
    converters = []
    for field in slot.concrete_fields:
        column = field.get_col(slot.db_table)
        converters.append(
            connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        )
    return sql, tuple(converters)


_SLOT_FIELDS = [f.attname for f in AvailabilitySlot._meta.concrete_fields]


def _lock_slots(slot_ids: list[Any]) -> dict[Any, LockedSlot]:
    """Lock the slots `slot_ids` (those that exist), by id."""
    # One statement ordered by primary key: concurrent callers take the row locks in
    # the same order, so two reschedules crossing the same pair of slots cannot deadlock.
    # Written in SQL because it runs in every booking and the ORM spent more CPU
    # compiling it than PostgreSQL spends running it.
    pk = AvailabilitySlot._meta.pk
    params = [pk.get_db_prep_value(pk.to_python(i), connection) for i in slot_ids]
    sql, converters = _lock_slots_statement(connection.vendor, len(params))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    locked: dict[Any, LockedSlot] = {}
    for *values, fee, bookable in rows:
        for index, field in enumerate(AvailabilitySlot._meta.concrete_fields):
            for convert in converters[index]:
                values[index] = convert(values[index], field, connection)
        slot = AvailabilitySlot.from_db(connection.alias, _SLOT_FIELDS, values)
        locked[slot.pk] = LockedSlot(
            slot=slot, doctor_bookable=bool(bookable), fee=Decimal(str(fee or 0))
        )
    return locked


def _save_on_slot(consultation: Consultation, **save_kwargs: Any) -> None:
    """Save; the partial unique index on active consultations per slot is the last word."""
    try:
        consultation.save(**save_kwargs)
    except IntegrityError as exc:
        # Only a write that skipped the slot lock can get here; the database refused
        # the double booking, and the caller's transaction rolls back.
        if is_violation_of(exc, ONE_ACTIVE_PER_SLOT):
            raise _unavailable("This slot has just been booked.") from exc
        raise


def _set_slot_status(slot: AvailabilitySlot, status: str) -> None:
    # The slot was read under its row lock, so its current status is known: the audit
    # diff needs no second read of the row.
    previous = {"status": slot.status}
    slot.status = status
    tracked_update(slot, previous=previous, update_fields=["status", "updated_at"])


def consultation_book(
    *, patient: Any, doctor_id: Any, slot_id: Any, reason: str | None = None
) -> Consultation:
    """Book slot `slot_id` of doctor `doctor_id` for `patient`.

    Raise PermissionDenied (not a patient), NotFound (unknown slot or doctor) or
    SlotUnavailable (taken, blocked, started, another doctor's, doctor not bookable).
    """
    if patient.role != Role.PATIENT:
        raise PermissionDenied("Only patients can book consultations.")
    with transaction.atomic():
        # The row lock makes concurrent bookings of this slot queue here; each one
        # then sees the winner's BOOKED status and is refused.
        locked = _lock_slots([slot_id]).get(slot_id)
        if locked is None:
            raise NotFound("No such slot.")
        slot = locked.slot
        if slot.doctor_id != doctor_id:
            if not DoctorProfile.objects.filter(pk=doctor_id).exists():
                raise NotFound("No such doctor.")
            raise _unavailable("This slot belongs to another doctor.")
        if slot.status == SlotStatus.BOOKED:
            # An unpaid hold past its time never blocks a booking, job or no job.
            payment_hold_release_expired(slot=slot, actor=patient)
        # The clock is read after the lock: a wait behind other bookings counts.
        _require_bookable(locked, now=timezone.now())

        consultation = Consultation(
            # The id, not the object: the caller's user may be a lazy one without its row.
            patient_id=patient.pk,
            doctor_id=slot.doctor_id,
            slot=slot,
            status=ConsultationStatus.PENDING,
            reason=reason or None,
            meeting_token=_meeting_token(),
        )
        _field_checks(consultation)
        _save_on_slot(consultation, force_insert=True)
        _set_slot_status(slot, SlotStatus.BOOKED)
        payment_hold_open(consultation=consultation, fee=locked.fee, actor=patient)
        audit_event(
            action="consultation.booked",
            object_type="consultation",
            object_id=consultation.pk,
            changes={"status": [None, ConsultationStatus.PENDING], "slotId": [None, str(slot.pk)]},
            actor=patient,
        )
        invalidate_availability(slot.doctor_id)
        transaction.on_commit(BOOKINGS.inc)
    return consultation


def _lock_visible(*, consultation_id: Any, user: Any, with_slot: bool = True) -> Consultation:
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


def _require_transition(consultation: Consultation, target: str) -> None:
    if not can_transition(consultation.status, target):
        raise InvalidState(
            f"A {consultation.status.lower()} consultation cannot become {target.lower()}."
        )


def _require_role(user: Any, roles: tuple[str, ...], message: str) -> None:
    if user is not None and user.role not in roles:
        raise PermissionDenied(message)


def _status_event(consultation: Consultation, *, action: str, old: str, actor: Any) -> None:
    audit_event(
        action=action,
        object_type="consultation",
        object_id=consultation.pk,
        changes={"status": [old, consultation.status]},
        actor=actor,
    )


def consultation_cancel(
    *, consultation_id: Any, cancelled_by: Any, reason: str | None = None
) -> Consultation:
    """Cancel a PENDING consultation. The patient may until CANCELLATION_CUTOFF_MINUTES
    before the start (the slot is freed); its doctor or an admin until the start (the slot
    is blocked: the doctor is not available then). Raise NotFound or InvalidState."""
    with transaction.atomic():
        consultation = _lock_visible(consultation_id=consultation_id, user=cancelled_by)
        _require_transition(consultation, ConsultationStatus.CANCELLED)
        slot = consultation.slot
        now = timezone.now()
        if cancelled_by.role == Role.PATIENT:
            cutoff = settings.CANCELLATION_CUTOFF_MINUTES
            if now > slot.start_time - dt.timedelta(minutes=cutoff):
                raise InvalidState(f"Patients can cancel until {cutoff} minutes before the start.")
            freed = SlotStatus.AVAILABLE
        else:
            if now >= slot.start_time:
                raise InvalidState("A consultation can only be cancelled before it starts.")
            freed = SlotStatus.BLOCKED

        old = consultation.status
        consultation.status = ConsultationStatus.CANCELLED
        consultation.cancelled_by = cancelled_by
        consultation.cancelled_at = now
        consultation.cancellation_reason = reason or None
        _field_checks(consultation)
        consultation.save()
        _set_slot_status(slot, freed)
        _status_event(consultation, action="consultation.cancelled", old=old, actor=cancelled_by)
        payment_on_cancel(consultation=consultation, actor=cancelled_by)
        invalidate_availability(consultation.doctor_id)
    return consultation


def consultation_reschedule(
    *, consultation_id: Any, new_slot_id: Any, rescheduled_by: Any
) -> Consultation:
    """Move a PENDING consultation (same id) to another free slot of the same doctor, until
    the cancellation cutoff: the new slot is booked and the old one freed, or nothing
    changes. Raise NotFound, PermissionDenied, InvalidState or SlotUnavailable."""
    _require_role(rescheduled_by, (Role.PATIENT,), "Only the patient can reschedule.")
    with transaction.atomic():
        consultation = _lock_visible(
            consultation_id=consultation_id, user=rescheduled_by, with_slot=False
        )
        if consultation.status != ConsultationStatus.PENDING:
            raise InvalidState("Only a pending consultation can be rescheduled.")
        slots = _lock_slots([consultation.slot_id, new_slot_id])
        locked_new = slots.get(new_slot_id)
        if locked_new is None:
            raise NotFound("No such slot.")
        old_slot, new_slot = slots[consultation.slot_id].slot, locked_new.slot
        now = timezone.now()
        cutoff = settings.CANCELLATION_CUTOFF_MINUTES
        if now > old_slot.start_time - dt.timedelta(minutes=cutoff):
            raise InvalidState(f"Consultations can be rescheduled until {cutoff} minutes before.")
        if new_slot.doctor_id != consultation.doctor_id:
            raise _unavailable("A consultation can only move to a slot of the same doctor.")
        _require_bookable(locked_new, now=now)

        # Free the old slot first: the consultation leaves it in the same transaction.
        _set_slot_status(old_slot, SlotStatus.AVAILABLE)
        consultation.slot = new_slot
        _save_on_slot(consultation)
        _set_slot_status(new_slot, SlotStatus.BOOKED)
        audit_event(
            action="consultation.rescheduled",
            object_type="consultation",
            object_id=consultation.pk,
            changes={"slotId": [str(old_slot.pk), str(new_slot.pk)]},
            actor=rescheduled_by,
        )
        invalidate_availability(consultation.doctor_id)
    return consultation


def consultation_start(*, consultation_id: Any, started_by: Any) -> Consultation:
    """PENDING -> ACTIVE by the consultation's doctor, from START_EARLY_MINUTES before the
    start. Raise NotFound, PermissionDenied or InvalidState."""
    _require_role(started_by, (Role.DOCTOR,), "Only the consultation's doctor can start it.")
    with transaction.atomic():
        consultation = _lock_visible(consultation_id=consultation_id, user=started_by)
        _require_transition(consultation, ConsultationStatus.ACTIVE)
        now = timezone.now()
        early = settings.START_EARLY_MINUTES
        if now < consultation.slot.start_time - dt.timedelta(minutes=early):
            raise InvalidState(f"A consultation can be started from {early} minutes before.")
        old = consultation.status
        consultation.status = ConsultationStatus.ACTIVE
        consultation.started_at = now
        consultation.save(update_fields=["status", "started_at", "updated_at"])
        _status_event(consultation, action="consultation.started", old=old, actor=started_by)
    return consultation


def consultation_complete(*, consultation_id: Any, completed_by: Any) -> Consultation:
    """ACTIVE -> COMPLETED by the consultation's doctor. Raise NotFound, PermissionDenied or
    InvalidState."""
    _require_role(completed_by, (Role.DOCTOR,), "Only the consultation's doctor can complete it.")
    with transaction.atomic():
        consultation = _lock_visible(consultation_id=consultation_id, user=completed_by)
        _require_transition(consultation, ConsultationStatus.COMPLETED)
        old = consultation.status
        consultation.status = ConsultationStatus.COMPLETED
        consultation.completed_at = timezone.now()
        consultation.save(update_fields=["status", "completed_at", "updated_at"])
        _status_event(consultation, action="consultation.completed", old=old, actor=completed_by)
    return consultation


def consultation_mark_no_show(*, consultation_id: Any, marked_by: Any) -> Consultation:
    """PENDING -> NO_SHOW by its doctor, an admin, or the system (`marked_by=None`), once
    NO_SHOW_GRACE_MINUTES have passed since the start. Raise NotFound, PermissionDenied or
    InvalidState."""
    _require_role(
        marked_by, (Role.DOCTOR, Role.ADMIN), "Only the doctor or an admin can mark a no-show."
    )
    with transaction.atomic():
        consultation = _lock_visible(consultation_id=consultation_id, user=marked_by)
        _require_transition(consultation, ConsultationStatus.NO_SHOW)
        grace = settings.NO_SHOW_GRACE_MINUTES
        if timezone.now() < consultation.slot.start_time + dt.timedelta(minutes=grace):
            raise InvalidState(f"A no-show can be recorded from {grace} minutes after the start.")
        old = consultation.status
        consultation.status = ConsultationStatus.NO_SHOW
        consultation.save(update_fields=["status", "updated_at"])
        _status_event(consultation, action="consultation.no_show", old=old, actor=marked_by)
    return consultation


def _lock_for_clinical_write(*, consultation_id: Any, doctor_user: Any) -> Consultation:
    _require_role(
        doctor_user, (Role.DOCTOR,), "Only the consultation's doctor can write clinical records."
    )
    consultation = _lock_visible(consultation_id=consultation_id, user=doctor_user, with_slot=False)
    if consultation.status not in CLINICAL_STATUSES:
        raise InvalidState("Clinical records belong to an active or completed consultation.")
    return consultation


def consultation_notes_write(
    *,
    consultation_id: Any,
    written_by: Any,
    symptoms: str,
    diagnosis: str,
    advice: str,
    follow_up_in_days: int | None = None,
) -> NotesWrite:
    """Create or replace the notes of an ACTIVE or COMPLETED consultation, by its doctor.
    Raise NotFound, PermissionDenied or InvalidState."""
    with transaction.atomic():
        consultation = _lock_for_clinical_write(
            consultation_id=consultation_id, doctor_user=written_by
        )
        # The consultation lock makes "read, then create or update" safe: two first
        # writes of the same notes run one after the other.
        notes = ClinicalNotes.objects.filter(consultation=consultation).first()
        created = notes is None
        if notes is None:
            notes = ClinicalNotes(consultation=consultation, author=consultation.doctor)
        notes.symptoms = symptoms
        notes.diagnosis = diagnosis
        notes.advice = advice
        notes.follow_up_in_days = follow_up_in_days
        _field_checks(notes)
        notes.save()
        audit_event(
            action="consultation.notes_written",
            object_type="consultation",
            object_id=consultation.pk,
            # Names of what was written, never its content.
            changes={"fields": ["symptoms", "diagnosis", "advice", "followUpInDays"]},
            actor=written_by,
        )
    return NotesWrite(notes=notes, created=created)


def consultation_prescription_issue(
    *,
    consultation_id: Any,
    issued_by: Any,
    items: list[dict[str, Any]],
    notes: str | None = None,
) -> Prescription:
    """Issue the one prescription of an ACTIVE or COMPLETED consultation, by its doctor,
    signed with the doctor's name and registration number. Raise NotFound,
    PermissionDenied, InvalidState, PrescriptionExists or ValidationError (no items)."""
    with transaction.atomic():
        consultation = _lock_for_clinical_write(
            consultation_id=consultation_id, doctor_user=issued_by
        )
        if Prescription.objects.filter(consultation=consultation).exists():
            raise PrescriptionExists()
        doctor = consultation.doctor
        prescription = Prescription(
            consultation=consultation,
            doctor=doctor,
            doctor_name=doctor.user.name,
            registration_number=doctor.registration_number,
            items=items,
            notes=notes or None,
            item_count=len(items),
        )
        _field_checks(prescription)
        try:
            prescription.save(force_insert=True)
        except IntegrityError as exc:
            # The one-to-one column is unique: a write that skipped the lock lost.
            raise PrescriptionExists() from exc
        audit_event(
            action="consultation.prescription_issued",
            object_type="consultation",
            object_id=consultation.pk,
            changes={"prescription": [None, str(prescription.pk)], "itemCount": len(items)},
            actor=issued_by,
        )
    return prescription
