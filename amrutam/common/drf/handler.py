"""Every exception rendered as the error envelope; django-ratelimit's blocked answer."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from amrutam.common.contract.codes import DRF_CODES, VALIDATION_ERROR
from amrutam.common.contract.envelope import error_body, error_json_response, request_id_of
from amrutam.common.exceptions import ApplicationError

from .dependencies import service_unavailable_body, unavailable_dependency
from .field_errors import field_errors

logger = logging.getLogger("amrutam.api")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Render every exception as the API's error envelope; never leak internals."""
    request = context.get("request")
    rid = request_id_of(request)
    headers: dict[str, str] = {}

    if isinstance(exc, ApplicationError):
        body = error_body(
            status=exc.status_code,
            code=exc.code,
            message=exc.message,
            request_id=rid,
            errors=exc.errors,
        )
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        body = error_body(
            status=413,
            code="payload_too_large",
            message="The request body is too large.",
            request_id=rid,
        )
        return Response(body, status=413)

    if isinstance(exc, exceptions.APIException):
        # Imported here: rest_framework.views reads the API settings, which name
        # classes in this module.
        from rest_framework.views import exception_handler as drf_exception_handler

        response = drf_exception_handler(exc, context)
        status = exc.status_code
        code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), None)
        code = code or str(getattr(exc, "default_code", "error"))
        if isinstance(exc, (exceptions.ValidationError, exceptions.ParseError)):
            errors = field_errors(exc.detail)
            message = (
                "Malformed request body."
                if isinstance(exc, exceptions.ParseError)
                else "Some fields are invalid."
            )
            body = error_body(
                status=400, code=VALIDATION_ERROR, message=message, request_id=rid, errors=errors
            )
            return Response(body, status=400)
        if isinstance(exc, exceptions.AuthenticationFailed) and _token_missing(request):
            code = "not_authenticated"
        if isinstance(exc, exceptions.NotAuthenticated):
            status = 401
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else exc.default_detail
        if code == "token_invalid":
            message = "The access token is invalid, expired or revoked."
        if response is not None:
            headers = {
                k: v
                for k, v in response.items()
                if k in ("Retry-After", "Allow", "WWW-Authenticate")
            }
        body = error_body(status=status, code=code, message=str(message), request_id=rid)
        return Response(body, status=status, headers=headers)

    if unavailable_dependency(exc):
        return Response(service_unavailable_body(exc, rid), status=503)

    logger.exception("unhandled_exception", extra={"exc_type": type(exc).__name__})
    body = error_body(
        status=500, code="internal_error", message="An unexpected error occurred.", request_id=rid
    )
    return Response(body, status=500)


def _token_missing(request: Any) -> bool:
    return not (request and request.META.get("HTTP_AUTHORIZATION"))


def ratelimited_view(request: HttpRequest, exception: Exception) -> JsonResponse:
    """django-ratelimit's blocked response: 429 rate_limited with Retry-After."""
    retry_after = getattr(request, "ratelimit_retry_after", None) or 60
    return error_json_response(
        request,
        status=429,
        code="rate_limited",
        message="Too many requests. Try again later.",
        headers={"Retry-After": str(int(retry_after))},
    )
