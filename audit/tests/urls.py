"""Views that write audited rows as a service would, to test the trail end to end."""

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view

from amrutam.common.contract.envelope import success
from amrutam.urls import urlpatterns as project_urlpatterns
from audit.admin_mixins import PHIAccessAdminMixin
from audit.services import audit_event, phi_access_record


class ProfileAdmin(PHIAccessAdminMixin, admin.ModelAdmin):
    fields = ["allergies"]


phi_site = admin.AdminSite(name="phi_test")
phi_site.register(apps.get_model("accounts", "PatientProfile"), ProfileAdmin)


def _save_profile(user, values):
    profile_model = apps.get_model("accounts", "PatientProfile")
    profile = profile_model.objects.filter(user_id=user.pk).first() or profile_model(
        user_id=user.pk
    )
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()
    return profile


@api_view(["POST"])
def profile_write(request):
    profile = _save_profile(request.user, request.data)
    audit_event(action="profile.edited", object_type="patient_profile", object_id=profile.pk)
    return success({"id": str(profile.pk)})


@api_view(["GET"])
def profile_read(request, user_id):
    phi_access_record(
        action="patient_profile.viewed",
        object_type="patient_profile",
        object_id=user_id,
        subject_id=user_id,
    )
    return success({})


def session_write(request):
    _save_profile(request.user, {"gender": "unspecified"})
    return HttpResponse("ok")


urlpatterns = [
    path("api/v1/test/audit/profile", profile_write),
    path("api/v1/test/audit/profile/<uuid:user_id>", profile_read),
    # Under the back office's prefix: only there do requests carry a session user.
    path("test-admin/audit/session-write", session_write),
    path("test-admin/", phi_site.urls),
    path("", include(project_urlpatterns)),
]
