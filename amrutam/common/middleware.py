"""Request id, access log, body size limit and JSON error pages for non-API routes."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from .contract.codes import code_for_status, message_for_status
from .contract.envelope import error_json_response, request_id_of
from .drf.dependencies import service_unavailable_body, unavailable_dependency

logger = logging.getLogger("amrutam.request")

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

Handler = Callable[[HttpRequest], HttpResponse]


def client_ip(request: HttpRequest) -> str:
    """The client address: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies say otherwise."""
    trusted = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if trusted <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    # Each trusted proxy appends the address it saw; the client is the one the
    # outermost trusted proxy saw.
    if len(forwarded) >= trusted:
        return forwarded[-trusted]
    return remote


class RequestIdMiddleware:
    """Accept a sane X-Request-ID or make one; echo it and bind it to every log line."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_ip = client_ip(request)  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        user: Any = getattr(request, "user", None)
        user_id = str(user.pk) if getattr(user, "is_authenticated", False) else None
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user_id,
                "ip": request.client_ip,  # type: ignore[attr-defined]
            },
        )
        structlog.contextvars.clear_contextvars()
        return response


class BodySizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BODY_BYTES with 413 before anything reads them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return error_json_response(
                request,
                status=413,
                code="payload_too_large",
                message=f"The request body exceeds {settings.MAX_REQUEST_BODY_BYTES} bytes.",
            )
        return self.get_response(request)


HTML_PREFIXES = ("/admin/", "/static/", "/api/docs")


class ErrorEnvelopeMiddleware:
    """Give non-API routes the same JSON error envelope (404, 405, 500) as the API."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or request.path.startswith(HTML_PREFIXES):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        converted = error_json_response(
            request,
            status=status,
            code=code_for_status(status),
            message=message_for_status(status),
        )
        for header in ("Allow", "Retry-After"):
            if header in response:
                converted[header] = response[header]
        return converted

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(HTML_PREFIXES):
            return None
        if unavailable_dependency(exception):
            body = service_unavailable_body(exception, request_id_of(request))
            return JsonResponse(body, status=503)
        logger.exception("unhandled_exception", extra={"exc_type": type(exception).__name__})
        return error_json_response(
            request, status=500, code=code_for_status(500), message=message_for_status(500)
        )
