"""The OpenAPI declarations of the data-rights endpoints (privacy/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from accounts.serializers import ProfileOutputSerializer, UserOutputSerializer
from amrutam.common.contract.openapi import RETRY_AFTER, envelope, error_responses
from consent.serializers import ConsentOutputSerializer
from consultations.serializers import ConsultationOutputSerializer
from payments.serializers import PaymentOutputSerializer

from .serializers import ErasureInputSerializer, ErasureOutputSerializer

TAGS = ["data rights"]

AccessLogEntry = inline_serializer(
    name="ExportAccessLogEntry",
    fields={
        "timestamp": serializers.DateTimeField(),
        "actorId": serializers.UUIDField(allow_null=True),
        "actorRole": serializers.CharField(allow_null=True),
        "action": serializers.CharField(),
        "objectType": serializers.CharField(),
        "objectId": serializers.CharField(),
    },
)
ExportEnvelope = envelope(
    "ExportEnvelope",
    {
        "export": inline_serializer(
            name="Export",
            fields={
                "generatedAt": serializers.DateTimeField(),
                "user": UserOutputSerializer(),
                "profile": ProfileOutputSerializer(allow_null=True),
                "consultations": ConsultationOutputSerializer(many=True),
                "payments": PaymentOutputSerializer(many=True),
                "consents": ConsentOutputSerializer(many=True),
                "accessLog": AccessLogEntry.__class__(many=True),
            },
        )
    },
)
ErasureEnvelope = envelope("ErasureEnvelope", {"erasure": ErasureOutputSerializer()})

export = extend_schema(
    tags=TAGS,
    operation_id="auth_me_export",
    summary="Everything held about the caller, as one JSON document",
    description=(
        "Health information is decrypted. The document is streamed. The export is itself "
        "written to the access log (a read of health data), and is rate limited per user "
        "(RATELIMIT_EXPORT_PER_USER, default 5 an hour). `profile` is null for non-patients; "
        "`consultations` are those the caller booked, with notes and prescription; "
        "`accessLog` lists every read of the caller's health data, their own included."
    ),
    responses={
        200: ExportEnvelope,
        **error_responses(401, 429, 503),
    },
    parameters=[RETRY_AFTER],
)

erasure = extend_schema(
    tags=TAGS,
    operation_id="auth_me_erasure",
    summary="Erase the calling patient's account",
    description=(
        "Patients only (others: 403). Upcoming consultations are cancelled first (paid "
        "ones refunded in full, as any cancel); the "
        "account is deactivated at once (every token answers 401 from now on); name, "
        "email, phone and profile are erased. Consultation records, notes and "
        "prescriptions stay encrypted until `retainedUntil` (MEDICAL_RECORD_RETENTION_YEARS "
        "after the last consultation that took place or was due; null when none is kept), "
        "then the daily `enforce_retention` job erases them unless a legal hold is set. "
        "Wrong password: 400 `validation_error` on `password` (failures rate limited as "
        "login). A consultation in progress (ACTIVE): 409 `invalid_state`."
    ),
    request=ErasureInputSerializer,
    responses={
        202: ErasureEnvelope,
        **error_responses(
            400,
            401,
            403,
            409,
            413,
            429,
            503,
            s409="`invalid_state`: a consultation is in progress, or already erased.",
        ),
    },
    parameters=[RETRY_AFTER],
)

__all__ = ["OpenApiResponse", "erasure", "export"]
