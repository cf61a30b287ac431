"""POST /api/v1/auth/login: tokens, one answer for every failure, similar timing."""

import statistics
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.tests.factories import DEFAULT_PASSWORD

URL = "/api/v1/auth/login"
pytestmark = pytest.mark.django_db


def test_login_answers_access_and_refresh_tokens_and_the_user(login, patient, audit_calls):
    response = login(patient.email)

    data = response.json()["data"]
    assert response.status_code == 200
    assert set(data) == {"token", "refreshToken", "user"}
    access, refresh = AccessToken(data["token"]), RefreshToken(data["refreshToken"])
    assert access["sub"] == str(patient.pk)
    assert access["role"] == "PATIENT"
    assert refresh["sub"] == str(patient.pk)
    assert data["user"]["id"] == str(patient.pk)
    assert data["user"]["profile"]["phone"] is None
    assert audit_calls.actions() == ["auth.login"]
    assert audit_calls.phi_reads[0]["subject_id"] == patient.pk


def test_tokens_are_hs256_with_the_configured_lifetimes(login, patient, settings):
    import jwt

    data = login(patient.email).json()["data"]

    header = jwt.get_unverified_header(data["token"])
    access = jwt.decode(data["token"], settings.JWT_SECRET, algorithms=["HS256"])
    refresh = jwt.decode(data["refreshToken"], settings.JWT_SECRET, algorithms=["HS256"])
    assert header["alg"] == "HS256"
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600


def test_login_email_is_case_insensitive(login, patient):
    response = login(patient.email.upper())

    assert response.status_code == 200


def test_doctor_login_has_no_profile_key(full_login, doctor):
    response = full_login(doctor.user)

    assert response.status_code == 200
    assert "profile" not in response.json()["data"]["user"]
    assert AccessToken(response.json()["data"]["token"])["role"] == "DOCTOR"


@pytest.mark.parametrize("case", ["unknown_email", "wrong_password", "inactive"])
def test_every_failure_is_the_same_401(login, make_user, audit_calls, case):
    user = make_user(email="known@example.com", is_active=case != "inactive")
    email = "nobody@example.com" if case == "unknown_email" else user.email
    password = "Wrong-Pass-123!" if case == "wrong_password" else DEFAULT_PASSWORD

    response = login(email, password)

    body = response.json()
    assert response.status_code == 401
    assert body["code"] == "invalid_credentials"
    assert body["message"] == "The email or password is incorrect."
    assert set(body) == {"status", "code", "message", "requestId"}
    failed = audit_calls.of("auth.login_failed")
    assert len(failed) == 1
    assert failed[0]["object_id"] == (None if case == "unknown_email" else user.pk)
    assert password not in repr(audit_calls.events)


class CountingHasher(PBKDF2PasswordHasher):
    algorithm = "counting_pbkdf2"
    iterations = 1000
    verified = 0

    def verify(self, password: str, encoded: str) -> bool:
        CountingHasher.verified += 1
        return super().verify(password, encoded)


def test_unknown_email_runs_the_password_hasher_like_a_wrong_password(login, make_user, settings):
    settings.PASSWORD_HASHERS = ["accounts.tests.test_login.CountingHasher"]
    user = make_user(password=make_password(DEFAULT_PASSWORD))
    CountingHasher.verified = 0
    login(user.email, "Wrong-Pass-123!")
    wrong_password = CountingHasher.verified
    CountingHasher.verified = 0

    login("nobody@example.com", "Wrong-Pass-123!")

    assert wrong_password == 1
    assert CountingHasher.verified == 1


@pytest.mark.slow
def test_unknown_email_and_wrong_password_take_similar_time(login, make_user, settings):
    # The production hasher, so that hashing dominates the response time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    settings.RATELIMIT_ENABLE = False
    user = make_user(password=make_password(DEFAULT_PASSWORD))

    def median_ms(email: str) -> float:
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            assert login(email, "Wrong-Pass-123!").status_code == 401
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    login("warm-up@example.com", "x")
    known, unknown = median_ms(user.email), median_ms("nobody@example.com")

    assert 0.5 < unknown / known < 2.0


def test_production_hasher_order_puts_argon2_first():
    from amrutam.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "password"}),
        ({"email": "a@example.com"}, {"password"}),
        ({"email": 5, "password": "x"}, {"email"}),
        ({"email": "a@example.com", "password": True}, {"password"}),
        ({"email": "a" * 250 + "@example.com", "password": "x"}, {"email"}),
    ],
)
def test_bad_login_input_is_400(api_client, body, fields):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


def test_login_ignores_a_bad_authorization_header(login, patient):
    response = login(patient.email, HTTP_AUTHORIZATION="Bearer garbage")

    assert response.status_code == 200
