"""OpenAPI pieces of the contract, for each app's `openapi.py` to declare its operations.

One error component (`ApiError`, written in `schema_hooks`), one success envelope
builder, one pagination component and the page parameters: an app adds only its own
data shapes and descriptions.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers

ERROR_COMPONENT = "ApiError"
ERROR_REF: dict[str, Any] = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "`validation_error`: a field or query parameter is invalid (see `errors`).",
    401: "`not_authenticated` / `token_invalid`: missing, invalid, expired or revoked credentials.",
    403: "`permission_denied`: the caller's role may not do this.",
    404: "`not_found`: no such object, or not one the caller may see.",
    409: "Conflict with the current state (see `code`).",
    413: "`payload_too_large`: the body is too large.",
    422: "`idempotency_key_reused`",
    429: "`rate_limited`: too many requests; see Retry-After.",
    503: "`service_unavailable`: a dependency is unavailable; retry later.",
}


def error_responses(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Error answers for `statuses`, all in the error envelope; `s409="..."` rewords one."""
    return {
        status: OpenApiResponse(
            response=ERROR_REF,
            description=descriptions.get(f"s{status}", ERROR_DESCRIPTIONS[status]),
        )
        for status in statuses
    }


def envelope(
    name: str, data: dict[str, Any] | serializers.Serializer, *, keyed: bool = False
) -> Any:
    """`{"status": "success", "data": ...}` as the component `name`.

    `data` is a serializer, or its fields (then the component `<name>Data`). `keyed`: an
    idempotent write's answer, which also carries the `requestId` of the request that
    produced it (the original one on a replay).
    """
    if isinstance(data, dict):
        data = inline_serializer(name=f"{name}Data", fields=data)
    fields: dict[str, Any] = {
        "status": serializers.ChoiceField(choices=["success"]),
        "data": data,
    }
    if keyed:
        fields["requestId"] = serializers.CharField(
            help_text="Id of the request that produced this answer (the original on a replay)."
        )
    return inline_serializer(name=name, fields=fields)


PAGINATION = inline_serializer(
    name="Pagination",
    fields={
        "page": serializers.IntegerField(),
        "pageSize": serializers.IntegerField(),
        "total": serializers.IntegerField(),
        "totalPages": serializers.IntegerField(),
    },
)


def page_envelope(name: str, list_name: str, item: serializers.Serializer) -> Any:
    """The envelope of one page of a list: `{"<list_name>": [...], "pagination": {...}}`.

    One envelope, not a list of them, even on a DRF list view (`many=False`).
    """
    page = envelope(name, {list_name: item, "pagination": PAGINATION})
    extend_schema_serializer(many=False)(type(page))
    return page


PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="1-based page number (default 1)."),
    OpenApiParameter("pageSize", int, description="Items per page, 1-100 (default 20)."),
]

RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=int,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the rate-limit window ends.",
)

# One meaning of a list's time window, on every list that has one (contract/window.py).
WINDOW_SEMANTICS = (
    "Both ends are inclusive. A date (YYYY-MM-DD) means that whole UTC day: as `from` "
    "its first instant, as `to` its last (the day is included). A timestamp must carry "
    "an offset and counts that very instant."
)
FROM_TO_PARAMETERS = [
    OpenApiParameter("from", str, description=f"Start. {WINDOW_SEMANTICS}"),
    OpenApiParameter("to", str, description=f"End. {WINDOW_SEMANTICS}"),
]
