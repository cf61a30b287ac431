"""The OpenAPI declarations of the audit and access-log endpoints (audit/api.py)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from amrutam.common.contract.openapi import (
    CURSOR_PARAMETER,
    FROM_TO_PARAMETERS,
    PAGE_PARAMETERS,
    error_responses,
    page_envelope,
)
from amrutam.common.openapi_rules import text_schema

from .serializers import (
    AccessLogOutputSerializer,
    AuditLogOutputSerializer,
)

ERRORS = error_responses(
    400,
    401,
    403,
    s400="`validation_error`: a bad query parameter.",
    s403="`permission_denied`: not an ADMIN.",
)

audit_log_list = extend_schema(
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
        *FROM_TO_PARAMETERS,
        *PAGE_PARAMETERS,
        CURSOR_PARAMETER,
    ],
    responses={
        200: page_envelope(
            "AuditLogPageEnvelope", "logs", AuditLogOutputSerializer(many=True), bounded=True
        ),
        **ERRORS,
    },
    tags=["audit"],
)

my_access_log = extend_schema(
    operation_id="auth_me_access_log",
    summary="Who read the caller's health records (newest first)",
    description="Every read of the caller's PHI by someone else: doctors, clinic staff.",
    parameters=[*PAGE_PARAMETERS, CURSOR_PARAMETER],
    responses={
        200: page_envelope(
            "AccessLogPageEnvelope", "entries", AccessLogOutputSerializer(many=True), bounded=True
        ),
        400: ERRORS[400],
        401: ERRORS[401],
    },
    tags=["auth"],
)
