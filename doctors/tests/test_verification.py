"""POST /admin/doctors/{id}/verify: clinic staff make a doctor listed and bookable."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def unverified(db):
    user = UserFactory(role="DOCTOR", name="Dr New")
    return DoctorProfileFactory(user=user, is_verified=False, verified_at=None)


def url(doctor_id) -> str:
    return f"/api/v1/admin/doctors/{doctor_id}/verify"


def test_admin_verifies_a_doctor_who_is_then_listed(
    client_for, admin_user, patient, unverified, audit_events
):
    response = client_for(admin_user).post(url(unverified.pk))

    unverified.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["data"]["doctor"]["isVerified"] is True
    assert unverified.is_verified is True
    assert unverified.verified_by == admin_user
    assert unverified.verified_at is not None
    assert [e["action"] for e in audit_events] == ["doctor.verified"]
    listed = client_for(patient).get("/api/v1/doctors").json()["data"]["doctors"]
    assert [d["id"] for d in listed] == [str(unverified.pk)]


def test_verification_without_a_registration_number_is_refused(client_for, admin_user, unverified):
    DoctorProfile.objects.filter(pk=unverified.pk).update(registration_number="")

    response = client_for(admin_user).post(url(unverified.pk))

    body = response.json()
    unverified.refresh_from_db()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert "registrationNumber" in body["errors"]
    assert unverified.is_verified is False
    assert unverified.verified_by is None


def test_verifying_a_verified_doctor_changes_nothing(client_for, admin_user, doctor, audit_events):
    verified_at = doctor.verified_at

    response = client_for(admin_user).post(url(doctor.pk))

    doctor.refresh_from_db()
    assert response.status_code == 200
    assert doctor.verified_at == verified_at
    assert audit_events == []


@pytest.mark.parametrize("role", ["patient", "doctor"])
def test_only_admins_may_verify(request, client_for, unverified, role):
    user = request.getfixturevalue(role)
    user = getattr(user, "user", user)

    response = client_for(user).post(url(unverified.pk))

    unverified.refresh_from_db()
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert unverified.is_verified is False


def test_anonymous_cannot_verify(api_client, unverified):
    assert api_client.post(url(unverified.pk)).status_code == 401


def test_unknown_doctor_is_404(client_for, admin_user):
    response = client_for(admin_user).post(url(uuid.uuid4()))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_verification_makes_availability_answer(
    client_for, admin_user, patient, unverified, django_capture_on_commit_callbacks
):
    slot = SlotFactory(doctor=unverified)
    availability = f"/api/v1/doctors/{unverified.pk}/availability"
    assert client_for(patient).get(availability).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).post(url(unverified.pk))
    response = client_for(patient).get(availability)

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["data"]["slots"]] == [str(slot.pk)]
