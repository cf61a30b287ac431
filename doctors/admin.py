"""Back office for doctors: verification state, verify action, upcoming slots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from amrutam.common.exceptions import ApplicationError

from .models import AvailabilitySlot, DoctorProfile, ScheduleRule
from .services import doctor_verify


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UpcomingSlotInline(ReadOnlyInline):
    model = AvailabilitySlot
    fields = ["start_time", "end_time", "status"]
    readonly_fields = fields
    verbose_name_plural = "Upcoming slots (booking horizon)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AvailabilitySlot]:
        now = timezone.now()
        horizon = now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
        return (
            super()
            .get_queryset(request)
            .filter(end_time__gt=now, start_time__lt=horizon)
            .order_by("start_time")
        )


class ScheduleRuleInline(ReadOnlyInline):
    model = ScheduleRule
    fields = ["weekday", "start_minute", "end_minute"]
    readonly_fields = fields
    verbose_name_plural = "Weekly rules (minutes after local midnight, Monday = 0)"


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "specialization",
        "registration_number",
        "is_verified",
        "verified_at",
    ]
    list_filter = ["is_verified", "specialization"]
    search_fields = ["user__name", "user__email", "registration_number"]
    list_select_related = ["user"]
    ordering = ["user__name"]
    readonly_fields = ["verified_at", "verified_by"]
    inlines = [ScheduleRuleInline, UpcomingSlotInline]
    actions = ["verify_doctors"]

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj: DoctorProfile) -> str:
        return obj.user.email

    # Profiles change only through the services (the doctor's API, the verify action),
    # so the back office shows them read-only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("doctors.change_doctorprofile")

    @admin.action(description="Verify selected doctors", permissions=["verify"])
    def verify_doctors(self, request: HttpRequest, queryset: QuerySet[DoctorProfile]) -> None:
        verified = 0
        for doctor in queryset.select_related("user"):
            try:
                doctor_verify(doctor_id=doctor.pk, verified_by=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{doctor}: {exc.message}", messages.ERROR)
            else:
                verified += 1
        if verified:
            self.message_user(request, f"{verified} doctor(s) verified.", messages.SUCCESS)


@admin.register(AvailabilitySlot)
class AvailabilitySlotAdmin(admin.ModelAdmin):
    list_display = ["start_time", "end_time", "status", "doctor"]
    list_filter = ["status", "doctor__specialization"]
    search_fields = ["doctor__user__name", "doctor__user__email"]
    list_select_related = ["doctor__user"]
    date_hierarchy = "start_time"
    ordering = ["-start_time"]

    # Slot state belongs to the booking and scheduling services.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
