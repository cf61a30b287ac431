"""Back office for data rights: erasure requests and their state (read-only), and legal
holds, which clinic admins set and release through the services (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Role, User
from amrutam.common.exceptions import ApplicationError

from .models import ErasureRequest, LegalHold
from .services import legal_hold_release, legal_hold_set


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "patient_id",
        "status",
        "requested_at",
        "retained_until",
        "completed_at",
        "cancelled_consultations",
    )
    list_filter = ("status",)
    ordering = ("-requested_at",)
    readonly_fields = [f.name for f in ErasureRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LegalHoldForm(forms.ModelForm):
    patient = forms.ModelChoiceField(queryset=User.objects.filter(role=Role.PATIENT))
    reason = forms.CharField(widget=forms.Textarea, max_length=2000)

    class Meta:
        model = LegalHold
        fields = ("patient", "reason")


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    form = LegalHoldForm
    list_display = ("id", "patient_id", "is_active", "set_by", "created_at", "released_at")
    list_filter = ("is_active",)
    actions = ["release"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("patient", "is_active", "set_by", "released_at") if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LegalHold, form: Any, change: bool) -> None:
        try:
            saved = legal_hold_set(
                patient=form.cleaned_data.get("patient") or obj.patient,
                reason=form.cleaned_data["reason"],
                set_by=request.user,
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        obj.pk = saved.pk

    @admin.action(description="Release the selected legal holds")
    def release(self, request: HttpRequest, queryset: QuerySet[LegalHold]) -> None:
        for hold in queryset:
            legal_hold_release(hold=hold, released_by=request.user)
        self.message_user(request, f"Released {queryset.count()} legal hold(s).")
