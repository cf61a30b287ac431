"""Operational endpoints: liveness, readiness and metrics."""

from __future__ import annotations

import hmac
import logging

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from amrutam.common.contract.envelope import error_json_response

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


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # any driver error means the dependency is down
        logger.warning("readiness_database_down", exc_info=True)
        return False


def check_cache() -> bool:
    try:
        key = "ready:probe"
        cache.set(key, "1", timeout=5)
        return cache.get(key) == "1"
    except Exception:  # any client error means the dependency is down
        logger.warning("readiness_cache_down", exc_info=True)
        return False


@csrf_exempt
@require_GET
def ready(request: HttpRequest) -> HttpResponse:
    """200 when PostgreSQL and Redis answer, else 503 naming what is down."""
    checks = {
        "database": "UP" if check_database() else "DOWN",
        "cache": "UP" if check_cache() else "DOWN",
    }
    up = all(value == "UP" for value in checks.values())
    return _json({"status": "UP" if up else "DOWN", "checks": checks}, 200 if up else 503)


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
    return ExportToDjangoView(request)
