"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from .api import WebhookDeliveryListApi, WebhookDetailApi, WebhookListApi

urlpatterns = [
    path("admin/webhooks", WebhookListApi.as_view(), name="admin-webhooks"),
    path("admin/webhooks/<uuid:webhook_id>", WebhookDetailApi.as_view(), name="admin-webhook"),
    path(
        "admin/webhooks/<uuid:webhook_id>/deliveries",
        WebhookDeliveryListApi.as_view(),
        name="admin-webhook-deliveries",
    ),
]
