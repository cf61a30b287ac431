"""The back office's home: today's and tomorrow's consultations, the week, pending doctors,
bookings per day, and the verify action one click away."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from amrutam.common.timezones import clinic_today
from audit.models import AuditEntry
from backoffice.roles import CLINIC_ADMIN, FRONT_DESK
from consultations.models import Consultation, ConsultationStatus
from doctors.tests.factories import DoctorProfileFactory
from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db

HOME = "/admin/"


def _browser(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    staff_login(client, user)
    return client


def _verify_url(doctor: Any) -> str:
    return f"/admin/dashboard/doctors/{doctor.pk}/verify/"


@pytest.fixture
def pending_doctor() -> Any:
    user = UserFactory(role="DOCTOR", name="Meena Joshi", email="meena@example.com")
    return DoctorProfileFactory(user=user, is_verified=False, verified_at=None)


def test_the_home_page_counts_today_and_tomorrow_by_doctor_and_status(
    staff, consultation_at, doctor_b
):
    consultation_at(0, 9)
    consultation_at(0, 10, status=ConsultationStatus.CANCELLED)
    consultation_at(0, 11, doctor=doctor_b)
    consultation_at(1, 9)
    consultation_at(2, 9)  # the day after tomorrow: on neither board

    response = _browser(staff(CLINIC_ADMIN)).get(HOME)

    boards = {board.label: board for board in response.context["day_boards"]}
    today = {row.doctor_name: row.counts for row in boards["Today"].doctors}
    tomorrow = {row.doctor_name: row.counts for row in boards["Tomorrow"].doctors}
    assert today == {
        "Dr Doctor X": {"PENDING": 1, "CANCELLED": 1},
        "Dr Doctor Y": {"PENDING": 1},
    }
    assert tomorrow == {"Dr Doctor X": {"PENDING": 1}}
    assert boards["Today"].total == 3
    html = response.content.decode()
    assert "Today, " in html and "3 consultations" in html


def test_a_consultation_at_0100_clinic_time_counts_on_that_clinic_day(staff, consultation_at):
    # 01:00 in Kolkata is 19:30 UTC of the day before: a UTC grouping would miss it.
    consultation_at(0, 1)

    response = _browser(staff(CLINIC_ADMIN)).get(HOME)

    today = response.context["day_boards"][0]
    assert today.day == clinic_today()
    assert today.total == 1


def test_the_week_counts_cancellations_and_no_shows(staff, consultation_at):
    monday_offset = -clinic_today().weekday()
    consultation_at(monday_offset, 9, status=ConsultationStatus.NO_SHOW)
    consultation_at(monday_offset, 10, status=ConsultationStatus.CANCELLED)
    consultation_at(monday_offset, 11, status=ConsultationStatus.CANCELLED)
    consultation_at(monday_offset + 6, 12)
    consultation_at(monday_offset - 1, 9, status=ConsultationStatus.CANCELLED)  # last week

    week = _browser(staff(CLINIC_ADMIN)).get(HOME).context["week"]

    assert (week.total, week.cancelled, week.no_shows) == (4, 2, 1)


def test_bookings_per_day_cover_thirty_clinic_days_and_draw_a_bar_each(staff, consultation_at):
    consultation_at(1, 9)
    consultation_at(1, 10)

    response = _browser(staff(CLINIC_ADMIN)).get(HOME)

    series = response.context["bookings_per_day"]
    assert len(series) == 30
    assert series[-1] == (clinic_today(), 2)  # booked today, whatever the start
    assert sum(n for _, n in series) == 2
    html = response.content.decode()
    assert html.count('<rect class="bar"') == 30
    assert "2 bookings</title>" in html
    assert "/static/backoffice/dashboard.css" in html  # served by the app, no CDN
    assert "https://" not in html


def test_pending_doctors_are_listed_with_a_verify_button(staff, pending_doctor, doctor):
    html = _browser(staff(CLINIC_ADMIN)).get(HOME).content.decode()

    assert "Dr Meena Joshi" in html
    assert _verify_url(pending_doctor) in html
    assert _verify_url(doctor) not in html  # already verified


def test_front_desk_sees_no_verify_button(staff, pending_doctor):
    html = _browser(staff(FRONT_DESK)).get(HOME).content.decode()

    assert "Dr Meena Joshi" in html
    assert _verify_url(pending_doctor) not in html


def test_verify_from_the_home_page_verifies_through_the_audited_service(staff, pending_doctor):
    admin = staff(CLINIC_ADMIN)
    browser = _browser(admin, enforce_csrf_checks=True)
    page = browser.get(HOME)
    token = page.context["csrf_token"]

    response = browser.post(_verify_url(pending_doctor), {"csrfmiddlewaretoken": str(token)})

    assert response.status_code == 302
    pending_doctor.refresh_from_db()
    assert pending_doctor.is_verified
    assert pending_doctor.verified_by_id == admin.pk
    entry = AuditEntry.objects.get(action="doctor.verified", object_id=str(pending_doctor.pk))
    assert entry.actor_id == admin.pk


def test_verify_without_the_csrf_token_is_refused(staff, pending_doctor):
    browser = _browser(staff(CLINIC_ADMIN), enforce_csrf_checks=True)

    response = browser.post(_verify_url(pending_doctor))

    assert response.status_code == 403
    pending_doctor.refresh_from_db()
    assert not pending_doctor.is_verified


def test_verify_by_a_user_without_the_permission_changes_nothing(staff, pending_doctor):
    response = _browser(staff(FRONT_DESK)).post(_verify_url(pending_doctor), follow=True)

    pending_doctor.refresh_from_db()
    assert not pending_doctor.is_verified
    assert "You may not verify doctors." in response.content.decode()


def test_verify_by_get_is_not_allowed(staff, pending_doctor):
    response = _browser(staff(CLINIC_ADMIN)).get(_verify_url(pending_doctor))

    assert response.status_code == 405
    pending_doctor.refresh_from_db()
    assert not pending_doctor.is_verified


BULK_SLOTS = """
INSERT INTO doctors_availabilityslot (id, doctor_id, start_time, end_time, status,
                                      created_at, updated_at)
