"""The view-PHI permission governs the API for admins as it does the back office: without
it, health fields are null, `withheldFields` names them, and no access entry is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from audit.models import AuditEntry, EntryKind
from consultations.models import ConsultationStatus
from doctors.models import SlotStatus

from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db

PHI = ["reason", "cancellationReason", "notes", "prescription"]
NOTES = {"symptoms": "Cough, mild fever", "diagnosis": "Viral URTI", "advice": "Rest, fluids"}


def _admin(*, view_phi: bool) -> Any:
    user = UserFactory(role="ADMIN", is_staff=True)
    if view_phi:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="consultations", codename="view_phi")
        )
    return user


def _reads_by(user: Any) -> int:
    return AuditEntry.objects.filter(kind=EntryKind.ACCESS, actor_id=user.pk).count()


@pytest.fixture
def active(slot_at, patient, doctor, client_for) -> Any:
    consultation = ConsultationFactory(
        slot=slot_at(-5, status=SlotStatus.BOOKED),
        patient=patient,
        status=ConsultationStatus.ACTIVE,
        reason="Chest pain at night",
    )
    url = f"/api/v1/consultations/{consultation.pk}/notes"
    assert client_for(doctor.user).put(url, NOTES, format="json").status_code == 201
    return consultation


def test_an_admin_without_view_phi_gets_null_phi_and_the_withheld_names(client_for, active):
    admin = _admin(view_phi=False)

    response = client_for(admin).get(f"/api/v1/consultations/{active.pk}")

    assert response.status_code == 200
    body = response.json()["data"]["consultation"]
    assert {name: body[name] for name in PHI} == dict.fromkeys(PHI)
    assert body["withheldFields"] == PHI
    assert body["id"] == str(active.pk)
    assert body["status"] == "ACTIVE"
    assert "Chest pain" not in response.content.decode()
    assert "Viral URTI" not in response.content.decode()
    assert _reads_by(admin) == 0


def test_an_admin_with_view_phi_gets_the_phi_and_the_read_is_logged(client_for, active):
    admin = _admin(view_phi=True)

    response = client_for(admin).get(f"/api/v1/consultations/{active.pk}")

    body = response.json()["data"]["consultation"]
    assert body["reason"] == "Chest pain at night"
    assert body["notes"]["diagnosis"] == "Viral URTI"
    assert "withheldFields" not in body
    entry = AuditEntry.objects.get(kind=EntryKind.ACCESS, actor_id=admin.pk)
    assert (entry.object_id, entry.subject_id) == (str(active.pk), active.patient_id)


def test_an_admin_without_view_phi_cancels_and_is_shown_no_reason(client_for, slot_at, patient):
    admin = _admin(view_phi=False)
    pending = ConsultationFactory(slot=slot_at(300, status=SlotStatus.BOOKED), patient=patient)

    response = client_for(admin).post(
        f"/api/v1/consultations/{pending.pk}/cancel", {"reason": "Doctor unwell"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()["data"]["consultation"]
    assert body["status"] == "CANCELLED"
    assert body["cancellationReason"] is None
    assert body["withheldFields"] == PHI
    pending.refresh_from_db()
    assert pending.cancellation_reason == "Doctor unwell"  # stored, just not shown
    assert _reads_by(admin) == 0


def test_patients_and_doctors_still_read_their_own_phi(client_for, active, doctor):
    for user in (active.patient, doctor.user):
        body = client_for(user).get(f"/api/v1/consultations/{active.pk}").json()["data"]
        assert body["consultation"]["reason"] == "Chest pain at night"
        assert "withheldFields" not in body["consultation"]


def test_the_schema_documents_withheld_fields_as_optional(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").json()

    component = schema["components"]["schemas"]["ConsultationOutput"]
    assert "withheldFields" in component["properties"]
    assert "withheldFields" not in component.get("required", [])
    assert "reason" in component["required"]
