"""Every setting of the service, read from the environment (django-environ).

`local`, `test` and `production` import this module and override only a few values.
With neither DATABASE_URL nor REDIS_URL set, the service runs on the embedded default:
a SQLite file and an in-process cache, for a one-machine trial.
"""

import copy
import hmac
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

# --- Core -------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=env.bool("DJANGO_DEBUG", default=False))
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=env.list("DJANGO_ALLOWED_HOSTS", default=[]))
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with the clinic's own site (dashboard, one audit section).
    "backoffice.admin_config.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "corsheaders",
    "auditlog",
    "accounts",
    "consent",
    "doctors",
    "consultations",
    "payments",
    "privacy",
    "audit",
    "demo",
    "notifications",
    "backoffice",
]

MIDDLEWARE = [
    "amrutam.common.middleware.RequestIdMiddleware",
    "amrutam.common.middleware.BodySizeLimitMiddleware",
    "amrutam.common.middleware.ErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "amrutam.common.csp.CSPMiddleware",
    # Outside the back office's middleware, so an answer made there (the 503 page when the
    # staff MFA step cannot reach the database) still carries the header.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Sessions, the session user and messages, for /admin/ only (see the module).
    "amrutam.common.backoffice.BackOfficeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "audit.middleware.AuditContextMiddleware",
    # Write requests read from the primary and pin their user there for a few seconds.
    "amrutam.common.replica.ReplicaPinMiddleware",
    # Innermost, as django-prometheus' own: it sees the view's exceptions first.
    "amrutam.common.request_metrics.RequestMetricsMiddleware",
]

BACK_OFFICE_PREFIXES = ("/admin",)
# Run inside the back office's session middleware: staff give a TOTP code after the
# password (accounts/admin_mfa.py).
BACK_OFFICE_EXTRA_MIDDLEWARE = ("accounts.admin_mfa.StaffMFAMiddleware",)
# The admin's checks look for the session, authentication and messages middleware in
# MIDDLEWARE itself; BackOfficeMiddleware runs all three for the admin's paths.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

ROOT_URLCONF = "amrutam.urls"
WSGI_APPLICATION = "amrutam.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# The audit trail is django-auditlog's log-entry model: a field change is one row, both
# auditlog's entry and a link of the hash chain (audit/models.py).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

LANGUAGE_CODE = "en-us"
# Stored and exchanged times stay UTC; the back office shows them in the clinic's zone.
TIME_ZONE = "UTC"
CLINIC_TIME_ZONE = env("CLINIC_TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The admin and the API docs' assets are served by the app itself (WhiteNoise), so no
# outside host or CDN is ever referenced.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Database and cache -----------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", default=None)
REDIS_URL = env("REDIS_URL", default=None)
EMBEDDED_DEFAULT = not DATABASE_URL and not REDIS_URL
# A kept connection that served a request less than this long ago skips the health
# check (a `SELECT 1` round trip) before its next request; 0 checks before every request.
DB_HEALTH_CHECK_IDLE_SECONDS = env.float("DB_HEALTH_CHECK_IDLE_SECONDS", default=1.0)
# What sits between the service and PostgreSQL: nothing (empty) or `pgbouncer` in
# transaction pooling mode.
DATABASE_POOLER = env("DATABASE_POOLER", default="").strip().lower()
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or `pgbouncer`, not {DATABASE_POOLER!r}."
    )

if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
        }
    }
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections with a health check before reuse, so a restarted
    # PostgreSQL costs one failed-then-reopened connection, not a restart of the app.
    # The check is skipped for a connection that served a request less than
    # DB_HEALTH_CHECK_IDLE_SECONDS ago (amrutam/common/postgresql/base.py).
    _db["ENGINE"] = "amrutam.common.postgresql"
    _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    _db["CONN_HEALTH_CHECKS"] = True
    _db["HEALTH_CHECK_IDLE_SECONDS"] = DB_HEALTH_CHECK_IDLE_SECONDS
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=5)
    # No request may hang on the database longer than this.
    _db["OPTIONS"]["options"] = (
        f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=10000)}"
        f" -c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS', default=5000)}"
    )
    if DATABASE_POOLER == "pgbouncer":
        # PgBouncer in transaction pooling: the same settings, applied per transaction
        # rather than per session, without server-side cursors or prepared statements
        # (amrutam/common/pgbouncer/base.py).
        _db["ENGINE"] = "amrutam.common.pgbouncer"
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("timeout", 20)
    _db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")


