"""The audit log's filters (django-filter); AuditLogFilterSerializer validates the query
string first."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from .models import AuditEntry


class AuditEntryFilter(django_filters.FilterSet):
    actor_id = django_filters.UUIDFilter(field_name="actor_id")
    action = django_filters.CharFilter(method="filter_action")
    object_type = django_filters.CharFilter(field_name="object_type")
    object_id = django_filters.CharFilter(field_name="object_id")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_action(
        self, entries: QuerySet[AuditEntry], name: str, action: str
    ) -> QuerySet[AuditEntry]:
        """Exactly `action`, or every action it prefixes when it ends with `*`."""
        if action.endswith("*"):
            return entries.filter(action__startswith=action[:-1])
        return entries.filter(action=action)
