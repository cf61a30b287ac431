"""Back office: erasure requests and their state; legal holds set with a reason, audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from privacy.models import ErasureRequest, LegalHold

pytestmark = pytest.mark.django_db


def test_admins_see_erasure_requests_and_their_state(patient, client_for, staff_browser):
    client_for(patient).post(
        "/api/v1/auth/me/erasure", {"password": "Correct-Horse-42!"}, format="json"
    )
    request = ErasureRequest.objects.get()

    page = staff_browser.get("/admin/privacy/erasurerequest/")

    assert page.status_code == 200
    assert [r.pk for r in page.context["cl"].result_list] == [request.pk]
    assert "Completed" in page.content.decode()


def test_an_admin_sets_a_legal_hold_with_a_reason_and_it_is_audited(
    patient, admin_user, staff_browser
):
    response = staff_browser.post(
        "/admin/privacy/legalhold/add/",
        {"patient": str(patient.pk), "reason": "Court order 17/2026"},
    )

    assert response.status_code == 302
    hold = LegalHold.objects.get(patient=patient)
    assert (hold.is_active, hold.reason, hold.set_by_id) == (
        True,
        "Court order 17/2026",
        admin_user.pk,
    )
    event = AuditEntry.objects.get(action="privacy.legal_hold_set")
    assert (event.actor_id, event.object_id) == (admin_user.pk, str(hold.pk))
    assert "Court order" not in str(event.changes)


def test_a_legal_hold_needs_a_patient_and_a_reason(doctor, staff_browser):
    response = staff_browser.post(
        "/admin/privacy/legalhold/add/", {"patient": str(doctor.user.pk), "reason": ""}
    )

    assert response.status_code == 200
    assert LegalHold.objects.count() == 0
