"""`from` and `to` on every list: one meaning, one parser.

A bound is `YYYY-MM-DD` (a whole UTC day) or an ISO 8601 timestamp with an offset. Both
ends are inclusive: `from` is the first instant counted, `to` the last one (a date as
`to` counts that whole day, a timestamp that very instant). Callers filter
`since <= t < until`, with `until` the instant just after `to`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUT_OF_RANGE = "Out of the supported range of dates."


class BadBound(ValueError):
    """The text is neither a date nor a timestamp with a UTC offset."""


def parse_bound(text: str, *, end: bool) -> dt.datetime:
    """The instant `text` names, as an aware UTC datetime.

    A date is a whole UTC day: as a start it means that day's midnight, as an end the
    next midnight (so `to=2025-01-31` includes all of the 31st). A timestamp must carry
    an offset; as an end it is inclusive, returned as the instant just after it.
    Callers filter `since <= t < until`.
    """
    text = (text or "").strip()
    if len(text) > 64:
        raise BadBound("Too long for a date or timestamp.")
    if DATE_RE.match(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as exc:
            raise BadBound("Enter a real calendar date (YYYY-MM-DD).") from exc
        start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        return _shifted(start, dt.timedelta(days=1) if end else dt.timedelta(0))
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadBound("Enter a date (YYYY-MM-DD) or an ISO 8601 timestamp with an offset.")
    if parsed.tzinfo is None:
        raise BadBound("Timestamps must include a UTC offset (e.g. 2025-01-01T09:00:00Z).")
    try:
        parsed = parsed.astimezone(dt.UTC)
    except OverflowError as exc:
        raise BadBound(OUT_OF_RANGE) from exc
    return _shifted(parsed, dt.timedelta(microseconds=1) if end else dt.timedelta(0))


def _shifted(instant: dt.datetime, by: dt.timedelta) -> dt.datetime:
    # The edges of the calendar (9999-12-31 as an end) have no instant after them.
    try:
        return instant + by
    except OverflowError as exc:
        raise BadBound(OUT_OF_RANGE) from exc


@extend_schema_field(OpenApiTypes.STR)
class TimeBoundField(serializers.Field):
    """`from` (`end=False`) or `to` (`end=True`), as the UTC instant a filter compares with."""

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


class WindowSerializer(serializers.Serializer):
    """`from` and `to` (Python keywords, hence added in `get_fields`) as `since`/`until`."""

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
