"""The dashboard's revenue card: money taken today, this week and over 30 clinic days,
refunds apart, summed in SQL and shown only to staff who may see payments."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amrutam.common.display import money_from_paise
from amrutam.common.timezones import clinic_midnight, clinic_today
from backoffice.dashboard import revenue_periods
from backoffice.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from consultations.tests.factories import ConsultationFactory
from payments.models import Payment, PaymentStatus
from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db

HOME = "/admin/"
# A Wednesday: its week began on Monday the 12th, its 30 clinic days on 16 December.
WEDNESDAY = dt.date(2026, 1, 14)


def _payment(
    paid_at: dt.datetime | None,
    rupees: int,
    status: str = PaymentStatus.PAID,
    refunded: int = 0,
) -> Payment:
    captured = paid_at is not None
    return Payment.objects.create(
        consultation=ConsultationFactory(),
        amount=rupees * 100,
        refunded_amount=refunded * 100,
        gateway="sandbox",
        gateway_order_id=f"order_{secrets.token_hex(6)}",
        gateway_payment_id=f"pay_{secrets.token_hex(6)}" if captured else None,
        status=status,
        expires_at=(paid_at or clinic_midnight(WEDNESDAY)) + dt.timedelta(minutes=15),
        paid_at=paid_at,
    )


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """`hour`:`minute` of the clinic's `day`."""
    return clinic_midnight(day) + dt.timedelta(hours=hour, minutes=minute)


def _figures(periods: list[Any]) -> dict[str, tuple[int, int, int]]:
    return {p.key: (p.revenue.paid, p.revenue.refunded, p.revenue.net) for p in periods}


def test_revenue_sums_paid_and_refunded_payments_per_clinic_period():
    _payment(_at(WEDNESDAY, 10), 1500)
    _payment(_at(WEDNESDAY, 11), 500, PaymentStatus.REFUNDED, refunded=500)
    # 00:30 on Monday in Kolkata is 19:00 UTC on Sunday: this week all the same.
    _payment(_at(WEDNESDAY - dt.timedelta(days=2), 0, 30), 700)
    # 23:30 on the Sunday before: last week, still within the 30 days.
    _payment(_at(WEDNESDAY - dt.timedelta(days=3), 23, 30), 300, PaymentStatus.REFUND_PENDING)
    _payment(_at(WEDNESDAY - dt.timedelta(days=29), 0), 1000, PaymentStatus.REFUNDED, 400)
    _payment(_at(WEDNESDAY - dt.timedelta(days=30), 23, 59), 9000)  # a day too early
    _payment(None, 8000, PaymentStatus.PENDING)  # a hold: nothing taken
    _payment(None, 8000, PaymentStatus.EXPIRED)

    periods = revenue_periods(today=WEDNESDAY)

    assert _figures(periods) == {
        "today": (200_000, 50_000, 150_000),
        "week": (270_000, 50_000, 220_000),
        "month": (400_000, 90_000, 310_000),
    }
    assert [p.first_day for p in periods] == [
        WEDNESDAY,
        dt.date(2026, 1, 12),
        dt.date(2025, 12, 16),
    ]


def test_revenue_periods_take_one_query():
    _payment(_at(WEDNESDAY, 10), 1500)

    with CaptureQueriesContext(connection) as queries:
        revenue_periods(today=WEDNESDAY)

    assert len(queries) == 1


@pytest.mark.parametrize(
    ("paise", "shown"),
    [(200_000, "₹2,000"), (0, "₹0"), (50, "₹0.50"), (123_456_789, "₹1,234,567.89")],
)
def test_revenue_is_written_in_rupees(paise, shown):
    assert money_from_paise(paise) == shown


def _home(user: Any) -> Any:
    client = Client()
    staff_login(client, user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def _today_paid_and_refunded() -> None:
    today = clinic_today()
    _payment(_at(today, 0, 5), 1500)
    _payment(_at(today, 0, 10), 500, PaymentStatus.REFUNDED, refunded=500)


def test_a_clinic_admin_sees_todays_revenue_on_the_dashboard(staff):
    _today_paid_and_refunded()

    html = _home(staff(CLINIC_ADMIN)).content.decode()

    assert '<td class="money" id="revenue-today-captured">₹2,000</td>' in html
    assert '<td class="money refunded" id="revenue-today-refunded">₹500</td>' in html
    assert '<td class="money total" id="revenue-today-net">₹1,500</td>' in html


def test_a_superuser_sees_the_revenue_card(admin_user):
    _today_paid_and_refunded()

    response = _home(admin_user)

    assert [p.revenue.paid for p in response.context["revenue"]] == [200_000] * 3
    assert 'id="revenue"' in response.content.decode()


@pytest.mark.parametrize("role", [FRONT_DESK, CLINICIAN])
def test_staff_who_may_not_see_payments_get_no_revenue_and_no_query_for_it(staff, role):
    _today_paid_and_refunded()
    client = Client()
    staff_login(client, staff(role))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)

    assert response.context["revenue"] is None
    html = response.content.decode()
    assert 'id="revenue"' not in html and "₹" not in html
    assert not [q for q in queries if "payments_payment" in q["sql"]]
