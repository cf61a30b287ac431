"""Back office: the audit trail (django-auditlog's entries included), read-only."""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest

from amrutam.common.admin_paging import BoundedCountAdminMixin

from .models import AuditEntry
from .naming import type_name

# Actions offered by the action filter are read from this many recent entries, so the
# filter never scans a table of millions of rows.
RECENT_ENTRIES = 10_000


def tracked_model_names() -> list[str]:
    return sorted(type_name(model) for model in auditlog.get_models())


class ReadOnlyAdmin(BoundedCountAdminMixin, admin.ModelAdmin):
    """Audit rows are written only by the service; the database refuses changes too.

    The trail gains about a million rows a day at full load: its change list counts only
    a few pages ahead (BoundedCountAdminMixin), never the whole table.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "object type"
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in tracked_model_names()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(object_type=value) if value else queryset


class ActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        newest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        actions = (
            AuditEntry.objects.filter(id__gt=newest - RECENT_ENTRIES)
            .order_by("action")
            .values_list("action", flat=True)
            .distinct()
        )
        return [(action, action) for action in actions]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


class ContentTypeFilter(admin.SimpleListFilter):
    """The model a field change concerns (events and reads have none)."""

    title = "changed model"
    parameter_name = "content_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        types = ContentType.objects.get_for_models(*auditlog.get_models())
        return sorted(((str(ct.pk), ct.model) for ct in types.values()), key=lambda x: x[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(content_type_id=value) if value else queryset


# django-auditlog registers its own admin for its log-entry model, which is this one.
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "timestamp",
        "kind",
        "action",
        "object_type",
        "object_id",
        "actor_id",
        "actor_role",
        "actor_label",
        "request_id",
    ]
    list_filter = [
        "kind",
        ActionFilter,
        ObjectTypeFilter,
        ContentTypeFilter,
        ("timestamp", admin.DateFieldListFilter),
    ]
    # Exact matches, so the indexes answer them.
    search_fields = ["=object_id", "=request_id"]
    search_help_text = "Exact object id or request id."
    ordering = ["-id"]
    fields = [
        "id",
        "timestamp",
        "kind",
        "action",
        "object_type",
        "object_id",
        "subject_id",
        "actor_id",
        "actor_role",
        "actor_label",
        "ip",
        "request_id",
        "changes",
        "content_type",
        "logentry_id",
        "seq",
        "prev_hash",
        "hash",
    ]
    readonly_fields = fields
