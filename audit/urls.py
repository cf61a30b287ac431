"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from .api import AnalyticsApi, AuditLogListApi, MyAccessLogApi

urlpatterns = [
    path("audit/logs", AuditLogListApi.as_view(), name="audit-logs"),
    path("admin/analytics", AnalyticsApi.as_view(), name="admin-analytics"),
    path("auth/me/access-log", MyAccessLogApi.as_view(), name="auth-me-access-log"),
]