def replica_config(primary: dict, replica_url: str, connect_timeout: int) -> dict:
    """The replica alias: the primary's settings (ENGINE, OPTIONS, pooling, timeouts)
    with only where to connect taken from `replica_url`, so a replica always speaks to
    its server the way the primary does, whichever backend the primary uses."""
    where = env.db_url_config(replica_url)
    config = copy.deepcopy(primary)
    for key in ("NAME", "HOST", "PORT", "USER", "PASSWORD"):
        if key in where:
            config[key] = where[key]
    # A replica that does not answer is skipped (circuit breaker in
    # amrutam/common/replica.py); the first attempt should not hold a request long.
    config.setdefault("OPTIONS", {})["connect_timeout"] = connect_timeout
    # Whether reads may go to the replica is decided by its health check before them
    # (amrutam/common/replica.py): never skipped.
    config["HEALTH_CHECK_IDLE_SECONDS"] = 0
    return config


# Reads that tolerate a little lag (the directory, availability on a cache miss,
# analytics, the audit search) go to a streaming replica when DATABASE_REPLICA_URL is
# set; writes, locks and the PHI-read log always go to the primary. Built after every
# change to DATABASES["default"] above, whose settings it inherits.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default=None)
REPLICA_CONNECT_TIMEOUT = env.int("REPLICA_CONNECT_TIMEOUT", default=2)
READ_REPLICA: str | None = None
if DATABASE_REPLICA_URL and _db["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["replica"] = replica_config(_db, DATABASE_REPLICA_URL, REPLICA_CONNECT_TIMEOUT)
    READ_REPLICA = "replica"
DATABASE_ROUTERS = ["amrutam.common.replica.ReplicaRouter"]
# After a write, its user reads from the primary this long (their own writes stay
# visible while the replica catches up): above the replica's usual lag.
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=5)
# After the replica failed to connect, reads go to the primary this long before it is
# tried again.
REPLICA_DOWN_SECONDS = env.float("REPLICA_DOWN_SECONDS", default=10.0)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="amrutam"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", 0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", 0.5),
                # After a connection error or timeout, calls fail at once for
                # REDIS_CIRCUIT_SECONDS instead of each waiting out the socket timeout.
                "CONNECTION_POOL_CLASS": "amrutam.common.redis_circuit.CircuitBreakerPool",
                "CONNECTION_POOL_KWARGS": {"retry_on_timeout": False},
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "amrutam",
        }
    }

REDIS_CIRCUIT_SECONDS = env.float("REDIS_CIRCUIT_SECONDS", default=2.0)

# --- Auth -------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_SECRET = env("JWT_SECRET", default=None)
if not SECRET_KEY and JWT_SECRET:
    # Sessions and CSRF of the back office get their own key, derived from
    # JWT_SECRET, so one operator secret is enough but the two are never equal.
    SECRET_KEY = hmac.new(JWT_SECRET.encode(), b"django-secret-key", "sha256").hexdigest()
JWT_ACCESS_MINUTES = env.int("JWT_ACCESS_MINUTES", default=15)
JWT_REFRESH_DAYS = env.int("JWT_REFRESH_DAYS", default=7)
# How long a user's auth state (active, role, token version) may sit in the cache.
# Changes are published on commit; this only bounds staleness if that publish fails.
AUTH_STATE_CACHE_SECONDS = env.int("AUTH_STATE_CACHE_SECONDS", default=300)
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "LEEWAY": 0,
}

# --- Multi-factor authentication (TOTP) ---------------------------------------------
# Roles that must enrol an authenticator before using anything but their account and
# the MFA endpoints. The back office asks every staff member for a code.
MFA_REQUIRED_ROLES = tuple(
    r.strip().upper()
    for r in env.list("MFA_REQUIRED_ROLES", default=["ADMIN", "DOCTOR"])
    if r.strip()
)
MFA_ISSUER = env("MFA_ISSUER", default="Amrutam")
MFA_TOKEN_SECONDS = env.int("MFA_TOKEN_SECONDS", default=300)
MFA_TOKEN_TRIES = env.int("MFA_TOKEN_TRIES", default=5)

