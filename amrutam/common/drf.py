"""API plumbing shared by every endpoint: envelope, errors, pagination, parsing."""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import BasePagination
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from .exceptions import ApplicationError, ServiceUnavailable
from .fields import EncryptionError
from .keycheck import cached_check
from .openapi_rules import PAGE_PARAMETER_SCHEMAS, TIMESTAMP_SCHEMA

logger = logging.getLogger("amrutam.api")

MAX_JSON_DEPTH = 32

# DRF exception class -> stable code on the wire.
DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "token_invalid",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "validation_error",
    exceptions.ValidationError: "validation_error",
}


def request_id_of(request: Any) -> str | None:
    raw = getattr(request, "_request", request)
    return getattr(raw, "request_id", None)


def success(data: dict[str, Any], *, status: int = 200, **kwargs: Any) -> Response:
    """The JSend success envelope: {"status": "success", "data": {...}}."""
    return Response({"status": "success", "data": data}, status=status, **kwargs)


def error_body(
    *,
    status: int,
    code: str,
    message: str,
    request_id: str | None,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "fail" if status < 500 else "error",
        "code": code,
        "message": message,
    }
    if errors is not None:
        body["errors"] = errors
    body["requestId"] = request_id
    return body


def json_response(body: dict[str, Any], *, status: int) -> HttpResponse:
    """`body` as DRF's renderer writes it (orjson, compact), for views outside DRF.

    One rendering for every answer, so an error from middleware reads byte for byte
    like the same error from a DRF view.
    """
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def error_json_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The error envelope for plain Django views and middleware (outside DRF)."""
    body = error_body(status=status, code=code, message=message, request_id=request_id_of(request))
    response = json_response(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unavailable_dependency(exc: BaseException) -> str | None:
    """The dependency `exc` says is down or timed out ("database", "cache", "encryption"),
    else None.

    Connection failures, a server restarting, statement and lock timeouts: the request
    may succeed if retried, so the client gets 503 `service_unavailable`, not a 500.
    """
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return "database"
    if isinstance(exc, EncryptionError):
        # Stored PHI that no configured key decrypts: a deployment fault (a wrong or
        # missing key), not the client's, and gone once the right key is configured.
        return "encryption"
    if isinstance(exc, (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError)):
        return "cache"
    return None


def service_unavailable_body(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    """The 503 envelope for a dependency failure, logged without internals."""
    dependency = unavailable_dependency(exc)
    logger.warning(
        "dependency_unavailable",
        extra={"dependency": dependency, "exc_type": type(exc).__name__},
    )
    if dependency == "encryption":
        # /ready re-checks the keys on its next call instead of serving a cached UP.
        cached_check.forget()
    return error_body(
        status=503,
        code=ServiceUnavailable.code,
        message=ServiceUnavailable.message,
        request_id=request_id,
    )


# Keys DRF uses for errors of a whole object (a serializer's `validate()`, "expected a
# dictionary", "expected a list").
NON_FIELD_KEYS = frozenset({"non_field_errors", "nonFieldErrors"})


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into `{"field": ["message", ...]}`.

    One spelling whatever the serializer nesting: `items[0].field` for an item of a
    list (DRF keys them by index in dicts or by position in lists), the container's
    own name for errors of a whole nested object or list, and `nonFieldErrors` for
    errors of the whole body.
    """
    out: dict[str, list[str]] = {}
    _collect_errors(detail, "", out)
    return out


