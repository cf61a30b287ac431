"""Operational endpoints: liveness, readiness and metrics."""

from __future__ import annotations

import hmac
import logging
import sys

import orjson
import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from amrutam.common.contract.envelope import error_json_response, request_id_of
from amrutam.common.drf.dependencies import service_unavailable_body, unavailable_dependency
from amrutam.common.readiness import probe_database
from notifications.metrics import outbox_metrics_text

logger = logging.getLogger("amrutam.ops")


# The three endpoints below read nothing and change nothing, and are exempt from CSRF:
# the CSRF check runs before `require_GET`, so a POST answered 403 permission_denied
# instead of 405 with `Allow: GET`.


def _json(payload: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(payload), status=status, content_type="application/json")


@csrf_exempt
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Liveness only: touches no dependency."""
    now = timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return _json({"status": "UP", "timestamp": now})


def check_cache() -> bool:
    try:
        key = "ready:probe"
        cache.set(key, "1", timeout=5)
        return cache.get(key) == "1"
    except Exception:  # any client error means the dependency is down
        logger.warning("readiness_cache_down", exc_info=True)
        return False


# A probe answers fast: the broker gets as long as the cache's Redis calls (0.5 s).
BROKER_PROBE_SECONDS = 0.5


def check_broker() -> bool:
    """The Celery broker (Redis) answers a PING within BROKER_PROBE_SECONDS."""
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_connect_timeout=BROKER_PROBE_SECONDS,
            socket_timeout=BROKER_PROBE_SECONDS,
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # any client error means the dependency is down
        logger.warning("readiness_broker_down", exc_info=True)
        return False


@csrf_exempt
@require_GET
def ready(request: HttpRequest) -> HttpResponse:
    """200 when PostgreSQL, Redis and the broker answer and the encryption keys read the
    stored data, else 503 naming what is down (and, for the keys, why). Without a broker
    (the embedded default runs tasks in-process) there is no `broker`."""
    database = probe_database()
    checks = {
        "database": database.database,
        "cache": "UP" if check_cache() else "DOWN",
        "encryption": database.encryption,
    }
    if settings.CELERY_BROKER_URL:
        checks["broker"] = "UP" if check_broker() else "DOWN"
    up = database.encryption != "DOWN" and all(
        value == "UP" for name, value in checks.items() if name != "encryption"
    )
    body: dict = {"status": "UP" if up else "DOWN", "checks": checks}
    if database.problem:
        body["problems"] = {
            "encryption" if database.encryption == "DOWN" else "database": database.problem
        }
    return _json(body, 200 if up else 503)


@csrf_exempt
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; requires METRICS_TOKEN as a Bearer token when it is set."""
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            return error_json_response(
                request,
                status=401,
                code="not_authenticated",
                message="A valid metrics token is required.",
            )
    response = ExportToDjangoView(request)
    response.content += outbox_metrics_text()
    return response


# Seconds a client is asked to wait before retrying when a dependency is down.
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 when a dependency is down (the database, the cache, the keys),
    else Django's plain 500 page; never a trace.

    Django calls it for an exception raised anywhere below the middleware that turns
    exceptions into answers, including the back office's session and user lookups,
    which run in middleware before any view. Non-HTML routes get the JSON envelope from
    ErrorEnvelopeMiddleware on the way out.
    """
    exc = sys.exc_info()[1]
    if exc is None or not unavailable_dependency(exc):
        return defaults.server_error(request)
    # Logged like the API's 503 (dependency and exception type, nothing else).
    service_unavailable_body(exc, request_id_of(request))
    page = render_to_string("503.html", {"request_id": request_id_of(request)})
    response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
