"""POST /api/v1/auth/register: roles, validation, uniqueness, and nothing written on failure."""

import threading

import pytest
from django.db import connection

from accounts.models import PatientProfile, User
from accounts.tests.conftest import STRONG_PASSWORD
from doctors.models import DoctorProfile

URL = "/api/v1/auth/register"
pytestmark = pytest.mark.django_db


def payload(**overrides):
    body = {
        "email": "new.patient@example.com",
        "password": STRONG_PASSWORD,
        "name": "New Patient",
    }
    body.update(overrides)
    return body


def test_patient_registration_answers_the_user_with_an_empty_profile(api_client, audit_calls):
    response = api_client.post(URL, payload(), format="json")

    assert response.status_code == 201
    user = response.json()["data"]["user"]
    assert set(user) == {
        "id",
        "email",
        "name",
        "role",
        "createdAt",
        "mfaEnabled",
        "mfaEnrollmentRequired",
        "profile",
    }
    assert user["role"] == "PATIENT"
    assert user["createdAt"].endswith("Z")
    assert user["profile"] == {
        "phone": None,
        "dateOfBirth": None,
        "gender": None,
        "bloodGroup": None,
        "allergies": None,
        "medicalHistory": None,
    }
    stored = User.objects.get(pk=user["id"])
    assert stored.check_password(STRONG_PASSWORD)
    assert PatientProfile.objects.filter(user=stored).count() == 1
    assert audit_calls.of("auth.registered")[0]["object_id"] == stored.pk


def test_email_is_stored_lower_case(api_client):
    response = api_client.post(URL, payload(email="Mixed.Case@Example.COM"), format="json")

    assert response.status_code == 201
    assert response.json()["data"]["user"]["email"] == "mixed.case@example.com"


def test_doctor_registration_creates_an_unverified_doctor_profile(api_client):
    response = api_client.post(URL, payload(role="DOCTOR", name="Dr New"), format="json")

    assert response.status_code == 201
    user = response.json()["data"]["user"]
    assert user["role"] == "DOCTOR"
    assert "profile" not in user
    profile = DoctorProfile.objects.get(user_id=user["id"])
    assert profile.is_verified is False
    assert PatientProfile.objects.filter(user_id=user["id"]).count() == 0


def test_admin_self_registration_is_forbidden_and_writes_nothing(api_client):
    response = api_client.post(URL, payload(role="ADMIN"), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert User.objects.count() == 0


@pytest.mark.parametrize("email", ["new.patient@example.com", "NEW.Patient@Example.com"])
def test_duplicate_email_in_any_case_is_409(api_client, make_user, email):
    make_user(email="new.patient@example.com")

    response = api_client.post(URL, payload(email=email), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert User.objects.count() == 1


def test_the_database_refuses_an_email_differing_only_in_case(make_user):
    from django.db import IntegrityError, transaction

    make_user(email="same@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="SAME@example.com", name="Copy", password="x")


def test_weak_password_is_refused_with_the_validator_messages(api_client):
    response = api_client.post(URL, payload(password="password"), format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["password"]
    assert any("too common" in m for m in body["errors"]["password"])
    assert User.objects.count() == 0


def test_password_similar_to_the_email_is_refused(api_client):
    response = api_client.post(
        URL, payload(email="violetledger@example.com", password="violetledger1"), format="json"
    )

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "password", "name"}),
        (payload(email="not-an-email"), {"email"}),
        (payload(email="a" * 245 + "@example.com"), {"email"}),
        (payload(name="n" * 151), {"name"}),
        (payload(name=""), {"name"}),
        (payload(role="NURSE"), {"role"}),
        (payload(role=1), {"role"}),
        (payload(email=123), {"email"}),
        (payload(name=["x"]), {"name"}),
        (payload(password=12345678901), {"password"}),
        (payload(name=None), {"name"}),
    ],
)
def test_bad_input_is_400_with_per_field_errors_and_writes_nothing(api_client, body, fields):
    response = api_client.post(URL, body, format="json")

    result = response.json()
    assert response.status_code == 400
    assert result["code"] == "validation_error"
    assert set(result["errors"]) == fields
    assert User.objects.count() == 0


def test_name_of_150_characters_and_email_of_254_are_accepted(api_client):
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
    assert len(email) == 254

    response = api_client.post(URL, payload(email=email, name="n" * 150), format="json")

    assert response.status_code == 201


def test_malformed_json_is_400_and_writes_nothing(api_client):
    response = api_client.post(URL, '{"email": "x@example.com",', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert User.objects.count() == 0


def test_a_json_array_body_is_400(api_client):
    response = api_client.post(URL, "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_a_stale_authorization_header_is_ignored(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    response = api_client.post(URL, payload(), format="json")

    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_create_exactly_one_user():
    from rest_framework.test import APIClient

    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def register(index: int) -> None:
        try:
            client = APIClient()
            barrier.wait()
            email = "race@example.com" if index % 2 else "RACE@example.com"
            response = client.post(URL, payload(email=email), format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409, 409, 409]
    assert User.objects.filter(email="race@example.com").count() == 1