# --- Encryption of PHI ------------------------------------------------------------
# 32 characters are used as raw bytes; anything else must be standard base64 of 32 bytes.
ENCRYPTION_KEY = env("ENCRYPTION_KEY", default=None)
ENCRYPTION_KEYS_PREVIOUS = env.list("ENCRYPTION_KEYS_PREVIOUS", default=[])
# /ready re-checks that the keys decrypt a sample of the stored data this often.
KEY_CHECK_CACHE_SECONDS = env.float("KEY_CHECK_CACHE_SECONDS", default=30.0)

# --- Readiness --------------------------------------------------------------------
# /ready reports the database DOWN when it has not answered within this many seconds,
# also when it hangs without closing connections (no server-side timeout fires then).
READY_DB_TIMEOUT_SECONDS = env.float("READY_DB_TIMEOUT_SECONDS", default=2.0)

# --- Business rules ---------------------------------------------------------------
CANCELLATION_CUTOFF_MINUTES = env.int("CANCELLATION_CUTOFF_MINUTES", default=60)
# The consent notice patients are shown; every consent record names the version.
CONSENT_NOTICE_VERSION = env("CONSENT_NOTICE_VERSION", default="2025-11")
# How long clinical records of an erased patient are kept after their last
# consultation: the Indian Medical Council (Professional Conduct, Etiquette and
# Ethics) Regulations 2002, regulation 1.3.1 (3 years), which the Telemedicine
# Practice Guidelines 2020 apply to teleconsultation records. See README.
MEDICAL_RECORD_RETENTION_YEARS = env.int("MEDICAL_RECORD_RETENTION_YEARS", default=3)
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=14)
# Upcoming (pending, not yet started) consultations one patient may hold, in total and
# with one doctor, so nobody can hoard a doctor's slots; 0 turns a cap off.
BOOKING_MAX_UPCOMING_PER_PATIENT = env.int("BOOKING_MAX_UPCOMING_PER_PATIENT", default=10)
BOOKING_MAX_UPCOMING_PER_DOCTOR = env.int("BOOKING_MAX_UPCOMING_PER_DOCTOR", default=3)
START_EARLY_MINUTES = env.int("START_EARLY_MINUTES", default=10)
NO_SHOW_GRACE_MINUTES = env.int("NO_SHOW_GRACE_MINUTES", default=15)
IDEMPOTENCY_WINDOW_HOURS = env.int("IDEMPOTENCY_WINDOW_HOURS", default=24)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=30)
# On PostgreSQL a free booking is written by one statement (consultation_book_statement);
# off, every booking takes the ORM path, which the one statement must match row for row.
BOOKING_SINGLE_STATEMENT = env.bool("BOOKING_SINGLE_STATEMENT", default=True)
MEETING_BASE_URL = env("MEETING_BASE_URL", default="https://meet.amrutam.example/c/")
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=300)
AUDIT_RETENTION_YEARS = env.int("AUDIT_RETENTION_YEARS", default=6)
# Seal committed audit entries into the hash chain from one background thread per
# process (batched, off the request path) rather than in each committing request.
AUDIT_SEAL_IN_BACKGROUND = env.bool("AUDIT_SEAL_IN_BACKGROUND", default=True)

# --- Background work: Celery on the Redis already in use --------------------------
# The broker follows REDIS_URL (its database number included) unless set apart. With no
# broker (the embedded default) tasks run in-process right after the commit.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A message is acknowledged after its task ran, so a killed worker's message is
# delivered again; every task is safe to run twice (rows are claimed before a send).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that commits a booking never waits on a dead broker: publishing fails fast
# and the outbox sweep hands the rows over later.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=0.5),
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
    "visibility_timeout": 3600,
    # kombu's own reconnect loop before a publish gives up: one quick retry (a pooled
    # connection may be stale after a broker restart), not the default seconds of backoff.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
