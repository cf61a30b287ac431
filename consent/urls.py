"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/me/consents", api.ConsentListCreateApi.as_view(), name="auth-me-consents"),
    path(
        "auth/me/consents/<uuid:consent_id>/withdraw",
        api.ConsentWithdrawApi.as_view(),
        name="auth-me-consent-withdraw",
    ),
]
