"""A database or Redis failure that reaches a view is 503 service_unavailable, never a 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections
from django.urls import include, path
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from amrutam.urls import urlpatterns as project_urlpatterns

SECRET = "server at 10.0.0.7 port 5432: SELECT * FROM accounts_user"

FAILURES = {
    "database": lambda: OperationalError(f"connection failed: {SECRET}"),
    "lock-timeout": lambda: OperationalError("canceling statement due to lock timeout"),
    "cache": lambda: ConnectionInterrupted(None),
    "redis-refused": lambda: RedisConnectionError(f"Error 111 connecting to {SECRET}"),
    "redis-timeout": lambda: RedisTimeoutError("Timeout reading from socket"),
}


@api_view(["GET"])
@permission_classes([AllowAny])
def failing_api(request, kind):
    raise FAILURES[kind]()


def failing_plain(request, kind):
    raise FAILURES[kind]()


urlpatterns = [
    path("api/v1/test/dependency/<str:kind>", failing_api),
    path("plain-dependency/<str:kind>", failing_plain),
    path("", include(project_urlpatterns)),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def assert_service_unavailable(response) -> None:
    body = response.json()
    assert response.status_code == 503
    assert body == {
        "status": "error",
        "code": "service_unavailable",
        "message": "A service this request needs is unavailable. Try again shortly.",
        "requestId": response["X-Request-ID"],
    }
    assert "10.0.0.7" not in response.content.decode()


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_an_api_view_hit_by_a_dependency_failure_answers_503(client, kind):
    assert_service_unavailable(client.get(f"/api/v1/test/dependency/{kind}"))


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_a_plain_view_hit_by_a_dependency_failure_answers_503(client, kind):
    assert_service_unavailable(client.get(f"/plain-dependency/{kind}"))


@pytest.mark.django_db(transaction=True)
def test_login_with_postgres_unreachable_is_503(client, patient):
    conn = connections["default"]
    original = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict["PORT"] = "1"
    conn.settings_dict["OPTIONS"] = {**original["OPTIONS"], "connect_timeout": 1}
    try:
        response = client.post(
            "/api/v1/auth/login",
            {"email": patient.email, "password": "Correct-Horse-42!"},
            content_type="application/json",
        )
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(original)

    assert_service_unavailable(response)


def test_a_committed_deactivation_survives_a_failed_publish_after_commit(
    make_user, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from accounts import auth_state

    user = make_user()
    assert auth_state.auth_state_get(user.pk).is_active
    key = auth_state._key(user.pk)
    assert cache.get(key) is not None

    def database_gone(user_id):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(auth_state, "auth_state_from_db", database_gone)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user.is_active = False
        user.save()

    assert callbacks
    # The stale "active" entry was dropped before the commit, so the next check reads
    # the committed row.
    assert cache.get(key) is None
    monkeypatch.undo()
    assert auth_state.auth_state_get(user.pk).is_active is False


@pytest.mark.urls("amrutam.urls")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/accounts/user/"])
def test_the_back_office_with_postgres_unreachable_is_a_503_page(path):
    from django.test import Client

    # A staff member's session cookie: the back office looks the session up first.
    browser = Client(raise_request_exception=False)
    browser.cookies["sessionid"] = "s" * 32
    conn = connections["default"]
    original = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict["PORT"] = "1"
    conn.settings_dict["OPTIONS"] = {**original["OPTIONS"], "connect_timeout": 1}
    try:
        response = browser.get(path)
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(original)

    page = response.content.decode()
    assert response.status_code == 503
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Retry-After"] == "5"
    assert "Service unavailable" in page
    assert response["X-Request-ID"] in page
    assert "Traceback" not in page and "OperationalError" not in page and "5432" not in page
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"]
