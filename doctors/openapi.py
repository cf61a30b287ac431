"""OpenAPI pieces of the doctors endpoints: success envelopes and error answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from amrutam.common.openapi_rules import PAGE_PARAMETER_SCHEMAS, date_schema

ERROR_DESCRIPTIONS = {
    400: "validation_error: a field or query parameter is invalid (see `errors`).",
    401: "not_authenticated / token_invalid.",
    403: "permission_denied: the caller's role may not do this.",
    404: "not_found.",
    409: "Conflict (see `code`).",
}

ErrorSerializer = inline_serializer(
    name="DoctorsErrorEnvelope",
    fields={
        "status": serializers.ChoiceField(choices=["fail", "error"]),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
        "requestId": serializers.CharField(),
    },
)


def errors(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Error responses for `statuses`; `descriptions` override by "s409"-style keys."""
    return {
        status: OpenApiResponse(
            response=ErrorSerializer,
            description=descriptions.get(f"s{status}", ERROR_DESCRIPTIONS[status]),
        )
        for status in statuses
    }


def envelope(name: str, data_fields: dict[str, Any]) -> Any:
    """`{"status": "success", "data": {...data_fields}}` as a named component."""
    return inline_serializer(
        name=name,
        fields={
            "status": serializers.ChoiceField(choices=["success"]),
            "data": inline_serializer(name=f"{name}Data", fields=data_fields),
        },
    )


PAGINATION_FIELDS = {
    "pagination": inline_serializer(
        name="DoctorsPagination",
        fields={
            "page": serializers.IntegerField(),
            "pageSize": serializers.IntegerField(),
            "total": serializers.IntegerField(),
            "totalPages": serializers.IntegerField(),
        },
    )
}

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

WINDOW_PARAMETERS = [
    OpenApiParameter(
        "start_date",
        date_schema(dt.date(2000, 1, 1), 2100, "YYYY-MM-DD, 2000-01-01 to 2100-12-31."),
        description="YYYY-MM-DD (2000-01-01 to 2100-12-31); default today in the doctor's zone.",
    ),
    OpenApiParameter(
        "days",
        {"type": "integer", "minimum": 1, "maximum": 31, "default": 7},
        description="Window length in days, 1-31 (default 7).",
    ),
]
