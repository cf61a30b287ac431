"""Figures of the back office's home page, each one aggregate query in the database.

The page issues the same handful of queries whatever the number of consultations:
counts are grouped in SQL (by doctor, status and clinic day), never by loading rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from amrutam.common.display import doctor_name, money_from_paise
from amrutam.common.timezones import clinic_midnight, clinic_today, clinic_zone
from consultations.analytics.report import Revenue, revenue_by_window
from consultations.models import Consultation, ConsultationStatus
from doctors.models import DoctorProfile

CHART_DAYS = 30
PENDING_DOCTORS_SHOWN = 10
STATUSES = [(value, label) for value, label in ConsultationStatus.choices]


@dataclass
class DoctorDay:
    doctor_id: str
    doctor_name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[int]:
        return [self.counts.get(value, 0) for value, _ in STATUSES]


@dataclass
class DayBoard:
    label: str
    day: dt.date
    doctors: list[DoctorDay]

    @property
    def total(self) -> int:
        return sum(row.total for row in self.doctors)

    @property
    def totals(self) -> list[int]:
        return [sum(row.cells[i] for row in self.doctors) for i in range(len(STATUSES))]


@dataclass
class WeekFigures:
    first_day: dt.date
    last_day: dt.date
    total: int
    cancelled: int
    no_shows: int


def day_boards(*, today: dt.date) -> list[DayBoard]:
    """Today's and tomorrow's consultations (clinic days) per doctor and status: one query."""
    tomorrow = today + dt.timedelta(days=1)
    rows = (
        Consultation.objects.filter(
            slot__start_time__gte=clinic_midnight(today),
            slot__start_time__lt=clinic_midnight(tomorrow + dt.timedelta(days=1)),
        )
        .annotate(day=TruncDate("slot__start_time", tzinfo=clinic_zone()))
        .values("day", "doctor_id", "doctor__user__name", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_day: dict[dt.date, dict[str, DoctorDay]] = defaultdict(dict)
    for row in rows:
        doctors = per_day[row["day"]]
        key = str(row["doctor_id"])
        name = doctor_name(row["doctor__user__name"])
        entry = doctors.setdefault(key, DoctorDay(key, name))
        entry.counts[row["status"]] = row["n"]
    return [
        DayBoard(label, day, sorted(per_day[day].values(), key=lambda d: d.doctor_name))
        for label, day in (("Today", today), ("Tomorrow", tomorrow))
    ]


def week_figures(*, today: dt.date) -> WeekFigures:
    """This clinic week's (Monday to Sunday) consultations, cancellations and no-shows."""
    monday = today - dt.timedelta(days=today.weekday())
    next_monday = monday + dt.timedelta(days=7)
    figures = Consultation.objects.filter(
        slot__start_time__gte=clinic_midnight(monday),
        slot__start_time__lt=clinic_midnight(next_monday),
    ).aggregate(
        total=Count("id"),
        cancelled=Count("id", filter=Q(status=ConsultationStatus.CANCELLED)),
        no_shows=Count("id", filter=Q(status=ConsultationStatus.NO_SHOW)),
    )
    return WeekFigures(monday, next_monday - dt.timedelta(days=1), **figures)


@dataclass
class RevenuePeriod:
    label: str
    key: str
    first_day: dt.date
    revenue: Revenue

    @property
    def captured(self) -> str:
        return money_from_paise(self.revenue.paid, self.revenue.currency)

    @property
    def refunded(self) -> str:
        return money_from_paise(self.revenue.refunded, self.revenue.currency)

    @property
    def net(self) -> str:
        return money_from_paise(self.revenue.net, self.revenue.currency)


def revenue_periods(*, today: dt.date, days: int = CHART_DAYS) -> list[RevenuePeriod]:
    """Money taken today, this clinic week (from Monday) and over the last `days` clinic
    days (today included, as the chart), refunds of those payments apart: one query."""
    monday = today - dt.timedelta(days=today.weekday())
    periods = [
        ("Today", "today", today),
        ("This week", "week", monday),
        (f"Last {days} days", "month", today - dt.timedelta(days=days - 1)),
    ]
    # Up to the end of the clinic's today: a payment is never stamped in the future, and
    # one bound for all three keeps them comparable.
    until = clinic_midnight(today + dt.timedelta(days=1))
    figures = revenue_by_window({key: (clinic_midnight(first), until) for _, key, first in periods})
    return [RevenuePeriod(label, key, first, figures[key]) for label, key, first in periods]


def bookings_per_day(*, today: dt.date, days: int = CHART_DAYS) -> list[tuple[dt.date, int]]:
    """Consultations booked on each of the last `days` clinic days, today included."""
    first = today - dt.timedelta(days=days - 1)
    counts = dict(
        Consultation.objects.filter(created_at__gte=clinic_midnight(first))
        .annotate(day=TruncDate("created_at", tzinfo=clinic_zone()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("day", "n")
    )
    return [(day, counts.get(day, 0)) for day in (first + dt.timedelta(i) for i in range(days))]


def doctors_awaiting_verification(
    *, limit: int = PENDING_DOCTORS_SHOWN
) -> tuple[list[DoctorProfile], bool]:
    """The oldest `limit` active unverified doctors, and whether there are more."""
    doctors = list(
        DoctorProfile.objects.filter(is_verified=False, user__is_active=True)
        .select_related("user")
        .order_by("created_at")[: limit + 1]
    )
    return doctors[:limit], len(doctors) > limit


def dashboard_context(*, with_revenue: bool = False) -> dict[str, object]:
    """The page's figures; revenue only when `with_revenue` (staff who may see payments),
    so the others' page neither shows it nor pays for its query."""
    today = clinic_today()
    pending, more_pending = doctors_awaiting_verification()
    per_day = bookings_per_day(today=today)
    return {
        "revenue": revenue_periods(today=today) if with_revenue else None,
        "statuses": STATUSES,
        "day_boards": day_boards(today=today),
        "week": week_figures(today=today),
        "pending_doctors": pending,
        "more_pending_doctors": more_pending,
        "bookings_per_day": per_day,
        "bookings_total": sum(n for _, n in per_day),
        "clinic_time_zone": clinic_zone().key,
    }
