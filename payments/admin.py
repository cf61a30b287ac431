"""Back office for payments: a filtered, read-only list and a refund action for admins.

Refunds go through the same service as a cancel (payments/services.py): audited, with
the admin's reason, and sent to the gateway after the commit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from amrutam.common.admin_paging import BoundedCountAdminMixin

from .models import Payment, PaymentStatus
from .serializers import rupees
from .services import payment_refund

REASON_MAX = 500


@admin.register(Payment)
class PaymentAdmin(BoundedCountAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "amount_display",
        "currency",
        "gateway",
        "gateway_order_id",
        "paid_at",
        "created_at",
    )
    list_filter = ("status", "gateway", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=gateway_order_id", "=gateway_payment_id", "=consultation__id")
    ordering = ("-created_at",)
    actions = ("refund_selected",)
    fields = (
        "id",
        "consultation",
        "status",
        "amount_display",
        "refunded_display",
        "currency",
        "gateway",
        "gateway_order_id",
        "gateway_payment_id",
        "gateway_refund_id",
        "expires_at",
        "paid_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # payments are opened by bookings only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # money records are kept

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Enables the refund action on the list; a payment's page stays read-only.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Payment) -> str:
        return rupees(obj.amount)

    @admin.display(description="refunded")
    def refunded_display(self, obj: Payment) -> str:
        return rupees(obj.refunded_amount)

    @admin.action(description="Refund selected payments in full", permissions=["change"])
    def refund_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        paid = list(queryset.filter(status=PaymentStatus.PAID))
        if not paid:
            self.message_user(request, "Only paid payments can be refunded.", messages.ERROR)
            return None
        reason = request.POST.get("reason", "").strip()[:REASON_MAX]
        if request.POST.get("confirm") != "yes" or not reason:
            for payment in paid:
                payment.amount_display = rupees(payment.amount)
            return TemplateResponse(
                request,
                "admin/payments/refund.html",
                {**self.admin_site.each_context(request), "payments": paid},
            )
        for payment in paid:
            payment_refund(payment_id=payment.pk, actor=request.user, reason=reason)
        self.message_user(request, f"{len(paid)} refund(s) requested.", messages.SUCCESS)
        return None
