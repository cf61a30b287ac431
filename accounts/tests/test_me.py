"""GET|PATCH /api/v1/auth/me: the caller's account and encrypted health profile."""

import datetime as dt

import pytest

from accounts.models import PatientProfile, User
from accounts.selectors import patient_profile_list_by_phone

ME = "/api/v1/auth/me"
pytestmark = pytest.mark.django_db

FULL_PROFILE = {
    "phone": "+91 98765 43210",
    "dateOfBirth": "1990-04-01",
    "gender": "female",
    "bloodGroup": "O+",
    "allergies": "Penicillin",
    "medicalHistory": "Asthma since childhood.",
}


def test_get_me_answers_the_patient_with_profile_and_records_the_read(
    client_for, patient, audit_calls
):
    response = client_for(patient).get(ME)

    user = response.json()["data"]["user"]
    assert response.status_code == 200
    assert user["id"] == str(patient.pk)
    assert user["email"] == patient.email
    assert user["profile"] == dict.fromkeys(FULL_PROFILE)
    assert len(audit_calls.phi_reads) == 1
    assert audit_calls.phi_reads[0]["action"] == "patient_profile.viewed"
    assert audit_calls.phi_reads[0]["subject_id"] == patient.pk


@pytest.mark.parametrize("who", ["doctor", "admin"])
def test_non_patients_have_no_profile_key_and_no_phi_read(
    client_for, doctor, admin_user, audit_calls, who
):
    user = doctor.user if who == "doctor" else admin_user

    response = client_for(user).get(ME)

    assert response.status_code == 200
    assert "profile" not in response.json()["data"]["user"]
    assert audit_calls.phi_reads == []


def test_patch_sets_the_profile_and_answers_it(client_for, patient, audit_calls):
    response = client_for(patient).patch(ME, {"profile": FULL_PROFILE}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["user"]["profile"] == FULL_PROFILE
    profile = PatientProfile.objects.get(user=patient)
    assert profile.date_of_birth == dt.date(1990, 4, 1)
    assert profile.medical_history == "Asthma since childhood."
    updated = audit_calls.of("patient_profile.updated")
    assert updated[0]["changes"] == {
        "fields": [
            "allergies",
            "blood_group",
            "date_of_birth",
            "gender",
            "medical_history",
            "phone",
        ]
    }
    assert "Penicillin" not in repr(audit_calls.events)
    assert len(audit_calls.phi_reads) == 1


def test_patch_changes_only_the_named_fields(client_for, patient):
    client = client_for(patient)
    client.patch(ME, {"profile": FULL_PROFILE}, format="json")

    response = client.patch(ME, {"profile": {"allergies": "None known"}}, format="json")

    profile = response.json()["data"]["user"]["profile"]
    assert profile == {**FULL_PROFILE, "allergies": "None known"}


def test_null_clears_a_profile_value(client_for, patient):
    client = client_for(patient)
    client.patch(ME, {"profile": FULL_PROFILE}, format="json")

    response = client.patch(ME, {"profile": {"phone": None}}, format="json")

    assert response.json()["data"]["user"]["profile"]["phone"] is None
    assert PatientProfile.objects.get(user=patient).phone_hash is None


def test_patch_name_only_keeps_the_profile(client_for, patient, audit_calls):
    response = client_for(patient).patch(ME, {"name": "  Renamed Patient "}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["user"]["name"] == "Renamed Patient"
    assert User.objects.get(pk=patient.pk).name == "Renamed Patient"
    assert audit_calls.of("patient_profile.updated") == []


def test_patch_with_the_same_values_records_no_update(client_for, patient, audit_calls):
    client = client_for(patient)
    client.patch(ME, {"profile": {"gender": "male"}}, format="json")

    client.patch(ME, {"profile": {"gender": "male"}}, format="json")

    assert len(audit_calls.of("patient_profile.updated")) == 1


def test_doctor_sending_a_profile_is_400_and_nothing_changes(client_for, doctor):
    response = client_for(doctor.user).patch(
        ME, {"name": "Dr Changed", "profile": {"phone": "+911234567"}}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["profile"]
    assert User.objects.get(pk=doctor.user.pk).name == "Doctor X"
    assert PatientProfile.objects.count() == 0


def test_phone_is_findable_by_its_keyed_hash_in_any_format(client_for, patient, patient_b):
    client_for(patient).patch(ME, {"profile": {"phone": "+91 98765-43210"}}, format="json")
    client_for(patient_b).patch(ME, {"profile": {"phone": "+91 11111 22222"}}, format="json")

    found = list(patient_profile_list_by_phone(phone="+919876543210"))

    assert [p.user_id for p in found] == [patient.pk]


def test_text_fields_accept_5000_characters(client_for, patient):
    response = client_for(patient).patch(
        ME, {"profile": {"allergies": "a" * 5000, "medicalHistory": "m" * 5000}}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": {"allergies": "a" * 5001}}, "profile.allergies"),
        ({"profile": {"medicalHistory": "m" * 5001}}, "profile.medicalHistory"),
        ({"profile": {"dateOfBirth": "01/04/1990"}}, "profile.dateOfBirth"),
        ({"profile": {"dateOfBirth": "1990-04-01T00:00:00Z"}}, "profile.dateOfBirth"),
        ({"profile": {"dateOfBirth": 19900401}}, "profile.dateOfBirth"),
        ({"profile": {"dateOfBirth": "2999-01-01"}}, "profile.dateOfBirth"),
        ({"profile": {"phone": "call me"}}, "profile.phone"),
        ({"profile": {"phone": 919876543210}}, "profile.phone"),
        ({"profile": {"bloodGroup": "Z"}}, "profile.bloodGroup"),
        ({"profile": {"gender": True}}, "profile.gender"),
        ({"profile": {"dob": "1990-01-01"}}, "profile.dob"),
        ({"profile": "not an object"}, "profile"),
        ({"profile": ["phone"]}, "profile"),
        ({"profile": None}, "profile"),
        ({"name": "n" * 151}, "name"),
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
        ({"email": "new@example.com"}, "email"),
        ({"role": "ADMIN"}, "role"),
    ],
)
def test_bad_patch_is_400_naming_the_field_and_changes_nothing(client_for, patient, body, field):
    client = client_for(patient)
    client.patch(ME, {"profile": {"allergies": "Dust"}}, format="json")

    response = client.patch(ME, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]
    stored = User.objects.get(pk=patient.pk)
    assert (stored.email, stored.role, stored.name) == (patient.email, "PATIENT", "Patient A")
    assert PatientProfile.objects.get(user=patient).allergies == "Dust"


def test_malformed_json_patch_is_400(client_for, patient):
    response = client_for(patient).patch(ME, "{bad", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_me_without_a_token_is_401(api_client):
    assert api_client.get(ME).status_code == 401
    assert api_client.patch(ME, {"name": "x"}, format="json").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_of_different_fields_keep_both(make_user, token_for):
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    user = make_user()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def patch(body: dict) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
            barrier.wait()
            statuses.append(client.patch(ME, {"profile": body}, format="json").status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=patch, args=({"allergies": "Dust"},)),
        threading.Thread(target=patch, args=({"gender": "male"},)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200]
    profile = PatientProfile.objects.get(user=user)
    assert (profile.allergies, profile.gender) == ("Dust", "male")
