"""Data-rights endpoints: the caller's export and a patient's erasure."""

from __future__ import annotations

from django.conf import settings
from django.http import StreamingHttpResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimits
from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated

from . import openapi as doc
from .export import export_record, export_stream
from .serializers import ErasureInputSerializer, ErasureOutputSerializer
from .services import ErasurePasswordIncorrect, erasure_request


class ExportApi(APIView):
    @doc.export
    def get(self, request: Request) -> StreamingHttpResponse:
        ratelimits.limit_attempts(
            request,
            ratelimits.Limit(
                "privacy.export.user",
                str(request.user.pk),
                settings.RATELIMIT_EXPORT_PER_USER,
                fail_open=True,
            ),
        )
        # Recorded (and committed) before the first byte: a read that starts is logged.
        export_record(user=request.user)
        response = StreamingHttpResponse(
            export_stream(user_id=request.user.pk), content_type="application/json"
        )
        response["Cache-Control"] = "no-store"
        return response


class ErasureApi(APIView):
    @doc.erasure
    def post(self, request: Request) -> Response:
        data = validated(ErasureInputSerializer, request.data)
        limits = ratelimits.password_limits(request, request.user.pk)
        ratelimits.check_failures(request, limits)
        try:
            erasure = erasure_request(user=request.user, password=data["password"])
        except ErasurePasswordIncorrect:
            ratelimits.count_failure(request, limits)
            raise
        return success({"erasure": ErasureOutputSerializer(erasure).data}, status=202)
