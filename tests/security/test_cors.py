"""CORS: only the configured origins may call /api/ from a browser, never with cookies,
and nothing outside /api/ answers cross-origin at all."""

from __future__ import annotations

import pytest

APP = "https://app.amrutam.example"
PREFLIGHT = {
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type, idempotency-key",
}


@pytest.fixture(autouse=True)
def _one_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def test_a_configured_origin_gets_its_preflight_answered(client):
    response = client.options("/api/v1/consultations/bookings", HTTP_ORIGIN=APP, **PREFLIGHT)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "http://app.amrutam.example",
        "https://app.amrutam.example.evil.example",
        "https://evilapp.amrutam.example",
    ],
)
def test_any_other_origin_gets_no_cors_headers(client, origin):
    preflight = client.options("/api/v1/auth/login", HTTP_ORIGIN=origin, **PREFLIGHT)
    simple = client.get("/health", HTTP_ORIGIN=origin)
    api = client.post("/api/v1/auth/login", {}, content_type="application/json", HTTP_ORIGIN=origin)

    for response in (preflight, simple, api):
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Credentials" not in response


def test_an_api_answer_to_the_configured_origin_exposes_the_request_id(client):
    response = client.post(
        "/api/v1/auth/login", {}, content_type="application/json", HTTP_ORIGIN=APP
    )

    assert response["Access-Control-Allow-Origin"] == APP
    assert "x-request-id" in response["Access-Control-Expose-Headers"].lower()


@pytest.mark.parametrize("path", ["/admin/login/", "/health", "/metrics"])
def test_routes_outside_the_api_answer_no_origin(client, path):
    response = client.get(path, HTTP_ORIGIN=APP)

    assert "Access-Control-Allow-Origin" not in response


def test_no_origin_is_allowed_when_none_is_configured(client, settings):
    settings.CORS_ALLOWED_ORIGINS = []

    response = client.options("/api/v1/auth/login", HTTP_ORIGIN=APP, **PREFLIGHT)

    assert "Access-Control-Allow-Origin" not in response
