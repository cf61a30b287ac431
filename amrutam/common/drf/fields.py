"""Serializer fields shared by the apps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp that must carry an offset; answers in UTC with `Z`."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 timestamp, e.g. 2025-01-01T09:00:00Z.",
        "naive": "Timestamps must include a UTC offset (e.g. 2025-01-01T09:00:00Z).",
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            parsed: dt.datetime | None = value
        elif isinstance(value, str) and len(value) <= 64:
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        else:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            # 0001-01-01T00:00+14:00 is a valid text but before year 1 in UTC.
            self.fail("invalid")
