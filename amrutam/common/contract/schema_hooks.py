"""OpenAPI post-processing: what every operation shares, and the operational endpoints.

drf-spectacular documents each DRF view from its `extend_schema`. The answers that
come from the middleware and DRF's own negotiation, whatever the view, are added here
for every operation, so the schema lists every status an endpoint can return and every
header it reads: X-Request-ID in and out, 406/413/415 from negotiation and the body
limit, 503 when PostgreSQL or Redis is down. /health, /ready and /metrics are plain
Django views (they must answer without DRF's authentication), so they are written here
by hand.
"""

from __future__ import annotations

from typing import Any

from .openapi import ERROR_COMPONENT

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = "^[A-Za-z0-9._-]{1,128}$"
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The error envelope: `fail` for 4xx, `error` for 5xx.",
    "required": ["status", "code", "message", "requestId"],
    "properties": {
        "status": {"type": "string", "enum": ["fail", "error"]},
        "code": {"type": "string", "description": "Stable snake_case code."},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Validation failures only: messages per field.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "requestId": {"type": "string", "pattern": REQUEST_ID_PATTERN},
    },
}

REQUEST_ID_PARAMETER: dict[str, Any] = {
    "name": REQUEST_ID_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": (
        "The caller's id for this request: 1-128 characters of `[A-Za-z0-9._-]` are "
        "used as the request id (echoed, logged, in error bodies and audit entries); "
        "any other value is replaced by a generated id."
    ),
}

REQUEST_ID_RESPONSE_HEADER: dict[str, Any] = {
    "required": True,
    "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
    "description": "The request id: the caller's X-Request-ID when valid, else a generated one.",
}

# Answers any operation may give, whatever its view: (status, description, only for
# operations that read a body).
SHARED_ERRORS: tuple[tuple[str, str, bool], ...] = (
    ("406", "`not_acceptable`: the Accept header excludes application/json.", False),
    (
        "413",
        "`payload_too_large`: the body exceeds MAX_REQUEST_BODY_BYTES (default 1 MiB).",
        False,
    ),
    ("415", "`unsupported_media_type`: the body is not application/json.", True),
    (
        "503",
        "`service_unavailable`: PostgreSQL or Redis is down or timed out; retry later.",
        False,
    ),
)


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operations_paths() -> dict[str, Any]:
    """/health, /ready and /metrics: no token, no DRF negotiation."""
    timestamp = {"type": "string", "format": "date-time", "description": "UTC, with `Z`."}
    state = {"type": "string", "enum": ["UP", "DOWN"]}
    known = {"type": "string", "enum": ["UP", "DOWN", "UNKNOWN"]}
    ready_body = {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": state,
            "checks": {
                "type": "object",
                "required": ["database", "cache", "encryption"],
                "properties": {
                    "database": state,
                    "cache": state,
                    "broker": {
                        **state,
                        "description": "The Celery broker; absent on the embedded default, "
                        "which runs background work in-process.",
                    },
                    "encryption": {
                        **known,
                        "description": (
                            "Whether the configured keys decrypt a sample of the stored "
                            "values (UNKNOWN while the database is down)."
                        ),
                    },
                },
            },
            "problems": {
                "type": "object",
                "description": "Why a check is DOWN, when there is more to say than DOWN.",
                "properties": {
                    "database": {"type": "string"},
                    "encryption": {
                        "type": "string",
                        "description": "Names the key ids in the data and the configured ones.",
                    },
                },
            },
        },
    }
    too_large = _error_response(
        "`payload_too_large`: the body exceeds MAX_REQUEST_BODY_BYTES (default 1 MiB)."
    )
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness",
                "description": "Touches no dependency: 200 whenever the process serves.",
                "tags": ["operations"],
                "security": [{}],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["status", "timestamp"],
                            "properties": {
                                "status": {"type": "string", "enum": ["UP"]},
                                "timestamp": timestamp,
                            },
                        },
                        "The process is alive.",
                    ),
                    "413": too_large,
                },
            }
        },
        "/ready": {
            "get": {
                "operationId": "ready",
                "summary": (
                    "Readiness: PostgreSQL, Redis and the Celery broker answer, "
                    "the keys read the data"
                ),
                "description": (
                    "PostgreSQL must answer within READY_DB_TIMEOUT_SECONDS (default 2), "
                    "also when it hangs without closing connections; the encryption keys "
                    "must decrypt a sample of the stored values (checked at most every "
                    "KEY_CHECK_CACHE_SECONDS, default 30)."
                ),
                "tags": ["operations"],
                "security": [{}],
                "responses": {
                    "200": _json(ready_body, "Every check is UP."),
                    "503": _json(ready_body, "A check says DOWN (`problems` may say why)."),
                    "413": too_large,
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics, summed over all worker processes",
                "description": (
                    "Open to the internal network; when METRICS_TOKEN is set it is required "
                    "as a Bearer token."
                ),
                "tags": ["operations"],
                "security": [{}, {"metricsToken": []}],
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": _error_response(
                        "`not_authenticated`: METRICS_TOKEN is set and was not given."
                    ),
                    "413": too_large,
                },
            }
        },
    }


def postprocess_schema(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    components.setdefault("securitySchemes", {})["metricsToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "METRICS_TOKEN, when the operator sets one.",
    }
    api_paths = result.get("paths", {})
    result["paths"] = {**_operations_paths(), **api_paths}

    for path, item in result["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            params = operation.setdefault("parameters", [])
            if not any(
                p.get("in") == "header" and p.get("name") == REQUEST_ID_HEADER for p in params
            ):
                params.append(dict(REQUEST_ID_PARAMETER))
            responses = operation.setdefault("responses", {})
            if path in api_paths:
                for status, description, needs_body in SHARED_ERRORS:
                    if needs_body and "requestBody" not in operation:
                        continue
                    responses.setdefault(status, _error_response(description))
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                headers[REQUEST_ID_HEADER] = dict(REQUEST_ID_RESPONSE_HEADER)
                if status == "429" and "Retry-After" in headers:
                    headers["Retry-After"]["required"] = True
    return result
