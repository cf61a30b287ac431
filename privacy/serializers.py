"""Shapes of data-rights requests and responses on the wire (camelCase)."""

from __future__ import annotations

from rest_framework import serializers

from .models import ErasureStatus


class ErasureInputSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class ErasureOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ErasureStatus.values,
        help_text=(
            "RETAINED: identity erased, clinical records kept (encrypted) until "
            "`retainedUntil`; COMPLETED: nothing identifiable is left."
        ),
    )
    retainedUntil = serializers.DateTimeField(source="retained_until", allow_null=True)
