"""Reads of consultations: who may see which, filtered lists, and PHI reads put on record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Role
from amrutam.common.drf.filtering import filtered
from amrutam.common.exceptions import NotFound
from amrutam.common.typing import Actor
from audit.services import phi_access_record
from notifications.sources import ConsultationFacts

from .filters import ConsultationListFilter
from .models import Consultation, ConsultationStatus, IdempotencyRecord


def consultation_visible_q(user: Actor) -> Q:
    """The consultations `user` may see: a patient's own, a doctor's own, every one for admins."""
    if user.role == Role.ADMIN:
        return Q()
    if user.role == Role.DOCTOR:
        return Q(doctor__user_id=user.pk)
    return Q(patient_id=user.pk)


def consultation_list_visible_to(
    *,
    user: Actor,
    status: str | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> QuerySet[Consultation]:
    """The consultations `user` may see, filtered by status and start time, latest first.

    One query per page whatever its size: the slot and payment are joined, nothing else
    is read.
    """
    visible = Consultation.objects.filter(consultation_visible_q(user)).select_related(
        "slot", "payment"
    )
    values = {"status": status or None, "starts_from": starts_from, "starts_before": starts_before}
    consultations = filtered(ConsultationListFilter, values, visible)
    return consultations.order_by("-slot__start_time", "-id")


def consultation_get_visible(*, user: Actor, consultation_id: Any) -> Consultation:
    """The consultation with its slot, notes and prescription. Raise NotFound if `user`
    may not see it (another user's consultation is indistinguishable from none)."""
    consultation = (
        Consultation.objects.filter(consultation_visible_q(user))
        .select_related("slot", "notes", "prescription", "payment")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        raise NotFound("No such consultation.")
    return consultation


def consultation_record_read(*, consultation: Consultation, actor: Actor) -> None:
    """Put on the access log that `actor` was shown this consultation's health information."""
    phi_access_record(
        action="consultation.viewed",
        object_type="consultation",
        object_id=consultation.pk,
        subject_id=consultation.patient_id,
        actor=actor,
    )


PHI_PERMISSION = "consultations.view_phi"


def consultation_phi_withheld_from(user: Any) -> bool:
    """True for an admin without the view-PHI permission: answers carry no health
    information (patients and doctors see that of their own consultations). `user` is a
    Django user: the permission is read with `has_perm`."""
    return user.role == Role.ADMIN and not user.has_perm(PHI_PERMISSION)


def consultation_get_recorded(*, user: Actor, consultation_id: Any) -> Consultation:
    """The consultation as `consultation_get_visible` gives it, with the read on the access
    log (the one write a selector makes: reads of PHI are events). A caller from whom the
    health information is withheld is shown none, so that read is not logged. Raise
    NotFound."""
    consultation = consultation_get_visible(user=user, consultation_id=consultation_id)
    if not consultation_phi_withheld_from(user):
        consultation_record_read(consultation=consultation, actor=user)
    return consultation


def consultation_list_missed(*, started_before: dt.datetime) -> QuerySet[Consultation]:
    """PENDING consultations whose slot started before `started_before` (no-show candidates)."""
    return Consultation.objects.filter(
        status=ConsultationStatus.PENDING, slot__start_time__lt=started_before
    ).order_by("slot__start_time")


def idempotency_record_list_older_than(*, cutoff: dt.datetime) -> QuerySet[IdempotencyRecord]:
    """Idempotency records created before `cutoff`: past their replay window."""
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff)


def consultation_facts(consultation_id: Any) -> ConsultationFacts:
    """What emails and reminders may know of a consultation: times, status, parties."""
    consultation = Consultation.objects.select_related("slot", "doctor__user").get(
        pk=consultation_id
    )
    return ConsultationFacts(
        id=consultation.pk,
        status=consultation.status,
        patient_id=consultation.patient_id,
        doctor_user_id=consultation.doctor.user_id,
        doctor_name=consultation.doctor.user.name,
        doctor_time_zone=consultation.doctor.timezone or "UTC",
        start=consultation.slot.start_time,
        end=consultation.slot.end_time,
    )
