"""The JSend envelopes of API.md: `{"status": "success", "data": {...}}` and the error body.

`success_body` is the plain dict: the paths that encode their own bytes (the cached
availability answer, the stored idempotent answer) build it without a DRF Response.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
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
