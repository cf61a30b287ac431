"""Shapes of consent records on the wire (camelCase)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import ConsentRecord, Mode, Purpose


class ConsentCreateInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=Purpose.values)
    granted = serializers.BooleanField()
    noticeVersion = serializers.CharField(
        source="notice_version",
        max_length=32,
        required=False,
        help_text="The notice the patient was shown; defaults to the current one.",
    )

    def to_internal_value(self, data: Any) -> Any:
        # `granted` must be a JSON boolean: DRF would read "yes" or 1 as true.
        if isinstance(data, dict) and "granted" in data and not isinstance(data["granted"], bool):
            raise serializers.ValidationError({"granted": ["Must be true or false."]})
        return super().to_internal_value(data)


class ConsentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    purpose = serializers.ChoiceField(choices=Purpose.values)
    granted = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=Mode.values)
    noticeVersion = serializers.CharField(source="notice_version")
    createdAt = serializers.DateTimeField(source="created_at")
    withdrawnAt = serializers.SerializerMethodField(
        help_text=(
            "When this grant was withdrawn; for a withdrawal record, when it was made; "
            "null for a grant still in force or a refusal."
        )
    )

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_withdrawnAt(self, obj: ConsentRecord) -> str | None:
        when: dt.datetime | None
        if obj.withdraws_id is not None:
            when = obj.created_at
        else:
            try:
                when = obj.withdrawal.created_at
            except ObjectDoesNotExist:
                when = None
        return None if when is None else serializers.DateTimeField().to_representation(when)
