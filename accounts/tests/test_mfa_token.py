"""The mfaToken: not an access token, 5 minutes, 5 tries, single use; login limits count
failed codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import MFAChallenge
from accounts.tests.conftest import bearer
from accounts.tests.factories import totp_code

VERIFY = "/api/v1/auth/mfa/verify"
REFRESH = "/api/v1/auth/token/refresh"

pytestmark = pytest.mark.django_db


def wrong_code(user) -> str:
    return f"{(int(totp_code(user)) + 500000) % 1000000:06d}"


@pytest.fixture
def mfa_token(login, doctor) -> str:
    response = login(doctor.user.email)
    assert response.status_code == 200
    return response.json()["data"]["mfaToken"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/me", "/api/v1/doctors", "/api/v1/consultations", "/api/v1/auth/mfa/totp/setup"],
)
def test_an_mfa_token_is_refused_as_an_access_token(api_client, mfa_token, path):
    method = api_client.post if path.endswith("setup") else api_client.get

    response = method(path, **bearer(mfa_token))

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_an_mfa_token_is_refused_as_a_refresh_token(api_client, mfa_token):
    response = api_client.post(REFRESH, {"refreshToken": mfa_token}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_an_access_token_is_refused_as_an_mfa_token(api_client, doctor, token_for):
    response = api_client.post(
        VERIFY, {"mfaToken": token_for(doctor.user), "code": totp_code(doctor.user)}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_an_mfa_token_is_spent_by_its_success(api_client, mfa_token, doctor, monkeypatch):
    first = api_client.post(
        VERIFY, {"mfaToken": mfa_token, "code": totp_code(doctor.user)}, format="json"
    )
    later = timezone.now() + dt.timedelta(seconds=30)
    import accounts.mfa

    monkeypatch.setattr(accounts.mfa, "now", lambda: later)
    again = api_client.post(
        VERIFY, {"mfaToken": mfa_token, "code": totp_code(doctor.user, at=later)}, format="json"
    )

    assert first.status_code == 200
    assert again.status_code == 401
    assert again.json()["code"] == "token_invalid"


def test_an_mfa_token_expires_after_five_minutes(api_client, mfa_token, doctor):
    MFAChallenge.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    from rest_framework_simplejwt.tokens import Token

    # The signed expiry ends it too: a token older than 5 minutes fails to decode.
    from accounts.mfa_login import MFAToken

    old = MFAToken()
    old.set_exp(
        from_time=timezone.now() - dt.timedelta(minutes=6), lifetime=dt.timedelta(minutes=5)
    )
    old["sub"] = str(doctor.user.pk)
    old["ver"] = doctor.user.token_version
    assert isinstance(old, Token)

    stale_row = api_client.post(
        VERIFY, {"mfaToken": mfa_token, "code": totp_code(doctor.user)}, format="json"
    )
    expired = api_client.post(
        VERIFY, {"mfaToken": str(old), "code": totp_code(doctor.user)}, format="json"
    )

    assert stale_row.status_code == expired.status_code == 401
    assert stale_row.json()["code"] == expired.json()["code"] == "token_invalid"


def test_the_sixth_try_is_429_even_with_the_right_code(api_client, mfa_token, doctor):
    answers = [
        api_client.post(
            VERIFY, {"mfaToken": mfa_token, "code": wrong_code(doctor.user)}, format="json"
        )
        for _ in range(5)
    ]

    sixth = api_client.post(
        VERIFY, {"mfaToken": mfa_token, "code": totp_code(doctor.user)}, format="json"
    )

    assert [a.status_code for a in answers] == [401] * 5
    assert {a.json()["code"] for a in answers} == {"invalid_mfa_code"}
    assert sixth.status_code == 429
    assert sixth.json()["code"] == "rate_limited"
    assert 1 <= int(sixth["Retry-After"]) <= 300
    assert MFAChallenge.objects.get(user=doctor.user).used_at is None


def test_tries_are_counted_in_the_database_so_a_flushed_cache_keeps_them(
    api_client, mfa_token, doctor
):
    from django.core.cache import cache

    for _ in range(5):
        api_client.post(
            VERIFY, {"mfaToken": mfa_token, "code": wrong_code(doctor.user)}, format="json"
        )
    cache.clear()

    sixth = api_client.post(
        VERIFY, {"mfaToken": mfa_token, "code": totp_code(doctor.user)}, format="json"
    )

    assert sixth.status_code == 429


def test_failed_codes_count_against_the_login_limit_of_the_email(
    api_client, login, doctor, settings
):
    settings.RATELIMIT_LOGIN_PER_EMAIL = "3/15m"
    for _ in range(3):
        token = login(doctor.user.email).json()["data"]["mfaToken"]
        wrong = api_client.post(
            VERIFY, {"mfaToken": token, "code": wrong_code(doctor.user)}, format="json"
        )
        assert wrong.status_code == 401

    password = login(doctor.user.email)

    assert password.status_code == 429
    assert password.json()["code"] == "rate_limited"


def test_failed_codes_count_against_the_login_limit_of_the_ip(api_client, login, doctor, settings):
    settings.RATELIMIT_LOGIN_PER_IP = "2/15m"
    token = login(doctor.user.email).json()["data"]["mfaToken"]
    for _ in range(2):
        api_client.post(VERIFY, {"mfaToken": token, "code": wrong_code(doctor.user)}, format="json")

    right = api_client.post(
        VERIFY, {"mfaToken": token, "code": totp_code(doctor.user)}, format="json"
    )

    assert right.status_code == 429
    assert right.json()["code"] == "rate_limited"


def test_verify_fails_closed_when_the_counter_store_is_down(
    api_client, mfa_token, doctor, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    response = api_client.post(
        VERIFY, {"mfaToken": mfa_token, "code": totp_code(doctor.user)}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert MFAChallenge.objects.get(user=doctor.user).used_at is None
