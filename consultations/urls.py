"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from . import api
from .analytics.api import AnalyticsApi

urlpatterns = [
    path("admin/analytics", AnalyticsApi.as_view(), name="admin-analytics"),
    path("consultations", api.ConsultationListView.as_view(), name="consultation-list"),
    path("consultations/bookings", api.BookingCreateView.as_view(), name="consultation-book"),
    path(
        "consultations/<uuid:pk>",
        api.ConsultationDetailView.as_view(),
        name="consultation-detail",
    ),
    path(
        "consultations/<uuid:pk>/cancel",
        api.ConsultationCancelView.as_view(),
        name="consultation-cancel",
    ),
    path(
        "consultations/<uuid:pk>/reschedule",
        api.ConsultationRescheduleView.as_view(),
        name="consultation-reschedule",
    ),
    path(
        "consultations/<uuid:pk>/start",
        api.ConsultationStartView.as_view(),
        name="consultation-start",
    ),
    path(
        "consultations/<uuid:pk>/complete",
        api.ConsultationCompleteView.as_view(),
        name="consultation-complete",
    ),
    path(
        "consultations/<uuid:pk>/no-show",
        api.ConsultationNoShowView.as_view(),
        name="consultation-no-show",
    ),
    path(
        "consultations/<uuid:pk>/notes",
        api.ConsultationNotesView.as_view(),
        name="consultation-notes",
    ),
    path(
        "consultations/<uuid:pk>/prescription",
        api.ConsultationPrescriptionView.as_view(),
        name="consultation-prescription",
    ),
]