def _error_key(prefix: str, key: Any) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{prefix}[{key}]"
    if key in NON_FIELD_KEYS:
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def _collect_errors(detail: Any, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            _collect_errors(value, _error_key(prefix, key), out)
    elif isinstance(detail, list) and any(isinstance(v, (dict, list)) for v in detail):
        # Errors per item; valid items are empty and contribute nothing.
        for index, item in enumerate(detail):
            _collect_errors(item, f"{prefix}[{index}]", out)
    elif isinstance(detail, list):
        if detail:
            out.setdefault(prefix or "nonFieldErrors", []).extend(str(v) for v in detail)
    else:
        out.setdefault(prefix or "nonFieldErrors", []).append(str(detail))


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
            errors = _field_errors(exc.detail)
            message = (
                "Malformed request body."
                if isinstance(exc, exceptions.ParseError)
                else "Some fields are invalid."
            )
            body = error_body(
                status=400, code="validation_error", message=message, request_id=rid, errors=errors
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


def ratelimited_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's blocked response: 429 rate_limited with Retry-After."""
    retry_after = getattr(request, "ratelimit_retry_after", None) or 60
    return error_json_response(
        request,
        status=429,
        code="rate_limited",
        message="Too many requests. Try again later.",
        headers={"Retry-After": str(int(retry_after))},
    )


class JSONParser(DRFJSONParser):
    """JSON parser that refuses absurdly deep nesting before any code walks it."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # The decoder recurses once per level: thousands of nested brackets exhaust
            # the stack before the depth check below could run.
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
            ) from exc
        if _depth(data) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return data


def _depth(value: Any, level: int = 0) -> int:
    stack = [(value, level)]
    deepest = level
    while stack:
        item, lvl = stack.pop()
        deepest = max(deepest, lvl)
        if lvl > MAX_JSON_DEPTH:
            return lvl
        if isinstance(item, dict):
            stack.extend((v, lvl + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, lvl + 1) for v in item)
    return deepest


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answered at once for what nearly every client sends.

    No Accept header, `*/*`, or exactly the first renderer's media type (and no format
    override) select the first renderer, as the full negotiation would; anything else
    takes the full negotiation, 406 included. Parsing the Accept list was 5% of a
    cached availability answer.
    """

    def select_renderer(
        self, request: Any, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        accept = request.META.get("HTTP_ACCEPT", "*/*").strip()
        if (
            renderers
            and not format_suffix
            and accept in ("*/*", renderers[0].media_type)
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class Metadata(SimpleMetadata):
    """OPTIONS answers name the view and its media types, without describing actions.

    DRF's default describes the fields of a view's `serializer_class`, which views that
    validate with explicit serializers do not set: OPTIONS then failed with a 500. The
    schema at /api/schema is the description of every operation.
    """

    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        return {}


class Pagination(BasePagination):
    """`?page=1&pageSize=20` (at most 100); answers `{"<items>": [...], "pagination": {...}}`.

    The list's name comes from the view's `list_name` (e.g. "doctors").
    """

    page_size = 20
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        params = PaginationParamsSerializer(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        self.page = params.validated_data.get("page", 1)
        self.page_size_value = params.validated_data.get("pageSize", self.page_size)
        self.total = queryset.count()
        self.list_name = getattr(view, "list_name", "results")
        start = (self.page - 1) * self.page_size_value
        return list(queryset[start : start + self.page_size_value])

    def pagination_data(self) -> dict[str, int]:
        return {
            "page": self.page,
            "pageSize": self.page_size_value,
            "total": self.total,
            "totalPages": math.ceil(self.total / self.page_size_value) if self.total else 0,
        }

    def get_paginated_response(self, data: Any) -> Response:
        return success({self.list_name: data, "pagination": self.pagination_data()})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["status", "data"],
            "properties": {
                "status": {"type": "string", "enum": ["success"]},
                "data": {
                    "type": "object",
                    "properties": {
                        "items": schema,
                        "pagination": {
                            "type": "object",
                            "properties": {
                                "page": {"type": "integer"},
                                "pageSize": {"type": "integer"},
                                "total": {"type": "integer"},
                                "totalPages": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": name, "required": False, "in": "query", "schema": schema}
            for name, schema in PAGE_PARAMETER_SCHEMAS.items()
        ]


class PaginationParamsSerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    pageSize = serializers.IntegerField(min_value=1, max_value=100, required=False)  # noqa: N815


@extend_schema_field(TIMESTAMP_SCHEMA)
class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp that must carry an offset; answers in UTC with `Z`."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 timestamp, e.g. 2025-01-01T09:00:00Z.",
        "naive": "Timestamps must include a UTC offset (e.g. 2025-01-01T09:00:00Z).",
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            parsed: dt.datetime | None = value
        elif isinstance(value, str) and len(value) <= 64:
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        else:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            # 0001-01-01T00:00+14:00 is a valid text but before year 1 in UTC.
            self.fail("invalid")


def validated(
    serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any
) -> dict[str, Any]:
    """Validate `data` with `serializer_class`; raise the 400 envelope on failure."""
    if data is None or not hasattr(data, "get"):
        raise exceptions.ValidationError({"nonFieldErrors": ["Expected a JSON object."]})
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
