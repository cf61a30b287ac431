"""The audit section: changes beside PHI reads, by name, per patient; the access report."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from audit.models import AuditEntry
from audit.services import audit_event
from backoffice.roles import AUDITOR, CLINICIAN
from consultations.selectors import consultation_record_read
from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db

TRAIL = "/admin/audit/trail/"
REPORT = "/admin/audit/access-report/"


def _browser(user: Any) -> Client:
    client = Client()
    staff_login(client, user)
    return client


@pytest.fixture
def history(staff, consultation_at, patient_b) -> dict[str, Any]:
    """Two patients' consultations, each read once by a clinician; one event each."""
    clinician = staff(CLINICIAN, name="Kavya Menon", email="kavya@example.com")
    mine = consultation_at(1, 9)
    other = consultation_at(1, 10, patient=patient_b)
    for consultation in (mine, other):
        consultation_record_read(consultation=consultation, actor=clinician)
        audit_event(
            action="consultation.cancelled",
            object_type="consultation",
            object_id=consultation.pk,
            actor=clinician,
        )
    return {"clinician": clinician, "mine": mine, "other": other}


def test_the_trail_shows_changes_beside_reads_by_name(staff, history):
    response = _browser(staff(AUDITOR)).get(TRAIL)

    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["changes"]) >= 2
    assert len(response.context["reads"]) == 2
    assert 'id="changes"' in html and 'id="reads"' in html
    assert "Kavya Menon" in html
    patient = history["mine"].patient
    assert f"Consultation of {patient.name} with Dr Doctor X" in html
    assert str(history["clinician"].pk) not in html  # people by name, not by id


def test_the_trail_filters_by_patient(staff, history):
    patient = history["mine"].patient

    response = _browser(staff(AUDITOR)).get(TRAIL, {"q": patient.email})

    assert response.context["patient"] == patient
    reads = response.context["reads"]
    assert [row["entry"].object_id for row in reads] == [str(history["mine"].pk)]
    changes = {row["entry"].object_id for row in response.context["changes"]}
    assert str(history["mine"].pk) in changes
    assert str(history["other"].pk) not in changes


def test_a_page_of_the_trail_names_everyone_in_a_few_queries(staff, history, consultation_at):
    browser = _browser(staff(AUDITOR))
    with CaptureQueriesContext(connection) as few:
        browser.get(TRAIL)
    clinician = history["clinician"]
    for hour in range(11, 20):
        consultation = consultation_at(1, hour, patient=UserFactory(role="PATIENT"))
        consultation_record_read(consultation=consultation, actor=clinician)

    with CaptureQueriesContext(connection) as many:
        browser.get(TRAIL)

    assert len(many) == len(few)


def test_the_access_report_lists_who_saw_the_patient(staff, history):
    patient = history["mine"].patient

    response = _browser(staff(AUDITOR)).get(REPORT, {"patient": str(patient.pk)})

    html = response.content.decode()
    rows = response.context["rows"]
    assert [row["actor"].name for row in rows] == ["Kavya Menon"]
    assert f"Who saw the health records of {patient.name}" in html
    assert "Export CSV" in html
    assert "/static/backoffice/print.js" in html


def test_the_access_report_exports_csv(staff, history):
    patient = history["mine"].patient

    response = _browser(staff(AUDITOR)).get(REPORT, {"patient": str(patient.pk), "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["time_utc", "viewer", "viewer_email"]
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
        ("Kavya Menon", "kavya@example.com", "consultation.viewed")
    ]
    read = AuditEntry.objects.get(subject_id=patient.pk, action="consultation.viewed")
    assert rows[1][7] == read.request_id


def test_the_access_report_of_an_unknown_patient_says_so(staff):
    response = _browser(staff(AUDITOR)).get(REPORT, {"q": "nobody@example.com"})

    assert response.status_code == 200
    assert "No patient matches" in response.content.decode()
