"""Fixtures of the accounts tests: an audit recorder and login helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, totp_code

STRONG_PASSWORD = "Violet-Ledger-93!"


class AuditRecorder:
    """Records the audit calls the accounts code makes, then lets them through."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.phi_reads: list[dict[str, Any]] = []

    def actions(self) -> list[str]:
        return [e["action"] for e in self.events]

    def of(self, action: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["action"] == action]


@pytest.fixture
def audit_calls(monkeypatch: pytest.MonkeyPatch) -> AuditRecorder:
    import accounts.admin
    import accounts.selectors
    import accounts.services
    from audit import services as audit_services

    recorder = AuditRecorder()

    def event(**kwargs: Any) -> None:
        recorder.events.append(kwargs)
        audit_services.audit_event(**kwargs)

    def phi(**kwargs: Any) -> None:
        recorder.phi_reads.append(kwargs)
        audit_services.phi_access_record(**kwargs)

    monkeypatch.setattr(accounts.services, "audit_event", event)
    monkeypatch.setattr(accounts.selectors, "phi_access_record", phi)
    monkeypatch.setattr(accounts.admin, "phi_access_record", phi)
    return recorder


@pytest.fixture
def login(api_client: Any) -> Callable[..., Any]:
    """POST /auth/login; returns the response."""

    def do(email: str, password: str = DEFAULT_PASSWORD, **extra: Any) -> Any:
        return api_client.post(
            "/api/v1/auth/login", {"email": email, "password": password}, format="json", **extra
        )

    return do


@pytest.fixture
def full_login(login: Callable[..., Any], api_client: Any) -> Callable[[Any], Any]:
    """Log `user` in, giving their TOTP code when MFA is on; returns the last response."""

    def do(user: Any) -> Any:
        response = login(user.email)
        if response.status_code != 200 or not response.json()["data"].get("mfaRequired"):
            return response
        return api_client.post(
            "/api/v1/auth/mfa/verify",
            {"mfaToken": response.json()["data"]["mfaToken"], "code": totp_code(user)},
            format="json",
        )

    return do


@pytest.fixture
def tokens(full_login: Callable[..., Any]) -> Callable[[Any], dict[str, str]]:
    """Log `user` in (with their TOTP code when MFA is on) and return {"token", "refreshToken"}."""

    def do(user: Any) -> dict[str, str]:
        response = full_login(user)
        assert response.status_code == 200, response.content
        data = response.json()["data"]
        return {"token": data["token"], "refreshToken": data["refreshToken"]}

    return do


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
