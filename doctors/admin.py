"""Back office for doctors: verification state, verify action, upcoming slots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from amrutam.common.display import clock, languages, local_time, money, person, weekday_name
from amrutam.common.exceptions import ApplicationError
from amrutam.common.timezones import doctor_zone

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
    """The doctor's own rows: times in the doctor's zone, beside the clinic's."""

    model = AvailabilitySlot
    fields = ["starts_for_doctor", "starts_for_clinic", "status"]
    readonly_fields = fields
    verbose_name_plural = "Upcoming slots (booking horizon)"

    @admin.display(description="starts (doctor's time)")
    def starts_for_doctor(self, obj: AvailabilitySlot) -> str:
        return local_time(obj.start_time, doctor_zone(obj.doctor.timezone))

    @admin.display(description="starts (clinic time)")
    def starts_for_clinic(self, obj: AvailabilitySlot) -> str:
        return local_time(obj.start_time)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AvailabilitySlot]:
        now = timezone.now()
        horizon = now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
        return (
            super()
            .get_queryset(request)
            .filter(end_time__gt=now, start_time__lt=horizon)
            .select_related("doctor")
            .order_by("start_time")
        )


class ScheduleRuleInline(ReadOnlyInline):
    model = ScheduleRule
    fields = ["day", "starts", "ends"]
    readonly_fields = fields
    verbose_name_plural = "Weekly hours (in the doctor's time zone)"

    @admin.display(description="day", ordering="weekday")
    def day(self, obj: ScheduleRule) -> str:
        return weekday_name(obj.weekday)

    @admin.display(description="from")
    def starts(self, obj: ScheduleRule) -> str:
        return clock(obj.start_minute)

    @admin.display(description="to")
    def ends(self, obj: ScheduleRule) -> str:
        return clock(obj.end_minute)


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    list_display = [
        "doctor",
        "specialization",
        "registration_number",
        "fee",
        "is_verified",
        "verified_at",
    ]
    list_filter = ["is_verified", "specialization"]
    search_fields = ["user__name", "user__email", "registration_number"]
    list_select_related = ["user"]
    ordering = ["user__name"]
    fields = [
        "doctor",
        "specialization",
        "qualifications",
        "registration_number",
        "spoken_languages",
        "fee",
        "experience_years",
        "bio",
        "timezone",
        "slot_minutes",
        "is_verified",
        "verified_when",
        "verified_by_person",
    ]
    readonly_fields = fields
    inlines = [ScheduleRuleInline, UpcomingSlotInline]
    actions = ["verify_doctors"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DoctorProfile]:
        return super().get_queryset(request).select_related("user", "verified_by")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        doctor = self.get_object(request, object_id)
        if doctor is not None:
            extra_context = {"title": str(doctor), "subtitle": doctor.user.email}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Doctor", ordering="user__name")
    def doctor(self, obj: DoctorProfile) -> str:
        return person(str(obj), obj.user.email)

    @admin.display(description="Verified at")
    def verified_when(self, obj: DoctorProfile) -> str:
        return local_time(obj.verified_at)

    @admin.display(description="Verified by")
    def verified_by_person(self, obj: DoctorProfile) -> str:
        who = obj.verified_by
        return person(who.name, who.email) if who is not None else "-"

    @admin.display(description="Languages")
    def spoken_languages(self, obj: DoctorProfile) -> str:
        return languages(obj.languages)

    @admin.display(description="Fee", ordering="consultation_fee")
    def fee(self, obj: DoctorProfile) -> str:
        return money(obj.consultation_fee, getattr(obj, "currency", "INR"))

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
    list_display = ["starts", "ends", "status", "doctor_person"]
    list_filter = ["status", "doctor__specialization"]
    search_fields = ["doctor__user__name", "doctor__user__email"]
    list_select_related = ["doctor__user"]
    date_hierarchy = "start_time"
    ordering = ["-start_time"]

    @admin.display(description="starts", ordering="start_time")
    def starts(self, obj: AvailabilitySlot) -> str:
        return local_time(obj.start_time)

    @admin.display(description="ends", ordering="end_time")
    def ends(self, obj: AvailabilitySlot) -> str:
        return local_time(obj.end_time)

    @admin.display(description="doctor", ordering="doctor__user__name")
    def doctor_person(self, obj: AvailabilitySlot) -> str:
        return person(str(obj.doctor), obj.doctor.user.email)

    # Slot state belongs to the booking and scheduling services.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
