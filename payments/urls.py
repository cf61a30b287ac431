"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("payments", api.PaymentListApi.as_view(), name="payment-list"),
    path("payments/webhook", api.payment_webhook_view, name="payment-webhook"),
    path(
        "consultations/<uuid:pk>/payment/confirm",
        api.PaymentConfirmApi.as_view(),
        name="consultation-payment-confirm",
    ),
]
