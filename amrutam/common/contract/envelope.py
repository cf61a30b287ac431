"""The JSend envelopes of API.md: `{"status": "success", "data": {...}}` and the error body.

`success_body` is the plain dict: the paths that encode their own bytes (the cached
availability answer, the stored idempotent answer) build it without a DRF Response.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.response import Response


def request_id_of(request: Any) -> str | None:
    raw = getattr(request, "_request", request)
    return getattr(raw, "request_id", None)


def success_body(data: Any, **extra: Any) -> dict[str, Any]:
    """The success envelope; `extra` adds top-level keys (a keyed write's `requestId`)."""
    return {"status": "success", "data": data, **extra}


def success(data: dict[str, Any], *, status: int = 200, **kwargs: Any) -> Response:
    """The success envelope as a DRF Response."""
    return Response({"status": "success", "data": data}, status=status, **kwargs)


def error_body(
    *,
    status: int,
    code: str,
    message: str,
    request_id: str | None,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The error envelope: `fail` for 4xx, `error` for 5xx; `errors` for validation only."""
    body: dict[str, Any] = {
        "status": "fail" if status < 500 else "error",
        "code": code,
        "message": message,
    }
    if errors is not None:
        body["errors"] = errors
    body["requestId"] = request_id
    return body


def error_json_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """The error envelope for plain Django views and middleware (outside DRF)."""
    body = error_body(status=status, code=code, message=message, request_id=request_id_of(request))
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
