"""Staff in a real browser: log in, read the dashboard, verify a doctor, cancel a booking,
and see health information only with the permission for it."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from audit.models import AuditEntry, EntryKind
from backoffice.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from consultations.models import Consultation, ConsultationStatus
from doctors.models import AvailabilitySlot, SlotStatus
from doctors.tests.factories import DoctorProfileFactory
from payments.models import Payment, PaymentStatus

from .login import staff_login

# The live server answers from another thread: rows must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)

REASON = "Recurring joint pain in the mornings"
PATIENTS = ["Priya Patel", "Arjun Rao", "Meera Nair", "Kabir Singh"]


@pytest.fixture
def clinic(staff, consultation_at) -> dict[str, Any]:
    """Three doctors, a month of bookings, today's and tomorrow's lists, one doctor pending."""
    doctors = [
        DoctorProfileFactory(user=UserFactory(role="DOCTOR", name=name, email=email))
        for name, email in (
            ("Dr Asha Sharma", "dr.sharma@example.com"),
            ("Ravi Iyer", "dr.iyer@example.com"),
            ("Dr Sara Khan", "dr.khan@example.com"),
        )
    ]
    patients = [
        UserFactory(role="PATIENT", name=name, email=f"{name.split()[0].lower()}@example.com")
        for name in PATIENTS
    ]
    statuses = [
        ConsultationStatus.COMPLETED,
        ConsultationStatus.COMPLETED,
        ConsultationStatus.PENDING,
        ConsultationStatus.PENDING,
        ConsultationStatus.PENDING,
    ]
    today = []
    for i, status in enumerate(statuses):
        today.append(
            consultation_at(0, 9 + i, doctor=doctors[i % 3], patient=patients[i % 4], status=status)
        )
    upcoming = consultation_at(1, 10, doctor=doctors[0], patient=patients[0], reason=REASON)
    consultation_at(1, 11, doctor=doctors[1], patient=patients[1])
    monday = -timezone.localdate().weekday()
    consultation_at(monday, 8, doctor=doctors[2], patient=patients[2], status="NO_SHOW")
    consultation_at(monday, 7, doctor=doctors[1], patient=patients[3], status="CANCELLED")
    month = _month_of_bookings(doctors, patients)
    three_weeks_ago = next(c for c in month if timezone.now() - c.created_at >= dt.timedelta(21))
    _payments_of(today[0], today[1], three_weeks_ago)
    pending = DoctorProfileFactory(
        user=UserFactory(role="DOCTOR", name="Meena Joshi", email="meena@example.com"),
        is_verified=False,
        verified_at=None,
    )
    return {
        "admin": staff(CLINIC_ADMIN, name="Anita Desai", email="anita@example.com"),
        "desk": staff(FRONT_DESK, name="Rahul Verma", email="rahul@example.com"),
        "clinician": staff(CLINICIAN, name="Kavya Menon", email="kavya@example.com"),
        "upcoming": upcoming,
        "today": today,
        "pending": pending,
    }


def _month_of_bookings(doctors: list[Any], patients: list[Any]) -> list[Any]:
    """Past bookings for the chart, a few more each week, written in two bulk inserts;
    returned newest first."""
    slots, consultations = [], []
    for day in range(1, 30):
        for n in range(day % 4 + (30 - day) // 8):
            start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(
                days=day, hours=n
            )
            slot = AvailabilitySlot(
                doctor=doctors[n % 3],
                start_time=start,
                end_time=start + dt.timedelta(minutes=30),
                status=SlotStatus.BOOKED,
            )
            slots.append(slot)
            consultations.append(
                Consultation(
                    slot=slot,
                    doctor=slot.doctor,
                    patient=patients[n % 4],
                    status=ConsultationStatus.COMPLETED,
                    started_at=start,
                    completed_at=start,
                    meeting_token=secrets.token_urlsafe(16),
                )
            )
    AvailabilitySlot.objects.bulk_create(slots)
    Consultation.objects.bulk_create(consultations)
    # created_at is set on insert; the chart counts bookings by the day they were made.
    for consultation in consultations:
        consultation.created_at = consultation.slot.start_time - dt.timedelta(days=2)
    Consultation.objects.bulk_update(consultations, ["created_at"])
    return consultations


def _payments_of(paid: Any, refunded: Any, older: Any) -> None:
    """Today's two completed consultations were paid, ₹1,500 and ₹500, the second
    refunded in full; an older one was paid ₹1,000 on the day it was booked."""
    for consultation, paise, status, refund in (
        (paid, 150_000, PaymentStatus.PAID, 0),
        (refunded, 50_000, PaymentStatus.REFUNDED, 50_000),
        (older, 100_000, PaymentStatus.PAID, 0),
    ):
        Payment.objects.create(
            consultation=consultation,
            amount=paise,
            refunded_amount=refund,
            gateway="sandbox",
            gateway_order_id=f"order_{consultation.pk.hex[:12]}",
            gateway_payment_id=f"pay_{consultation.pk.hex[:12]}",
            status=status,
            expires_at=consultation.created_at + dt.timedelta(minutes=15),
            paid_at=consultation.created_at,
        )


def _text(driver: Any, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def _open_consultation(driver: Any, base: str, consultation: Any) -> str:
    driver.get(f"{base}/admin/consultations/consultation/{consultation.pk}/change/")
    return _text(driver, "#content")


def test_the_dashboard_shows_the_day_and_a_doctor_is_verified_from_it(
    driver, live_server, clinic, screenshot
):
    staff_login(driver, live_server.url, "anita@example.com", DEFAULT_PASSWORD)

    today = _text(driver, "#board-today")
    assert "Today" in today and "5 consultations" in today
    assert "Dr Asha Sharma" in today and "Dr Ravi Iyer" in today and "Dr Dr" not in today
    assert "Dr Dr" not in driver.page_source
    assert _text(driver, "#week-no-shows") == "1"
    assert _text(driver, "#week-cancelled") == "1"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#bookings-chart rect.bar")) == 30
    assert "Dr Meena Joshi" in _text(driver, "#pending-doctors")
    assert _text(driver, "#revenue-today-captured") == "₹2,000"
    assert _text(driver, "#revenue-today-refunded") == "₹500"
    assert _text(driver, "#revenue-today-net") == "₹1,500"
    assert _text(driver, "#revenue-week-net") == "₹1,500"
    assert _text(driver, "#revenue-month-captured") == "₹3,000"
    assert _text(driver, "#revenue-month-net") == "₹2,500"
    screenshot("dashboard", full_page=True)

    driver.find_element(
        By.CSS_SELECTOR, f'.verify-button[data-doctor="{clinic["pending"].pk}"]'
    ).click()

    assert "Dr Meena Joshi is verified" in _text(driver, ".messagelist")
    assert "Dr Meena Joshi" not in _text(driver, "#pending-doctors")
    clinic["pending"].refresh_from_db()
    assert clinic["pending"].is_verified
    assert AuditEntry.objects.filter(action="doctor.verified", actor_id=clinic["admin"].pk).exists()


def test_front_desk_sees_no_phi_and_cancels_a_booking(driver, live_server, clinic, screenshot):
    staff_login(driver, live_server.url, "rahul@example.com", DEFAULT_PASSWORD)
    upcoming = clinic["upcoming"]

    assert not driver.find_elements(By.ID, "revenue")  # payments are not the desk's
    page = _open_consultation(driver, live_server.url, upcoming)
    assert REASON not in page
    assert "withheld" in page
    assert "Consultation of Priya Patel with Dr Asha Sharma" in page

    driver.get(f"{live_server.url}/admin/consultations/consultation/")
    overflow = driver.execute_script(
        "const r = document.querySelector('#changelist .results');"
        "return Math.max(r.scrollWidth - r.clientWidth,"
        " document.documentElement.scrollWidth - window.innerWidth);"
    )
    assert overflow <= 0  # every column fits at 1280 px, none scrolled out of view
    screenshot("consultations")
    driver.find_element(By.CSS_SELECTOR, f'input.action-select[value="{upcoming.pk}"]').click()
    Select(driver.find_element(By.NAME, "action")).select_by_value("cancel_selected")
    driver.find_element(By.CSS_SELECTOR, 'button[name="index"]').click()

    assert "1 consultation(s) cancelled." in _text(driver, ".messagelist")
    upcoming.refresh_from_db()
    assert upcoming.status == ConsultationStatus.CANCELLED
    assert not AuditEntry.objects.filter(kind=EntryKind.ACCESS, actor_id=clinic["desk"].pk).exists()


def test_a_clinician_sees_the_phi(driver, live_server, clinic):
    staff_login(driver, live_server.url, "kavya@example.com", DEFAULT_PASSWORD)

    page = _open_consultation(driver, live_server.url, clinic["upcoming"])

    assert REASON in page
    assert AuditEntry.objects.filter(
        kind=EntryKind.ACCESS, actor_id=clinic["clinician"].pk
    ).exists()
