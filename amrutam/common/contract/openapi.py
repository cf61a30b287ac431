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

from amrutam.common.openapi_rules import DATE_OR_TIMESTAMP_SCHEMA, PAGE_PARAMETER_SCHEMAS

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


BOUNDED_PAGINATION = inline_serializer(
    name="BoundedPagination",
    fields={
        "page": serializers.IntegerField(),
        "pageSize": serializers.IntegerField(),
        "total": serializers.IntegerField(
            help_text="Exact, unless `totalIsEstimate`: then a lower bound (at least this many)."
        ),
        "totalPages": serializers.IntegerField(
            help_text="Pages of `total`; a lower bound when `totalIsEstimate`."
        ),
        "totalIsEstimate": serializers.BooleanField(
            required=False,
            help_text="True when the list holds more rows than were counted (ten pages "
            "past this one): `total` and `totalPages` are then lower bounds.",
        ),
        "nextCursor": serializers.CharField(
            required=False,
            allow_null=True,
            help_text="Pass as `cursor` for the rows after this page, at the same cost "
            "however deep; null on the last page.",
        ),
    },
)


def page_envelope(
    name: str, list_name: str, item: serializers.Serializer, *, bounded: bool = False
) -> Any:
    """The envelope of one page of a list: `{"<list_name>": [...], "pagination": {...}}`.

    One envelope, not a list of them, even on a DRF list view (`many=False`). `bounded`:
    a list paged by `BoundedPagination` (`totalIsEstimate`, `nextCursor`).
    """
    pagination = BOUNDED_PAGINATION if bounded else PAGINATION
    page = envelope(name, {list_name: item, "pagination": pagination})
    extend_schema_serializer(many=False)(type(page))
    return page


PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", PAGE_PARAMETER_SCHEMAS["page"], description="1-based page number (default 1)."
    ),
    OpenApiParameter(
        "pageSize",
        PAGE_PARAMETER_SCHEMAS["pageSize"],
        description="Items per page, 1-100 (default 20).",
    ),
]

CURSOR_PARAMETER = OpenApiParameter(
    "cursor",
    PAGE_PARAMETER_SCHEMAS["cursor"],
    description="A `nextCursor` this list gave out: the page of rows after it (then "
    "`page` is echoed, not used). An unknown cursor is 400 `validation_error`.",
)

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
    OpenApiParameter("from", DATE_OR_TIMESTAMP_SCHEMA, description=f"Start. {WINDOW_SEMANTICS}"),
    OpenApiParameter(
        "to",
        DATE_OR_TIMESTAMP_SCHEMA,
        description=f"End, not before `from`. {WINDOW_SEMANTICS}",
    ),
]
