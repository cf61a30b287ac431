"""How the back office writes people, ids, times, weekdays, languages and money."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

CURRENCY_SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£"}
_DOCTOR_TITLE = re.compile(r"^\s*dr\b\.?", re.IGNORECASE)


def doctor_name(name: str) -> str:
    """`name` with the "Dr" title, added only when the name does not carry it already."""
    name = name.strip()
    return name if _DOCTOR_TITLE.match(name) else f"Dr {name}"


def person(name: str, email: str) -> SafeString:
    """A person by name, with the email as a quieter second line."""
    return format_html(
        '{}<br><span class="person-email">{}</span>', name or email, email if name else ""
    )


def short_id(value: Any) -> str:
    """The first eight characters of an id: enough to tell rows apart on a page."""
    return str(value)[:8]


def weekday_name(weekday: int) -> str:
    return calendar.day_name[weekday]  # Monday = 0, as ScheduleRule stores it


def clock(minutes: int) -> str:
    """Minutes after midnight as a 24-hour time, 540 -> "09:00" (1440 -> "24:00")."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def languages(values: Iterable[str] | None) -> str:
    return ", ".join(values or []) or "-"


def money(amount: Decimal | int | None, currency: str = "INR") -> str:
    if amount is None:
        return "-"
    symbol = CURRENCY_SYMBOLS.get(currency)
    figure = f"{Decimal(amount):,.2f}"
    return f"{symbol}{figure}" if symbol else f"{figure} {currency}"


def money_from_paise(paise: int, currency: str = "INR") -> str:
    """Paise as a figure for a summary: whole rupees bare (200000 -> "₹2,000"), paise
    kept when there are some (200050 -> "₹2,000.50")."""
    rupees, rest = divmod(paise, 100)
    if rest:
        return money(Decimal(paise) / 100, currency)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{rupees:,}" if symbol else f"{rupees:,} {currency}"


def local_time(value: dt.datetime | None, zone: ZoneInfo | None = None) -> str:
    """`value` in `zone` (default: the active zone, the clinic's in the back office)."""
    if value is None:
        return "-"
    local = timezone.localtime(value, zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def local_time_stacked(value: dt.datetime | None, zone: ZoneInfo | None = None) -> SafeString:
    """`value` as the day over the time, for narrow list columns."""
    if value is None:
        return format_html("-")
    local = timezone.localtime(value, zone)
    return format_html(
        '{}<br><span class="person-email">{}</span>',
        f"{local:%a %d %b %Y}",
        f"{local:%H:%M} {local.tzname()}",
    )
