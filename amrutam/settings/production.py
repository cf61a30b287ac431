"""Production settings: the default of `amrutam.wsgi` (gunicorn).

Refuses to start, with one clear line, when a secret is missing or weak, when DEBUG
is on, or without DATABASE_URL and REDIS_URL.
"""

import base64
import binascii

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    DATABASE_URL,
    DEBUG,
    DEV_RAZORPAY_KEY_ID,
    DEV_RAZORPAY_KEY_SECRET,
    DEV_RAZORPAY_WEBHOOK_SECRET,
    ENCRYPTION_KEY,
    JWT_SECRET,
    LOGGING,
    RAZORPAY_KEY_ID,
    RAZORPAY_KEY_SECRET,
    RAZORPAY_WEBHOOK_SECRET,
    REDIS_URL,
    SILENCED_SYSTEM_CHECKS,
    env,
)

MIN_JWT_SECRET_LENGTH = 32
WEAK_SECRETS = {"secret", "changeme", "your-secret-key", "your_jwt_secret", "jwt_secret"}


def _refuse(message: str) -> None:
    raise ImproperlyConfigured(f"Refusing to start in production: {message}")


def _encryption_key_bytes(value: str) -> int:
    if len(value) == 32:
        return 32
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return 0


if DEBUG:
    _refuse("DEBUG is on; set DEBUG=false.")
if not JWT_SECRET:
    _refuse("JWT_SECRET is not set.")
if len(JWT_SECRET) < MIN_JWT_SECRET_LENGTH or JWT_SECRET.lower() in WEAK_SECRETS:
    _refuse(f"JWT_SECRET is weak; use at least {MIN_JWT_SECRET_LENGTH} random characters.")
if not ENCRYPTION_KEY or _encryption_key_bytes(ENCRYPTION_KEY) != 32:
    _refuse(
        "ENCRYPTION_KEY must be 32 characters or standard base64 of 32 bytes "
        "(e.g. `openssl rand -base64 32`)."
    )
if not DATABASE_URL:
    _refuse("DATABASE_URL is not set.")
if not REDIS_URL:
    _refuse("REDIS_URL is not set.")
if not ALLOWED_HOSTS:
    _refuse("ALLOWED_HOSTS is not set (comma-separated host names this service answers).")
if env("PAYMENT_GATEWAY", default="") not in ("sandbox", "razorpay"):
    _refuse("PAYMENT_GATEWAY must be set explicitly: `razorpay` (or `sandbox` for a trial).")
for _name, _value, _dev in (
    ("RAZORPAY_KEY_ID", RAZORPAY_KEY_ID, DEV_RAZORPAY_KEY_ID),
    ("RAZORPAY_KEY_SECRET", RAZORPAY_KEY_SECRET, DEV_RAZORPAY_KEY_SECRET),
    ("RAZORPAY_WEBHOOK_SECRET", RAZORPAY_WEBHOOK_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET),
):
    if not _value or _value == _dev:
        _refuse(f"{_name} is not set (the payment gateway's secrets are required).")

# Emails go to an SMTP server, never to the console: without EMAIL_URL, the local one.
if not env("EMAIL_URL", default=None):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "localhost"
    EMAIL_PORT = 25

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto. SECURE_TLS=false turns
# the HTTPS-only behaviour off for a plain-HTTP trial.
SECURE_TLS = env.bool("SECURE_TLS", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_TLS)
# Health, readiness and metrics are probed over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_TLS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_TLS)
# The back office's cookies are never readable from scripts nor sent on cross-site
# subrequests; nothing of the service reads the CSRF cookie from JavaScript.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# HSTS preload commits every subdomain of the clinic's domain to HTTPS for good: it is
# the operator's decision (SECURE_HSTS_PRELOAD=true), so its warning is silenced.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]

# Request threads queue their log lines for one writer thread per process instead of
# each taking the handler's lock and writing (see QueuedStreamHandler).
LOGGING["handlers"]["stdout"]["class"] = "amrutam.common.logging.QueuedStreamHandler"
