"""Back office for consultations: read-only, PHI only with `consultations.view_phi`.

State changes go through the same services as the API (the "cancel" and "mark no-show"
actions); nothing is added, edited or deleted here directly.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from amrutam.common.admin_paging import BoundedCountAdminMixin
from amrutam.common.display import local_time, local_time_stacked, person, short_id
from amrutam.common.exceptions import ApplicationError
from amrutam.common.timezones import doctor_zone
from doctors.models import DoctorProfile

from .models import Consultation
from .selectors import PHI_PERMISSION, consultation_record_read
from .services import consultation_cancel, consultation_mark_no_show

BASE_FIELDS = (
    "id",
    "status",
    "patient_person",
    "doctor_person",
    "start_time",
    "doctor_local_time",
    "meeting_link",
    "payment_panel",
    "cancelled_by",
    "cancelled_at",
    "started_at",
    "completed_at",
    "created_at",
    "updated_at",
)
PHI_FIELDS = ("reason", "cancellation_reason", "clinical_notes", "prescription_issued")
WITHHELD_NOTE = (
    "Reason, cancellation reason, clinical notes and prescription are withheld: "
    "your account may not view health information."
)


class DoctorFilter(admin.SimpleListFilter):
    title = "doctor"
    parameter_name = "doctor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # One query for the whole list (the default filter reads each doctor's user).
        doctors = DoctorProfile.objects.select_related("user").order_by("user__name")
        return [(str(d.pk), str(d)) for d in doctors]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(doctor_id=self.value()) if self.value() else queryset


def _name(user: Any) -> str:
    return user.name or user.email


def _can_see_phi(request: HttpRequest) -> bool:
    return request.user.has_perm(PHI_PERMISSION)


@admin.register(Consultation)
class ConsultationAdmin(BoundedCountAdminMixin, admin.ModelAdmin):
    list_display = ("reference", "starts", "patient_person", "doctor_name", "status")
    list_display_links = ("reference",)
    list_filter = ("status", DoctorFilter, ("slot__start_time", admin.DateFieldListFilter))
    # Never an encrypted column: they cannot be searched, and must not be.
    search_fields = ("patient__email", "patient__name", "doctor__user__name")
    list_select_related = ("patient", "doctor__user", "slot")
    ordering = ("-slot__start_time",)
    actions = ("cancel_selected", "mark_no_show_selected")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return BASE_FIELDS + (PHI_FIELDS if _can_see_phi(request) else ("withheld",))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consultation]:
        return (
            super()
            .get_queryset(request)
            .select_related("patient", "doctor__user", "slot", "notes", "prescription", "payment")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # consultations are booked through consultation_book() only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the consultation log is kept (Telemedicine Practice Guidelines)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission enables the actions on the list; a single consultation's
        # page is always read-only.
        return obj is None and super().has_change_permission(request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        consultation = self.get_object(request, object_id)
        if consultation is not None:
            patient, doctor = _name(consultation.patient), consultation.doctor
            extra_context = {
                "title": f"Consultation of {patient} with {doctor}",
                "subtitle": local_time(consultation.slot.start_time),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and _can_see_phi(request):
            consultation_record_read(consultation=obj, actor=request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="reference")
    def reference(self, obj: Consultation) -> str:
        return short_id(obj.pk)

    @admin.display(description="doctor", ordering="doctor__user__name")
    def doctor_person(self, obj: Consultation) -> str:
        return person(str(obj.doctor), obj.doctor.user.email)

    @admin.display(description="patient", ordering="patient__name")
    def patient_person(self, obj: Consultation) -> str:
        return person(obj.patient.name, obj.patient.email)

    @admin.display(description="starts", ordering="slot__start_time")
    def start_time(self, obj: Consultation) -> str:
        return local_time(obj.slot.start_time)

    @admin.display(description="starts", ordering="slot__start_time")
    def starts(self, obj: Consultation) -> str:
        return local_time_stacked(obj.slot.start_time)

    @admin.display(description="doctor", ordering="doctor__user__name")
    def doctor_name(self, obj: Consultation) -> str:
        return str(obj.doctor)

    @admin.display(description="doctor's local time")
    def doctor_local_time(self, obj: Consultation) -> str:
        return local_time(obj.slot.start_time, doctor_zone(obj.doctor.timezone))

    @admin.display(description="health information")
    def withheld(self, obj: Consultation) -> str:
        return format_html('<span class="withheld-note">{}</span>', WITHHELD_NOTE)

    @admin.display(description="payment")
    def payment_panel(self, obj: Consultation) -> str:
        payment = getattr(obj, "payment", None)
        if payment is None:
            return "Not required (free consultation)"
        link = reverse("admin:payments_payment_change", args=[payment.pk])
        return format_html(
            '<a href="{}">{}</a>: {} {}, refunded {}; order {}, payment {}; hold until {}',
            link,
            payment.status,
            f"{payment.amount / 100:.2f}",
            payment.currency,
            f"{payment.refunded_amount / 100:.2f}",
            payment.gateway_order_id or "-",
            payment.gateway_payment_id or "-",
            payment.expires_at,
        )

    @admin.display(description="clinical notes")
    def clinical_notes(self, obj: Consultation) -> str:
        # A missing reverse one-to-one raises an AttributeError subclass.
        notes = getattr(obj, "notes", None)
        if notes is None:
            return "-"
        rows = [
            ("Symptoms", notes.symptoms),
            ("Diagnosis", notes.diagnosis),
            ("Advice", notes.advice),
            ("Follow up in days", notes.follow_up_in_days if notes.follow_up_in_days else "-"),
        ]
        return format_html_join("", "<p><strong>{}</strong>: {}</p>", rows)

    @admin.display(description="prescription")
    def prescription_issued(self, obj: Consultation) -> str:
        prescription = getattr(obj, "prescription", None)
        if prescription is None:
            return "-"
        items = format_html_join(
            "",
            "<li>{} {}, {} for {} days{}</li>",
            (
                (
                    item["medicine"],
                    item["dosage"],
                    item["frequency"],
                    item["durationDays"],
                    f" ({item['instructions']})" if item.get("instructions") else "",
                )
                for item in prescription.items
            ),
        )
        return format_html(
            "<p>By {} (reg. {})</p><ul>{}</ul><p>{}</p>",
            prescription.doctor_name,
            prescription.registration_number,
            items,
            prescription.notes or "",
        )

    def _run(self, request: HttpRequest, queryset: QuerySet, action: Any, verb: str) -> None:
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                action(pk)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{pk}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} consultation(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Cancel selected consultations", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(
            request,
            queryset,
            lambda pk: consultation_cancel(consultation_id=pk, cancelled_by=request.user),
            "cancelled",
        )

    @admin.action(description="Mark selected consultations as no-show", permissions=["change"])
    def mark_no_show_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(
            request,
            queryset,
            lambda pk: consultation_mark_no_show(consultation_id=pk, marked_by=request.user),
            "marked as no-show",
        )
