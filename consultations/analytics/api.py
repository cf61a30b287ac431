"""GET /api/v1/admin/analytics (admins)."""

from __future__ import annotations

from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated
from amrutam.common.permissions import IsAdmin as IsClinicAdmin

from . import openapi as doc
from .report import consultation_analytics
from .serializers import AnalyticsFilterSerializer, AnalyticsOutputSerializer


class AnalyticsApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClinicAdmin]
    pagination_class = None

    @doc.analytics
    def get(self, request: Request) -> Response:
        params = validated(AnalyticsFilterSerializer, request.query_params)
        analytics = consultation_analytics(since=params["since"], until=params["until"])
        return success(AnalyticsOutputSerializer(analytics).data)
