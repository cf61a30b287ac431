"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/me/export", api.ExportApi.as_view(), name="auth-me-export"),
    path("auth/me/erasure", api.ErasureApi.as_view(), name="auth-me-erasure"),
]
