"""The back-office login: failed attempts are rate limited like the API login, and its
cookies are Secure, HttpOnly and SameSite in production."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import SESSION_KEY

from accounts.tests.factories import DEFAULT_PASSWORD
from amrutam.common.metrics import LOGIN_FAILURES, RATE_LIMITED
from tests.test_production_settings import run_in_production

LOGIN = "/admin/login/"
WRONG = "Wrong-Pass-123!"
pytestmark = pytest.mark.django_db


def attempt(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_a_correct_login_redirects_and_opens_a_session(client, admin_user):
    response = attempt(client, admin_user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(admin_user.pk)


def test_failures_from_one_ip_are_limited_then_even_the_right_password_is_429(
    client, admin_user, make_user, settings
):
    settings.RATELIMIT_ADMIN_LOGIN_PER_IP = "5/15m"
    before = RATE_LIMITED.labels(limit="admin.login.ip")._value.get()
    for index in range(5):
        assert attempt(client, f"guess{index}@example.com", WRONG).status_code == 200

    response = attempt(client, admin_user.email, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15 * 60
    assert "Too many failed logins" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert RATE_LIMITED.labels(limit="admin.login.ip")._value.get() == before + 1


def test_another_ip_is_not_blocked_by_one_ips_failures(client, admin_user, settings):
    settings.RATELIMIT_ADMIN_LOGIN_PER_IP = "3/15m"
    for index in range(3):
        attempt(client, f"guess{index}@example.com", WRONG, ip="10.0.0.1")

    response = attempt(client, admin_user.email, DEFAULT_PASSWORD, ip="10.0.0.2")

    assert response.status_code == 302


def test_the_email_allowance_is_shared_with_the_api_login(client, api_client, admin_user):
    # Ten failures (RATELIMIT_LOGIN_PER_EMAIL) split between the two doors.
    for index in range(10):
        if index % 2:
            attempt(client, admin_user.email.upper(), WRONG, ip=f"10.0.1.{index}")
        else:
            api_client.post(
                "/api/v1/auth/login",
                {"email": admin_user.email, "password": WRONG},
                format="json",
                REMOTE_ADDR=f"10.0.2.{index}",
            )

    admin = attempt(client, admin_user.email, DEFAULT_PASSWORD, ip="10.0.3.1")
    api = api_client.post(
        "/api/v1/auth/login",
        {"email": admin_user.email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.3.2",
    )

    assert admin.status_code == 429
    assert api.status_code == 429


def test_successful_logins_do_not_count(client, admin_user, settings):
    settings.RATELIMIT_ADMIN_LOGIN_PER_IP = "2/15m"
    for _ in range(4):
        assert attempt(client, admin_user.email, DEFAULT_PASSWORD).status_code == 302
        client.logout()

    assert attempt(client, admin_user.email, DEFAULT_PASSWORD).status_code == 302


def test_a_non_staff_user_with_the_right_password_counts_as_a_failure(client, patient, settings):
    settings.RATELIMIT_ADMIN_LOGIN_PER_IP = "2/15m"
    failures = LOGIN_FAILURES._value.get()
    for _ in range(2):
        assert attempt(client, patient.email, DEFAULT_PASSWORD).status_code == 200

    assert attempt(client, patient.email, DEFAULT_PASSWORD).status_code == 429
    assert LOGIN_FAILURES._value.get() == failures + 2


def test_the_login_page_itself_is_never_limited(client, settings):
    settings.RATELIMIT_ADMIN_LOGIN_PER_IP = "1/15m"
    attempt(client, "guess@example.com", WRONG)
    attempt(client, "guess@example.com", WRONG)

    assert client.get(LOGIN, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_limits_are_off_when_disabled(client, admin_user, settings):
    settings.RATELIMIT_ENABLE = False
    settings.RATELIMIT_ADMIN_LOGIN_PER_IP = "1/15m"
    for _ in range(3):
        attempt(client, "guess@example.com", WRONG)

    assert attempt(client, admin_user.email, DEFAULT_PASSWORD).status_code == 302


def test_admin_login_fails_closed_with_503_when_the_counter_store_is_down(
    client, admin_user, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    response = attempt(client, admin_user.email, DEFAULT_PASSWORD)

    assert response.status_code == 503
    assert SESSION_KEY not in client.session


def test_the_session_cookie_is_http_only_and_same_site(client, admin_user, settings):
    settings.SESSION_COOKIE_SECURE = True

    response = attempt(client, admin_user.email, DEFAULT_PASSWORD)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert (bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"]) == (
        True,
        True,
        "Lax",
    )
    assert int(cookie["max-age"]) == 8 * 60 * 60


def test_production_cookies_are_secure_http_only_and_same_site():
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings as s\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='api.amrutam.example')\n"
        "page = client.get('/admin/login/', secure=True)\n"
        "plain = client.get('/admin/login/')\n"
        "csrf = page.cookies[s.CSRF_COOKIE_NAME]\n"
        "print('RESULT ' + json.dumps({\n"
        "    'page': page.status_code, 'plain': plain.status_code,\n"
        "    'plain_to': plain.get('Location'),\n"
        "    'csrf': [bool(csrf['secure']), bool(csrf['httponly']), csrf['samesite']],\n"
        "    'session': [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,\n"
        "                s.SESSION_COOKIE_SAMESITE, s.SESSION_COOKIE_AGE],\n"
        "}))\n"
    )

    result = run_in_production(["-c", code], check=True)

    # The service's own log lines share stdout, before and after the result.
    marked = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    seen = json.loads(marked[0][len("RESULT ") :])
    assert seen == {
        "page": 200,
        "plain": 301,
        "plain_to": "https://api.amrutam.example/admin/login/",
        "csrf": [True, True, "Lax"],
        "session": [True, True, "Lax", 8 * 60 * 60],
    }
