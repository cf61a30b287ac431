"""GET /api/v1/admin/analytics (admins)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from amrutam.common.drf import success, validated
from amrutam.common.permissions import IsAdmin as IsClinicAdmin
from audit.api import ERRORS, WINDOW_HELP

from .report import consultation_analytics
from .serializers import AnalyticsFilterSerializer, AnalyticsOutputSerializer


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
            OpenApiParameter("from", str, description=f"Start. {WINDOW_HELP}"),
            OpenApiParameter("to", str, description=f"End. {WINDOW_HELP}"),
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
