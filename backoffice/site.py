"""The clinic's admin site: a dashboard as its home, one audit section, no technical clutter."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from amrutam.common.exceptions import ApplicationError
from doctors.models import DoctorProfile
from doctors.services import doctor_verify

from . import audit_views
from .chart import daily_bar_chart
from .dashboard import dashboard_context

VERIFY_PERMISSION = "doctors.change_doctorprofile"
AUDIT_PERMISSION = "audit.view_auditentry"
# Revenue is shown to those who may read the payments themselves (clinic admins).
PAYMENTS_PERMISSION = "payments.view_payment"
# Apps whose models are plumbing, not clinic records: shown to superusers only.
TECHNICAL_APPS = {"token_blacklist"}
# The two stores behind the audit section; staff see them as one (see audit_views).
AUDIT_APPS = {"audit", "auditlog"}


class ClinicAdminSite(admin.AdminSite):
    site_header = "Amrutam clinic back office"
    site_title = "Amrutam clinic back office"
    index_title = "Dashboard"
    index_template = "admin/backoffice/dashboard.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = dashboard_context(with_revenue=request.user.has_perm(PAYMENTS_PERMISSION))
        context["chart"] = daily_bar_chart(context["bookings_per_day"])  # type: ignore[arg-type]
        context["can_verify"] = request.user.has_perm(VERIFY_PERMISSION)
        return super().index(request, {**context, **(extra_context or {})})

    def get_urls(self) -> list[Any]:
        own: list[URLPattern] = [
            path(
                "dashboard/doctors/<uuid:doctor_id>/verify/",
                self.admin_view(require_POST(self.verify_doctor)),
                name="backoffice-verify-doctor",
            ),
            path(
                "audit/trail/",
                self.admin_view(audit_views.trail),
                name="backoffice-audit-trail",
            ),
            path(
                "audit/access-report/",
                self.admin_view(audit_views.access_report),
                name="backoffice-access-report",
            ),
        ]
        return own + super().get_urls()

    def verify_doctor(self, request: HttpRequest, doctor_id: Any) -> HttpResponse:
        if not request.user.has_perm(VERIFY_PERMISSION):
            messages.error(request, "You may not verify doctors.")
            return HttpResponseRedirect(reverse("admin:index"))
        doctor = get_object_or_404(DoctorProfile.objects.select_related("user"), pk=doctor_id)
        try:
            # admin_view has let only an active staff user this far.
            doctor_verify(doctor_id=doctor.pk, verified_by=cast(User, request.user))
        except ApplicationError as exc:
            messages.error(request, f"{doctor}: {exc.message}")
        else:
            messages.success(request, f"{doctor} is verified and can now be booked.")
        return HttpResponseRedirect(reverse("admin:index"))

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        user = request.user
        shown = []
        for app in apps:
            if app["app_label"] in AUDIT_APPS:
                continue
            if app["app_label"] in TECHNICAL_APPS and not user.is_superuser:
                continue
            if app["app_label"] == "auth" and not user.has_perm("auth.change_group"):
                continue
            shown.append(app)
        if user.has_perm(AUDIT_PERMISSION) and app_label in (None, "audit"):
            shown.append(self._audit_section())
            shown.sort(key=lambda app: app["name"].lower())
        return shown

    @staticmethod
    def _audit_section() -> dict[str, Any]:
        def entry(name: str, url_name: str) -> dict[str, Any]:
            return {
                "name": name,
                "object_name": name,
                "admin_url": reverse(f"admin:{url_name}"),
                "add_url": None,
                "view_only": True,
                "perms": {"view": True},
            }

        return {
            "name": "Audit",
            "app_label": "audit",
            "app_url": reverse("admin:backoffice-audit-trail"),
            "has_module_perms": True,
            "models": [
                entry("Trail: changes and PHI reads", "backoffice-audit-trail"),
                entry("Patient access report", "backoffice-access-report"),
            ],
        }
