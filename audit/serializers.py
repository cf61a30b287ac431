"""Query parameters and output shapes of the audit endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .bounds import BadBound, parse_bound


@extend_schema_field(OpenApiTypes.STR)
class TimeBoundField(serializers.Field):
    """`YYYY-MM-DD` (a whole UTC day) or an ISO 8601 timestamp with an offset."""

    def __init__(self, *, end: bool, **kwargs: Any) -> None:
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dt.datetime:
        if not isinstance(data, str):
            raise serializers.ValidationError("Enter a date or a timestamp.")
        try:
            return parse_bound(data, end=self.end)
        except BadBound as exc:
            raise serializers.ValidationError(str(exc)) from exc


class _WindowSerializer(serializers.Serializer):
    """`from` and `to` (Python keywords, hence added in `get_fields`)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = TimeBoundField(end=False, required=False)
        fields["to"] = TimeBoundField(end=True, required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.pop("from", None), attrs.pop("to", None)
        if since is not None and until is not None and since >= until:
            raise serializers.ValidationError({"to": ["Must be after `from`."]})
        attrs["since"], attrs["until"] = since, until
        return attrs


class AuditLogFilterSerializer(_WindowSerializer):
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
