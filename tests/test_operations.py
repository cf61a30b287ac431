"""/health, /ready, /metrics, the schema and docs pages, and security headers."""

import datetime as dt
import re

import pytest
from django.core.cache import caches
from django.db import connections

from amrutam.common.readiness import close_probe_connection

pytestmark = pytest.mark.django_db


def test_health_answers_up_with_a_utc_timestamp(client):
    response = client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"status", "timestamp"}
    assert body["status"] == "UP"
    assert body["timestamp"].endswith("Z")
    stamp = dt.datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 5


def test_ready_is_up_when_database_and_cache_answer(client):
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "UP",
        "checks": {"database": "UP", "cache": "UP", "encryption": "UP", "broker": "UP"},
    }


def test_ready_is_503_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    caches._settings = caches.settings = settings.CACHES  # type: ignore[attr-defined]
    try:
        del caches._connections.default  # type: ignore[attr-defined]
    except AttributeError:
        pass

    response = client.get("/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "UP",
        "cache": "DOWN",
        "encryption": "UP",
        "broker": "UP",
    }


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_when_postgres_is_unreachable(client):
    conn = connections["default"]
    original = dict(conn.settings_dict)
    conn.close()
    # /ready probes on a thread of its own, with its own connection (the settings dict
    # is shared): it must reconnect to see the closed port.
    close_probe_connection()
    conn.settings_dict["PORT"] = "1"
    conn.settings_dict["OPTIONS"] = {**original["OPTIONS"], "connect_timeout": 1}
    try:
        response = client.get("/ready")
    finally:
        conn.close()
        close_probe_connection()
        conn.settings_dict.clear()
        conn.settings_dict.update(original)

    assert response.status_code == 503
    assert response.json() == {
        "status": "DOWN",
        "checks": {"database": "DOWN", "cache": "UP", "encryption": "UNKNOWN", "broker": "UP"},
    }


def test_metrics_serves_prometheus_text(client):
    client.get("/health")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"django_http_requests_total_by_view_transport_method_total" in response.content


def test_metrics_requires_the_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"

    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert ok.status_code == 200


def test_schema_is_openapi_3(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_page_references_no_outside_host(client):
    response = client.get("/api/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html
    assert "http://" not in html


def test_security_headers_on_every_response(client):
    response = client.get("/health")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_admin_is_branded(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert "Amrutam clinic back office" in response.content.decode()


def test_docs_page_has_no_inline_script_so_the_csp_holds(client):
    html = client.get("/api/docs").content.decode()

    scripts = html.count("<script")
    assert scripts >= 3
    assert html.count("<script src=") == scripts


def test_docs_bootstrap_script_is_served_from_self(client):
    response = client.get("/api/docs?script=")

    assert response.status_code == 200
    assert b"SwaggerUIBundle" in response.content


def _health_get_count(text: str) -> float:
    match = re.search(
        r"^django_http_requests_total_by_view_transport_method_total\{"
        r'(?=[^}]*method="GET")(?=[^}]*view="health")[^}]*\} ([0-9.e+]+)$',
        text,
        re.MULTILINE,
    )
    return float(match.group(1)) if match else 0.0


def test_metrics_have_per_view_counts_and_latency_histograms(client):
    before = _health_get_count(client.get("/metrics").content.decode())
    client.get("/health")
    client.get("/health")

    text = client.get("/metrics").content.decode()

    assert _health_get_count(text) == before + 2
    buckets = re.findall(
        r"^django_http_requests_latency_seconds_by_view_method_bucket\{"
        r'(?=[^}]*method="GET")(?=[^}]*view="health")[^}]*\}',
        text,
        re.MULTILINE,
    )
    assert len(buckets) > 1
    assert 'le="+Inf"' in "".join(buckets)


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics", "/api/schema", "/api/docs"])
@pytest.mark.parametrize("header", ["Bearer not.a.jwt", "Bearer", "Basic dXNlcjpwYXNz"])
def test_open_endpoints_ignore_a_bad_authorization_header(client, path, header):
    response = client.get(path, HTTP_AUTHORIZATION=header)

    assert response.status_code == 200
