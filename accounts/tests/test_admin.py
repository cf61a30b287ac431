"""The back office: user list, deactivation through the service, PHI only with permission."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import PatientProfile, User
from accounts.tests.conftest import STRONG_PASSWORD, bearer
from accounts.tests.factories import UserFactory
from tests.backoffice import staff_login

USERS = "/admin/accounts/user/"
PROFILES = "/admin/accounts/patientprofile/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin_user) -> Client:
    client = Client()
    staff_login(client, admin_user)
    return client


def staff_with(*codenames: str) -> Client:
    user = UserFactory(role="ADMIN", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    staff_login(client, user)
    return client


def test_user_list_filters_by_role_and_searches_by_email(admin_client_, patient, doctor):
    by_role = admin_client_.get(USERS, {"role__exact": "DOCTOR"})
    by_email = admin_client_.get(USERS, {"q": "patient.a@"})

    assert by_role.status_code == 200
    assert [u.email for u in by_role.context["cl"].result_list] == ["doctor.x@example.com"]
    assert [u.email for u in by_email.context["cl"].result_list] == ["patient.a@example.com"]


def test_user_list_filters_by_active(admin_client_, patient, patient_b):
    patient_b.is_active = False
    patient_b.save()

    response = admin_client_.get(USERS, {"is_active__exact": "0"})

    assert [u.email for u in response.context["cl"].result_list] == [patient_b.email]


def test_deactivate_action_makes_the_users_tokens_fail_at_once(
    admin_client_, api_client, patient, token_for, audit_calls
):
    headers = bearer(token_for(patient))
    assert api_client.get("/api/v1/auth/me", **headers).status_code == 200

    response = admin_client_.post(
        USERS, {"action": "deactivate_users", "_selected_action": [str(patient.pk)]}
    )

    assert response.status_code == 302
    assert User.objects.get(pk=patient.pk).is_active is False
    me = api_client.get("/api/v1/auth/me", **headers)
    assert me.status_code == 401
    assert me.json()["code"] == "token_invalid"
    assert [e["object_id"] for e in audit_calls.of("user.deactivated")] == [patient.pk]


def test_unticking_active_in_the_change_form_revokes_tokens(
    admin_client_, api_client, patient, token_for
):
    headers = bearer(token_for(patient))
    api_client.get("/api/v1/auth/me", **headers)
    form = admin_client_.get(f"{USERS}{patient.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update({"groups": [], "user_permissions": []})
    del data["is_active"]  # an unticked checkbox is absent from the form data

    response = admin_client_.post(f"{USERS}{patient.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=patient.pk).is_active is False
    assert api_client.get("/api/v1/auth/me", **headers).status_code == 401


def test_admin_cannot_deactivate_themselves(admin_client_, admin_user):
    admin_client_.post(
        USERS, {"action": "deactivate_users", "_selected_action": [str(admin_user.pk)]}
    )

    assert User.objects.get(pk=admin_user.pk).is_active is True


def test_admin_password_change_revokes_tokens(admin_client_, api_client, patient, token_for):
    headers = bearer(token_for(patient))

    response = admin_client_.post(
        f"{USERS}{patient.pk}/password/",
        {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=patient.pk).check_password(STRONG_PASSWORD)
    assert api_client.get("/api/v1/auth/me", **headers).status_code == 401


def test_adding_a_doctor_in_the_console_creates_an_unverified_profile(admin_client_):
    from doctors.models import DoctorProfile

    response = admin_client_.post(
        f"{USERS}add/",
        {
            "email": "New.Doctor@Example.com",
            "name": "Dr New",
            "role": "DOCTOR",
            "usable_password": "true",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.doctor@example.com")
    assert DoctorProfile.objects.get(user=user).is_verified is False


def test_users_cannot_be_deleted_in_the_console(admin_client_, patient):
    response = admin_client_.post(f"{USERS}{patient.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.filter(pk=patient.pk).exists()


def test_no_encrypted_field_in_list_views_filters_or_search():
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        encrypted = {f.name for f in model._meta.get_fields() if getattr(f, "encrypted", False)}
        listed = {
            *map(str, model_admin.list_display),
            *map(str, model_admin.list_filter),
            *(s.lstrip("^=@").split("__")[0] for s in model_admin.search_fields),
        }
        assert not encrypted & listed, model


def test_profile_phi_is_shown_decrypted_to_staff_with_view_phi(patient, audit_calls):
    profile = PatientProfile.objects.create(user=patient, allergies="Peanut allergy")
    client = staff_with("view_patientprofile", "view_phi")

    response = client.get(f"{PROFILES}{profile.pk}/change/")

    assert response.status_code == 200
    assert b"Peanut allergy" in response.content
    assert audit_calls.phi_reads[0]["subject_id"] == patient.pk


def test_profile_phi_is_hidden_from_staff_without_view_phi(patient, audit_calls):
    profile = PatientProfile.objects.create(user=patient, allergies="Peanut allergy")
    client = staff_with("view_patientprofile")

    response = client.get(f"{PROFILES}{profile.pk}/change/")

    assert response.status_code == 200
    assert b"Peanut allergy" not in response.content
    assert b"allergies" not in response.content.lower()
    assert audit_calls.phi_reads == []


def test_staff_with_view_phi_find_a_profile_by_phone(patient, patient_b):
    PatientProfile.objects.create(user=patient, phone="+91 98765 43210")
    PatientProfile.objects.create(user=patient_b, phone="+91 11111 22222")
    allowed, denied = (
        staff_with("view_patientprofile", "view_phi"),
        staff_with("view_patientprofile"),
    )

    found = allowed.get(PROFILES, {"q": "+919876543210"})
    hidden = denied.get(PROFILES, {"q": "+919876543210"})

    assert [p.user_id for p in found.context["cl"].result_list] == [patient.pk]
    assert list(hidden.context["cl"].result_list) == []
