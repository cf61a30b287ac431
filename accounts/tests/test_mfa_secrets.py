"""The TOTP secret and the recovery codes never appear in clear in the database, the logs,
the audit trail or an error body."""

from __future__ import annotations

import logging

import pyotp
import pytest
from django.db import connection

from accounts.tests.conftest import bearer
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def every_row_as_text() -> str:
    """Every row of every table of the database, as JSON text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        chunks = []
        for table in tables:
            cursor.execute(f"SELECT row_to_json(t)::text FROM {connection.ops.quote_name(table)} t")  # noqa: S608
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks)


def test_secret_and_recovery_codes_never_appear_in_clear(
    api_client, login, token_for, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    user = UserFactory(role="DOCTOR", mfa=False)
    token = token_for(user)

    secret = api_client.post("/api/v1/auth/mfa/totp/setup", **bearer(token)).json()["data"][
        "secret"
    ]
    totp = pyotp.TOTP(secret)
    wrong = f"{(int(totp.now()) + 1) % 1000000:06d}"
    failed_confirm = api_client.post(
        "/api/v1/auth/mfa/totp/confirm", {"code": wrong}, format="json", **bearer(token)
    )
    codes = api_client.post(
        "/api/v1/auth/mfa/totp/confirm", {"code": totp.now()}, format="json", **bearer(token)
    ).json()["data"]["recoveryCodes"]
    mfa_token = login(user.email).json()["data"]["mfaToken"]
    failed_verify = api_client.post(
        "/api/v1/auth/mfa/verify", {"mfaToken": mfa_token, "code": wrong}, format="json"
    )
    recovered = api_client.post(
        "/api/v1/auth/mfa/verify", {"mfaToken": mfa_token, "recoveryCode": codes[0]}, format="json"
    )
    failed_removal = api_client.delete(
        "/api/v1/auth/mfa/totp",
        {"password": DEFAULT_PASSWORD, "recoveryCode": codes[0]},
        format="json",
        **bearer(recovered.json()["data"]["token"]),
    )

    assert failed_confirm.status_code == 400
    assert failed_verify.status_code == 401
    assert recovered.status_code == 200
    assert failed_removal.status_code == 400
    secrets = [secret, secret.lower(), *codes, *(c.replace("-", "") for c in codes)]
    stored = every_row_as_text()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE user_id = %s", [user.pk])
        (ciphertext,) = cursor.fetchone()
    assert ciphertext.startswith("v1:")
    assert ciphertext in stored  # the scan does see the device's row
    logs = caplog.text + capsys.readouterr().out
    assert "mfa.code_failed" in stored
    for value in secrets:
        assert value not in stored
        assert value not in logs
    for response in (failed_confirm, failed_verify, failed_removal):
        body = response.content.decode()
        assert secret not in body
        assert not any(code in body for code in codes)