CELERY_BEAT_SCHEDULER = "notifications.beat:LockingScheduler"
# How long after a failed publish the relay stops trying the broker (the sweep catches up).
OUTBOX_BROKER_BACKOFF_SECONDS = env.float("OUTBOX_BROKER_BACKOFF_SECONDS", default=5.0)
# Committed events go to the broker from one background thread per process, several per
# message, instead of one message per event from the request that committed it.
OUTBOX_RELAY_IN_BACKGROUND = env.bool("OUTBOX_RELAY_IN_BACKGROUND", default=True)
# Outbox rows older than this and not yet handed over are picked up by the sweep.
OUTBOX_SWEEP_AFTER_SECONDS = env.int("OUTBOX_SWEEP_AFTER_SECONDS", default=30)
# A claimed email or delivery whose worker died is sent again after this lease.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)

# Recurring jobs: five-field cron expressions (UTC), run by `make beat`.
JOB_SCHEDULES = {
    "generate_slots": env("SCHEDULE_GENERATE_SLOTS", default="15 0 * * *"),
    "mark_no_shows": env("SCHEDULE_MARK_NO_SHOWS", default="*/5 * * * *"),
    "purge_idempotency_keys": env("SCHEDULE_PURGE_IDEMPOTENCY_KEYS", default="30 1 * * *"),
    "verify_audit_log": env("SCHEDULE_VERIFY_AUDIT_LOG", default="45 2 * * *"),
    # Daily, though a month lasts weeks: a run that fails (its table lock not granted in
    # time) is retried the next day, long before the months made ahead run out.
    "audit_partitions": env("SCHEDULE_AUDIT_PARTITIONS", default="20 2 * * *"),
    "outbox_sweep": env("SCHEDULE_OUTBOX_SWEEP", default="* * * * *"),
    "send_due_reminders": env("SCHEDULE_REMINDERS", default="* * * * *"),
    "enforce_retention": env("SCHEDULE_ENFORCE_RETENTION", default="0 3 * * *"),
    "expire_payment_holds": env("SCHEDULE_EXPIRE_PAYMENT_HOLDS", default="* * * * *"),
}

# --- Email ------------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587, smtp+tls://..., consolemail://) or the console
# backend; production refuses to start on the console backend.
EMAIL_URL = env("EMAIL_URL", default="") or "consolemail://"
vars().update(env.email_url_config(EMAIL_URL))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Amrutam <no-reply@amrutam.example>")
# Where an email's link to a consultation points ("{id}" is replaced).
CONSULTATION_LINK_TEMPLATE = env(
    "CONSULTATION_LINK_TEMPLATE", default="https://app.amrutam.example/consultations/{id}"
)
# Patients have no time zone of their own yet: their times are shown in this one.
PATIENT_TIME_ZONE = env("PATIENT_TIME_ZONE", default="Asia/Kolkata")
# Waits after failed sends 1..3 of an email; the fourth failure marks it failed.
EMAIL_RETRY_SCHEDULE_SECONDS = [60, 5 * 60, 30 * 60]

# --- Outbound webhooks ------------------------------------------------------------
# Test rigs only: lets webhook URLs use http and private or loopback addresses.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
# Webhook URLs must be https; the local settings allow http for a trial receiver.
WEBHOOK_REQUIRE_HTTPS = True
# Whole seconds a receiver gets to connect and to send each chunk of its answer.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Waits after failed attempts 1..5; the sixth failure marks the delivery failed.
WEBHOOK_RETRY_SCHEDULE_SECONDS = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600]
# Each wait is stretched by up to this fraction, so retries of many deliveries spread out.
WEBHOOK_RETRY_JITTER = 0.1

