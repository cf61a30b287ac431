"""Input and output shapes of the webhook admin API (API.md, "Notifications and webhooks")."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .guard import MAX_URL_LENGTH
from .models import WEBHOOK_EVENTS, DeliveryStatus


class WebhookCreateInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, trim_whitespace=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), min_length=1, max_length=32
    )
    isActive = serializers.BooleanField(required=False, default=True)


class WebhookUpdateInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, trim_whitespace=False, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS),
        min_length=1,
        max_length=32,
        required=False,
    )
    isActive = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field."] for name in sorted(unknown)}
            )
        return attrs


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS))
    isActive = serializers.BooleanField(source="is_active")


class WebhookCreatedOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(help_text="Shown once, at creation: store it now.")


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Also the X-Amrutam-Delivery header of every attempt.")
    event = serializers.ChoiceField(choices=WEBHOOK_EVENTS)
    status = serializers.ChoiceField(choices=DeliveryStatus.values)
    attempts = serializers.IntegerField()
    lastStatusCode = serializers.IntegerField(source="last_status_code", allow_null=True)
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
