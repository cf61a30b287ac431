"""Shapes of payment requests and responses on the wire (camelCase; amounts as "500.00")."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from amrutam.common.contract.window import WindowSerializer

from .models import PaymentStatus

GATEWAY_ID_MAX = 64


def rupees(paise: int) -> str:
    """Paise as the wire's decimal string: 50000 -> "500.00"."""
    return str((Decimal(paise) / 100).quantize(Decimal("0.01")))


@extend_schema_field({"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "500.00"})
class PaiseField(serializers.Field):
    def to_representation(self, value: int) -> str:
        return rupees(value)


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    consultationId = serializers.UUIDField(source="consultation_id")
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    amount = PaiseField(help_text='Decimal string in rupees, e.g. "500.00".')
    currency = serializers.CharField()
    gateway = serializers.ChoiceField(choices=["sandbox", "razorpay"])
    gatewayOrderId = serializers.CharField(source="gateway_order_id", allow_null=True)
    gatewayPaymentId = serializers.CharField(source="gateway_payment_id", allow_null=True)
    expiresAt = serializers.DateTimeField(source="expires_at")
    paidAt = serializers.DateTimeField(source="paid_at", allow_null=True)
    refundedAmount = PaiseField(source="refunded_amount")


class ConfirmInputSerializer(serializers.Serializer):
    gatewayPaymentId = serializers.RegexField(
        r"^[A-Za-z0-9_]+$", max_length=GATEWAY_ID_MAX, source="gateway_payment_id"
    )
    signature = serializers.RegexField(r"^[0-9a-fA-F]+$", max_length=128)


class PaymentListParamsSerializer(WindowSerializer):
    """`status`, and `from`/`to` bounding the creation time (contract/window.py)."""

    status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
