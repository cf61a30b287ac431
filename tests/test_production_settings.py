"""Production settings refuse to start without real secrets, and pass check --deploy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "DJANGO_SETTINGS_MODULE": "amrutam.settings.production",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/amrutam",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "JWT_SECRET": "k" * 20 + "0123456789abcdefghijkl",
    "ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "ALLOWED_HOSTS": "api.amrutam.example",
    "DEBUG": "false",
    "PAYMENT_GATEWAY": "razorpay",
    "RAZORPAY_KEY_ID": "rzp_live_0123456789",
    "RAZORPAY_KEY_SECRET": "s" * 24,
    "RAZORPAY_WEBHOOK_SECRET": "w" * 24,
}


def run_in_production(
    args: list[str], overrides: dict[str, str | None] | None = None, *, check: bool = False
) -> subprocess.CompletedProcess:
    """Run `python <args>` from the repository with the GOOD production environment,
    `overrides` applied (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    env.update(GOOD)
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def run_check(overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    return run_in_production(["manage.py", "check", *args], overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"JWT_SECRET": None}, "JWT_SECRET is not set"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET is weak"),
        ({"ENCRYPTION_KEY": None}, "ENCRYPTION_KEY must be"),
        ({"ENCRYPTION_KEY": "too-short"}, "ENCRYPTION_KEY must be"),
        ({"ENCRYPTION_KEY": "c2l4dGVlbiBieXRlcyEhIQ=="}, "ENCRYPTION_KEY must be"),
        ({"DEBUG": "true"}, "DEBUG is on"),
        ({"DATABASE_URL": None}, "DATABASE_URL is not set"),
        ({"REDIS_URL": None}, "REDIS_URL is not set"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS is not set"),
        ({"PAYMENT_GATEWAY": None}, "PAYMENT_GATEWAY must be set explicitly"),
        ({"PAYMENT_GATEWAY": "paypal"}, "PAYMENT_GATEWAY must be set explicitly"),
        ({"RAZORPAY_KEY_SECRET": None}, "RAZORPAY_KEY_SECRET is not set"),
        ({"RAZORPAY_WEBHOOK_SECRET": None}, "RAZORPAY_WEBHOOK_SECRET is not set"),
    ],
)
def test_production_refuses_to_start(overrides, message):
    result = run_check(overrides)

    assert result.returncode != 0
    # One line saying why, not a traceback that buries it.
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Refusing to start in production: {message}")


def test_production_accepts_a_32_character_raw_key():
    result = run_check({"ENCRYPTION_KEY": "0123456789abcdef0123456789abcdef"})

    assert result.returncode == 0, result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = run_check({}, "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_security_defaults():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "list(s.SECURE_PROXY_SSL_HEADER), s.PASSWORD_HASHERS[0]]))"
    )

    result = run_in_production(["-c", code], check=True)

    redirect, hsts, session_secure, csrf_secure, httponly, proxy, hasher = json.loads(result.stdout)
    assert redirect is True
    assert hsts >= 31536000
    assert session_secure is True
    assert csrf_secure is True
    assert httponly is True
    assert proxy == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert hasher.endswith("Argon2PasswordHasher")


def test_production_tls_switch_off_for_plain_http_trial():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE]))"
    )

    result = run_in_production(["-c", code], {"SECURE_TLS": "false"}, check=True)

    assert json.loads(result.stdout) == [False, 0, False]


@pytest.mark.slow
def test_gunicorn_refuses_to_start_with_one_line_and_no_worker_boot():
    # Without DJANGO_SETTINGS_MODULE: amrutam.wsgi's own default is production.
    result = run_in_production(
        ["-m", "gunicorn", "amrutam.wsgi", "--bind", "127.0.0.1:0"],
        {"JWT_SECRET": None, "DJANGO_SETTINGS_MODULE": None},
    )

    assert result.returncode != 0
    assert result.stderr.strip() == "Refusing to start in production: JWT_SECRET is not set."
