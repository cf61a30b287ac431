"""Rate limits of login, registration, refresh and password change: 429 with Retry-After."""

import pytest

from accounts.tests.conftest import STRONG_PASSWORD, bearer
from accounts.tests.factories import DEFAULT_PASSWORD
from amrutam.common.metrics import LOGIN_FAILURES, RATE_LIMITED

pytestmark = pytest.mark.django_db


def rate_limited_count(limit: str) -> float:
    return RATE_LIMITED.labels(limit=limit)._value.get()


def assert_429(response, window_seconds: int) -> None:
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= window_seconds


def test_eleventh_failed_login_for_one_email_is_429(login, patient):
    before = rate_limited_count("auth.login.email")
    failures_before = LOGIN_FAILURES._value.get()
    for _ in range(10):
        assert login(patient.email, "Wrong-Pass-123!").status_code == 401

    response = login(patient.email, DEFAULT_PASSWORD)

    assert_429(response, 15 * 60)
    assert rate_limited_count("auth.login.email") == before + 1
    assert LOGIN_FAILURES._value.get() == failures_before + 10


def test_the_email_limit_ignores_letter_case(login, patient):
    for index in range(10):
        email = patient.email.upper() if index % 2 else patient.email
        login(email, "Wrong-Pass-123!")

    assert login(patient.email, DEFAULT_PASSWORD).status_code == 429


def test_successful_logins_do_not_count(login, patient):
    for _ in range(12):
        assert login(patient.email).status_code == 200


def test_the_email_limit_does_not_block_other_emails(login, patient, patient_b):
    for _ in range(10):
        login(patient.email, "Wrong-Pass-123!")

    assert login(patient_b.email).status_code == 200


def test_thirty_failures_from_one_ip_block_every_email(login, make_user, settings):
    settings.RATELIMIT_LOGIN_PER_EMAIL = "1000/15m"
    for index in range(30):
        assert login(f"guess{index}@example.com", "x").status_code == 401
    user = make_user()

    response = login(user.email)

    assert_429(response, 15 * 60)


def test_another_ip_is_not_blocked(login, make_user, settings):
    settings.RATELIMIT_LOGIN_PER_EMAIL = "1000/15m"
    for index in range(30):
        login(f"guess{index}@example.com", "x", REMOTE_ADDR="10.0.0.1")
    user = make_user()

    assert login(user.email, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_forwarded_for_is_not_trusted_by_default(login, make_user, settings):
    settings.RATELIMIT_LOGIN_PER_EMAIL = "1000/15m"
    for index in range(30):
        login(f"guess{index}@example.com", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
    user = make_user()

    assert login(user.email, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_with_a_trusted_proxy_the_forwarded_client_is_counted(login, make_user, settings):
    settings.RATELIMIT_LOGIN_PER_EMAIL = "1000/15m"
    settings.TRUSTED_PROXY_COUNT = 1
    for index in range(30):
        login(f"guess{index}@example.com", "x", HTTP_X_FORWARDED_FOR="192.0.2.1")
    user = make_user()

    blocked = login(user.email, HTTP_X_FORWARDED_FOR="192.0.2.1")
    other = login(user.email, HTTP_X_FORWARDED_FOR="192.0.2.2")

    assert blocked.status_code == 429
    assert other.status_code == 200


def test_twenty_first_registration_from_one_ip_in_an_hour_is_429(api_client):
    for index in range(20):
        response = api_client.post(
            "/api/v1/auth/register",
            {"email": f"p{index}@example.com", "password": STRONG_PASSWORD, "name": "P"},
            format="json",
        )
        assert response.status_code == 201

    response = api_client.post(
        "/api/v1/auth/register",
        {"email": "p20@example.com", "password": STRONG_PASSWORD, "name": "P"},
        format="json",
    )

    assert_429(response, 3600)


def test_refresh_is_limited_per_ip(api_client, settings):
    settings.RATELIMIT_REFRESH_PER_IP = "3/m"
    for _ in range(3):
        api_client.post("/api/v1/auth/token/refresh", {"refreshToken": "x"}, format="json")

    response = api_client.post("/api/v1/auth/token/refresh", {"refreshToken": "x"}, format="json")

    assert_429(response, 60)


def test_wrong_current_passwords_are_limited_per_user(api_client, patient, token_for, settings):
    settings.RATELIMIT_LOGIN_PER_EMAIL = "3/15m"
    headers = bearer(token_for(patient))
    body = {"currentPassword": "Wrong-Pass-1", "newPassword": STRONG_PASSWORD}
    for _ in range(3):
        assert (
            api_client.post("/api/v1/auth/password", body, format="json", **headers).status_code
            == 400
        )

    body["currentPassword"] = DEFAULT_PASSWORD
    response = api_client.post("/api/v1/auth/password", body, format="json", **headers)

    assert_429(response, 15 * 60)
    assert patient.__class__.objects.get(pk=patient.pk).check_password(DEFAULT_PASSWORD)


def test_limits_are_off_when_disabled(login, patient, settings):
    settings.RATELIMIT_ENABLE = False
    for _ in range(12):
        login(patient.email, "Wrong-Pass-123!")

    assert login(patient.email).status_code == 200


def down_cache(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }


def test_login_fails_closed_with_503_when_the_counter_store_is_down(login, patient, settings):
    down_cache(settings)

    response = login(patient.email)

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


def test_registration_goes_ahead_when_the_counter_store_is_down(api_client, settings):
    down_cache(settings)

    response = api_client.post(
        "/api/v1/auth/register",
        {"email": "p@example.com", "password": STRONG_PASSWORD, "name": "P"},
        format="json",
    )

    assert response.status_code == 201
