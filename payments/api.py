"""Payment endpoints: Checkout confirmation, the gateway's webhook, the payments list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.views.decorators.csrf import csrf_exempt
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPatient
from amrutam.common.contract.envelope import success
from amrutam.common.contract.pagination import BoundedPagination
from amrutam.common.drf.validation import validated
from consultations.selectors import consultation_get_recorded
from consultations.serializers import ConsultationOutputSerializer

from . import openapi as doc
from .confirmation import payment_confirm, webhook_handle
from .models import Payment
from .selectors import payment_list_visible_to
from .serializers import (
    ConfirmInputSerializer,
    PaymentListParamsSerializer,
    PaymentOutputSerializer,
)


class CanPay(IsPatient):
    message = "Only the booking patient can confirm a payment."


class PaymentConfirmApi(APIView):
    permission_classes = [CanPay]

    @doc.payment_confirm
    def post(self, request: Request, pk: Any) -> Response:
        data = validated(ConfirmInputSerializer, request.data)
        payment_confirm(
            consultation_id=pk,
            patient=request.user,
            gateway_payment_id=data["gateway_payment_id"],
            signature=data["signature"],
        )
        consultation = consultation_get_recorded(user=request.user, consultation_id=pk)
        return success({"consultation": ConsultationOutputSerializer(consultation).data})


class PaymentWebhookApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @doc.payment_webhook
    def post(self, request: Request) -> Response:
        # The signature covers the raw bytes, so the body is read before DRF parses it.
        raw = request._request.body
        outcome = webhook_handle(
            raw_body=raw,
            signature=request.headers.get("X-Razorpay-Signature", ""),
            event_id=request.headers.get("X-Razorpay-Event-Id", ""),
        )
        return success({"outcome": outcome})


payment_webhook_view = csrf_exempt(PaymentWebhookApi.as_view())


class PaymentListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PaymentOutputSerializer
    list_name = "payments"
    pagination_class = BoundedPagination
    cursor_fields = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Payment]:
        params = validated(PaymentListParamsSerializer, self.request.query_params)
        return payment_list_visible_to(
            user=self.request.user,
            status=params.get("status"),
            since=params["since"],
            until=params["until"],
        )

    @doc.payment_list
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
