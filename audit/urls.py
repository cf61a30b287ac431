"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from .api import AuditLogListApi, MyAccessLogApi

urlpatterns = [
    path("audit/logs", AuditLogListApi.as_view(), name="audit-logs"),
    path("auth/me/access-log", MyAccessLogApi.as_view(), name="auth-me-access-log"),
]
