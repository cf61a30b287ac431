"""Consultations booked in a window, by status and per day (two queries), and the revenue
of payments made in it, or in several windows at once (one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from amrutam.common.replica import replica_ok

from ..models import Consultation, ConsultationStatus

# Consultations that reached their time: the patient either came or did not.
REACHED = (ConsultationStatus.ACTIVE, ConsultationStatus.COMPLETED, ConsultationStatus.NO_SHOW)
# Payments that took money (less what was refunded of them). Read through the
# consultation's `payment` relation: the payments app sits above this one.
CAPTURED = ("PAID", "REFUND_PENDING", "REFUNDED")
CURRENCY = "INR"


@dataclass(frozen=True)
class Revenue:
    """Paise paid in the window (by payment time), and refunded of those payments."""

    currency: str
    paid: int
    refunded: int

    @property
    def net(self) -> int:
        return self.paid - self.refunded


@dataclass(frozen=True)
class Analytics:
    total: int
    by_status: dict[str, int]
    active_doctors: int
    bookings_per_day: list[tuple[dt.date, int]]
    cancellation_rate: float
    no_show_rate: float
    revenue: Revenue


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def revenue_by_window(
    windows: Mapping[str, tuple[dt.datetime, dt.datetime]],
) -> dict[str, Revenue]:
    """Revenue of the payments made in each named window (`since <= paid_at < until`),
    summed by the database in one query, whether the windows overlap or not."""
    if not windows:
        return {}
    sums = {}
    for name, (since, until) in windows.items():
        paid_in = Q(payment__paid_at__gte=since, payment__paid_at__lt=until)
        sums[f"{name}_paid"] = Sum("payment__amount", filter=paid_in)
        sums[f"{name}_refunded"] = Sum("payment__refunded_amount", filter=paid_in)
    # The outer bounds keep payments outside every window from being joined and summed;
    # each window then picks its own rows through its FILTER clause.
    earliest = min(since for since, _ in windows.values())
    latest = max(until for _, until in windows.values())
    totals = Consultation.objects.filter(
        payment__status__in=CAPTURED, payment__paid_at__gte=earliest, payment__paid_at__lt=latest
    ).aggregate(**sums)
    return {
        name: Revenue(
            currency=CURRENCY,
            paid=totals[f"{name}_paid"] or 0,
            refunded=totals[f"{name}_refunded"] or 0,
        )
        for name in windows
    }


def _revenue(since: dt.datetime, until: dt.datetime) -> Revenue:
    return revenue_by_window({"window": (since, until)})["window"]


@replica_ok
def consultation_analytics(*, since: dt.datetime, until: dt.datetime) -> Analytics:
    """Consultations booked (created) in `since <= t < until`, counted by the database.

    cancellationRate = cancelled / all booked; noShowRate = no-shows / consultations
    that reached their time (active, completed or no-show). Days are UTC days.
    """
    statuses = list(ConsultationStatus.values)
    booked = Consultation.objects.filter(created_at__gte=since, created_at__lt=until)

    totals = booked.aggregate(
        total=Count("pk"),
        active_doctors=Count("doctor", distinct=True),
        **{f"s_{status}": Count("pk", filter=Q(status=status)) for status in statuses},
    )
    per_day = dict(
        booked.annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )

    by_status = {status: totals[f"s_{status}"] for status in statuses}
    first_day, last_day = since.date(), (until - dt.timedelta(microseconds=1)).date()
    days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    reached = sum(by_status[s] for s in REACHED)
    return Analytics(
        total=totals["total"],
        by_status=by_status,
        active_doctors=totals["active_doctors"],
        bookings_per_day=[(day, per_day.get(day, 0)) for day in days],
        cancellation_rate=_rate(by_status[ConsultationStatus.CANCELLED], totals["total"]),
        no_show_rate=_rate(by_status[ConsultationStatus.NO_SHOW], reached),
        revenue=_revenue(since, until),
    )
