"""The OpenAPI declaration of the analytics endpoint (consultations/analytics/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from amrutam.common.contract.openapi import FROM_TO_PARAMETERS, envelope, error_responses

from .serializers import AnalyticsOutputSerializer

ERRORS = error_responses(
    400,
    401,
    403,
    s400="`validation_error`: a bad query parameter.",
    s403="`permission_denied`: not an ADMIN.",
)

analytics = extend_schema(
    operation_id="admin_analytics",
    summary="Consultations booked in a window: by status, per day, rates",
    description=(
        "Counts consultations booked (created) in the window, default the last 30 "
        "days, at most 366. `cancellationRate` = cancelled / booked; `noShowRate` = "
        "no-shows / consultations that reached their time (active, completed or "
        "no-show); `activeDoctors` = doctors with at least one booking in the "
        "window; days are UTC days. `revenue`: amounts (decimal strings) of payments "
        "made in the window (by payment time): `paid` in total, `refunded` of those."
    ),
    parameters=FROM_TO_PARAMETERS,
    responses={200: envelope("AnalyticsEnvelope", AnalyticsOutputSerializer()), **ERRORS},
    tags=["admin"],
)
