"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from . import api
from .analytics.api import AnalyticsApi

urlpatterns = [
    path("admin/analytics", AnalyticsApi.as_view(), name="admin-analytics"),
    path("consultations", api.ConsultationListApi.as_view(), name="consultation-list"),
    path("consultations/bookings", api.BookingCreateApi.as_view(), name="consultation-book"),
    path(
        "consultations/<uuid:pk>",
        api.ConsultationDetailApi.as_view(),
        name="consultation-detail",
    ),
    path(
        "consultations/<uuid:pk>/cancel",
        api.ConsultationCancelApi.as_view(),
        name="consultation-cancel",
    ),
    path(
        "consultations/<uuid:pk>/reschedule",
        api.ConsultationRescheduleApi.as_view(),
        name="consultation-reschedule",
    ),
    path(
        "consultations/<uuid:pk>/start",
        api.ConsultationStartApi.as_view(),
        name="consultation-start",
    ),
    path(
        "consultations/<uuid:pk>/complete",
        api.ConsultationCompleteApi.as_view(),
        name="consultation-complete",
    ),
    path(
        "consultations/<uuid:pk>/no-show",
        api.ConsultationNoShowApi.as_view(),
        name="consultation-no-show",
    ),
    path(
        "consultations/<uuid:pk>/notes",
        api.ConsultationNotesApi.as_view(),
        name="consultation-notes",
    ),
    path(
        "consultations/<uuid:pk>/prescription",
        api.ConsultationPrescriptionApi.as_view(),
        name="consultation-prescription",
    ),
]
