"""Every endpoint x every actor, from one table: the status each actor gets.

Actors: anonymous, patient A, patient B, doctor X, doctor Y and an admin. The objects
in the paths are A's and X's (see conftest.py), so B and Y are the intruders: another
user's object is 404, never 403, and never changes (API.md § Conventions).

After every answer the test checks, besides the status and its error code:
- a refused request (4xx) and any GET changed no row of anyone;
- whatever an actor did, no row of its peer (A for B, X for Y and back) changed,
  unless the row says the request legitimately acts for the peer (a login with the
  peer's password, a refresh with the peer's refresh token).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.tests.factories import DEFAULT_PASSWORD
from tests.security.conftest import ACTORS, PEER, all_rows, owned_rows

NEW_PASSWORD = "Violet-Ledger-93!"
ERROR_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    409: "invalid_state",
}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    # Statuses in ACTORS order: anonymous, patient A, patient B, doctor X, doctor Y, admin.
    expect: tuple[int, int, int, int, int, int]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # False where the request acts for the peer by design (it carries the peer's
    # password or refresh token), so the peer's rows may change.
    peer_untouched: bool = True

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


KEY = {"HTTP_IDEMPOTENCY_KEY": "matrix-key-1"}
V1 = "/api/v1"

TABLE = [
    # --- Identity -------------------------------------------------------------------
    Row(
        "POST",
        f"{V1}/auth/register",
        (201, 201, 201, 201, 201, 201),
        {"email": "new.user@example.com", "password": NEW_PASSWORD, "name": "New User"},
    ),
    Row(
        "POST",
        f"{V1}/auth/login",
        (200, 200, 200, 200, 200, 200),
        {"email": "{email_a}", "password": DEFAULT_PASSWORD},
        peer_untouched=False,
    ),
    Row(
        "POST",
        f"{V1}/auth/token/refresh",
        (200, 200, 200, 200, 200, 200),
        {"refreshToken": "{refresh_a}"},
        peer_untouched=False,
    ),
    Row(
        "POST",
        f"{V1}/auth/logout",
        (401, 204, 400, 400, 400, 400),
        {"refreshToken": "{refresh_a}"},
    ),
    Row("GET", f"{V1}/auth/me", (401, 200, 200, 200, 200, 200)),
    Row("PATCH", f"{V1}/auth/me", (401, 200, 200, 200, 200, 200), {"name": "Renamed"}),
    Row(
        "POST",
        f"{V1}/auth/password",
        (401, 204, 204, 204, 204, 204),
        {"currentPassword": DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD},
    ),
    Row("GET", f"{V1}/auth/me/access-log", (401, 200, 200, 200, 200, 200)),
    # Doctors and the admin have MFA on; patients have not enrolled.
    Row("POST", f"{V1}/auth/mfa/totp/setup", (401, 200, 200, 409, 409, 409)),
    Row("POST", f"{V1}/auth/mfa/totp/confirm", (401, 409, 409, 409, 409, 409), {"code": "000000"}),
    Row(
        "DELETE",
        f"{V1}/auth/mfa/totp",
        (401, 409, 409, 400, 400, 400),
        {"password": DEFAULT_PASSWORD, "code": "000000"},
    ),
    # The mfaToken is the credential (doctor X's): any bearer token is ignored.
    Row(
        "POST",
        f"{V1}/auth/mfa/verify",
        (200, 200, 200, 200, 200, 200),
        {"mfaToken": "{mfa_token_x}", "code": "{code_x}"},
        peer_untouched=False,
    ),
    # --- Consent and data rights ------------------------------------------------------
    Row("GET", f"{V1}/auth/me/consents", (401, 200, 200, 403, 403, 403)),
    Row(
        "POST",
        f"{V1}/auth/me/consents",
        (401, 201, 201, 403, 403, 403),
        {"purpose": "data_sharing", "granted": True},
    ),
    Row(
        "POST",
        f"{V1}/auth/me/consents/{{consent_a}}/withdraw",
        (401, 200, 404, 403, 403, 403),
    ),
    Row("GET", f"{V1}/auth/me/export", (401, 200, 200, 200, 200, 200)),
    # Patient A has a consultation in progress: erasure waits for it (409).
    Row(
        "POST",
        f"{V1}/auth/me/erasure",
        (401, 409, 202, 403, 403, 403),
        {"password": DEFAULT_PASSWORD},
    ),
    # --- Doctors ----------------------------------------------------------------------
    Row("GET", f"{V1}/doctors", (401, 200, 200, 200, 200, 200)),
    Row("GET", f"{V1}/doctors/{{doctor_x}}", (401, 200, 200, 200, 200, 200)),
    Row("GET", f"{V1}/doctors/{{doctor_u}}", (401, 404, 404, 404, 404, 404)),
    Row("GET", f"{V1}/doctors/{{doctor_x}}/availability", (401, 200, 200, 200, 200, 200)),
    Row("GET", f"{V1}/doctors/{{doctor_u}}/availability", (401, 404, 404, 404, 404, 404)),
    Row("GET", f"{V1}/doctors/me", (401, 403, 403, 200, 200, 403)),
    Row("PATCH", f"{V1}/doctors/me", (401, 403, 403, 200, 200, 403), {"bio": "Vaidya"}),
    Row("GET", f"{V1}/doctors/me/slots", (401, 403, 403, 200, 200, 403)),
    Row(
        "POST",
        f"{V1}/doctors/me/slots",
        (401, 403, 403, 201, 201, 403),
        {"slots": [{"startTime": "{new_slot_start}", "endTime": "{new_slot_end}"}]},
    ),
    Row("DELETE", f"{V1}/doctors/me/slots/{{slot_free}}", (401, 403, 403, 204, 404, 403)),
    Row("GET", f"{V1}/doctors/me/schedule", (401, 403, 403, 200, 200, 403)),
    Row(
        "PUT",
        f"{V1}/doctors/me/schedule",
        (401, 403, 403, 200, 200, 403),
        {"rules": [{"weekday": 2, "start": "10:00", "end": "11:00"}]},
    ),
    Row(
        "POST",
        f"{V1}/doctors/me/time-off",
        (401, 403, 403, 201, 201, 403),
        {"start": "{time_off_start}", "end": "{time_off_end}"},
    ),
    Row("POST", f"{V1}/admin/doctors/{{doctor_u}}/verify", (401, 403, 403, 403, 403, 200)),
    # --- Consultations ------------------------------------------------------------------
    Row("GET", f"{V1}/consultations", (401, 200, 200, 200, 200, 200)),
    Row(
        "POST",
        f"{V1}/consultations/bookings",
        (401, 201, 201, 403, 403, 403),
        {"doctorId": "{doctor_x}", "slotId": "{slot_book}"},
        KEY,
    ),
    Row("GET", f"{V1}/consultations/{{c_pending}}", (401, 200, 404, 200, 404, 200)),
    Row("GET", f"{V1}/consultations/{{c_done}}", (401, 200, 404, 200, 404, 200)),
    Row("GET", f"{V1}/consultations/{{c_theirs}}", (401, 404, 200, 404, 200, 200)),
    Row("POST", f"{V1}/consultations/{{c_pending}}/cancel", (401, 200, 404, 200, 404, 200), {}),
    Row(
        "POST",
        f"{V1}/consultations/{{c_pending}}/reschedule",
        (401, 200, 404, 403, 403, 403),
        {"slotId": "{slot_free2}"},
        KEY,
    ),
    Row("POST", f"{V1}/consultations/{{c_soon}}/start", (401, 403, 403, 200, 404, 403)),
    Row("POST", f"{V1}/consultations/{{c_active}}/complete", (401, 403, 403, 200, 404, 403)),
    Row("POST", f"{V1}/consultations/{{c_missed}}/no-show", (401, 403, 403, 200, 404, 200)),
    Row(
        "PUT",
        f"{V1}/consultations/{{c_active}}/notes",
        (401, 403, 403, 201, 404, 403),
        {"symptoms": "Fever", "diagnosis": "Flu", "advice": "Fluids"},
    ),
    Row(
        "POST",
        f"{V1}/consultations/{{c_active}}/prescription",
        (401, 403, 403, 201, 404, 403),
        {"items": [{"medicine": "Giloy", "dosage": "1", "frequency": "daily", "durationDays": 3}]},
    ),
    # --- Administration and audit -----------------------------------------------------
    Row("GET", f"{V1}/audit/logs", (401, 403, 403, 403, 403, 200)),
    Row("GET", f"{V1}/admin/analytics", (401, 403, 403, 403, 403, 200)),
    Row("GET", f"{V1}/admin/webhooks", (401, 403, 403, 403, 403, 200)),
    Row(
        "POST",
        f"{V1}/admin/webhooks",
        (401, 403, 403, 403, 403, 201),
        {"url": "https://93.184.215.14/other", "events": ["consultation.cancelled"]},
    ),
    Row("GET", f"{V1}/admin/webhooks/{{webhook}}", (401, 403, 403, 403, 403, 200)),
    Row(
        "PATCH",
        f"{V1}/admin/webhooks/{{webhook}}",
        (401, 403, 403, 403, 403, 200),
        {"isActive": False},
    ),
    Row("DELETE", f"{V1}/admin/webhooks/{{webhook}}", (401, 403, 403, 403, 403, 204)),
    Row("GET", f"{V1}/admin/webhooks/{{webhook}}/deliveries", (401, 403, 403, 403, 403, 200)),
    # --- Payments (the matrix's consultations are free: nothing to confirm) -----------
    Row("GET", f"{V1}/payments", (401, 200, 200, 200, 200, 200)),
    Row(
        "POST",
        f"{V1}/consultations/{{c_pending}}/payment/confirm",
        (401, 409, 404, 403, 403, 403),
        {"gatewayPaymentId": "pay_matrix", "signature": "ab" * 32},
    ),
    # No JWT: only the gateway's signature counts, and there is none.
    Row("POST", f"{V1}/payments/webhook", (400, 400, 400, 400, 400, 400), {"event": "x"}),
    # --- Operations: open to all, a token changes nothing ---------------------------------
    Row("GET", "/health", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/ready", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/metrics", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/schema", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/docs", (200, 200, 200, 200, 200, 200)),
    # The back office runs on its own session login: an API token opens nothing.
    Row("GET", "/admin/", (302, 302, 302, 302, 302, 302)),
    Row("GET", "/admin/mfa/verify/", (302, 302, 302, 302, 302, 302)),
    Row("GET", "/admin/mfa/enrol/", (302, 302, 302, 302, 302, 302)),
]

CASES = [
    pytest.param(row, actor, status, id=f"{row.id} as {actor}")
    for row in TABLE
    for actor, status in zip(ACTORS, row.expect, strict=True)
]


def send(client: Any, world: Any, row: Row) -> Any:
    path = world.fill(row.path)
    body = world.fill(row.body)
    call = getattr(client, row.method.lower())
    if body is None:
        return call(path, **row.headers)
    return call(path, body, format="json", **row.headers)


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "actor", "expected"), CASES)
def test_endpoint_answers_each_actor_as_the_matrix_says(world, client_as, row, actor, expected):
    before = all_rows()
    peer = world.user(PEER.get(actor, ""))
    peer_before = owned_rows(peer) if peer is not None else None

    response = send(client_as(actor), world, row)

    assert response.status_code == expected, response.content[:300]
    if expected in ERROR_CODES:
        body = response.json()
        assert body["status"] == "fail"
        assert body["code"] == ERROR_CODES[expected] or (
            expected == 401 and body["code"] == "token_invalid"
        )
        assert set(body) <= {"status", "code", "message", "requestId"}
    if expected >= 400 or row.method == "GET":
        assert all_rows() == before
    if peer is not None and row.peer_untouched:
        assert owned_rows(peer) == peer_before


def _routes() -> set[tuple[str, str]]:
    """(method, path with every parameter as {}) of each API and operations route."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith("admin/"):
                    found.add(("GET", "/admin/"))
                    continue
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                path = "/" + re.sub(r"<[^>]+>", "{}", route)
                view = getattr(entry.callback, "view_class", None)
                methods = (
                    [
                        m.upper()
                        for m in ("get", "post", "put", "patch", "delete")
                        if hasattr(view, m)
                    ]
                    if view is not None
                    else ["GET"]
                )
                found.update((method, path) for method in methods)

    walk(get_resolver().url_patterns, "")
    # The admin login's own route (rate limited) is part of the back office.
    found.discard(("GET", "/admin/login/"))
    return found


def test_the_matrix_covers_every_route_and_method():
    covered = {(row.method, re.sub(r"\{[^}]+\}", "{}", row.path)) for row in TABLE}

    assert _routes() - covered == set()


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["anonymous", "patient_a", "doctor_x", "admin"])
def test_options_on_every_route_is_never_a_500_and_reveals_no_fields(world, client_as, actor):
    client = client_as(actor)
    answers = {}

    for path in sorted({row.path for row in TABLE if row.path.startswith("/api/v1/")}):
        response = client.options(world.fill(path))
        body = response.json()
        answers[path] = (response.status_code < 500, "actions" in body.get("data", body))

    assert answers == dict.fromkeys(answers, (True, False))
