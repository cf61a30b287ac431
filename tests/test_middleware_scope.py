"""Sessions only for the back office, and the request metrics of /metrics."""

import pytest
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD
from tests.backoffice import staff_login

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus text, 0 if it is absent."""
    wanted = {f'{key}="{value}"' for key, value in labels.items()}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            series, value = line.rsplit(" ", 1)
            if wanted <= set(series[len(name) + 1 : -1].split(",")):
                return float(value)
    return 0.0


def test_an_api_request_gets_no_session_even_with_a_session_cookie(admin_user):
    client = Client()
    staff_login(client, admin_user)

    response = client.get("/api/v1/test/private")

    # The session cookie does not authenticate the API: only a bearer token does.
    assert response.status_code == 401
    assert "sessionid" not in response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_the_back_office_still_reads_its_session(admin_user):
    client = Client()
    staff_login(client, admin_user)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert response.context["user"] == admin_user


def test_the_back_office_login_sets_a_session(admin_user):
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert "sessionid" in response.cookies


def test_metrics_count_responses_by_view_and_status_and_view_exceptions(client):
    before = client.get("/metrics").content.decode()

    client.get("/health")
    client.get("/plain-boom")

    after = client.get("/metrics").content.decode()
    name = "django_http_responses_total_by_status_view_method_total"
    health = {"status": "200", "view": "health", "method": "GET"}
    assert metric_value(after, name, **health) == metric_value(before, name, **health) + 1
    boom = {"status": "500", "view": "tests.urls.plain_boom", "method": "GET"}
    assert metric_value(after, name, **boom) == metric_value(before, name, **boom) + 1
    errors = "django_http_exceptions_total_by_type_total"
    assert metric_value(after, errors, type="RuntimeError") == (
        metric_value(before, errors, type="RuntimeError") + 1
    )
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert metric_value(after, latency, view="health", method="GET") >= 1
