"""Every setting of the service, read from the environment (django-environ).

`local`, `test` and `production` import this module and override only a few values.
With neither DATABASE_URL nor REDIS_URL set, the service runs on the embedded default:
a SQLite file and an in-process cache, for a one-machine trial.
"""

import hmac
from datetime import timedelta
from pathlib import Path

import environ

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
    "django.contrib.admin",
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
    "privacy",
    "audit",
    "demo",
]

MIDDLEWARE = [
    "amrutam.common.middleware.RequestIdMiddleware",
    "amrutam.common.middleware.BodySizeLimitMiddleware",
    "amrutam.common.middleware.ErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "amrutam.common.csp.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Sessions, the session user and messages, for /admin/ only (see the module).
    "amrutam.common.backoffice.BackOfficeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, as django-prometheus' own: it sees the view's exceptions first.
    "amrutam.common.request_metrics.RequestMetricsMiddleware",
]

BACK_OFFICE_PREFIXES = ("/admin",)
# The admin's checks look for the session, authentication and messages middleware in
# MIDDLEWARE itself; BackOfficeMiddleware runs all three for the admin's paths.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

ROOT_URLCONF = "amrutam.urls"
WSGI_APPLICATION = "amrutam.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
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
TIME_ZONE = "UTC"
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
    _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=5)
    # No request may hang on the database longer than this.
    _db["OPTIONS"]["options"] = (
        f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=10000)}"
        f" -c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS', default=5000)}"
    )
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("timeout", 20)
    _db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

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

# --- Encryption of PHI ------------------------------------------------------------
# 32 characters are used as raw bytes; anything else must be standard base64 of 32 bytes.
ENCRYPTION_KEY = env("ENCRYPTION_KEY", default=None)
ENCRYPTION_KEYS_PREVIOUS = env.list("ENCRYPTION_KEYS_PREVIOUS", default=[])

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
START_EARLY_MINUTES = env.int("START_EARLY_MINUTES", default=10)
NO_SHOW_GRACE_MINUTES = env.int("NO_SHOW_GRACE_MINUTES", default=15)
IDEMPOTENCY_WINDOW_HOURS = env.int("IDEMPOTENCY_WINDOW_HOURS", default=24)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=30)
MEETING_BASE_URL = env("MEETING_BASE_URL", default="https://meet.amrutam.example/c/")
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=300)
AUDIT_RETENTION_YEARS = env.int("AUDIT_RETENTION_YEARS", default=6)
# Seal committed audit entries into the hash chain from one background thread per
# process (batched, off the request path) rather than in each committing request.
AUDIT_SEAL_IN_BACKGROUND = env.bool("AUDIT_SEAL_IN_BACKGROUND", default=True)

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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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
        "amrutam.common.contract.schema_hooks.postprocess_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ConsultationStatusEnum": "consultations.models.ConsultationStatus",
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
