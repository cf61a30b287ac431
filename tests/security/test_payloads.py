"""Hostile bodies: deeply nested, oversized, huge numbers, bad encodings. Each is a
4xx in the error envelope, never a 500, and nothing changes."""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import all_rows

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000
DEEP_INSIDE = '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}"
WRITES = [
    ("anonymous", "POST", "/api/v1/auth/register"),
    ("anonymous", "POST", "/api/v1/auth/login"),
    ("anonymous", "POST", "/api/v1/auth/token/refresh"),
    ("patient_a", "PATCH", "/api/v1/auth/me"),
    ("patient_a", "POST", "/api/v1/consultations/bookings"),
    ("patient_a", "POST", "/api/v1/consultations/{c_pending}/cancel"),
    ("doctor_x", "POST", "/api/v1/doctors/me/slots"),
    ("doctor_x", "PUT", "/api/v1/doctors/me/schedule"),
    ("doctor_x", "PUT", "/api/v1/consultations/{c_active}/notes"),
    ("doctor_x", "POST", "/api/v1/consultations/{c_active}/prescription"),
]
WRITE_IDS = [f"{method} {path}" for _, method, path in WRITES]


def _send(client, method, path, raw, content_type="application/json"):
    return getattr(client, method.lower())(
        path, raw, content_type=content_type, HTTP_IDEMPOTENCY_KEY="payload-1"
    )


@pytest.mark.parametrize(
    "body", [DEEP_ARRAY, DEEP_OBJECT, DEEP_INSIDE], ids=["array", "object", "inside"]
)
@pytest.mark.parametrize(("actor", "method", "path"), WRITES, ids=WRITE_IDS)
def test_json_nested_ten_thousand_levels_is_400_and_changes_nothing(
    world, client_as, actor, method, path, body
):
    before = all_rows()

    response = _send(client_as(actor), method, world.fill(path), body)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["status"] == "fail"
    assert all_rows() == before


@pytest.mark.parametrize(("actor", "method", "path"), WRITES, ids=WRITE_IDS)
def test_a_body_over_one_mebibyte_is_413_in_the_envelope(world, client_as, actor, method, path):
    before = all_rows()
    raw = json.dumps({"name": "x" * (1024 * 1024)})

    response = _send(client_as(actor), method, world.fill(path), raw)

    assert response.status_code == 413
    body = response.json()
    assert (body["status"], body["code"]) == ("fail", "payload_too_large")
    assert body["requestId"] == response["X-Request-ID"]
    assert all_rows() == before


def test_the_admin_login_form_is_size_limited_too(client):
    response = client.post(
        "/admin/login/", {"username": "a@example.com", "password": "p" * (1024 * 1024 + 1)}
    )

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ('{"email": "a@example.com", "password": ' + "9" * 5000 + "}", "application/json"),
        (b'{"email": "\xff\xfe", "password": "x"}', "application/json"),
        ('{"email": "a@example.com", "password": NaN}', "application/json"),
        (
            '{"email": "a@example.com", "password": "x", "email": "b@example.com"',
            "application/json",
        ),
        ("\ufeff" + '{"email": "a@example.com"}', "application/json; charset=utf-16"),
        ("email=a@example.com&password=x", "application/x-www-form-urlencoded"),
        ("<xml/>", "application/xml"),
    ],
    ids=["huge integer", "bad utf-8", "NaN", "truncated", "utf-16 label", "form", "xml"],
)
def test_malformed_bodies_are_4xx_in_the_envelope(api_client, raw, content_type):
    response = api_client.post("/api/v1/auth/login", raw, content_type=content_type)

    assert response.status_code in (400, 415)
    assert response.json()["status"] == "fail"


def test_a_flat_object_of_many_keys_is_refused_quickly(world, client_as):
    raw = json.dumps({f"k{i}": i for i in range(50_000)})

    response = _send(client_as("patient_a"), "PATCH", "/api/v1/auth/me", raw)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("actor", "path", "body"),
    [
        (
            "doctor_x",
            "/api/v1/doctors/me/slots",
            {
                "slots": [
                    {"startTime": "0001-01-01T00:00:00+14:00", "endTime": "0001-01-01T00:30:00Z"}
                ]
            },
        ),
        (
            "doctor_x",
            "/api/v1/doctors/me/time-off",
            {"start": "9999-12-31T23:00:00-14:00", "end": "9999-12-31T23:30:00-14:00"},
        ),
    ],
    ids=["slots", "time-off"],
)
def test_timestamps_past_the_edges_of_the_calendar_are_400(world, client_as, actor, path, body):
    before = all_rows()

    response = client_as(actor).post(path, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert all_rows() == before
