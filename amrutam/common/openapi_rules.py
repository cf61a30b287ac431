"""The validation rules the service applies, stated in the OpenAPI schema.

A request valid by the schema should be refused only for reasons of state (409) or
permission: client generators built from `/api/schema` then produce requests the
service accepts. drf-spectacular maps most of a serializer's rules (lengths, ranges,
choices), but not what DRF adds on its own: CharField trims whitespace, refuses a
blank value and NUL characters; DecimalField counts digits. `AutoSchema`
(amrutam/common/autoschema.py) adds those; the patterns below describe the service's
own fields (dates within a range, timestamps with an offset, wall-clock times).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# No NUL character (DRF refuses it in every string). At least one character:
# drf-spectacular states a blank-allowed string as `oneOf: [<this>, maxLength 0]`, and
# the empty string must match only one of them.
NO_NUL = r"^[^\x00]+$"
# ... and, once trimmed, not blank.
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
# Python's datetime covers years 1 to 9999: a bound on the calendar's first or last
# day has no instant before or after it in UTC.
NOT_AT_CALENDAR_EDGES = r"^(?!0001-01-0[1-2]|9999-12-3[0-1])"
TIMESTAMP_MAX_LENGTH = 64

_LONG_MONTHS = r"(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
_SHORT_MONTHS = r"(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
_FEBRUARY = r"02-(?:0[1-9]|1[0-9]|2[0-8])"


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def date_pattern(first_year: int, last_year: int) -> str:
    """A pattern of the real calendar dates `YYYY-MM-DD` from `first_year` to `last_year`."""
    years = "|".join(str(y) for y in range(first_year, last_year + 1))
    leap = "|".join(str(y) for y in range(first_year, last_year + 1) if _is_leap(y))
    days = f"(?:{years})-(?:{_LONG_MONTHS}|{_SHORT_MONTHS}|{_FEBRUARY})"
    return f"^(?:{days}|(?:{leap})-02-29)$" if leap else f"^{days}$"


def date_schema(first: dt.date, last_year: int, description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "date",
        "pattern": date_pattern(first.year, last_year),
        "description": description,
    }


TIMESTAMP_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "maxLength": TIMESTAMP_MAX_LENGTH,
    "pattern": NOT_AT_CALENDAR_EDGES,
    "description": "ISO 8601 / RFC 3339 timestamp with a UTC offset, e.g. 2025-01-01T09:00:00Z.",
}

DATE_OR_TIMESTAMP_SCHEMA: dict[str, Any] = {
    "type": "string",
    "maxLength": TIMESTAMP_MAX_LENGTH,
    "pattern": NOT_AT_CALENDAR_EDGES,
    "anyOf": [{"format": "date"}, {"format": "date-time"}],
    "description": "`YYYY-MM-DD` (a whole UTC day) or a timestamp with a UTC offset.",
}

HOUR_MINUTE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": "^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
    "description": 'Wall-clock time "HH:MM", 00:00 to 24:00.',
}


def text_schema(max_length: int) -> dict[str, Any]:
    """A string CharField accepts: 1 to `max_length` characters, not blank, no NUL."""
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NOT_BLANK}


PAGE_PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
    "pageSize": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    "cursor": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "^[A-Za-z0-9_-]+$"},
}
