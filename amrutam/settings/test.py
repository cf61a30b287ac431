"""Settings for the test suite: real PostgreSQL and Redis (URLs from the environment)."""

import copy
import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/amrutam")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from .base import *  # noqa: F403
from .base import SIMPLE_JWT, env

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SECRET_KEY = "test-django-secret-key"
JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789abcdef"
SIMPLE_JWT["SIGNING_KEY"] = JWT_SECRET
ENCRYPTION_KEY = "test-key-0123456789abcdef0123456"  # 32 characters
ENCRYPTION_KEYS_PREVIOUS: list[str] = []

# The audit tests mount a second admin site there (audit/tests/urls.py).
BACK_OFFICE_PREFIXES = ("/admin", "/test-admin")

CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="amrutam-test")
# Entries are sealed by the committing thread, so a test sees the chain complete as soon
# as its write returns; the background sealer has its own tests.
AUDIT_SEAL_IN_BACKGROUND = False
# Likewise committed outbox events are published by the committing thread (through the
# app a test made current, which is thread-local); the relay thread has its own tests.
OUTBOX_RELAY_IN_BACKGROUND = False

# The audit tables refuse TRUNCATE unless the session allows it; transactional tests
# empty every table with TRUNCATE after each test.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = (
    _db_options.get("options", "") + " -c amrutam.audit_allow_truncate=on"
).strip()

# The suite runs on one database: `replica` mirrors `default` (pytest creates no second
# test database) and reads are not routed to it, so a test reads its own uncommitted
# rows. Routing tests turn READ_REPLICA on; tests/test_read_replica.py runs the app
# against a real streaming standby in a child process.
DATABASES["replica"] = {**copy.deepcopy(DATABASES["default"]), "TEST": {"MIRROR": "default"}}
READ_REPLICA = None

# Argon2 stays first in production; tests hash thousands of passwords, so they use
# a fast hasher and one test checks the production order.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOG_LEVEL = env("LOG_LEVEL", default="WARNING")
LOGGING["root"]["level"] = LOG_LEVEL

# Static assets straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
