"""The directory's filters (django-filter); the query string is validated by
DirectoryQuerySerializer first."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import django_filters
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import DoctorProfile
from .scheduling import day_bounds_utc, zone


class DoctorDirectoryFilter(django_filters.FilterSet):
    specialization = django_filters.CharFilter(field_name="specialization", lookup_expr="iexact")
    language = django_filters.CharFilter(method="filter_language")
    q = django_filters.CharFilter(method="filter_text")
    min_fee = django_filters.NumberFilter(field_name="consultation_fee", lookup_expr="gte")
    max_fee = django_filters.NumberFilter(field_name="consultation_fee", lookup_expr="lte")
    # Last: it reads the zones of the doctors the other filters left.
    available_on = django_filters.DateFilter(method="filter_available_on")

    class Meta:
        model = DoctorProfile
        fields: list[str] = []

    def __init__(self, *args: Any, now: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def filter_language(
        self, doctors: QuerySet[DoctorProfile], name: str, language: str
    ) -> QuerySet[DoctorProfile]:
        if connection.vendor == "postgresql":
            # jsonb containment: the array holds this exact string.
            return doctors.filter(languages__contains=[language])
        # SQLite (the embedded default) has no JSON containment; the stored JSON text
        # holds the quoted, JSON-escaped string exactly when the array contains it
        # (case aside).
        return doctors.filter(languages__icontains=json.dumps(language))

    def filter_text(
        self, doctors: QuerySet[DoctorProfile], name: str, text: str
    ) -> QuerySet[DoctorProfile]:
        return doctors.filter(Q(user__name__icontains=text) | Q(specialization__icontains=text))

    def filter_available_on(
        self, doctors: QuerySet[DoctorProfile], name: str, day: dt.date
    ) -> QuerySet[DoctorProfile]:
        """Doctors with a bookable slot on local `day`, each day taken in the doctor's zone.

        One Exists per distinct zone keeps the slot index usable (a per-row zone
        conversion in SQL could not use it); there are few distinct zones.
        """
        from .selectors import slot_list_bookable

        zones = doctors.order_by().values_list("timezone", flat=True).distinct()
        condition = Q(pk__in=[])
        for zone_name in zones:
            bounds = day_bounds_utc(day, 1, zone(zone_name))
            has_slot = Exists(
                slot_list_bookable(now=self.now).filter(
                    doctor=OuterRef("pk"),
                    start_time__gte=bounds.start,
                    start_time__lt=bounds.end,
                )
            )
            condition |= cast(Q, Q(timezone=zone_name) & has_slot)
        return doctors.filter(condition)
