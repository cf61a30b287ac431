"""Query counts of the audit app's list reads: the same whatever the number of rows.

Each test measures a request over a few rows, adds three times as many (by other actors,
about other patients and doctors, on other days), and expects exactly the same count
again, with every row in the answer: a per-row query (an N+1) fails it. The caller's
first request is made before measuring, so its authentication state is cached as in
steady use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps

from accounts.tests.factories import UserFactory
from audit.models import AuditEntry
from audit.services import audit_event, phi_access_record
from tests.backoffice import changelist

pytestmark = pytest.mark.django_db

LOGS = "/api/v1/audit/logs"
ACCESS_LOG = "/api/v1/auth/me/access-log"
ANALYTICS = "/api/v1/admin/analytics"
FEW, MORE = 3, 9  # then 3 + 9 = 12: four times the first read
ROLES = ["PATIENT", "DOCTOR", "ADMIN"]

# Each list: the count and the page (entries are read alone: no relation is followed).
LIST_QUERIES = 2
# The totals, the bookings per day and the revenue, each aggregated by the database.
ANALYTICS_QUERIES = 3


def read(client: Any, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return response.json()["data"]


# --- GET /audit/logs -----------------------------------------------------------------------


def test_audit_log_query_count_does_not_grow_with_the_entries(
    admin_user, client_for, django_assert_num_queries
):
    client = client_for(admin_user)

    def add(count: int, start: int) -> list[str]:
        # Events by users of every role, PHI reads about other patients, one per actor.
        ids = []
        for n in range(start, start + count):
            actor = UserFactory(role=ROLES[n % len(ROLES)])
            ids.append(
                audit_event(
                    action="consultation.booked",
                    object_type="consultation",
                    object_id=f"c-{n}",
                    changes={"status": [None, "PENDING"]},
                    actor=actor,
                ).pk
            )
            ids.append(
                phi_access_record(
                    action="consultation.viewed",
                    object_type="consultation",
                    object_id=f"c-{n}",
                    subject_id=UserFactory(role="PATIENT").pk,
                    actor=actor,
                ).pk
            )
        return [str(i) for i in ids]

    made = add(FEW, 0)
    read(client, LOGS)

    with django_assert_num_queries(LIST_QUERIES):
        few = read(client, LOGS, {"pageSize": 100})["logs"]
    few_total = AuditEntry.objects.count()
    made += add(MORE, FEW)
    with django_assert_num_queries(LIST_QUERIES):
        many = read(client, LOGS, {"pageSize": 100})["logs"]

    # Every entry is listed (the users' creation too), the ones made here among them.
    assert len(few) == few_total
    assert len(many) == AuditEntry.objects.count()
    assert len(made) == 2 * (FEW + MORE)
    assert set(made) <= {e["id"] for e in many}
    assert {e["actorRole"] for e in many if e["id"] in made} == set(ROLES)


def test_filtered_audit_log_query_count_does_not_grow(
    admin_user, client_for, django_assert_num_queries
):
    client = client_for(admin_user)
    params = {"action": "consultation.*", "objectType": "consultation", "from": "2000-01-01"}

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            audit_event(
                action="consultation.booked",
                object_type="consultation",
                object_id=f"c-{n}",
                actor=UserFactory(role=ROLES[n % len(ROLES)]),
            )
            audit_event(action="doctor.verified", object_type="doctor_profile", object_id=n)

    add(FEW, 0)
    read(client, LOGS)

    with django_assert_num_queries(LIST_QUERIES):
        few = read(client, LOGS, params)["logs"]
    add(MORE, FEW)
    with django_assert_num_queries(LIST_QUERIES):
        many = read(client, LOGS, params)["logs"]

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert {e["action"] for e in many} == {"consultation.booked"}


# --- GET /auth/me/access-log ---------------------------------------------------------------


def test_access_log_query_count_does_not_grow_with_the_reads(
    patient, patient_b, client_for, django_assert_num_queries
):
    client = client_for(patient)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            reader = UserFactory(role=["DOCTOR", "ADMIN"][n % 2])
            phi_access_record(
                action="consultation.viewed",
                object_type="consultation",
                object_id=f"c-{n}",
                subject_id=patient.pk,
                actor=reader,
            )
            # Neither listed: another patient's record, and the patient's own read.
            phi_access_record(
                action="consultation.viewed",
                object_type="consultation",
                object_id=f"c-{n}",
                subject_id=patient_b.pk,
                actor=reader,
            )
            phi_access_record(
                action="consultation.viewed",
                object_type="consultation",
                object_id=f"c-{n}",
                subject_id=patient.pk,
                actor=patient,
            )

    add(FEW, 0)
    read(client, ACCESS_LOG)

    with django_assert_num_queries(LIST_QUERIES):
        few = read(client, ACCESS_LOG)["entries"]
    add(MORE, FEW)
    with django_assert_num_queries(LIST_QUERIES):
        many = read(client, ACCESS_LOG)["entries"]

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert str(patient.pk) not in {e["actorId"] for e in many}
    assert {e["actorRole"] for e in many} == {"DOCTOR", "ADMIN"}


# --- GET /admin/analytics ------------------------------------------------------------------


def _book(status: str, day: dt.date, doctor: Any) -> None:
    from consultations.tests.factories import ConsultationFactory
    from doctors.tests.factories import SlotFactory

    consultation = ConsultationFactory(slot=SlotFactory(doctor=doctor), status=status)
    apps.get_model("consultations", "Consultation").objects.filter(pk=consultation.pk).update(
        created_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
    )


def test_analytics_query_count_does_not_grow_with_consultations_days_or_doctors(
    admin_user, client_for, django_assert_num_queries
):
    from doctors.tests.factories import DoctorProfileFactory

    client = client_for(admin_user)
    window = {"from": "2025-01-01", "to": "2025-01-31"}
    statuses = ["PENDING", "ACTIVE", "COMPLETED", "CANCELLED", "NO_SHOW"]

    def add(count: int, start: int) -> None:
        # A new doctor each, on ever later days of January.
        for n in range(start, start + count):
            _book(statuses[n % len(statuses)], dt.date(2025, 1, 1 + 2 * n), DoctorProfileFactory())

    add(FEW, 0)
    read(client, ANALYTICS, window)

    with django_assert_num_queries(ANALYTICS_QUERIES):
        few = read(client, ANALYTICS, window)
    add(MORE, FEW)
    with django_assert_num_queries(ANALYTICS_QUERIES):
        many = read(client, ANALYTICS, window)

    assert (few["totalConsultations"], few["activeDoctors"]) == (FEW, FEW)
    assert (many["totalConsultations"], many["activeDoctors"]) == (FEW + MORE, FEW + MORE)
    assert len(many["bookingsPerDay"]) == 31
    assert sum(d["count"] for d in many["bookingsPerDay"]) == FEW + MORE
    assert len([d for d in many["bookingsPerDay"] if d["count"]]) == FEW + MORE


# --- The back office's list: /admin/audit/auditentry/ -------------------------------------

# The session, its user, the count (no second, full count) and the page; the trail's
# action filter adds the newest id and the recent actions. The changed-model filter reads
# content types from their cache.
ENTRY_CHANGELIST_QUERIES = 6


def add_users(count: int) -> list[Any]:
    # Each user's creation is a change entry of the trail (django-auditlog's entry).
    return [UserFactory(role=ROLES[n % len(ROLES)]) for n in range(count)]


def test_audit_changelist_query_count_does_not_grow(staff_browser, django_assert_num_queries):
    url, model, queries = "/admin/audit/auditentry/", AuditEntry, ENTRY_CHANGELIST_QUERIES
    add_users(FEW)
    changelist(staff_browser, url)

    few_total = model.objects.count()
    with django_assert_num_queries(queries):
        few = changelist(staff_browser, url)
    add_users(MORE)
    with django_assert_num_queries(queries):
        many = changelist(staff_browser, url)

    assert len(few) == few_total >= FEW
    assert len(many) == model.objects.count() >= few_total + MORE
