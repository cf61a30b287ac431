"""GET|PATCH /doctors/me: the doctor's own profile."""

from decimal import Decimal

import pytest

from doctors.models import DoctorProfile

pytestmark = pytest.mark.django_db

URL = "/api/v1/doctors/me"


def test_doctor_reads_own_profile(client_for, doctor):
    response = client_for(doctor.user).get(URL)

    body = response.json()["data"]["doctor"]
    assert response.status_code == 200
    assert body["id"] == str(doctor.pk)
    assert body["isVerified"] is True
    assert body["registrationNumber"] == doctor.registration_number


def test_an_unverified_doctor_reads_own_profile_too(client_for, doctor):
    DoctorProfile.objects.filter(pk=doctor.pk).update(is_verified=False)

    response = client_for(doctor.user).get(URL)

    assert response.status_code == 200
    assert response.json()["data"]["doctor"]["isVerified"] is False


@pytest.mark.parametrize("role", ["patient", "admin_user"])
@pytest.mark.parametrize("method", ["get", "patch"])
def test_other_roles_get_403(request, client_for, doctor, role, method):
    user = request.getfixturevalue(role)

    response = getattr(client_for(user), method)(URL, {"bio": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    doctor.refresh_from_db()
    assert doctor.bio == ""


def test_anonymous_gets_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_doctor_updates_only_the_named_fields(client_for, doctor, audit_events):
    response = client_for(doctor.user).patch(
        URL,
        {
            "specialization": "Panchakarma",
            "languages": ["Marathi", "English", "Marathi"],
            "consultationFee": "650.50",
            "experienceYears": 14,
            "bio": "Classical Ayurveda.",
            "timezone": "Europe/London",
            "slotMinutes": 20,
        },
        format="json",
    )

    body = response.json()["data"]["doctor"]
    doctor.refresh_from_db()
    assert response.status_code == 200
    assert body["specialization"] == "Panchakarma"
    assert body["consultationFee"] == "650.50"
    assert body["timezone"] == "Europe/London"
    assert doctor.languages == ["Marathi", "English"]
    assert doctor.consultation_fee == Decimal("650.50")
    assert doctor.slot_minutes == 20
    assert doctor.qualifications == "BAMS"
    assert [e["action"] for e in audit_events] == ["doctor.profile_updated"]
    assert audit_events[0]["changes"] == {
        "fields": [
            "bio",
            "consultationFee",
            "experienceYears",
            "languages",
            "slotMinutes",
            "specialization",
            "timezone",
        ]
    }


def test_an_unverified_doctor_fills_in_the_registration_number(client_for, doctor):
    DoctorProfile.objects.filter(pk=doctor.pk).update(is_verified=False, registration_number="")

    response = client_for(doctor.user).patch(URL, {"registrationNumber": "KA-AYU-9"}, format="json")

    doctor.refresh_from_db()
    assert response.status_code == 200
    assert doctor.registration_number == "KA-AYU-9"


def test_a_doctor_cannot_set_is_verified(client_for, doctor):
    DoctorProfile.objects.filter(pk=doctor.pk).update(is_verified=False, verified_at=None)

    response = client_for(doctor.user).patch(URL, {"isVerified": True, "bio": "new"}, format="json")

    body = response.json()
    doctor.refresh_from_db()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert "isVerified" in body["errors"]
    assert doctor.is_verified is False
    assert doctor.bio == ""


def test_a_verified_doctor_cannot_change_the_registration_number(client_for, doctor):
    original = doctor.registration_number

    response = client_for(doctor.user).patch(URL, {"registrationNumber": "OTHER-1"}, format="json")

    doctor.refresh_from_db()
    assert response.status_code == 400
    assert "registrationNumber" in response.json()["errors"]
    assert doctor.registration_number == original


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"consultationFee": "-1.00"}, "consultationFee"),
        ({"consultationFee": "12345678901.00"}, "consultationFee"),
        ({"consultationFee": "abc"}, "consultationFee"),
        ({"experienceYears": 81}, "experienceYears"),
        ({"experienceYears": -1}, "experienceYears"),
        ({"slotMinutes": 4}, "slotMinutes"),
        ({"slotMinutes": 241}, "slotMinutes"),
        ({"bio": "x" * 5001}, "bio"),
        ({"languages": "Hindi"}, "languages"),
        ({"languages": [""]}, "languages"),
        ({"specialization": None}, "specialization"),
    ],
)
def test_invalid_profile_values_are_400_and_change_nothing(client_for, doctor, payload, field):
    before = DoctorProfile.objects.values().get(pk=doctor.pk)

    response = client_for(doctor.user).patch(URL, payload, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert any(key.startswith(field) for key in body["errors"])
    assert DoctorProfile.objects.values().get(pk=doctor.pk) == before


def test_a_doctor_account_without_a_profile_gets_404(client_for, make_user):
    user = make_user(role="DOCTOR")

    response = client_for(user).get(URL)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
