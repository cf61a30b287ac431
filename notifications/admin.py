"""Back office: webhook endpoints, their delivery log, emails and the outbox, read-only.

Failed deliveries and emails get a "retry" action (one more attempt now), through the
same services the workers use; secrets never appear here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Notification, OutboxEvent, WebhookDelivery, WebhookEndpoint
from .services import notification_retry
from .tasks import deliver_webhook, send_notification
from .webhooks import delivery_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _enqueue(task: Any, pk: Any, request: HttpRequest, admin_: admin.ModelAdmin) -> None:
    try:
        task.apply_async(args=[str(pk)])
    except Exception:  # broker down: the periodic pass picks the row up
        admin_.message_user(
            request,
            f"{pk}: queued for the next periodic pass (broker unavailable).",
            messages.WARNING,
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "event_list", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url",)
    fields = ("id", "url", "events", "is_active", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description="events")
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event")
    search_fields = ("id", "endpoint__url")
    list_select_related = ("endpoint",)
    ordering = ("-created_at",)
    readonly_fields = (*list_display, "outbox_event", "delivered_at", "updated_at")
    fields = readonly_fields
    actions = ("retry_selected",)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_webhookdelivery")

    @admin.action(description="Retry selected failed deliveries", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        retried = 0
        for delivery in queryset:
            if delivery_retry(delivery_id=delivery.pk, retried_by=request.user):
                retried += 1
                _enqueue(deliver_webhook, delivery.pk, request, self)
            else:
                self.message_user(request, f"{delivery.pk}: has not failed.", messages.ERROR)
        if retried:
            self.message_user(request, f"{retried} deliveries will be tried again now.")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("kind", "consultation_id", "recipient", "status", "attempts", "send_after")
    list_filter = ("status", "kind")
    search_fields = ("consultation_id", "recipient__email")
    list_select_related = ("recipient",)
    ordering = ("-send_after",)
    readonly_fields = (
        *list_display,
        "planned_for",
        "last_error",
        "sent_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    actions = ("retry_selected",)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_notification")

    @admin.action(description="Retry selected failed emails", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        for notification in queryset:
            if notification_retry(notification_id=notification.pk):
                _enqueue(send_notification, notification.pk, request, self)
            else:
                self.message_user(request, f"{notification.pk}: has not failed.", messages.ERROR)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("event", "consultation_id", "created_at", "dispatched_at")
    list_filter = ("event",)
    search_fields = ("consultation_id",)
    ordering = ("-created_at",)
    fields = ("id", "event", "consultation_id", "data", "created_at", "dispatched_at")
    readonly_fields = fields
