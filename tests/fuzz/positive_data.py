"""Schemathesis' positive-data check, with the refusals a schema cannot rule out.

`positive_data_acceptance` fails when a request valid by the OpenAPI schema gets a
4xx other than 401, 403, 404, 409 or 429. The schema states every rule of a single
value (formats, patterns, lengths, enums, required and unknown fields); what remains is
listed here, each refusal by its operation, status, code and the field it names:

- state: the answer depends on stored data or the clock, not on the request's form
  (an Idempotency-Key already used with another body, a time already past, a doctor
  verified before their registration number is known);
- permission: the caller may not do it (a doctor setting their own verification, a
  verified doctor changing their registration number; a wrong current password or a
  refresh token that is not the caller's valid one: credentials);
- relations between fields, which JSON Schema cannot compare (an end after its start,
  a window's length, minFee not above maxFee, a password too similar to the email or
  name), and Django's list of common passwords; each is stated in the schema's
  descriptions.

Anything else is a schema that accepts what the service refuses, and fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance


@dataclass(frozen=True)
class Refusal:
    operation: str  # "METHOD /path" as in the schema, or "*" for every operation
    status: int
    code: str
    field: str | None = None  # the error's field, a prefix for list items ("slots[")
    why: str = ""
    # When given, each of the field's messages must contain one of these.
    messages: tuple[str, ...] = ()

    def covers(self, field: str, messages: list[str]) -> bool:
        if self.field is not None and not (field == self.field or field.startswith(self.field)):
            return False
        return not self.messages or all(
            any(part in message for part in self.messages) for message in messages
        )


WINDOW = ("from", "to")
PASSWORD_REFUSALS = ("too similar", "too common")
EXPECTED: tuple[Refusal, ...] = (
    # State
    Refusal("*", 422, "idempotency_key_reused", why="state: key used with another body"),
    Refusal("POST /api/v1/doctors/me/slots", 400, "validation_error", "slots[", "state/relation"),
    Refusal("POST /api/v1/doctors/me/time-off", 400, "validation_error", "end", "state/relation"),
    # Permission and credentials
    Refusal("POST /api/v1/auth/logout", 400, "validation_error", "refreshToken", "credential"),
    Refusal("POST /api/v1/auth/password", 400, "validation_error", "currentPassword", "credential"),
    Refusal("PATCH /api/v1/doctors/me", 400, "validation_error", "isVerified", "permission"),
    Refusal(
        "PATCH /api/v1/doctors/me", 400, "validation_error", "registrationNumber", "permission"
    ),
    Refusal("PATCH /api/v1/auth/me", 400, "validation_error", "profile", "permission: patients"),
    Refusal(
        "POST /api/v1/admin/doctors/{doctor_id}/verify",
        400,
        "validation_error",
        "registrationNumber",
        "state: the doctor has no registration number yet",
    ),
    Refusal("DELETE /api/v1/auth/mfa/totp", 400, "validation_error", "password", "credential"),
    Refusal("POST /api/v1/auth/me/erasure", 400, "validation_error", "password", "credential"),
    *(
        Refusal(
            op, 400, "invalid_mfa_code", why="credential: a code the authenticator did not show"
        )
        for op in ("POST /api/v1/auth/mfa/totp/confirm", "DELETE /api/v1/auth/mfa/totp")
    ),
    Refusal(
        "POST /api/v1/payments/webhook",
        400,
        "webhook_signature_invalid",
        why="credential: the gateway's signature over the raw body",
    ),
    Refusal(
        "POST /api/v1/consultations/{id}/payment/confirm",
        400,
        "payment_signature_invalid",
        why="credential: Checkout's signature",
    ),
    Refusal(
        "POST /api/v1/admin/webhooks",
        400,
        "validation_error",
        "url",
        "network: https to a host that resolves to public addresses only",
        ("https", "public", "private", "resolve", "address", "loopback"),
    ),
    # Relations between fields
    *(
        Refusal(
            op,
            400,
            "validation_error",
            "code",
            "relation: exactly one of code and recoveryCode",
            ("Give either", "Give `code`"),
        )
        for op in ("POST /api/v1/auth/mfa/verify", "DELETE /api/v1/auth/mfa/totp")
    ),
    *(
        Refusal(op, 400, "validation_error", name, "relation: from before to, window length")
        for op in (
            "GET /api/v1/audit/logs",
            "GET /api/v1/admin/analytics",
            "GET /api/v1/consultations",
        )
        for name in WINDOW
    ),
    Refusal("GET /api/v1/doctors", 400, "validation_error", "maxFee", "relation: minFee"),
    # A cursor is a token the list itself gave out: a string of the right shape is not one.
    *(
        Refusal(op, 400, "validation_error", "cursor", "state: a cursor the list gave out")
        for op in (
            "GET /api/v1/audit/logs",
            "GET /api/v1/auth/me/access-log",
            "GET /api/v1/consultations",
            "GET /api/v1/payments",
        )
    ),
    Refusal("PUT /api/v1/doctors/me/schedule", 400, "validation_error", "rules", "relation"),
    *(
        Refusal(op, 400, "validation_error", name, "relation / common", PASSWORD_REFUSALS)
        for op, name in (
            ("POST /api/v1/auth/register", "password"),
            ("POST /api/v1/auth/password", "newPassword"),
        )
    ),
)


def _errors_of(response: Any) -> tuple[str | None, dict[str, list[str]]]:
    try:
        body = response.json()
    except ValueError:
        return None, {}
    if not isinstance(body, dict):
        return None, {}
    return body.get("code"), dict(body.get("errors") or {})


def expected(operation: str, status: int, code: str | None, errors: dict[str, list[str]]) -> bool:
    """Whether every part of this refusal is listed (each field and message, for a 400)."""
    listed = [r for r in EXPECTED if r.operation in ("*", operation) and r.status == status]
    listed = [r for r in listed if r.code == code]
    if not listed:
        return False
    if not errors:
        return any(r.field is None for r in listed)
    return all(any(r.covers(f, messages) for r in listed) for f, messages in errors.items())


@schemathesis.check
def positive_data_accepted_but_for_state_or_permission(ctx: Any, response: Any, case: Any) -> Any:
    """`positive_data_acceptance`, except for the refusals listed in EXPECTED."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        code, errors = _errors_of(response)
        operation = f"{case.method.upper()} {case.operation.path}"
        if expected(operation, response.status_code, code, errors):
            return None
        raise