# --- Payments (API.md "Payments") -------------------------------------------------
# `sandbox` (orders made locally, refunds processed at once) outside production unless
# set; production refuses to start without an explicit gateway and its secrets.
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="sandbox")
PAYMENT_HOLD_MINUTES = env.int("PAYMENT_HOLD_MINUTES", default=15)
# Each gateway call waits at most this long; order creation and refunds make up to
# PAYMENT_GATEWAY_ATTEMPTS attempts (looking up the earlier attempt's result first).
PAYMENT_GATEWAY_TIMEOUT_SECONDS = env.float("PAYMENT_GATEWAY_TIMEOUT_SECONDS", default=5.0)
PAYMENT_GATEWAY_ATTEMPTS = env.int("PAYMENT_GATEWAY_ATTEMPTS", default=2)
RAZORPAY_API_URL = env("RAZORPAY_API_URL", default="https://api.razorpay.com")
# Publicly known development values for the sandbox; refused in production.
DEV_RAZORPAY_KEY_ID = "rzp_test_dev_only"
DEV_RAZORPAY_KEY_SECRET = "dev-only-razorpay-key-secret"  # nosec B105
DEV_RAZORPAY_WEBHOOK_SECRET = "dev-only-razorpay-webhook-secret"  # nosec B105
RAZORPAY_KEY_ID = env("RAZORPAY_KEY_ID", default=DEV_RAZORPAY_KEY_ID)
RAZORPAY_KEY_SECRET = env("RAZORPAY_KEY_SECRET", default=DEV_RAZORPAY_KEY_SECRET)
RAZORPAY_WEBHOOK_SECRET = env("RAZORPAY_WEBHOOK_SECRET", default=DEV_RAZORPAY_WEBHOOK_SECRET)

# --- Request limits ---------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# Number of reverse proxies in front of the app whose X-Forwarded-For entries are
# trusted; 0 means the client address is REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Rate limits (django-ratelimit on the shared cache) -----------------------------
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "amrutam.common.drf.handler.ratelimited_view"
RATELIMIT_LOGIN_PER_EMAIL = env("RATELIMIT_LOGIN_PER_EMAIL", default="10/15m")
RATELIMIT_LOGIN_PER_IP = env("RATELIMIT_LOGIN_PER_IP", default="30/15m")
RATELIMIT_REGISTER_PER_IP = env("RATELIMIT_REGISTER_PER_IP", default="20/h")
RATELIMIT_REFRESH_PER_IP = env("RATELIMIT_REFRESH_PER_IP", default="60/15m")
RATELIMIT_ADMIN_LOGIN_PER_IP = env("RATELIMIT_ADMIN_LOGIN_PER_IP", default="30/15m")
RATELIMIT_EXPORT_PER_USER = env("RATELIMIT_EXPORT_PER_USER", default="5/h")

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["amrutam.common.drf.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "amrutam.common.autoschema.AutoSchema",
    "EXCEPTION_HANDLER": "amrutam.common.drf.handler.exception_handler",
    "DEFAULT_METADATA_CLASS": "amrutam.common.drf.metadata.Metadata",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "amrutam.common.drf.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "amrutam.common.contract.pagination.Pagination",
    "PAGE_SIZE": 20,
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Amrutam telemedicine API",
    "DESCRIPTION": (
        "REST API for patients, doctors and clinic staff. Envelope: JSend "
        '(`{"status": "success", "data": {...}}`); errors carry `code`, `message`, '
        "`requestId` and, for validation failures, `errors`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Headers, shared error answers and the operational endpoints
    # (amrutam/common/contract/schema_hooks.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Before the shared hook, which adds X-Request-ID to every answer, this one's too.
        "accounts.mfa_openapi.postprocess_mfa",
        "amrutam.common.contract.schema_hooks.postprocess_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ConsultationStatusEnum": "consultations.models.ConsultationStatus",
        "WebhookEventEnum": "notifications.models.WEBHOOK_EVENTS",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
        # The envelopes' `status` values (API.md § Conventions).
        "SuccessStatusEnum": ["success"],
        "FailStatusEnum": ["fail", "error"],
    },
}

# --- CORS -------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Idempotent-Replayed", "Retry-After"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
]

# --- Security headers ------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A back-office session ends a working day after login, however active it is.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
CSRF_COOKIE_SAMESITE = "Lax"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Swagger UI's bootstrap script and the admin need inline styles; no
        # outside host is ever allowed.
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Metrics ---------------------------------------------------------------------
METRICS_TOKEN = env("METRICS_TOKEN", default=None)
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Logging: JSON lines on stdout, every line with the request id ---------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "amrutam.common.logging.json_formatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # The access line is written by our own middleware, with the request id.
        "django.request": {"level": "CRITICAL", "propagate": True},
        "django.server": {"level": "WARNING", "propagate": True},
        "gunicorn.access": {"level": "WARNING", "propagate": True},
    },
}
