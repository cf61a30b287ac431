"""Erasure: tokens end at once, identity leaves every table, clinical records stay
encrypted until retention, and the audit chain still verifies."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import PatientProfile, User
from consultations.models import ClinicalNotes, Consultation, ConsultationStatus, Prescription
from consultations.tests.factories import ConsultationFactory
from doctors.models import SlotStatus
from notifications.models import Notification, NotificationKind, OutboxEvent, SendStatus
from notifications.services import event_dispatch
from privacy.models import ErasureRequest, ErasureStatus
from privacy.services import legal_hold_release, legal_hold_set

from .conftest import DIAGNOSIS, EMAIL, NAME, PASSWORD, PHONE_DIGITS

ERASURE = "/api/v1/auth/me/erasure"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


def _tables_holding(needle: str) -> list[str]:
    """Every table.column (any text or JSON column of any table) containing `needle`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            cursor.execute(
                f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608
                [f"%{needle}%"],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


def _verify_audit_log() -> str:
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    return out.getvalue()


def _enforce_at(when: dt.datetime) -> str:
    out = StringIO()
    with mock.patch("django.utils.timezone.now", return_value=when):
        call_command("enforce_retention", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_erasure_removes_identity_everywhere_and_keeps_clinical_records_until_retention(
    recorded_patient, settings
):
    settings.MEDICAL_RECORD_RETENTION_YEARS = 3
    patient, client = recorded_patient.user, recorded_patient.client
    completed = recorded_patient.completed
    # The search finds the sentinels before erasure: it is able to see them.
    assert "accounts_user.email" in _tables_holding(EMAIL)
    assert "accounts_user.name" in _tables_holding(NAME)

    response = client.post(ERASURE, {"password": PASSWORD}, format="json")

    assert response.status_code == 202
    erasure = response.json()["data"]["erasure"]
    expected_until = completed.slot.start_time.replace(year=completed.slot.start_time.year + 3)
    assert erasure["status"] == "RETAINED"
    assert dt.datetime.fromisoformat(erasure["retainedUntil"]) == expected_until
    # The same token answers 401 at once.
    assert client.get("/api/v1/auth/me").status_code == 401
    # Identity and profile: gone from every text column of every table.
    assert _tables_holding(EMAIL) == []
    assert _tables_holding(NAME) == []
    assert _tables_holding("Qwzxsentinel") == []
    assert _tables_holding(PHONE_DIGITS) == []
    profile = PatientProfile.objects.get(user=patient)
    assert (profile.phone, profile.phone_hash, profile.allergies) == (None, None, None)
    user = User.objects.get(pk=patient.pk)
    assert (user.is_active, user.has_usable_password()) == (False, False)
    # The upcoming booking was cancelled, its slot freed and its reason erased.
    pending = Consultation.objects.select_related("slot").get(pk=recorded_patient.pending.pk)
    assert pending.status == ConsultationStatus.CANCELLED
    assert pending.slot.status == SlotStatus.AVAILABLE
    assert pending.reason is None
    # Every consent still in force is withdrawn (the history stays).
    from consent.selectors import consent_is_withdrawn

    assert consent_is_withdrawn(user_id=patient.pk, purpose="telemedicine")
    # Clinical records: kept and still decryptable.
    kept = Consultation.objects.get(pk=completed.pk)
    assert kept.reason == "Sentinel cough"
    assert ClinicalNotes.objects.get(consultation=completed).diagnosis == DIAGNOSIS
    assert Prescription.objects.filter(consultation=completed).count() == 1
    assert "Audit chain intact" in _verify_audit_log()

    early = _enforce_at(expected_until - dt.timedelta(days=1))
    assert "erased clinical records of 0 patient(s)" in early
    assert ClinicalNotes.objects.filter(consultation=completed).count() == 1

    late = _enforce_at(expected_until + dt.timedelta(days=1))

    assert "erased clinical records of 1 patient(s)" in late
    assert Consultation.objects.get(pk=completed.pk).reason is None
    assert ClinicalNotes.objects.filter(consultation=completed).count() == 0
    assert Prescription.objects.filter(consultation=completed).count() == 0
    request = ErasureRequest.objects.get(patient=patient)
    assert request.status == ErasureStatus.COMPLETED
    assert "Audit chain intact" in _verify_audit_log()


@pytest.mark.django_db
def test_legal_hold_postpones_retention_erasure_until_released(recorded_patient, admin_user):
    completed = recorded_patient.completed
    recorded_patient.client.post(ERASURE, {"password": PASSWORD}, format="json")
    hold = legal_hold_set(
        patient=recorded_patient.user, reason="Complaint 42/2026 pending", set_by=admin_user
    )
    after_retention = timezone.now() + dt.timedelta(days=365 * 4)

    held = _enforce_at(after_retention)

    assert "1 held by a legal hold" in held
    assert ClinicalNotes.objects.get(consultation=completed).diagnosis == DIAGNOSIS
    assert ErasureRequest.objects.get().status == ErasureStatus.RETAINED

    legal_hold_release(hold=hold, released_by=admin_user)
    released = _enforce_at(after_retention)

    assert "erased clinical records of 1 patient(s)" in released
    assert ClinicalNotes.objects.filter(consultation=completed).count() == 0


@pytest.mark.django_db
def test_erasure_without_clinical_records_completes_at_once(patient, client_for):
    response = client_for(patient).post(ERASURE, {"password": "Correct-Horse-42!"}, format="json")

    assert response.status_code == 202
    assert response.json()["data"]["erasure"] == {"status": "COMPLETED", "retainedUntil": None}


def _unchanged(user: User, *, email: str) -> None:
    user.refresh_from_db()
    assert user.is_active is True
    assert user.email == email
    assert ErasureRequest.objects.count() == 0


@pytest.mark.django_db
def test_wrong_password_is_400_and_changes_nothing(recorded_patient):
    response = recorded_patient.client.post(ERASURE, {"password": "wrong"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "password" in response.json()["errors"]
    _unchanged(recorded_patient.user, email=EMAIL)
    pending = Consultation.objects.get(pk=recorded_patient.pending.pk)
    assert pending.status == ConsultationStatus.PENDING
    assert recorded_patient.client.get("/api/v1/auth/me").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "admin"])
def test_doctors_and_admins_cannot_erase_themselves_here(role, doctor, admin_user, client_for):
    user = doctor.user if role == "doctor" else admin_user
    email = user.email

    response = client_for(user).post(ERASURE, {"password": "Correct-Horse-42!"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    _unchanged(user, email=email)


@pytest.mark.django_db
def test_erasure_twice_is_refused(patient, client_for):
    from privacy.services import erasure_request

    client = client_for(patient)
    client.post(ERASURE, {"password": "Correct-Horse-42!"}, format="json")

    again = client.post(ERASURE, {"password": "Correct-Horse-42!"}, format="json")

    assert again.status_code == 401
    with pytest.raises(Exception) as refused:
        erasure_request(user=User.objects.get(pk=patient.pk), password="Correct-Horse-42!")
    assert getattr(refused.value, "code", None) == "invalid_state"
    assert ErasureRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_consultation_in_progress_blocks_erasure(patient, client_for):
    active = ConsultationFactory(patient=patient, status=ConsultationStatus.ACTIVE)

    response = client_for(patient).post(ERASURE, {"password": "Correct-Horse-42!"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    _unchanged(patient, email="patient.a@example.com")
    active.refresh_from_db()
    assert active.status == ConsultationStatus.ACTIVE


@pytest.mark.django_db
def test_missing_password_is_400(patient, client_for):
    response = client_for(patient).post(ERASURE, {}, format="json")

    assert response.status_code == 400
    _unchanged(patient, email="patient.a@example.com")


def test_erasure_tells_the_doctor_of_each_cancelled_consultation_once_without_phi(
    recorded_patient, doctor
):
    pending = recorded_patient.pending

    erased = recorded_patient.client.post(ERASURE, {"password": PASSWORD}, format="json")

    assert erased.status_code == 202, erased.content
    (row,) = OutboxEvent.objects.filter(event="consultation.cancelled")
    assert row.consultation_id == pending.pk
    assert row.data == {
        "consultationId": str(pending.pk),
        "patientId": str(recorded_patient.user.pk),
        "doctorId": str(doctor.pk),
        "slotId": str(pending.slot_id),
        "status": ConsultationStatus.CANCELLED,
    }
    stored = json.dumps(row.data)
    for phi in ("Sentinel", NAME, EMAIL, PHONE_DIGITS):
        assert phi not in stored


def test_the_erasures_cancel_notice_emails_the_doctor_and_not_the_erased_patient(
    recorded_patient, doctor
):
    recorded_patient.client.post(ERASURE, {"password": PASSWORD}, format="json")
    (row,) = OutboxEvent.objects.filter(event="consultation.cancelled")

    event_dispatch(event_id=row.pk)

    planned = Notification.objects.filter(consultation_id=recorded_patient.pending.pk)
    assert {(n.kind, n.recipient_id, n.status) for n in planned} == {
        (NotificationKind.CANCELLED_DOCTOR, doctor.user_id, SendStatus.PENDING),
        (NotificationKind.CANCELLED, recorded_patient.user.pk, SendStatus.SKIPPED),
    }
