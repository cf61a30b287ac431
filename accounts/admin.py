"""Back office for users and patient profiles.

Every write goes through a service, so deactivation and password changes end the
user's tokens at once. Encrypted profile fields never appear in lists, filters or
search, and are shown (read-only) only to staff holding `accounts.view_phi`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from accounts.mfa import mfa_enabled, mfa_enrollment_required, mfa_reset
from accounts.models import PatientProfile, User
from accounts.selectors import patient_profile_list_by_phone
from accounts.services import (
    user_admin_save,
    user_deactivate,
    user_password_set,
    user_reactivate,
)
from amrutam.common.display import person
from audit.services import phi_access_record

PHI_PERMISSION = "accounts.view_phi"
WITHHELD_NOTE = (
    "Phone, date of birth and the other health fields are withheld: your account may not "
    "view health information."
)


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class PasswordSetForm(AdminPasswordChangeForm):
    """The admin's password form, saved through the service that revokes tokens."""

    def save(self, commit: bool = True) -> User:
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        # The acting operator is taken from the audit context of the admin request.
        self.user = user_password_set(user=self.user, password=password, changed_by=None)
        return self.user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    change_password_form = PasswordSetForm
    list_display = ("person", "role", "is_active", "is_staff", "created_at")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "name")
    ordering = ("-created_at",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login", "mfa_status")

    @admin.display(description="Name", ordering="name")
    def person(self, obj: User) -> str:
        return person(obj.name, obj.email)

    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("name", "role")}),
        (
            "Access",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "mfa_status",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ("deactivate_users", "reactivate_users", "reset_mfa")

    @admin.display(description="Multi-factor authentication")
    def mfa_status(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        if mfa_enabled(user=obj):
            return "On (authenticator app)"
        if mfa_enrollment_required(role=obj.role, enabled=False):
            return "Off: must enrol at the next login"
        return "Off"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A role comes with its own profile (patient or doctor); it is chosen once.
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "role") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        user_admin_save(user=obj, changed_fields=list(form.changed_data), changed_by=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts own clinical history: they are deactivated, never deleted.
        return False

    @admin.action(description="Deactivate selected users (ends their sessions)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, "You cannot deactivate yourself.", messages.ERROR)
                continue
            if user.is_active:
                user_deactivate(user=user, deactivated_by=request.user)
                count += 1
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)

    @admin.action(
        description="Reset MFA of selected users (lost authenticator; they enrol again)",
        permissions=["change"],
    )
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            count = sum(
                mfa_reset(user=u, reason=reason[:500], reset_by=request.user) for u in queryset
            )
            self.message_user(
                request,
                f"Reset MFA of {count} user(s); they must enrol again at their next login.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reset multi-factor authentication",
            "users": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "missing_reason": "apply" in request.POST,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/user/reset_mfa.html", context)

    @admin.action(description="Reactivate selected users")
    def reactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            if not user.is_active:
                user_reactivate(user=user, reactivated_by=request.user)
                count += 1
        self.message_user(request, f"Reactivated {count} user(s).", messages.SUCCESS)


@admin.register(PatientProfile)
class PatientProfileAdmin(admin.ModelAdmin):
    list_display = ("patient", "created_at", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__name")  # never an encrypted field
    ordering = ("-created_at",)
    base_fields = ("id", "patient", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PatientProfile]:
        return super().get_queryset(request).select_related("user")

    @admin.display(description="Patient", ordering="user__name")
    def patient(self, obj: PatientProfile) -> str:
        return person(obj.user.name, obj.user.email)

    @admin.display(description="Health information")
    def withheld(self, obj: PatientProfile) -> str:
        return format_html('<span class="withheld-note">{}</span>', WITHHELD_NOTE)

    def _can_see_phi(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(PHI_PERMISSION))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self._can_see_phi(request):
            return (*self.base_fields, *PatientProfile.PHI_FIELDS)
        return (*self.base_fields, "withheld")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Patients keep their own profile up to date through the API.
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # every field is read-only: the page offers no Save

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PatientProfile], search_term: str
    ) -> tuple[QuerySet[PatientProfile], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Staff allowed to see PHI may also find a patient by exact phone number,
        # through its keyed hash; the number itself is never searched in clear.
        digits = search_term.strip()
        if digits and self._can_see_phi(request) and any(c.isdigit() for c in digits):
            by_phone = patient_profile_list_by_phone(phone=digits).values("pk")
            results = results | queryset.filter(pk__in=by_phone)
        return results, may_have_duplicates

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        profile = self.get_object(request, object_id)
        if profile is not None:
            extra_context = {
                "title": f"Profile of {profile.user.name or profile.user.email}",
                "subtitle": profile.user.email,
                **(extra_context or {}),
            }
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        original = context.get("original")
        if original is not None and self._can_see_phi(request):
            phi_access_record(
                action="patient_profile.viewed",
                object_type=PatientProfile,
                object_id=original.pk,
                subject_id=original.user_id,
                actor=request.user,
            )
        return response
