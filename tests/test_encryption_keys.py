"""A key that decrypts none of the stored data is caught at start, by /ready, and in a
request (503, not 500), naming the key ids found in the data and the configured ones."""

from __future__ import annotations

import base64
import os
import runpy
from pathlib import Path

import pytest
from django.db import connection

from amrutam.common.fields import key_id, parse_key
from amrutam.common.keycheck import encryption_keys_check

from .test_production_settings import GOOD, run_in_production

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
# Another environment's key: valid in form, unrelated to the data.
WRONG_KEY = base64.b64encode(b"w" * 32).decode()


def _ids(settings) -> tuple[str, str]:
    """(the key id the test data is written with, the wrong key's id)."""
    return key_id(parse_key(settings.ENCRYPTION_KEY)), key_id(parse_key(WRONG_KEY))


@pytest.fixture
def stored_phi(patient):
    from accounts.models import PatientProfile

    PatientProfile.objects.update_or_create(
        user=patient, defaults={"phone": "+91 98765 43210", "allergies": "penicillin"}
    )
    return patient


def _production_env(**overrides: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {"DATABASE_URL": url, **overrides}


def test_the_configured_key_reads_the_stored_values(stored_phi, settings):
    result = encryption_keys_check()

    assert result.ok and not result.partial
    assert result.sampled >= 2 and result.decrypted == result.sampled
    assert result.stored_key_ids == (_ids(settings)[0],)


def test_ready_is_503_naming_both_key_ids_when_the_key_is_wrong(stored_phi, settings, client):
    stored, configured = _ids(settings)
    settings.ENCRYPTION_KEY = WRONG_KEY

    response = client.get("/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "DOWN"
    assert body["checks"] == {
        "database": "UP",
        "cache": "UP",
        "encryption": "DOWN",
        "broker": "UP",
    }
    problem = body["problems"]["encryption"]
    assert "cannot decrypt" in problem
    assert f"Key ids in the data: {stored};" in problem
    assert f"configured (ENCRYPTION_KEY first, then ENCRYPTION_KEYS_PREVIOUS): {configured}." in (
        problem
    )
    # With the old key kept for decryption (a rotation under way) it is ready again.
    settings.ENCRYPTION_KEYS_PREVIOUS = ["test-key-0123456789abcdef0123456"]
    assert client.get("/ready").status_code == 200


def test_a_request_meeting_an_undecryptable_value_is_503(stored_phi, settings, client_for):
    client = client_for(stored_phi)
    assert client.get("/api/v1/auth/me").status_code == 200
    settings.ENCRYPTION_KEY = WRONG_KEY

    response = client.get("/api/v1/auth/me")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["code"]) == ("error", "service_unavailable")
    assert body["requestId"] == response["X-Request-ID"]
    assert set(body) == {"status", "code", "message", "requestId"}
    assert b"penicillin" not in response.content and b"key" not in response.content


@pytest.mark.slow
def test_the_start_check_fails_on_a_wrong_key_naming_the_key_ids(stored_phi, settings):
    stored, configured = _ids(settings)
    right = _production_env(ENCRYPTION_KEY=settings.ENCRYPTION_KEY)
    wrong = _production_env(ENCRYPTION_KEY=WRONG_KEY)

    passed = run_in_production(["manage.py", "check_encryption_keys"], right)
    failed = run_in_production(["manage.py", "check_encryption_keys"], wrong)
    system_check = run_in_production(["manage.py", "check", "--database", "default"], wrong)

    assert passed.returncode == 0, passed.stderr
    assert "Encryption keys OK" in passed.stdout
    assert failed.returncode == 1
    assert "cannot decrypt the stored data" in failed.stderr
    assert f"Key ids in the data: {stored};" in failed.stderr
    assert configured in failed.stderr
    assert system_check.returncode != 0
    assert "amrutam.E001" in system_check.stderr and configured in system_check.stderr


@pytest.mark.slow
def test_gunicorn_refuses_to_start_with_a_wrong_key(stored_phi, settings, monkeypatch, tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "amrutam.settings.production",
        "JWT_SECRET": "k" * 48,
        "ALLOWED_HOSTS": "127.0.0.1",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # The payment gateway production insists on; not what this test is about.
        **{name: value for name, value in GOOD.items() if "RAZORPAY" in name or "PAYMENT" in name},
        **_production_env(ENCRYPTION_KEY=WRONG_KEY),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    # The settings' own refusals are tested elsewhere (and this process has its settings
    # loaded already): the key check runs in a process of its own.
    with pytest.raises(SystemExit) as stopped:
        conf["_refuse_wrong_encryption_key"]()

    message = str(stopped.value)
    assert message.startswith("Refusing to start: The configured encryption keys cannot")
    assert _ids(settings)[0] in message and _ids(settings)[1] in message