SELECT gen_random_uuid(), %(doctor)s,
       %(start)s + make_interval(mins => 30 * i), %(start)s + make_interval(mins => 30 * i + 30),
       'BOOKED', now(), now()
FROM generate_series(0, %(n)s - 1) AS i
"""
# Ten consultations per slot (one pending, nine cancelled: only one may hold a slot), so
# 100k consultations need 10k slots, the rows the exclusion constraint must check.
PER_SLOT = 10
BULK_CONSULTATIONS = """
INSERT INTO consultations_consultation (id, patient_id, doctor_id, slot_id, status,
    meeting_token, cancelled_at, created_at, updated_at)
SELECT gen_random_uuid(), %(patient)s, s.doctor_id, s.id,
       CASE WHEN k = 1 THEN 'PENDING' ELSE 'CANCELLED' END,
       md5(s.id::text || k), CASE WHEN k > 1 THEN now() END,
       now() - make_interval(days => (k * 3 + extract(minute FROM s.start_time)::int) %% 40),
       now()
FROM doctors_availabilityslot s, generate_series(1, %(per_slot)s) AS k
WHERE s.doctor_id = %(doctor)s
"""


def _bulk_consultations(doctor: Any, patient: Any, n: int) -> None:
    # Slots every 30 minutes from two weeks ago: every board and the chart have rows.
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=14)
    with connection.cursor() as cursor:
        # A one-off bulk load, not a request: lift the per-statement bound for this
        # test's transaction only (the exclusion constraint checks every slot).
        cursor.execute("SET LOCAL statement_timeout = '300s'")
        slots = {"doctor": doctor.pk, "start": start, "n": n // PER_SLOT}
        cursor.execute(BULK_SLOTS, slots)
        cursor.execute(
            BULK_CONSULTATIONS, {"doctor": doctor.pk, "patient": patient.pk, "per_slot": PER_SLOT}
        )
    assert Consultation.objects.filter(doctor=doctor).count() == n


def _home_queries(browser: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(HOME)
    assert response.status_code == 200
    return len(queries)


def test_the_home_page_makes_the_same_few_queries_with_100k_consultations(
    staff, doctor_b, patient, consultation_at, pending_doctor
):
    consultation_at(0, 9)
    browser = _browser(staff(CLINIC_ADMIN))
    few = _home_queries(browser)

    _bulk_consultations(doctor_b, patient, 100_000)
    many = _home_queries(browser)
    response = browser.get(HOME)

    # session, user, the user's group and own permissions, four figures of the page and
    # the revenue card (one query for its three periods)
    assert few == many <= 9
    assert sum(n for _, n in response.context["bookings_per_day"]) > 50_000
    assert response.context["day_boards"][0].total >= 48 * PER_SLOT
