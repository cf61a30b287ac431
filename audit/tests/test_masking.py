"""PHI never reaches the audit tables in clear: every encrypted field is masked."""

import datetime as dt
import secrets

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.db import connection
from django.utils import timezone

from amrutam.common.fields import EncryptedDateField, EncryptedJSONField
from audit.chain import seal_pending
from audit.registry import MASK, masked_fields

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-PHI-7f3a91"
SENTINEL_DATE = dt.date(1911, 11, 11)
# Fragments from both ends: a masker that hid only a part of a value is caught too.
SENTINEL_TEXTS = ("SENTINEL", "PHI-7f3a91", "PHI-SECOND", "1911-11-11", "1912-12-12")


def _phi_values(model, second=False):
    """A sentinel in every encrypted field of `model` (a second one for updates)."""
    text = "SENTINEL-PHI-SECOND" if second else SENTINEL
    values = {}
    for field in model._meta.concrete_fields:
        if not getattr(field, "encrypted", False):
            continue
        if isinstance(field, EncryptedDateField):
            values[field.name] = dt.date(1912, 12, 12) if second else SENTINEL_DATE
        elif isinstance(field, EncryptedJSONField):
            values[field.name] = [{"medicine": text, "dosage": text}]
        else:
            values[field.name] = text
    return values


def _audit_rows_text():
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM audit_auditentry t")
        return [r[0] for r in cursor.fetchall()]


def _required_fields(label, patient, doctor):
    """The non-PHI fields each model with PHI needs to be saved."""
    from doctors.tests.factories import SlotFactory

    consultation_model = apps.get_model("consultations", "Consultation")

    def consultation():
        return consultation_model.objects.create(
            patient=patient,
            doctor=doctor,
            slot=SlotFactory(doctor=doctor),
            meeting_token=secrets.token_urlsafe(16),
            **_phi_values(consultation_model),
        )

    return {
        "accounts.PatientProfile": lambda: {"user": patient},
        "consultations.Consultation": lambda: {
            "patient": patient,
            "doctor": doctor,
            "slot": SlotFactory(doctor=doctor),
            "meeting_token": secrets.token_urlsafe(16),
        },
        "consultations.ClinicalNotes": lambda: {"consultation": consultation(), "author": doctor},
        "consultations.Prescription": lambda: {
            "consultation": consultation(),
            "doctor": doctor,
            "doctor_name": "Dr X",
            "registration_number": "REG-1",
            "item_count": 1,
        },
        "doctors.TimeOff": lambda: {
            "doctor": doctor,
            "start_time": timezone.now() + dt.timedelta(days=3),
            "end_time": timezone.now() + dt.timedelta(days=4),
        },
    }[label]()


def test_no_sentinel_phi_reaches_any_audit_column(patient, doctor):
    models_with_phi = [m for m in auditlog.get_models() if masked_fields(m)]
    written = set()

    for model in models_with_phi:
        instance = model.objects.create(
            **_required_fields(model._meta.label, patient, doctor), **_phi_values(model)
        )
        for name, value in _phi_values(model, second=True).items():
            setattr(instance, name, value)
        instance.save()
        written |= {(model._meta.label, name) for name in _phi_values(model)}
    seal_pending()

    expected = {
        (m._meta.label, f.name)
        for m in models_with_phi
        for f in m._meta.concrete_fields
        if getattr(f, "encrypted", False)
    }
    assert written == expected
    assert {"accounts.PatientProfile", "consultations.ClinicalNotes"} <= {
        label for label, _ in written
    }
    rows = _audit_rows_text()
    leaks = [row for row in rows if any(s in row for s in SENTINEL_TEXTS)]
    assert leaks == []
    # The fields are tracked and masked, not silently dropped.
    profile_entry = apps.get_model("audit", "AuditEntry").objects.get(
        action="patient_profile.updated"
    )
    assert profile_entry.changes["medical_history"] == [MASK, MASK]
    assert profile_entry.changes["date_of_birth"] == [MASK, MASK]


def test_keyed_hashes_of_phi_are_masked_as_well():
    profile_model = apps.get_model("accounts", "PatientProfile")

    assert "phone_hash" in masked_fields(profile_model)
