"""HTTP endpoints: the audit log (admins), clinic analytics (admins), own access report."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from amrutam.common.drf import success, validated
from amrutam.common.openapi_rules import (
    DATE_OR_TIMESTAMP_SCHEMA,
    PAGE_PARAMETER_SCHEMAS,
    text_schema,
)

from .analytics import consultation_analytics
from .permissions import IsClinicAdmin
from .selectors import access_log_for, entry_list
from .serializers import (
    AccessLogOutputSerializer,
    AnalyticsFilterSerializer,
    AnalyticsOutputSerializer,
    AuditLogFilterSerializer,
    AuditLogOutputSerializer,
)

ErrorEnvelope = inline_serializer(
    name="AuditErrorEnvelope",
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
ERRORS = {
    400: OpenApiResponse(ErrorEnvelope, description="validation_error: a bad query parameter."),
    401: OpenApiResponse(ErrorEnvelope, description="not_authenticated / token_invalid."),
    403: OpenApiResponse(ErrorEnvelope, description="permission_denied: not an ADMIN."),
}
Pagination = inline_serializer(
    name="AuditPagination",
    fields={
        "page": serializers.IntegerField(),
        "pageSize": serializers.IntegerField(),
        "total": serializers.IntegerField(),
        "totalPages": serializers.IntegerField(),
    },
)
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
WINDOW_HELP = "YYYY-MM-DD (a whole UTC day, inclusive) or an ISO 8601 timestamp with an offset."


def envelope(name: str, fields: dict[str, Any]) -> Any:
    return inline_serializer(
        name=name,
        fields={
            "status": serializers.ChoiceField(choices=["success"]),
            "data": inline_serializer(name=f"{name}Data", fields=fields),
        },
    )


class AuditLogListApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClinicAdmin]
    list_name = "logs"

    @extend_schema(
        operation_id="audit_logs_list",
        summary="The audit trail: changes, business events and PHI reads, newest first",
        parameters=[
            OpenApiParameter("actor", OpenApiTypes.UUID, description="Actor's user id (UUID)."),
            OpenApiParameter(
                "action",
                text_schema(100),
                description='Exact action ("consultation.booked"), or a prefix ending in '
                '"*" ("consultation.*").',
            ),
            OpenApiParameter(
                "objectType", text_schema(100), description='e.g. "consultation", "user".'
            ),
            OpenApiParameter("objectId", text_schema(255)),
            OpenApiParameter("from", DATE_OR_TIMESTAMP_SCHEMA, description=f"Start. {WINDOW_HELP}"),
            OpenApiParameter("to", DATE_OR_TIMESTAMP_SCHEMA, description=f"End. {WINDOW_HELP}"),
            *PAGE_PARAMETERS,
        ],
        responses={
            200: envelope(
                "AuditLogPageEnvelope",
                {"logs": AuditLogOutputSerializer(many=True), "pagination": Pagination},
            ),
            **ERRORS,
        },
        tags=["audit"],
    )
    def get(self, request: Request) -> Response:
        params = validated(AuditLogFilterSerializer, request.query_params)
        entries = entry_list(
            actor_id=params.get("actor"),
            action=params.get("action"),
            object_type=params.get("objectType"),
            object_id=params.get("objectId"),
            since=params["since"],
            until=params["until"],
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditLogOutputSerializer(page, many=True).data)


class AnalyticsApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClinicAdmin]
    pagination_class = None

    @extend_schema(
        operation_id="admin_analytics",
        summary="Consultations booked in a window: by status, per day, rates",
        description=(
            "Counts consultations booked (created) in the window, default the last 30 "
            "days, at most 366. `cancellationRate` = cancelled / booked; `noShowRate` = "
            "no-shows / consultations that reached their time (active, completed or "
            "no-show); `activeDoctors` = doctors with at least one booking in the "
            "window; days are UTC days."
        ),
        parameters=[
            OpenApiParameter("from", DATE_OR_TIMESTAMP_SCHEMA, description=f"Start. {WINDOW_HELP}"),
            OpenApiParameter("to", DATE_OR_TIMESTAMP_SCHEMA, description=f"End. {WINDOW_HELP}"),
        ],
        responses={
            200: inline_serializer(
                name="AnalyticsEnvelope",
                fields={
                    "status": serializers.ChoiceField(choices=["success"]),
                    "data": AnalyticsOutputSerializer(),
                },
            ),
            **ERRORS,
        },
        tags=["admin"],
    )
    def get(self, request: Request) -> Response:
        params = validated(AnalyticsFilterSerializer, request.query_params)
        analytics = consultation_analytics(since=params["since"], until=params["until"])
        return success(AnalyticsOutputSerializer(analytics).data)


class MyAccessLogApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    list_name = "entries"

    @extend_schema(
        operation_id="auth_me_access_log",
        summary="Who read the caller's health records (newest first)",
        description="Every read of the caller's PHI by someone else: doctors, clinic staff.",
        parameters=PAGE_PARAMETERS,
        responses={
            200: envelope(
                "AccessLogPageEnvelope",
                {"entries": AccessLogOutputSerializer(many=True), "pagination": Pagination},
            ),
            400: ERRORS[400],
            401: ERRORS[401],
        },
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(access_log_for(user_id=request.user.pk))
        return self.get_paginated_response(AccessLogOutputSerializer(page, many=True).data)
