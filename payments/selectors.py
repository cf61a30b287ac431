"""Reads of payments: who may see which, filtered lists, holds past their time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from consultations.models import ConsultationStatus

from .models import UNPAID_STATUSES, Payment


def payment_visible_q(user: Any) -> Q:
    """Admins see every payment, patients their own; nobody else any."""
    if user.role == Role.ADMIN:
        return Q()
    if user.role == Role.PATIENT:
        return Q(consultation__patient_id=user.pk)
    return Q(pk__in=[])


def payment_list_visible_to(
    *,
    user: Any,
    status: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Payment]:
    """Payments `user` may see, by status and creation time (`since <= t < until`), newest first."""
    payments = Payment.objects.filter(payment_visible_q(user))
    if status:
        payments = payments.filter(status=status)
    if since is not None:
        payments = payments.filter(created_at__gte=since)
    if until is not None:
        payments = payments.filter(created_at__lt=until)
    return payments.order_by("-created_at", "-id")


def payment_list_of_patient(*, patient_id: Any) -> QuerySet[Payment]:
    """Every payment of `patient_id`'s consultations, oldest first (the data export)."""
    return Payment.objects.filter(consultation__patient_id=patient_id).order_by("created_at", "pk")


def payment_list_expired_holds() -> list[Any]:
    """Ids of consultations whose unpaid hold has run out."""
    return list(
        Payment.objects.filter(
            status__in=UNPAID_STATUSES,
            expires_at__lte=timezone.now(),
            consultation__status=ConsultationStatus.PENDING,
        )
        .order_by("expires_at")
        .values_list("consultation_id", flat=True)
    )
