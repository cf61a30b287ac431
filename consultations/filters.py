"""The consultations list's filters (django-filter); ConsultationListParamsSerializer
validates the query string first."""

from __future__ import annotations

import django_filters

from .models import Consultation


class ConsultationListFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(field_name="status")
    starts_from = django_filters.IsoDateTimeFilter(field_name="slot__start_time", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(
        field_name="slot__start_time", lookup_expr="lt"
    )

    class Meta:
        model = Consultation
        fields: list[str] = []
