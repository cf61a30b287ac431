"""Query parameters and output shapes of the audit endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from amrutam.common.contract.window import WindowSerializer


class AuditLogFilterSerializer(WindowSerializer):
    actor = serializers.UUIDField(required=False)
    action = serializers.CharField(required=False, max_length=100)
    objectType = serializers.CharField(required=False, max_length=100)
    objectId = serializers.CharField(required=False, max_length=255)


def actor_role(entry: Any) -> str:
    """The user's role, or for work done without a user its label (e.g. "system")."""
    return entry.actor_role or entry.actor_label or ""


class AuditLogOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    timestamp = serializers.DateTimeField()
    actorId = serializers.UUIDField(source="actor_id", allow_null=True)
    actorRole = serializers.SerializerMethodField()
    action = serializers.CharField()
    objectType = serializers.CharField(source="object_type")
    objectId = serializers.CharField(source="object_id")
    changes = serializers.JSONField(allow_null=True)
    ip = serializers.CharField(allow_null=True)
    requestId = serializers.CharField(source="request_id")

    def get_actorRole(self, entry: Any) -> str:
        return actor_role(entry)


class AccessLogOutputSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    actorId = serializers.UUIDField(source="actor_id", allow_null=True)
    actorRole = serializers.SerializerMethodField()
    action = serializers.CharField()
    objectType = serializers.CharField(source="object_type")
    objectId = serializers.CharField(source="object_id")

    def get_actorRole(self, entry: Any) -> str:
        return actor_role(entry)
