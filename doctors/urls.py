"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("doctors", api.DoctorListApi.as_view(), name="doctors-list"),
    path("doctors/me", api.DoctorMeApi.as_view(), name="doctors-me"),
    path("doctors/me/slots", api.MySlotsApi.as_view(), name="doctors-me-slots"),
    path(
        "doctors/me/slots/<uuid:slot_id>",
        api.MySlotDetailApi.as_view(),
        name="doctors-me-slot-detail",
    ),
    path("doctors/me/schedule", api.MyScheduleApi.as_view(), name="doctors-me-schedule"),
    path("doctors/me/time-off", api.MyTimeOffApi.as_view(), name="doctors-me-time-off"),
    path("doctors/<uuid:doctor_id>", api.DoctorDetailApi.as_view(), name="doctors-detail"),
    path(
        "doctors/<uuid:doctor_id>/availability",
        api.DoctorAvailabilityApi.as_view(),
        name="doctors-availability",
    ),
    path(
        "admin/doctors/<uuid:doctor_id>/verify",
        api.AdminDoctorVerifyApi.as_view(),
        name="admin-doctors-verify",
    ),
]
