"""MFA_REQUIRED_ROLES: an unenrolled doctor or admin reaches only their account and the
MFA endpoints until they enrol."""

from __future__ import annotations

import pytest

from accounts.tests.conftest import bearer
from accounts.tests.factories import UserFactory, totp_code
from consultations.models import Consultation
from consultations.tests.factories import ConsultationFactory
from doctors.tests.factories import DoctorProfileFactory, SlotFactory

pytestmark = pytest.mark.django_db


def enrol(api_client, token: str, user) -> None:
    secret = api_client.post("/api/v1/auth/mfa/totp/setup", **bearer(token)).json()["data"][
        "secret"
    ]
    confirm = api_client.post(
        "/api/v1/auth/mfa/totp/confirm", {"code": totp_code(secret)}, format="json", **bearer(token)
    )
    assert confirm.status_code == 200


def test_an_unenrolled_doctor_gets_403_on_a_phi_endpoint_then_200_after_enrolling(
    api_client, token_for
):
    doctor = DoctorProfileFactory(user=UserFactory(role="DOCTOR", mfa=False))
    consultation = ConsultationFactory(slot=SlotFactory(doctor=doctor, status="BOOKED"))
    url = f"/api/v1/consultations/{consultation.pk}"
    token = token_for(doctor.user)

    before = api_client.get(url, **bearer(token))
    enrol(api_client, token, doctor.user)
    after = api_client.get(url, **bearer(token))

    assert before.status_code == 403
    assert before.json()["code"] == "mfa_enrollment_required"
    assert "reason" not in before.content.decode()
    assert after.status_code == 200
    assert after.json()["data"]["consultation"]["id"] == str(consultation.pk)


def test_an_unenrolled_admin_gets_403_on_the_audit_log(api_client, token_for):
    admin = UserFactory(role="ADMIN", is_staff=True, is_superuser=True, mfa=False)

    response = api_client.get("/api/v1/audit/logs", **bearer(token_for(admin)))

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrollment_required"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/auth/me", 200),
        ("patch", "/api/v1/auth/me", 200),
        ("post", "/api/v1/auth/mfa/totp/setup", 200),
        ("post", "/api/v1/auth/mfa/totp/confirm", 400),
        ("post", "/api/v1/auth/logout", 400),
        ("get", "/api/v1/auth/me/access-log", 403),
        ("get", "/api/v1/doctors", 403),
        ("get", "/api/v1/doctors/me", 403),
        ("get", "/api/v1/consultations", 403),
        ("post", "/api/v1/auth/password", 403),
    ],
)
def test_only_the_listed_endpoints_stay_open_before_enrolment(
    api_client, token_for, method, path, status
):
    user = UserFactory(role="DOCTOR", mfa=False)
    DoctorProfileFactory(user=user)

    response = getattr(api_client, method)(path, {}, format="json", **bearer(token_for(user)))

    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["code"] == "mfa_enrollment_required"


def test_login_and_me_tell_the_user_enrolment_is_required(api_client, login):
    user = UserFactory(role="DOCTOR", mfa=False)
    DoctorProfileFactory(user=user)

    data = login(user.email).json()["data"]
    me = api_client.get("/api/v1/auth/me", **bearer(data["token"])).json()["data"]["user"]

    assert data["user"]["mfaEnabled"] is False
    assert data["user"]["mfaEnrollmentRequired"] is True
    assert me["mfaEnrollmentRequired"] is True


def test_patients_are_not_required_to_enrol(api_client, token_for, patient):
    response = api_client.get("/api/v1/doctors", **bearer(token_for(patient)))
    me = api_client.get("/api/v1/auth/me", **bearer(token_for(patient))).json()["data"]["user"]

    assert response.status_code == 200
    assert me["mfaEnabled"] is False
    assert me["mfaEnrollmentRequired"] is False


def test_the_required_roles_come_from_settings(api_client, token_for, settings):
    settings.MFA_REQUIRED_ROLES = ("ADMIN",)
    doctor = DoctorProfileFactory(user=UserFactory(role="DOCTOR", mfa=False))

    response = api_client.get("/api/v1/doctors/me", **bearer(token_for(doctor.user)))

    assert response.status_code == 200
    assert Consultation.objects.count() == 0
