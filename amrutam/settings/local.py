"""Developer and trial settings: `manage.py` and `make run` use these.

Secrets fall back to fixed, publicly known development values so that a fresh clone
runs with no configuration. They are refused by the production settings.
"""

from .base import *  # noqa: F403
from .base import SILENCED_SYSTEM_CHECKS, env

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

DEV_JWT_SECRET = "dev-only-jwt-secret-never-use-in-production-0123456789"  # nosec B105
DEV_ENCRYPTION_KEY = "dev-only-key-never-in-production"  # 32 characters

JWT_SECRET = env("JWT_SECRET", default=DEV_JWT_SECRET)
SIMPLE_JWT["SIGNING_KEY"] = JWT_SECRET
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-django-secret-key")
ENCRYPTION_KEY = env("ENCRYPTION_KEY", default=DEV_ENCRYPTION_KEY)

# A trial's webhook receiver may listen on plain http (private targets stay refused).
WEBHOOK_REQUIRE_HTTPS = False

if EMBEDDED_DEFAULT:
    # django-ratelimit refuses a per-process cache; on the single-process embedded
    # default, counting per process is exactly right.
    SILENCED_SYSTEM_CHECKS = [
        *SILENCED_SYSTEM_CHECKS,
        "django_ratelimit.E003",
        "django_ratelimit.W001",
    ]
