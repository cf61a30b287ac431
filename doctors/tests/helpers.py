"""Helpers shared by the doctors tests."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone


def error_keys(body: dict[str, Any]) -> set[str]:
    """The field names of a validation error, list items written `items[0].field`.

    DRF reports a list's item errors keyed by index, which the envelope may spell
    `items.0.field`, and errors of a whole list as `items.non_field_errors`; each
    spelling is normalised to `items[0].field` and `items`.
    """
    keys = set()
    for key in body.get("errors", {}):
        parts = key.removesuffix(".non_field_errors").split(".")
        out = parts[0]
        for part in parts[1:]:
            out += f"[{part}]" if part.isdigit() else f".{part}"
        keys.add(out)
    return keys


def expected_starts(tz: ZoneInfo, times: list[dt.time], days: int) -> list[dt.datetime]:
    """Future UTC starts of wall-clock `times` on each of `days` local days from today.

    Computed directly from the clock, independently of the scheduling module.
    """
    now = timezone.now()
    today = now.astimezone(tz).date()
    starts = []
    for offset in range(days):
        for clock in times:
            start = dt.datetime.combine(today + dt.timedelta(days=offset), clock, tzinfo=tz)
            if start > now:
                starts.append(start.astimezone(dt.UTC))
    return starts
