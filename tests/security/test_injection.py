"""SQL and JSON injection strings in every filter of every list endpoint, and operator
objects in JSON bodies: 200 or 400 in the envelope, never a 500, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import all_rows

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "' OR '1'='1",
    "1' OR 1=1--",
    "'; DROP TABLE accounts_user; --",
    "1 UNION SELECT password FROM accounts_user",
    '" OR ""="',
    '{"$gt": ""}',
    '{"$ne": null}',
    "[]",
    "%",
    "_",
    "%%'",
    "\\",
    "\x00",
    "abc\x00def",
    "*",
    "%*",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "9" * 400,
    "-1",
    "0",
    "1e309",
    "NaN",
    "-Infinity",
    "2025-02-30",
    "2025-01-01T00:00:00",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "a" * 10_000,
    "\uff11\uff12\uff13",  # full-width digits
]

LISTS = {
    "/api/v1/doctors": (
        "patient_a",
        ["specialization", "language", "q", "minFee", "maxFee", "availableOn", "ordering"],
    ),
    "/api/v1/doctors/{doctor_x}/availability": ("patient_a", ["start_date", "days"]),
    "/api/v1/doctors/me/slots": ("doctor_x", ["start_date", "days", "status"]),
    "/api/v1/consultations": ("patient_a", ["status", "from", "to"]),
    "/api/v1/audit/logs": ("admin", ["actor", "action", "objectType", "objectId", "from", "to"]),
    "/api/v1/admin/analytics": ("admin", ["from", "to"]),
    "/api/v1/auth/me/access-log": ("patient_a", []),
}
PAGINATED = {
    "/api/v1/doctors",
    "/api/v1/doctors/me/slots",
    "/api/v1/consultations",
    "/api/v1/audit/logs",
    "/api/v1/auth/me/access-log",
}
CASES = [
    pytest.param(path, actor, param, id=f"{path} {param}")
    for path, (actor, params) in LISTS.items()
    for param in params + (["page", "pageSize"] if path in PAGINATED else [])
]


def _answers(client: Any, path: str, param: str) -> dict[str, tuple[int, str]]:
    answers = {}
    for payload in PAYLOADS:
        response = client.get(path, {param: payload})
        body = response.json()
        answers[payload[:40]] = (response.status_code, body.get("code", body.get("status")))
    return answers


@pytest.mark.parametrize(("path", "actor", "param"), CASES)
def test_injection_strings_in_a_filter_are_200_or_400(world, client_as, path, actor, param):
    before = all_rows()

    answers = _answers(client_as(actor), world.fill(path), param)

    refused = {(400, "validation_error"), (200, "success")}
    assert {payload: answer for payload, answer in answers.items() if answer not in refused} == {}
    assert all_rows() == before


def test_a_filter_given_twice_or_as_an_array_is_not_a_500(world, client_as):
    client = client_as("patient_a")

    statuses = [
        client.get("/api/v1/doctors?q=a&q=b").status_code,
        client.get("/api/v1/doctors?q[$ne]=x").status_code,
        client.get("/api/v1/doctors?ordering=fee&ordering=-fee;DROP").status_code,
        client.get("/api/v1/consultations?status[]=PENDING").status_code,
    ]

    assert set(statuses) <= {200, 400}


def test_an_injected_name_filter_matches_only_literally(world, client_as):
    response = client_as("patient_a").get("/api/v1/doctors", {"q": "' OR '1'='1"})

    assert response.status_code == 200
    assert response.json()["data"]["doctors"] == []


OPERATOR = {"$ne": None}
BODIES = [
    ("anonymous", "POST", "/api/v1/auth/login", {"email": OPERATOR, "password": OPERATOR}),
    ("anonymous", "POST", "/api/v1/auth/login", {"email": ["a@example.com"], "password": "x"}),
    (
        "anonymous",
        "POST",
        "/api/v1/auth/register",
        {"email": "n@example.com", "password": OPERATOR, "name": {"$gt": ""}},
    ),
    ("anonymous", "POST", "/api/v1/auth/token/refresh", {"refreshToken": OPERATOR}),
    ("patient_a", "PATCH", "/api/v1/auth/me", {"name": OPERATOR}),
    ("patient_a", "PATCH", "/api/v1/auth/me", {"profile": {"allergies": ["' OR 1=1"]}}),
    (
        "patient_a",
        "POST",
        "/api/v1/consultations/bookings",
        {"doctorId": OPERATOR, "slotId": "{slot_book}"},
    ),
    (
        "patient_a",
        "POST",
        "/api/v1/consultations/{c_pending}/cancel",
        {"reason": {"$where": "1"}},
    ),
    ("doctor_x", "PATCH", "/api/v1/doctors/me", {"languages": OPERATOR}),
    ("doctor_x", "PUT", "/api/v1/doctors/me/schedule", {"rules": OPERATOR}),
    (
        "doctor_x",
        "PUT",
        "/api/v1/consultations/{c_active}/notes",
        {"symptoms": OPERATOR, "diagnosis": "x", "advice": "y"},
    ),
    (
        "doctor_x",
        "POST",
        "/api/v1/consultations/{c_active}/prescription",
        {"items": [{"medicine": OPERATOR, "dosage": 1, "frequency": [], "durationDays": "3"}]},
    ),
]


@pytest.mark.parametrize(
    ("actor", "method", "path", "body"), BODIES, ids=[f"{m} {p}" for _, m, p, _ in BODIES]
)
def test_operator_objects_in_a_body_are_400_and_change_nothing(
    world, client_as, actor, method, path, body
):
    before = all_rows()

    response = getattr(client_as(actor), method.lower())(
        world.fill(path), world.fill(body), format="json", HTTP_IDEMPOTENCY_KEY="inj-1"
    )

    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "validation_error"
    assert all_rows() == before
