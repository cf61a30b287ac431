"""TOTP MFA over the API: setup -> confirm -> login -> verify -> removal, with codes
computed from the secret on a stepped clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
import pytest

from accounts.models import RecoveryCode, TOTPDevice
from accounts.tests.conftest import bearer
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from audit.models import AuditEntry

SETUP = "/api/v1/auth/mfa/totp/setup"
CONFIRM = "/api/v1/auth/mfa/totp/confirm"
REMOVE = "/api/v1/auth/mfa/totp"
VERIFY = "/api/v1/auth/mfa/verify"
ME = "/api/v1/auth/me"
T0 = dt.datetime(2026, 12, 4, 9, 0, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def step(self, seconds: int = 30) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    import accounts.mfa

    clock = Clock()
    monkeypatch.setattr(accounts.mfa, "now", lambda: clock.now)
    return clock


def code_of(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def enrol(api_client: Any, user: Any, token: str, clock: Clock) -> tuple[str, list[str]]:
    setup = api_client.post(SETUP, **bearer(token))
    assert setup.status_code == 200, setup.content
    secret = setup.json()["data"]["secret"]
    confirm = api_client.post(
        CONFIRM, {"code": code_of(secret, clock)}, format="json", **bearer(token)
    )
    assert confirm.status_code == 200, confirm.content
    return secret, confirm.json()["data"]["recoveryCodes"]


def audit_actions(user: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(user.pk), action__startswith="mfa.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_the_whole_flow_from_setup_to_login_with_a_code(api_client, login, token_for, clock):
    user = UserFactory(role="DOCTOR", mfa=False)

    setup = api_client.post(SETUP, **bearer(token_for(user)))
    data = setup.json()["data"]
    assert setup.status_code == 200
    assert set(data) == {"secret", "otpauthUri"}
    assert data["otpauthUri"].startswith("otpauth://totp/Amrutam:")
    assert "issuer=Amrutam" in data["otpauthUri"]
    assert login(user.email).json()["data"]["token"]  # not on until confirmed

    confirm = api_client.post(
        CONFIRM, {"code": code_of(data["secret"], clock)}, format="json", **bearer(token_for(user))
    )
    codes = confirm.json()["data"]["recoveryCodes"]
    assert confirm.status_code == 200
    assert len(codes) == len(set(codes)) == 10

    clock.step()
    first = login(user.email)
    step_one = first.json()["data"]
    assert first.status_code == 200
    assert step_one == {"mfaRequired": True, "mfaToken": step_one["mfaToken"]}

    done = api_client.post(
        VERIFY,
        {"mfaToken": step_one["mfaToken"], "code": code_of(data["secret"], clock)},
        format="json",
    )
    body = done.json()["data"]
    assert done.status_code == 200
    assert set(body) == {"token", "refreshToken", "user"}
    assert body["user"]["mfaEnabled"] is True
    assert body["user"]["mfaEnrollmentRequired"] is False
    me = api_client.get(ME, **bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["data"]["user"]["mfaEnabled"] is True
    assert audit_actions(user) == ["mfa.enrolled"]


def test_a_recovery_code_logs_in_once_ever(api_client, login, token_for, clock):
    user = UserFactory(role="DOCTOR", mfa=False)
    _, codes = enrol(api_client, user, token_for(user), clock)

    first = api_client.post(
        VERIFY,
        {"mfaToken": login(user.email).json()["data"]["mfaToken"], "recoveryCode": codes[0]},
        format="json",
    )
    again = api_client.post(
        VERIFY,
        {
            "mfaToken": login(user.email).json()["data"]["mfaToken"],
            "recoveryCode": codes[0].upper(),
        },
        format="json",
    )

    assert first.status_code == 200
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_mfa_code"
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    assert audit_actions(user) == ["mfa.enrolled", "mfa.recovery_code_used", "mfa.code_failed"]


def test_a_code_is_refused_when_replayed_within_its_window(api_client, login, token_for, clock):
    user = UserFactory(role="DOCTOR", mfa=False)
    secret, _ = enrol(api_client, user, token_for(user), clock)
    clock.step()
    code = code_of(secret, clock)

    first = api_client.post(
        VERIFY,
        {"mfaToken": login(user.email).json()["data"]["mfaToken"], "code": code},
        format="json",
    )
    clock.step(10)  # same 30 s step
    replay = api_client.post(
        VERIFY,
        {"mfaToken": login(user.email).json()["data"]["mfaToken"], "code": code},
        format="json",
    )

    assert first.status_code == 200
    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_mfa_code"


def test_the_code_that_confirmed_enrolment_cannot_log_in(api_client, login, token_for, clock):
    user = UserFactory(role="DOCTOR", mfa=False)
    secret, _ = enrol(api_client, user, token_for(user), clock)

    replay = api_client.post(
        VERIFY,
        {"mfaToken": login(user.email).json()["data"]["mfaToken"], "code": code_of(secret, clock)},
        format="json",
    )

    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_mfa_code"


def test_a_code_one_step_old_is_accepted_and_two_steps_old_is_not(
    api_client, login, token_for, clock
):
    user = UserFactory(role="DOCTOR", mfa=False)
    secret, _ = enrol(api_client, user, token_for(user), clock)
    clock.step(90)
    old = pyotp.TOTP(secret).at(clock.now - dt.timedelta(seconds=60))
    drifted = pyotp.TOTP(secret).at(clock.now - dt.timedelta(seconds=30))

    expired = api_client.post(
        VERIFY,
        {"mfaToken": login(user.email).json()["data"]["mfaToken"], "code": old},
        format="json",
    )
    accepted = api_client.post(
        VERIFY,
        {"mfaToken": login(user.email).json()["data"]["mfaToken"], "code": drifted},
        format="json",
    )

    assert expired.status_code == 401
    assert expired.json()["code"] == "invalid_mfa_code"
    assert accepted.status_code == 200


def test_setup_while_mfa_is_on_is_409_and_keeps_the_secret(api_client, token_for, doctor):
    before = TOTPDevice.objects.get(user=doctor.user).secret

    response = api_client.post(SETUP, **bearer(token_for(doctor.user)))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert TOTPDevice.objects.get(user=doctor.user).secret == before


def test_a_second_setup_replaces_an_unconfirmed_one(api_client, token_for, clock):
    user = UserFactory(role="DOCTOR", mfa=False)
    first = api_client.post(SETUP, **bearer(token_for(user))).json()["data"]["secret"]
    second = api_client.post(SETUP, **bearer(token_for(user))).json()["data"]["secret"]

    stale = api_client.post(
        CONFIRM, {"code": code_of(first, clock)}, format="json", **bearer(token_for(user))
    )

    assert first != second
    assert stale.status_code == 400
    assert stale.json()["code"] == "invalid_mfa_code"
    assert TOTPDevice.objects.get(user=user).confirmed_at is None


def test_a_wrong_confirmation_code_is_400_and_mfa_stays_off(api_client, token_for, clock):
    user = UserFactory(role="DOCTOR", mfa=False)
    secret = api_client.post(SETUP, **bearer(token_for(user))).json()["data"]["secret"]
    wrong = f"{(int(code_of(secret, clock)) + 1) % 1000000:06d}"

    response = api_client.post(CONFIRM, {"code": wrong}, format="json", **bearer(token_for(user)))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_mfa_code"
    assert secret not in response.content.decode()
    assert TOTPDevice.objects.get(user=user).confirmed_at is None
    assert RecoveryCode.objects.filter(user=user).count() == 0


@pytest.mark.parametrize("code", ["abcdef", "12345", "1234567", "", 123456, None])
def test_malformed_codes_are_validation_errors_that_use_no_try(api_client, login, doctor, code):
    mfa_token = login(doctor.user.email).json()["data"]["mfaToken"]

    response = api_client.post(VERIFY, {"mfaToken": mfa_token, "code": code}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "code" in response.json()["errors"]
    from accounts.models import MFAChallenge

    assert MFAChallenge.objects.get(user=doctor.user).attempts == 0


def test_removal_needs_the_password(api_client, token_for, doctor):
    from accounts.tests.factories import totp_code

    response = api_client.delete(
        REMOVE,
        {"password": "not-the-password", "code": totp_code(doctor.user)},
        format="json",
        **bearer(token_for(doctor.user)),
    )
    missing = api_client.delete(
        REMOVE, {"code": totp_code(doctor.user)}, format="json", **bearer(token_for(doctor.user))
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["The password is incorrect."]}
    assert missing.status_code == 400
    assert "password" in missing.json()["errors"]
    assert TOTPDevice.objects.filter(user=doctor.user, confirmed_at__isnull=False).count() == 1


def test_removal_with_password_and_code_turns_mfa_off_and_revokes_tokens(api_client, tokens, clock):
    user = UserFactory(role="PATIENT", mfa=False)
    pair = tokens(user)
    secret, _ = enrol(api_client, user, pair["token"], clock)
    clock.step()

    response = api_client.delete(
        REMOVE,
        {"password": DEFAULT_PASSWORD, "code": code_of(secret, clock)},
        format="json",
        **bearer(pair["token"]),
    )
    refresh = api_client.post(
        "/api/v1/auth/token/refresh", {"refreshToken": pair["refreshToken"]}, format="json"
    )

    assert response.status_code == 204
    assert TOTPDevice.objects.filter(user=user).count() == 0
    assert RecoveryCode.objects.filter(user=user).count() == 0
    assert refresh.status_code == 401
    assert audit_actions(user) == ["mfa.enrolled", "mfa.removed"]
